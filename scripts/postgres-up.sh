#!/usr/bin/env bash
# Start Debian's PostgreSQL on 127.0.0.1 and create the test role and database.
# Prints the SQLAlchemy URL the test suite reads from EMS_TEST_PG_URL.
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: apt-get install postgresql" >&2
  exit 1
fi
version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  cluster=main
  pg_createcluster "$version" "$cluster" >&2
fi
if ! pg_lsclusters --no-header | awk -v c="$cluster" '$2==c {print $4}' | grep -q online; then
  pg_ctlcluster "$version" "$cluster" start >&2
fi
for _ in $(seq 1 30); do
  runuser -u postgres -- pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 >&2 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ems') THEN
    CREATE ROLE ems LOGIN PASSWORD 'ems' CREATEDB;
  END IF;
END $$;
-- Lets the test role drop its scratch databases even while autovacuum is visiting them.
GRANT pg_signal_backend TO ems;
SQL
echo "postgresql+psycopg://ems:ems@127.0.0.1:5432/postgres"

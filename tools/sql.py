"""Read-only SQL for questions the structured tools cannot answer, checked before it runs.

A query must parse (sqlglot), be exactly one SELECT (WITH and UNION allowed), carry no comments,
read only allow-listed tables and views, call no function that reaches files, the server or
the clock of the process, and join only on conditions. It then runs read-only, inside a row
limit and a time limit. Anything else is refused with the reason, so the model can rewrite it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from pydantic import Field
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from common.errors import EMSError
from tools.base import ToolContext, ToolInput, ToolResult, tool

if TYPE_CHECKING:
    from sqlglot import exp

ALLOWED_TABLES = frozenset(
    {
        "sites",
        "meters",
        "series",
        "readings",
        "rollups",
        "meter_readings",
        "meter_rollups",
        "alert_rules",
        "alerts",
        "incidents",
        "baseline_models",
        "bills",
        "series_intervals",
    }
)
DENIED_FUNCTIONS = frozenset(
    {
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "randomblob",
        "zeroblob",
        "sleep",
        "dblink",
        "copy",
        "current_setting",
        "set_config",
        "query_to_xml",
        "version",
    }
)
DENIED_PREFIXES = ("pg_", "lo_", "sqlite_", "dblink", "file")
ROW_LIMIT = 1000
TIMEOUT_S = 5.0


class UnsafeQuery(EMSError):
    """SQL the tool will not run: not a single read-only SELECT over allowed tables."""


class SqlInput(ToolInput):
    sql: str = Field(
        description="One SELECT statement. Tables: meter_readings(site, meter, kind, metric, "
        "unit, ts, time_utc, value), meter_rollups(site, meter, metric, unit, grain "
        "['15min','hour','day'], bucket, bucket_utc, n, sum, min, max, avg), meters, series, "
        "sites, alert_rules, alerts, incidents, baseline_models. ts/bucket are Unix seconds "
        "(UTC); energy values are kWh per interval."
    )
    limit: int = Field(default=200, ge=1, le=ROW_LIMIT, description="Maximum rows to return.")


class SqlResult(ToolResult):
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    sql: str = Field(description="the statement as run, with the row limit applied")


def _function_name(node: exp.Expression) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(getattr(node, "sql_name", lambda: node.key)()).lower()


# Statements that write or change the database, known by their first word.
WRITES = frozenset(
    {"DELETE", "UPDATE", "INSERT", "UPSERT", "REPLACE", "MERGE", "DROP", "ALTER", "TRUNCATE",
     "CREATE", "GRANT", "REVOKE", "ATTACH", "DETACH", "VACUUM", "REINDEX", "COPY"}
)  # fmt: skip


def check_sql(sql: str, dialect: str) -> exp.Expression:
    """Parse and vet a query; returns its syntax tree or raises UnsafeQuery saying why."""
    # sqlglot is imported here, by the one tool that parses SQL, not by every agent start.
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    read = "postgres" if dialect == "postgresql" else "sqlite"
    first = sql.split(None, 1)[0].upper() if sql.strip() else ""
    if first in WRITES:
        # said before any parse error: "DELETE FROM readings - old junk" is refused as a write
        raise UnsafeQuery(f"only SELECT queries are allowed, not {first}: the SQL tool only reads")
    try:
        tokens = sqlglot.Tokenizer().tokenize(sql)
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except (ParseError, TokenError) as exc:
        raise UnsafeQuery(f"the SQL does not parse: {str(exc).splitlines()[0]}") from None
    if any(token.comments for token in tokens):
        raise UnsafeQuery("comments are not allowed in queries; remove them")
    if len(statements) != 1:
        raise UnsafeQuery(f"exactly one statement is allowed, got {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except):
        raise UnsafeQuery(f"only SELECT queries are allowed, not {tree.key.upper()}")
    for node in tree.walk():
        _check_node(cast(exp.Expression, node), tree)
    return tree


def _check_node(node: exp.Expression, tree: exp.Expression) -> None:
    from sqlglot import exp

    if isinstance(node, exp.Insert | exp.Update | exp.Delete | exp.Create | exp.Drop | exp.Command):
        raise UnsafeQuery(f"{node.key.upper()} is not allowed: the SQL tool only reads")
    if isinstance(node, exp.Into):
        raise UnsafeQuery("SELECT ... INTO writes a table and is not allowed")
    if isinstance(node, exp.Lock):
        raise UnsafeQuery("locking clauses (FOR UPDATE/SHARE) are not allowed")
    if isinstance(node, exp.Table):
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        name = node.name.lower()
        if node.db or name not in ALLOWED_TABLES | ctes:
            allowed = ", ".join(sorted(ALLOWED_TABLES))
            raise UnsafeQuery(f"table {node.sql()!r} is not allowed; use one of: {allowed}")
    if isinstance(node, exp.Func):
        name = _function_name(node)
        if name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES):
            raise UnsafeQuery(f"function {name}() is not allowed in queries")
    if isinstance(node, exp.Join):
        kind = (node.args.get("kind") or "").upper()
        on = node.args.get("on")
        # An ON that names no column (ON TRUE, ON 1=1) is a cross join in disguise.
        conditioned = (on is not None and on.find(exp.Column) is not None) or node.args.get("using")
        if kind == "CROSS" or not conditioned:
            raise UnsafeQuery(
                "joins need an ON or USING condition; cross joins (including 'FROM a, b') "
                "are refused because they multiply rows"
            )


@contextmanager
def _guarded(conn: Connection, timeout_s: float) -> Iterator[None]:
    """Read-only and time-limited for the duration of one query, on either dialect."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        yield
        return
    raw = conn.connection.driver_connection
    deadline = time.monotonic() + timeout_s
    conn.exec_driver_sql("PRAGMA query_only = ON")
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)  # type: ignore[union-attr]
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
        conn.exec_driver_sql("PRAGMA query_only = OFF")


def _database_error(exc: DBAPIError, timeout_s: float) -> UnsafeQuery:
    message = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
    if "interrupted" in message or "statement timeout" in message:
        return UnsafeQuery(f"the query ran longer than {timeout_s:g} s and was stopped; narrow it")
    return UnsafeQuery(f"the database rejected the query: {message}")


@tool(SqlInput)
def run_sql(ctx: ToolContext, args: SqlInput) -> SqlResult:
    """Run one read-only SELECT over the meter data when no other tool fits (unusual groupings,
    joins across meters, ad-hoc filters). Prefer query_metric and compute_kpi: they know time
    zones, units and periods. Results are capped in rows and time."""
    dialect = ctx.engine.dialect.name
    tree = check_sql(args.sql, dialect)
    write = "postgres" if dialect == "postgresql" else "sqlite"
    inner = tree.sql(dialect=write)
    limited = f"SELECT * FROM ({inner}) AS q LIMIT {args.limit + 1}"
    try:
        with ctx.engine.connect() as conn, conn.begin():
            with _guarded(conn, TIMEOUT_S):
                conn.execute(text("EXPLAIN " + limited))
                result = conn.execute(text(limited))
                columns = list(result.keys())
                rows = [list(r) for r in result.fetchmany(args.limit + 1)]
    except (OperationalError, DBAPIError) as exc:
        raise _database_error(exc, TIMEOUT_S) from None
    truncated = len(rows) > args.limit
    return SqlResult(
        columns=columns,
        rows=rows[: args.limit],
        row_count=min(len(rows), args.limit),
        truncated=truncated,
        sql=limited,
    )

"""A thread that checkpoints an SQLite store's write-ahead log, so a server's writes commit
without copying the log into the database and syncing both themselves.

SQLite checkpoints on the connection that commits once the log holds `wal_autocheckpoint`
pages (1,000 by default, about two posts of 5,000 readings): that request then waits for the
copy and the fsyncs. While a `WalCheckpointer` runs, the store's connections raise that bound
to `BOUND_PAGES`, only a fallback should the thread fall behind, and the thread checkpoints
(PASSIVE: it never blocks a reader or a writer) every `interval_s` when the log has grown.
With `synchronous=NORMAL` a commit is safe from a power cut once a checkpoint has synced the
log: at full speed that is about as soon as before (every two posts or so), and a trickle of
small writes, which took minutes to fill 1,000 pages, is synced within `interval_s`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

# 64 MiB of 4 KiB pages: the log's size should the thread fall behind, before a committing
# connection checkpoints it itself as it did without the thread.
BOUND_PAGES = 16_384
# A pass every quarter-second: passes every 50 ms measured no better (28 fsyncs in 40 posts;
# 20 and 36 in two runs at this interval) and would wake an idle server five times as often.
INTERVAL_S = 0.25


class WalCheckpointer:
    """Checkpoints `engine`'s log on a thread of its own between `start()` and `close()`;
    does nothing for a store that is not an SQLite file (PostgreSQL, `:memory:`)."""

    def __init__(self, engine: Engine, interval_s: float = INTERVAL_S) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.failures = 0  # passes that failed (each next pass tries again)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        database = engine.url.database
        self.applies = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")

    def start(self) -> WalCheckpointer:
        if not self.applies or self._thread is not None:
            return self
        event.listen(self.engine, "connect", self._raise_bound)
        # Pooled connections keep the bound they were opened with: open new ones.
        self.engine.dispose()
        connection = self.engine.raw_connection()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(connection,), name="ems-wal-checkpoint", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread after a last checkpoint; the connections get SQLite's bound back."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        event.remove(self.engine, "connect", self._raise_bound)
        self.engine.dispose()

    def __enter__(self) -> WalCheckpointer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _run(self, connection: Any) -> None:
        try:
            while not self._stop.wait(self.interval_s):
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: Any) -> None:
        """One PASSIVE checkpoint: a log whose pages are all in the database costs a lock and
        no I/O. A failure is counted and the next pass tries again; meanwhile the committing
        connections' bound still keeps the log from growing without end."""
        try:
            cursor = connection.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                cursor.close()
        except sqlite3.Error as error:
            self.failures += 1
            log.warning("WAL checkpoint failed (the next one retries): %s", error)

    def _raise_bound(self, dbapi_connection: Any, _record: Any) -> None:
        # A method, not a function: each checkpointer adds and removes its own listener.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA wal_autocheckpoint={BOUND_PAGES}")
        cursor.close()

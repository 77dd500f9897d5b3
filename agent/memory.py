"""Conversation memory: LangGraph checkpoints in a SQLite file under EMS_HOME, one thread per
conversation (a terminal session, a browser tab, a Slack thread)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver


def sqlite_memory(path: Path) -> SqliteSaver:
    """A checkpointer on `path`, created on first use; safe to share between threads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver

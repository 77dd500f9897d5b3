"""Each person's list of conversations on the chat page: a small SQLite index under EMS_HOME
beside the agent's own checkpoints (which hold the messages themselves)."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TITLE_CHARS = 60


@dataclass(frozen=True)
class ThreadInfo:
    thread: str
    title: str
    updated_at: str  # ISO UTC
    created_at: str = ""  # ISO UTC

    def label(self, tz: str | None = None) -> str:
        """'4 Nov · What was the peak demand last week?': its day and its title."""
        try:
            day = datetime.fromisoformat(self.created_at or self.updated_at)
        except ValueError:
            return self.title
        if tz:
            from common.timeutil import zone

            day = day.astimezone(zone(tz))
        return f"{day:%-d %b} · {self.title}"


def new_thread_id() -> str:
    return uuid.uuid4().hex[:12]


def title_of(question: str) -> str:
    """A conversation's title: its first question, cut at a word near TITLE_CHARS."""
    text = " ".join(question.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


class ThreadIndex:
    """Who owns which conversation thread, its title and when it was last used."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        with self._lock, self._conn:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS chat_threads ("
                " thread TEXT PRIMARY KEY, user TEXT NOT NULL, title TEXT NOT NULL,"
                " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
            )
            self._conn.execute(
                "CREATE INDEX IF NOT EXISTS ix_chat_threads_user ON chat_threads (user, updated_at)"
            )

    def record(self, user: str, thread: str, question: str) -> None:
        """Note a turn in `thread`: the first one names it, later ones move it to the top."""
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO chat_threads (thread, user, title, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (thread) DO UPDATE SET updated_at = excluded.updated_at"
                " WHERE chat_threads.user = excluded.user",
                (thread, user, title_of(question), now, now),
            )

    def owner(self, thread: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT user FROM chat_threads WHERE thread = ?", (thread,)
            ).fetchone()
        return str(row[0]) if row else None

    def threads(self, user: str, limit: int = 50) -> list[ThreadInfo]:
        """This person's conversations, most recently used first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT thread, title, updated_at, created_at FROM chat_threads WHERE user = ?"
                " ORDER BY updated_at DESC, created_at DESC LIMIT ?",
                (user, limit),
            ).fetchall()
        return [ThreadInfo(str(t), str(title), str(at), str(c)) for t, title, at, c in rows]

    def rename(self, user: str, thread: str, title: str) -> bool:
        """Give one of this person's conversations a title of their own; False if not theirs
        or the title is empty."""
        text = " ".join(title.split())[:200]
        if not text:
            return False
        with self._lock, self._conn:
            done = self._conn.execute(
                "UPDATE chat_threads SET title = ? WHERE thread = ? AND user = ?",
                (text, thread, user),
            )
        return done.rowcount == 1

    def delete(self, user: str, thread: str) -> bool:
        """Remove one of this person's conversations from their list; False if not theirs."""
        with self._lock, self._conn:
            done = self._conn.execute(
                "DELETE FROM chat_threads WHERE thread = ? AND user = ?", (thread, user)
            )
        return done.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._conn.close()

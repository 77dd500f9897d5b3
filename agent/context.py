"""What the agent and the watcher are handed to make each turn's tool context; the composition
root implements it, so "now", the site and its zone come from one place."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from store.catalog import SiteRef
    from tools.base import ToolContext


class MakeContext(Protocol):
    """Makes the tools' context of one turn (or one watcher run): the site and its zone, the
    time from the one clock (or `now` when the caller pins it), the person and their role."""

    def current_site(self) -> SiteRef | None:
        """The site of the next turn; None when the store holds none, or several and none
        was chosen."""
        ...

    def __call__(self, *, user: str, role: str, now: datetime | None = None) -> ToolContext: ...

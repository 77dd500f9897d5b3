"""The one source of "now" and of each turn's context: site, its zone, the clock, user and role.

The chat page, the Slack bot, the command line, the agent and the watcher are all handed a
`TurnContexts` made here; tools read the time only from the context it makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from common.errors import EMSError
from common.timeutil import zone

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from store.catalog import SiteRef
    from tools.base import AnalyticsConfig, KnowledgeBase, ToolContext
    from tools.economics import Installation

Clock = Callable[[], datetime]


class BadTime(EMSError):
    """A time given on the command line that is not an ISO 8601 time."""


def system_clock() -> datetime:
    """The wall clock, the only place the product reads it for a turn or a watcher run."""
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always says `moment` (`--now`, tests, evals)."""
    return lambda: moment


@dataclass(frozen=True)
class TurnContexts:
    """Makes the tools' context of each turn or watcher run at one site (the agent's and the
    watcher's MakeContext)."""

    engine: Engine
    site: SiteRef
    # A fixed economics (tests, benchmarks); without one each turn reads the site's catalogue
    # with `installation` (the settings' tariff and factors) as its fallback.
    config: AnalyticsConfig | None = None
    knowledge: KnowledgeBase | None = None
    clock: Clock = system_clock
    installation: Installation | None = None

    def __call__(self, *, user: str, role: str, now: datetime | None = None) -> ToolContext:
        from tools.base import ToolContext

        at = self.localise(now or self.clock())
        return ToolContext(
            engine=self.engine,
            site=self.site,
            now=at,
            config=self.config or self.economics(at),
            user=user,
            role=role,
            knowledge=self.knowledge,
        )

    def economics(self, at: datetime) -> AnalyticsConfig:
        """The site's tariffs, emission factors, shifts and closures as of `at`, from its
        catalogue, else the installation's settings, else labelled defaults."""
        from store.profile import get_profile
        from tools.economics import Installation, site_config

        with self.engine.connect() as conn:
            profile = get_profile(conn, self.site.id)
        return site_config(profile, self.installation or Installation(), at.date())

    def localise(self, moment: datetime) -> datetime:
        """`moment` in the site's zone; a naive time is taken as the site's local time."""
        site_zone = zone(self.site.timezone)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=site_zone)
        return moment.astimezone(site_zone)

    def at(self, moment: datetime) -> TurnContexts:
        """The same contexts with the clock stopped at `moment`."""
        return replace(self, clock=fixed_clock(self.localise(moment)))


def parse_time(text: str, option: str = "--now") -> datetime:
    """An ISO time from the command line; a naive one is read in the site's zone later."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise BadTime(f"{option} {text!r} is not an ISO time such as 2026-11-05T09:00") from None

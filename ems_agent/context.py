"""The one source of "now" and of each turn's context: site, its zone, the clock, user and role.

The chat page, the Slack bot, the command line, the agent and the watcher are all handed a
`TurnContexts` made here; tools read the time only from the context it makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from common.errors import EMSError, SiteNotChosen
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
    """Makes the tools' context of each turn or watcher run (the agent's and the watcher's
    MakeContext).

    `site` is the site chosen for them (`--site`, `ems-agent up`'s demo plant). Without one,
    each turn takes the store's only site, or among several the settings' default, so a page
    started on an empty store answers about the data imported since; with no site at all the
    turn has none (knowledge and portfolio questions still work; the others say why not)."""

    engine: Engine
    site: SiteRef | None
    # A fixed economics (tests, benchmarks); without one each turn reads the site's catalogue
    # with `installation` (the settings' tariff and factors) as its fallback.
    config: AnalyticsConfig | None = None
    knowledge: KnowledgeBase | None = None
    clock: Clock = system_clock
    installation: Installation | None = None
    default_site: str | None = None  # EMS_SITE: the site among several when none is chosen
    timezone: str = "UTC"  # the zone of "now" in a turn without a site

    def __call__(self, *, user: str, role: str, now: datetime | None = None) -> ToolContext:
        from tools.base import ToolContext

        site = self.current_site()
        at = self.localise(now or self.clock(), site)
        return ToolContext(
            engine=self.engine,
            site=site,
            now=at,
            config=self.config or self.economics(site, at),
            user=user,
            role=role,
            knowledge=self.knowledge,
            sites=self.at_site,
        )

    def current_site(self) -> SiteRef | None:
        """The chosen site, else the store's only one or the default among several; None
        when the store holds none, or several and nothing chose one."""
        if self.site is not None:
            return self.site
        from store.sites import choose_site

        with self.engine.connect() as conn:
            try:
                return choose_site(conn, None, self.default_site)
            except SiteNotChosen:
                return None

    def pinned(self) -> TurnContexts:
        """These contexts fixed to the current site (a watcher watches one site); NoSite or
        SiteNotChosen, saying what to do, when there is none."""
        site = self.current_site()
        if site is None:
            from store.sites import missing_site

            with self.engine.connect() as conn:
                raise missing_site(conn)
        return replace(self, site=site)

    def at_site(self, site: SiteRef, ctx: ToolContext) -> ToolContext:
        """The context of another site for the same person, role and moment (a question that
        names a site, the portfolio across sites)."""
        return replace(self, site=site)(user=ctx.user, role=ctx.role, now=ctx.now)

    def economics(self, site: SiteRef | None, at: datetime) -> AnalyticsConfig:
        """The site's tariffs, emission factors, shifts and closures as of `at`, from its
        catalogue, else the installation's settings, else labelled defaults."""
        from store.profile import get_profile
        from tools.economics import Installation, site_config

        profile = None
        if site is not None:
            with self.engine.connect() as conn:
                profile = get_profile(conn, site.id)
        country, region = (site.country, site.region) if site is not None else (None, None)
        return site_config(profile, self.installation or Installation(), at.date(), country, region)

    def localise(self, moment: datetime, site: SiteRef | None = None) -> datetime:
        """`moment` in the site's zone; a naive time is taken as the site's local time."""
        site = site or self.current_site()
        site_zone = zone(site.timezone if site is not None else self.timezone)
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

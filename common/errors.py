"""The product's root exception and the error conditions every layer shares.

Every error a person or the model can act on derives from EMSError and carries a message that says
what was wrong and what to do; anything else raised is a bug.
"""

from __future__ import annotations


class EMSError(Exception):
    """Root of every expected error in the product."""


class UnknownUnit(EMSError):
    """A unit symbol the store does not know, or one that cannot measure the metric."""


class UnknownSite(EMSError):
    """A site name that is not in the store."""


class UnknownMeter(EMSError):
    """A meter name that is not in the store; the message lists the closest names."""


class UnknownSeries(EMSError):
    """A meter has no series for the requested metric."""


class InvalidReading(EMSError):
    """A reading that cannot be stored (bad time, NaN, infinite value)."""


class InsufficientData(EMSError):
    """A period holds too little data to answer."""


class NoReadings(InsufficientData):
    """The period holds no reading at all of the series asked for (before the history began,
    or while the meter was down): nothing to compute, whatever the question."""


class StoreConflict(EMSError):
    """A write contradicts what is stored (a meter's kind or a series' unit changed)."""


class MissingSecret(EMSError):
    """A feature was asked for whose secret (token, password, key) is not in the environment."""


class NotConfigured(EMSError):
    """A feature was asked for whose settings are missing; the message names them."""


HOW_TO_LOAD = (
    "load meter data with `ems-agent import-csv FILE --site NAME`, `ems-agent demo` (the demo "
    "plant), or over MQTT (topics ems/SITE/METER/METRIC, stored by `ems-agent ingest`)"
)


class NoSite(EMSError):
    """The store holds no site yet, so there is no meter data to answer from."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or f"the store has no meter data yet: {HOW_TO_LOAD}")


class SiteNotChosen(EMSError):
    """The store holds several sites and neither the question nor the settings chose one."""

    def __init__(self, sites: list[str]) -> None:
        self.sites = tuple(sites)
        super().__init__(
            f"the store holds {len(sites)} sites ({', '.join(sites)}) and none is the default: "
            "name one (in the question, or --site NAME on the command line) or set EMS_SITE "
            '(site = "NAME" in ems.toml)'
        )

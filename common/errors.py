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


class StoreConflict(EMSError):
    """A write contradicts what is stored (a meter's kind or a series' unit changed)."""


class MissingSecret(EMSError):
    """A feature was asked for whose secret (token, password, key) is not in the environment."""


class NotConfigured(EMSError):
    """A feature was asked for whose settings are missing; the message names them."""

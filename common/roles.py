"""The roles people act in (viewer < operator < admin) and how they rank."""

from __future__ import annotations

from typing import Literal

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")  # in order of what they may do


def at_least(role: str, needed: Role) -> bool:
    """Whether `role` ranks at or above `needed`; an unknown role ranks below every other."""
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)

"""API tokens: made from 32 random bytes, shown once, kept only as a SHA-256 hash, checked on
every request (expiry and revocation included).

A token carries 256 bits of randomness, so a plain SHA-256 of it cannot be reversed or guessed
from a leaked store: a slow password hash (Argon2) would add nothing but about 50 ms to every
request, and a keyed hash would need a secret that must itself be kept and rotated.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from common.errors import EMSError
from common.roles import ROLES, Role
from store import tokens as rows

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from store.tokens import TokenRow

PREFIX = "ems_"  # lets secret scanners and people recognise the product's tokens
TOUCH_EVERY = timedelta(minutes=1)  # how often a token's last use is written down, at most


class TokenError(EMSError):
    """A request whose token is missing, unknown, expired or revoked."""


class TokenMissing(TokenError):
    """A request without an `Authorization: Bearer ...` header."""


class TokenUnknown(TokenError):
    """A token this installation never issued."""


class TokenExpired(TokenError):
    """A token past its expiry."""


class TokenRevoked(TokenError):
    """A token that was revoked."""


class BadTokenRequest(EMSError):
    """`tokens create` with a bad name, role or expiry."""


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the token's name (the user in tool contexts) and its role."""

    name: str
    role: Role
    token_id: int | None = None


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: its secret is here once and never again."""

    secret: str
    row: TokenRow


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


_DURATION = re.compile(r"^\s*(\d+)\s*([hdwy])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_expiry(text: str | None) -> timedelta | None:
    """'90d', '12h', '4w', '1y' or 'never' (None) as a duration."""
    if text is None or text.strip().lower() in ("", "never"):
        return None
    found = _DURATION.match(text.lower())
    if found is None or int(found.group(1)) == 0:
        raise BadTokenRequest(
            f"--expires {text!r} is not a duration such as 90d, 12h, 4w, 1y or never"
        )
    count, unit = int(found.group(1)), found.group(2)
    return timedelta(days=365 * count) if unit == "y" else count * _UNITS[unit]


def _utc(moment: datetime | None) -> datetime | None:
    """Times as the store gives them back (SQLite drops the zone; they were written in UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class TokenStore:
    """Issues, lists, revokes and verifies the installation's API tokens."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self._touched: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def create(self, name: str, role: str, expires_in: timedelta | None = None) -> IssuedToken:
        name = name.strip()
        if not name or len(name) > 100:
            raise BadTokenRequest("a token needs a name of 1 to 100 characters (--name grafana)")
        if role not in ROLES:
            raise BadTokenRequest(f"role {role!r} is not one of {', '.join(ROLES)}")
        secret = PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            if any(t.name == name for t in rows.list_tokens(conn)):
                raise BadTokenRequest(
                    f"a token named {name!r} exists; revoke it first "
                    f"(ems-agent tokens revoke {name}) or choose another name"
                )
            token_id = rows.add_token(
                conn,
                name=name,
                role=role,
                token_hash=hash_token(secret),
                prefix=secret[:10],
                created_at=now,
                expires_at=now + expires_in if expires_in else None,
            )
            row = next(t for t in rows.list_tokens(conn) if t.id == token_id)
        return IssuedToken(secret, row)

    def tokens(self, include_revoked: bool = False) -> list[TokenRow]:
        with self.engine.connect() as conn:
            return rows.list_tokens(conn, include_revoked=include_revoked)

    def revoke(self, name_or_id: str) -> list[TokenRow]:
        with self.engine.begin() as conn:
            return rows.revoke_tokens(conn, name_or_id, self.clock())

    def verify(self, secret: str | None) -> Principal:
        """The principal a bearer token acts for; raises a TokenError saying what is wrong."""
        if not secret:
            raise TokenMissing(
                "this endpoint needs an API token: send 'Authorization: Bearer <token>' "
                "(ems-agent tokens create --name NAME --role viewer)"
            )
        with self.engine.connect() as conn:
            row = rows.find_token(conn, hash_token(secret.strip()))
        if row is None:
            raise TokenUnknown("the API token is not known to this installation")
        now = self.clock()
        if row.revoked_at is not None:
            raise TokenRevoked(f"the API token {row.name!r} was revoked")
        expires = _utc(row.expires_at)
        if expires is not None and expires <= now:
            raise TokenExpired(
                f"the API token {row.name!r} expired on {expires:%Y-%m-%d %H:%M} UTC"
            )
        self._touch(row.id, now)
        role: Role = row.role if row.role in ROLES else "viewer"
        return Principal(row.name, role, row.id)

    def _touch(self, token_id: int, now: datetime) -> None:
        """Note the token's use, at most once a minute (not a write per request)."""
        with self._lock:
            last = self._touched.get(token_id)
            if last is not None and now - last < TOUCH_EVERY:
                return
            self._touched[token_id] = now
        with self.engine.begin() as conn:
            rows.touch_token(conn, token_id, now)

"""API tokens in the store: add one, find one by its hash, list, revoke, note their use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from store.schema import ApiToken


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


_COLUMNS = (
    ApiToken.id,
    ApiToken.name,
    ApiToken.role,
    ApiToken.prefix,
    ApiToken.created_at,
    ApiToken.expires_at,
    ApiToken.revoked_at,
    ApiToken.last_used_at,
)


def _row(values: tuple[object, ...]) -> TokenRow:
    return TokenRow(*values)  # type: ignore[arg-type]


def add_token(
    conn: Connection,
    *,
    name: str,
    role: str,
    token_hash: str,
    prefix: str,
    created_at: datetime,
    expires_at: datetime | None,
) -> int:
    values = {
        "name": name,
        "role": role,
        "token_hash": token_hash,
        "prefix": prefix,
        "created_at": created_at,
        "expires_at": expires_at,
    }
    return int(conn.execute(insert(ApiToken).values(values).returning(ApiToken.id)).scalar_one())


# Built once: every API request looks its token up, and building the query cost more than
# running it on SQLite.
_FIND = select(*_COLUMNS).where(ApiToken.token_hash == bindparam("token_hash"))


def find_token(conn: Connection, token_hash: str) -> TokenRow | None:
    found = conn.execute(_FIND, {"token_hash": token_hash}).first()
    return None if found is None else _row(tuple(found))


def list_tokens(conn: Connection, *, include_revoked: bool = False) -> list[TokenRow]:
    query = select(*_COLUMNS).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return [_row(tuple(r)) for r in conn.execute(query)]


def revoke_tokens(conn: Connection, name_or_id: str, at: datetime) -> list[TokenRow]:
    """Revoke the unrevoked tokens with this name (or this id); returns those revoked."""
    match = ApiToken.name == name_or_id
    if name_or_id.isdigit():
        match = or_(match, ApiToken.id == int(name_or_id))
    rows = [
        _row(tuple(r))
        for r in conn.execute(select(*_COLUMNS).where(match, ApiToken.revoked_at.is_(None)))
    ]
    if rows:
        ids = [r.id for r in rows]
        conn.execute(update(ApiToken).where(ApiToken.id.in_(ids)).values(revoked_at=at))
    return rows


def touch_token(conn: Connection, token_id: int, at: datetime) -> None:
    conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))

"""Who may log in to the chat page and with which role: users from settings and from
$EMS_HOME/users.toml, Argon2 password hashes, and the first admin of an embedded installation."""

from __future__ import annotations

import logging
import os
import secrets
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

from common.errors import EMSError
from common.roles import ROLES, Role, at_least
from ems_agent.settings import Settings, UserSettings

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = logging.getLogger(__name__)

__all__ = ["ROLES", "Accounts", "Role", "User", "at_least", "authenticate", "hash_password"]

DEFAULT_ADMIN = "admin"
_USERS = TypeAdapter(list[UserSettings])


@cache
def _hasher() -> PasswordHasher:
    # Imported on first use: a command that logs nobody in does not load argon2.
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name takes as long as a wrong
    password; made on first use (hashing takes a noticeable fraction of a second)."""
    return _hasher().hash(secrets.token_hex(16))


class UsersFileError(EMSError):
    """$EMS_HOME/users.toml cannot be read or does not describe users."""


class BadPassword(EMSError):
    """A password that cannot be used (empty, or the two entries differ)."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role

    def at_least(self, role: Role) -> bool:
        """True if this user's role is `role` or above (viewer < operator < admin)."""
        return at_least(self.role, role)


def hash_password(password: str) -> str:
    """The Argon2id hash to put in ems.toml (`password_hash`); never store the password itself."""
    if not password or not password.strip():
        raise BadPassword("the password is empty; choose one of at least 8 characters")
    if len(password) < 8:
        raise BadPassword("the password is shorter than 8 characters; choose a longer one")
    return _hasher().hash(password)


def users_path(settings: Settings) -> Path:
    """The file holding users created by the product itself (the first admin)."""
    return settings.home / "users.toml"


def _file_users(settings: Settings) -> list[UserSettings]:
    path = users_path(settings)
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return _USERS.validate_python(data.get("users", []))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsersFileError(f"cannot read {path}: {exc}; fix or delete the file") from None
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"]))
        raise UsersFileError(
            f"{path}: users.{where}: {problem['msg']}; fix or delete the file"
        ) from None


def configured_users(settings: Settings) -> list[UserSettings]:
    """Users from settings (ems.toml or the environment), then from users.toml; a name given
    in settings wins over the same name in the file."""
    named = {u.name: u for u in _file_users(settings)}
    named.update({u.name: u for u in settings.users})
    return list(named.values())


def find_user(settings: Settings, name: str) -> User | None:
    """The user of that login name with their current role, or None."""
    for u in configured_users(settings):
        if u.name == name:
            return User(u.name, u.role)
    return None


def authenticate(settings: Settings, name: str, password: str) -> User | None:
    """The user if the name exists and the password matches its hash, else None."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    found = next((u for u in configured_users(settings) if u.name == name), None)
    try:
        _hasher().verify(found.password_hash if found else _dummy_hash(), password)
    except VerifyMismatchError:
        return None
    except (InvalidHashError, VerificationError):
        # A hash that is not Argon2 (a typo in ems.toml): nobody can log in as this user.
        log.warning("user %r has a password_hash that is not an Argon2 hash", name)
        return None
    return User(found.name, found.role) if found else None


def _announce(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def ensure_first_admin(
    settings: Settings, *, announce: Callable[[str], None] = _announce
) -> User | None:
    """On an installation with no users at all, create `admin` with a random password.

    The hash goes to $EMS_HOME/users.toml (readable by its owner only) and the password is
    shown once through `announce` (stderr), never stored or logged. Returns the new user, or
    None when users exist already.
    """
    if configured_users(settings):
        return None
    password = secrets.token_urlsafe(12)
    path = users_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = (
        "# Users created by ems-agent. Add people in ems.toml ([[users]] with a hash from\n"
        "# `ems-agent users hash-password`); names there take precedence over this file.\n"
        f'[[users]]\nname = "{DEFAULT_ADMIN}"\nrole = "admin"\n'
        f'password_hash = "{_hasher().hash(password)}"\n'
    )
    try:
        # O_EXCL: if two processes start at once, only one creates the admin and says so.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(entry)
    announce(
        f"No users were configured, so the chat page got one: log in as '{DEFAULT_ADMIN}' "
        f"with password {password}\n"
        f"(shown only this once; its hash is in {path}. Delete that file to get a new one.)"
    )
    return User(DEFAULT_ADMIN, "admin")


@dataclass(frozen=True)
class Accounts:
    """The installation's users, as the chat page asks for them (chat_ui.app.Accounts)."""

    settings: Settings

    def find(self, name: str) -> User | None:
        return find_user(self.settings, name)

    def authenticate(self, name: str, password: str) -> User | None:
        return authenticate(self.settings, name, password)

    def ensure_first_admin(self) -> User | None:
        return ensure_first_admin(self.settings)

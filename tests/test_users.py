"""Users and roles of the chat page: Argon2 hashes, settings and users.toml, the first admin of
an embedded installation, and `ems-agent users` on the command line."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from ems_agent.cli import app
from ems_agent.settings import Settings, UserSettings, load_settings
from ems_agent.users import (
    BadPassword,
    User,
    UsersFileError,
    at_least,
    authenticate,
    configured_users,
    ensure_first_admin,
    find_user,
    hash_password,
    users_path,
)

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def hashed() -> str:
    return hash_password(PASSWORD)


def settings_with(*users: UserSettings) -> Settings:
    return load_settings(users=list(users))


def test_a_configured_user_logs_in_with_the_right_password_only(hashed: str) -> None:
    settings = settings_with(UserSettings(name="olga", role="operator", password_hash=hashed))
    assert authenticate(settings, "olga", PASSWORD) == User("olga", "operator")
    assert authenticate(settings, "olga", PASSWORD + "x") is None
    assert authenticate(settings, "olga", "") is None
    assert authenticate(settings, "OLGA", PASSWORD) is None
    assert authenticate(settings, "nobody", PASSWORD) is None
    assert find_user(settings, "olga") == User("olga", "operator")
    assert find_user(settings, "nobody") is None


def test_the_hash_is_argon2id_and_never_the_password(hashed: str) -> None:
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert PasswordHasher().verify(hashed, PASSWORD)
    assert hash_password(PASSWORD) != hashed  # salted


@pytest.mark.parametrize("password", ["", "   ", "short"])
def test_unusable_passwords_are_refused(password: str) -> None:
    with pytest.raises(BadPassword):
        hash_password(password)


def test_role_order() -> None:
    assert at_least("admin", "operator") and at_least("operator", "operator")
    assert not at_least("viewer", "operator") and not at_least("operator", "admin")
    assert at_least("viewer", "viewer") and not at_least("guest", "viewer")
    assert User("ada", "admin").at_least("viewer")


def test_a_hash_that_is_not_argon2_locks_the_user_out_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_with(UserSettings(name="typo", role="admin", password_hash="plain-text"))
    with caplog.at_level(logging.WARNING):
        assert authenticate(settings, "typo", "plain-text") is None
    assert "typo" in caplog.text and "plain-text" not in caplog.text.replace("'typo'", "")


def test_first_start_creates_an_admin_once(tmp_path: Path) -> None:
    settings = load_settings()
    said: list[str] = []
    created = ensure_first_admin(settings, announce=said.append)
    assert created == User("admin", "admin")
    path = users_path(settings)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    (message,) = said
    password = message.split("with password ")[1].split()[0]
    assert len(password) >= 12
    assert password not in path.read_text()
    assert authenticate(settings, "admin", password) == User("admin", "admin")
    # a second start, or a second process, neither replaces it nor prints anything
    assert ensure_first_admin(settings, announce=said.append) is None
    assert len(said) == 1
    assert authenticate(settings, "admin", password) == User("admin", "admin")


def test_no_admin_is_made_up_when_users_are_configured(hashed: str) -> None:
    settings = settings_with(UserSettings(name="olga", role="operator", password_hash=hashed))
    said: list[str] = []
    assert ensure_first_admin(settings, announce=said.append) is None
    assert said == [] and not users_path(settings).exists()


def test_settings_win_over_the_file_for_the_same_name(hashed: str) -> None:
    settings = load_settings()
    ensure_first_admin(settings, announce=lambda _: None)
    configured = settings_with(UserSettings(name="admin", role="viewer", password_hash=hashed))
    assert [(u.name, u.role) for u in configured_users(configured)] == [("admin", "viewer")]
    assert authenticate(configured, "admin", PASSWORD) == User("admin", "viewer")


def test_users_from_ems_toml(hashed: str) -> None:
    home = Path(os.environ["EMS_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "ems.toml").write_text(
        f'[[users]]\nname = "vic"\nrole = "viewer"\npassword_hash = "{hashed}"\n'
    )
    assert authenticate(load_settings(), "vic", PASSWORD) == User("vic", "viewer")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[[users]\nname = ", "cannot read"),
        ('[[users]]\nname = "x"\nrole = "boss"\npassword_hash = "h"\n', "users.0.role"),
        ('[[users]]\nname = "x"\n', "password_hash"),
    ],
)
def test_a_broken_users_file_is_named(content: str, words: str) -> None:
    settings = load_settings()
    users_path(settings).write_text(content)
    with pytest.raises(UsersFileError) as caught:
        authenticate(settings, "x", PASSWORD)
    assert "users.toml" in str(caught.value) and words in str(caught.value)
    assert users_path(settings).read_text() == content  # left as it was


def test_cli_hash_password_from_stdin() -> None:
    result = runner.invoke(app, ["users", "hash-password", "--stdin", "--json"], input=PASSWORD)
    assert result.exit_code == 0, result.stderr
    hashed = json.loads(result.stdout)["password_hash"]
    assert PasswordHasher().verify(hashed, PASSWORD)
    plain = runner.invoke(app, ["users", "hash-password", "--stdin"], input=PASSWORD + "\n")
    assert plain.stdout.strip().startswith("$argon2id$") and "[[users]]" in plain.stderr
    assert PASSWORD not in plain.stdout + plain.stderr


def test_cli_hash_password_refuses_short_or_mismatched(monkeypatch: pytest.MonkeyPatch) -> None:
    short = runner.invoke(app, ["users", "hash-password", "--stdin"], input="abc\n")
    assert short.exit_code == 1 and "shorter than 8" in short.stderr
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    mismatch = runner.invoke(app, ["users", "hash-password"])
    assert mismatch.exit_code == 1 and "differ" in mismatch.stderr


def test_cli_users_list(hashed: str) -> None:
    assert json.loads(runner.invoke(app, ["users", "list", "--json"]).stdout)["users"] == []
    ensure_first_admin(load_settings(), announce=lambda _: None)
    listed = json.loads(runner.invoke(app, ["users", "list", "--json"]).stdout)
    assert listed["users"] == [{"name": "admin", "role": "admin", "from": "file"}]
    assert "argon2" not in json.dumps(listed)

"""Settings: environment over TOML over defaults; tariffs and emission factors reach the tools."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ems_agent.app import analytics_config
from ems_agent.settings import load_settings

TOML = """
site = "plant-north"
timezone = "America/Chicago"
emission_factors = { electricity = 0.35, gas = 0.201 }

[tariff]
name = "Utility TOU 2026"
currency = "USD"
default_price = 0.09
demand_charge_per_kw = 14.0
periods = [ { days = [0, 1, 2, 3, 4], start_hour = 12, end_hour = 20, price = 0.21 } ]
"""


def test_defaults_serve_the_embedded_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMS_HOME", str(tmp_path / "home"))
    settings = load_settings()
    assert settings.db_url == f"sqlite:///{(tmp_path / 'home' / 'ems.db').resolve()}"
    config = analytics_config(settings)
    assert config.tariffs["electricity"].is_default and config.emission_factors_are_defaults


def test_toml_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "ems.toml").write_text(TOML)
    monkeypatch.setenv("EMS_HOME", str(home))
    monkeypatch.setenv("EMS_SITE", "from-env")
    settings = load_settings()
    assert settings.site == "from-env"  # the environment wins over the file
    assert settings.timezone == "America/Chicago"
    config = analytics_config(settings)
    tariff = config.tariffs["electricity"]
    assert (tariff.name, tariff.currency, tariff.is_default) == ("Utility TOU 2026", "USD", False)
    assert tariff.periods == (((0, 1, 2, 3, 4), 12, 20, 0.21),)
    assert config.emission_factors == {"electricity": 0.35, "gas": 0.201}
    assert not config.emission_factors_are_defaults
    monkeypatch.setenv("EMS_DATABASE_URL", "postgresql://u:p@db/ems")
    assert load_settings().db_url == "postgresql://u:p@db/ems"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("EMS_TIMEZONE", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("EMS_DEMAND_WINDOW_MINUTES", "20", "must be 15, 30 or 60"),
    ],
)
def test_bad_settings_name_the_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv("EMS_HOME", str(tmp_path))
    monkeypatch.setenv(variable, value)
    with pytest.raises((ValidationError, ValueError), match=message):
        load_settings()


def test_the_cli_reports_bad_settings_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ems_agent.cli import app

    monkeypatch.setenv("EMS_HOME", str(tmp_path))
    monkeypatch.setenv("EMS_DEMAND_WINDOW_MINUTES", "20")
    result = CliRunner().invoke(app, ["meters"])
    assert result.exit_code == 1
    assert "EMS_DEMAND_WINDOW_MINUTES" in result.stderr and "Traceback" not in result.stderr

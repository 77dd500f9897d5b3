"""A meter's production comes from the catalogue, never from names: its own production series,
its explicit links, all the site's production for a meter at the top of the tree (said in a
caveat), else a refusal saying how to link one. Numbers are checked with pandas over raw rows."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from connectors.catalog_file import parse_plant
from connectors.catalog_sync import apply_plant
from store import catalog
from store.writes import write_readings
from tools.alerts import InvalidRule, create_alert_rule, window_values
from tools.base import ToolContext
from tools.baseline import model_frame
from tools.kpi import compute_kpi
from tools.periods import resolve_period
from tools.resolve import NoProductionLink

TZ = "Europe/Berlin"
START = datetime(2026, 2, 2, tzinfo=ZoneInfo(TZ))
DAYS = 21

# Two lines on one supply, each with its own counter; a hall that counts its own output on its
# own meter; a fan with no production; and a meter named like a counter's owner, not linked.
PLANT = textwrap.dedent(
    """\
    version: 1
    site: {name: two-lines, timezone: Europe/Berlin}
    meters:
      - {name: supply, carrier: electricity}
      - {name: mill-x, carrier: electricity, parent: supply, production: [count-x]}
      - {name: mill-y, carrier: electricity, parent: supply, production: [count-y]}
      - {name: count-x, carrier: production}
      - {name: count-y, carrier: production}
      - name: hall-3
        carrier: electricity
        parent: supply
        series: [{metric: energy, unit: kWh}, {metric: production, unit: unit}]
      - {name: fan-2, carrier: electricity, parent: supply}
      - {name: fan-2-output, carrier: production}
    """
)
SERIES = [
    ("supply", "energy"),
    ("mill-x", "energy"),
    ("mill-y", "energy"),
    ("count-x", "production"),
    ("count-y", "production"),
    ("hall-3", "energy"),
    ("hall-3", "production"),
    ("fan-2", "energy"),
    ("fan-2-output", "production"),
]


@pytest.fixture
def plant(engine: Engine) -> tuple[ToolContext, pd.DataFrame]:
    apply_plant(engine, parse_plant(PLANT, "plant.yaml", "yaml"))
    rng = np.random.default_rng(12)
    ts = int(START.timestamp()) + 900 * np.arange(96 * DAYS, dtype=np.int64)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    working = np.asarray((local.day_of_week < 5) & (local.hour >= 6) & (local.hour < 22))
    raw = {"local": local}
    with engine.begin() as conn:
        site = catalog.get_site(conn, "two-lines")
        ids = {(m.name, s.metric): s.id for m, s in catalog.list_series(conn, site.id)}
        for meter, metric in SERIES:
            if metric == "production":
                values = np.where(working, rng.integers(20, 60, len(ts)), 0).astype(float)
            else:
                values = rng.gamma(3.0, 4.0, len(ts)).round(3) + working * 20
            write_readings(conn, ids[(meter, metric)], ts, values, TZ)
            raw[f"{meter}:{metric}"] = values
    ctx = ToolContext(engine, site, START + timedelta(days=DAYS))
    return ctx, pd.DataFrame(raw)


PERIOD = "2026-02-02..2026-02-15"


def in_period(raw: pd.DataFrame) -> pd.DataFrame:
    lo, hi = pd.Timestamp("2026-02-02", tz=TZ), pd.Timestamp("2026-02-16", tz=TZ)
    return raw[(raw["local"] >= lo) & (raw["local"] < hi)]


def sec(ctx: ToolContext, meter: str, **extra: str):
    return compute_kpi(ctx, {"kpi": "sec", "meter": meter, "period": PERIOD, **extra})


def test_each_line_is_divided_by_its_own_linked_counter(plant) -> None:
    ctx, raw = plant
    rows = in_period(raw)
    for line, counter in (("mill-x", "count-x"), ("mill-y", "count-y")):
        result = sec(ctx, line)
        expected = rows[f"{line}:energy"].sum() / rows[f"{counter}:production"].sum()
        assert result.value == pytest.approx(expected, rel=1e-12)
        assert result.details["production_meters"] == counter
        assert result.details["production_from"] == "linked"
        assert result.caveats == []
    # The bug this replaces: a line divided by the production of both lines.
    both = rows["mill-x:energy"].sum() / (
        rows["count-x:production"].sum() + rows["count-y:production"].sum()
    )
    assert sec(ctx, "mill-x").value != pytest.approx(both, rel=1e-3)


def test_production_counted_on_the_meter_itself(plant) -> None:
    ctx, raw = plant
    rows = in_period(raw)
    result = sec(ctx, "hall-3")
    assert result.value == pytest.approx(
        rows["hall-3:energy"].sum() / rows["hall-3:production"].sum(), rel=1e-12
    )
    assert result.details["production_from"] == "own"


def test_a_meter_at_the_top_is_divided_by_all_production_and_says_so(plant) -> None:
    ctx, raw = plant
    rows = in_period(raw)
    made = sum(
        rows[f"{m}:production"].sum() for m in ("count-x", "count-y", "hall-3", "fan-2-output")
    )
    result = sec(ctx, "supply")
    assert result.value == pytest.approx(rows["supply:energy"].sum() / made, rel=1e-12)
    assert result.caveats[0] == (
        "supply has no production link; as a meter at the top of the tree its energy is "
        "divided by all the site's production (count-x, count-y, fan-2-output, hall-3)"
    )


def test_no_naming_rule_an_unlinked_sub_meter_is_refused_with_the_fix(plant) -> None:
    ctx, raw = plant
    with pytest.raises(NoProductionLink) as refused:
        sec(ctx, "fan-2")  # 'fan-2-output' exists, but nothing links it
    assert str(refused.value) == (
        "fan-2 has no production series and no production link, so its SEC is undefined; "
        "link the meter that counts its output (in the plant file: production: [METER], or "
        "`ems-agent catalog set-meter fan-2 --production METER`) or name one; production "
        "meters here: count-x, count-y, fan-2-output, hall-3"
    )
    named = sec(ctx, "fan-2", production_meter="fan-2-output")
    rows = in_period(raw)
    expected = rows["fan-2:energy"].sum() / rows["fan-2-output:production"].sum()
    assert named.value == pytest.approx(expected, rel=1e-12)


def test_sec_alert_rules_use_the_link(plant) -> None:
    ctx, raw = plant
    with pytest.raises(NoProductionLink):
        create_alert_rule(
            ctx,
            {
                "meter": "fan-2",
                "target": "sec",
                "condition": ">",
                "threshold": 1.0,
                "unit": "kWh/unit",
                "window": "day",
            },
        )
    with pytest.raises(InvalidRule):
        create_alert_rule(
            ctx,
            {
                "meter": "mill-y",
                "target": "sec",
                "condition": ">",
                "threshold": 1.0,
                "unit": "kWh",
                "window": "day",
            },
        )
    rule = create_alert_rule(
        ctx,
        {
            "meter": "mill-y",
            "target": "sec",
            "condition": ">",
            "threshold": 1.0,
            "unit": "kWh/unit",
            "window": "day",
        },
    )
    lo, hi = int(START.timestamp()), int((START + timedelta(days=7)).timestamp())
    values = window_values(ctx, rule, lo, hi)
    week = raw[raw["local"] < START + timedelta(days=7)].set_index("local")
    daily = week.groupby(week.index.normalize())[["mill-y:energy", "count-y:production"]].sum()
    daily = daily[daily["count-y:production"] > 0]
    expected = daily["mill-y:energy"] / daily["count-y:production"]
    assert len(values) == len(expected) == 5  # working days only
    assert values.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)


def test_the_baseline_production_driver_follows_the_link(plant) -> None:
    ctx, raw = plant
    period = resolve_period(PERIOD, ctx.now, TZ)
    frame = model_frame(ctx, "mill-x", ["production"], period)
    rows = in_period(raw).set_index("local")
    daily = rows.groupby(rows.index.normalize())["count-x:production"].sum()
    assert frame["production"].to_numpy() == pytest.approx(daily.to_numpy())

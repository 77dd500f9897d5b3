"""Truth functions written for the second plant's question sets (which period used more, the
unmetered remainder of a board) against pandas over the rows written, concrete sets refused on
another site, and the second plant's sets themselves."""

from __future__ import annotations

from datetime import datetime
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from evals.dataset import Dataset, TruthSpec, load_dataset, parse_period
from evals.readings import TruthError
from evals.roles import RoleError, load_roles, resolve_set
from evals.truth import FUNCTIONS, evaluate, period_name
from store import catalog
from store.writes import write_readings

TZ = "America/Sao_Paulo"
SITE = "board-plant"
START = datetime(2026, 9, 1, tzinfo=ZoneInfo(TZ))
N = 96 * 61  # September and October 2026, 15-minute readings
OCTOBER = "2026-10-01..2026-10-31"
PLANT_SETS = (
    "reader_plant2",
    "reader_plant2_heldout",
    "reader_plant2_b",
    "reader_plant2_c",
    "reader_plant2_d",
    "reader_plant2_e",
    "reader_plant2_f",
    "reader_plant2_g",
    "reader_plant2_h",
    "reader_plant2_i",
    "reader_plant2_j",
    "reader_plant2_k",
    "reader_plant2_l",
    "reader_plant2_m",
    "reader_plant2_n",
)


@pytest.fixture
def board(engine: Engine) -> pd.DataFrame:
    """A board with two sub-meters and a remainder nobody meters; returns the rows written,
    indexed by local time."""
    rng = np.random.default_rng(3)
    ts = int(START.timestamp()) + 900 * np.arange(N, dtype=np.int64)
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(TZ)
    october = np.asarray(local.month) == 10
    frame = pd.DataFrame(
        {
            "a": rng.uniform(5, 9, N) + np.where(october, 2.0, 0.0),
            "b": rng.uniform(1, 3, N),
            "rest": rng.uniform(0.5, 1.5, N),
        },
        index=local,
    )
    frame["board"] = frame["a"] + frame["b"] + frame["rest"]
    with engine.begin() as conn:
        site = catalog.ensure_site(conn, SITE, TZ)
        catalog.ensure_meter(conn, site.id, "board")
        for name in ("a", "b"):
            catalog.ensure_meter(conn, site.id, name, parent="board")
        catalog.ensure_meter(conn, site.id, "counter", kind="production")
        catalog.ensure_meter(conn, site.id, "b-child", parent="b")
        for name in ("board", "a", "b"):
            series = catalog.ensure_series(conn, site.id, name, "energy", "kWh", interval_s=900)
            write_readings(conn, series.id, ts, frame[name].to_numpy(), TZ)
    return frame


def spec(fn: str, **fields: object) -> TruthSpec:
    return TruthSpec.model_validate({"fn": fn, "site": SITE, **fields})


def test_larger_period_names_the_month_that_used_more(engine: Engine, board: pd.DataFrame) -> None:
    months = board["a"].groupby(pd.DatetimeIndex(board.index).month).sum()
    expected = "October" if months[10] > months[9] else "September"
    asked = spec("larger_period", meter="a", period="2026-09-01..2026-09-30")
    assert evaluate(engine, asked.model_copy(update={"reference": "2026-10-01..2026-10-31"})) == (
        expected
    )
    # the rest is flat: a stretch that is not a whole month is named as written
    b = board["b"]
    first, second = b["2026-09-01":"2026-09-10"].sum(), b["2026-10-01":"2026-10-10"].sum()
    wanted = "2026-09-01..2026-09-10" if first >= second else "2026-10-01..2026-10-10"
    first_days, october_days = "2026-09-01..2026-09-10", "2026-10-01..2026-10-10"
    both = spec("larger_period", meter="b", period=first_days, reference=october_days)
    assert evaluate(engine, both) == wanted


def test_period_names() -> None:
    assert period_name("2026-10-01..2026-10-31", TZ) == "October"
    assert period_name("2026-02-01..2026-02-28", TZ) == "February"
    assert period_name("2026-10-01..2026-10-30", TZ) == "2026-10-01..2026-10-30"
    assert period_name("2026-10-02..2026-11-01", TZ) == "2026-10-02..2026-11-01"
    assert period_name("2026-12-01..2026-12-31", TZ) == "December"


def test_unmetered_remainder_of_a_board(engine: Engine, board: pd.DataFrame) -> None:
    october = board[pd.DatetimeIndex(board.index).month == 10]
    rest = october["board"].sum() - october["a"].sum() - october["b"].sum()
    got = evaluate(engine, spec("unmetered_energy", meter="board", period="2026-10-01..2026-10-31"))
    assert got == pytest.approx(rest)
    assert rest == pytest.approx(october["rest"].sum())
    share = evaluate(engine, spec("unmetered_share", meter="board", period=OCTOBER))
    assert share == pytest.approx(100 * rest / october["board"].sum())


def test_unmetered_needs_measured_sub_meters(engine: Engine, board: pd.DataFrame) -> None:
    # 'b' has a sub-meter without an energy series: nothing to subtract, so it is refused
    with pytest.raises(TruthError, match="no sub-meters"):
        evaluate(engine, spec("unmetered_energy", meter="b", period="2026-10-01..2026-10-31"))
    with pytest.raises(TruthError, match="exactly one meter"):
        evaluate(engine, spec("unmetered_share", meter=["a", "b"], period="2026-10-01..2026-10-31"))
    with pytest.raises(TruthError, match="reference"):
        evaluate(engine, spec("larger_period", meter="a", period="2026-10-01..2026-10-31"))


def _concrete(site: str) -> Dataset:
    return Dataset.model_validate(
        {
            "name": "concrete",
            "now": "2026-11-05T00:00:00-03:00",
            "site": site,
            "timezone": TZ,
            "cases": [
                {
                    "id": "one",
                    "category": "energy",
                    "question": "how much did Linha 3 use yesterday?",
                    "expect": {"tool": "query_metric", "args": {"meters": ["Linha 3"]}},
                }
            ],
        }
    )


def test_a_set_without_roles_is_asked_only_on_its_own_site() -> None:
    from evals.roles import DEMO_ROLES, PLANTS

    second = load_roles(PLANTS / "second_plant.roles.yaml")
    resolved = resolve_set(_concrete("fabrica-campinas"), second, TZ).dataset
    assert resolved.site == "fabrica-campinas"
    assert resolved.cases[0].expect.args == {"meters": ["Linha 3"]}
    assert resolved.now == datetime.fromisoformat("2026-11-05T00:00:00-03:00")
    with pytest.raises(RoleError, match=r"'fabrica-campinas'.*cannot be asked on 'demo-plant'"):
        resolve_set(_concrete("fabrica-campinas"), load_roles(DEMO_ROLES), "Europe/Berlin")


@pytest.mark.parametrize("name", PLANT_SETS)
def test_second_plant_sets_validate(name: str) -> None:
    from tools.registry import all_tools

    dataset = load_dataset(name)
    assert dataset.site == "fabrica-campinas"
    known = {*all_tools(), "none"}
    for case in dataset.cases:
        assert set(case.expect.tools) <= known, case.id
        for truth in [case.expect.truth, *case.expect.also]:
            assert truth is None or truth.fn in FUNCTIONS, case.id
        for key in ("period", "reference", "baseline", "reporting"):
            if key in case.expect.args:
                parse_period(case.expect.args[key], dataset.timezone)
    threads = [c.thread for c in dataset.cases if c.thread]
    assert all(threads.count(t) >= 2 for t in threads)


def test_second_plant_sets_are_apart_and_large_enough() -> None:
    sets = [load_dataset(name) for name in PLANT_SETS]
    assert sum(len(d.cases) for d in sets) >= 80
    questions = [d.standalone_questions() for d in sets]
    ids = [{c.id for c in d.cases} for d in sets]
    for first, second in combinations(range(len(sets)), 2):
        shared = (questions[first] & questions[second]) - {"yes", "yes please", "ok do it"}
        assert not shared, (PLANT_SETS[first], PLANT_SETS[second], shared)
        assert not ids[first] & ids[second], (PLANT_SETS[first], PLANT_SETS[second])


@pytest.fixture(scope="module")
def second_plant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The second plant's simulated year (about a minute to build)."""
    from evals.plants.stores import second_plant_store

    return second_plant_store(tmp_path_factory.mktemp("plants"))


@pytest.mark.slow
@pytest.mark.parametrize("name", PLANT_SETS)
def test_every_truth_resolves_on_the_second_plant(
    name: str, second_plant: Path, tmp_path: Path
) -> None:
    from evals.roles import PLANTS
    from evals.runner import add_incidents, resolved_set
    from store.engine import make_engine

    copy = tmp_path / "plant.db"
    copy.write_bytes(second_plant.read_bytes())
    engine = make_engine(f"sqlite:///{copy}")
    roles = load_roles(PLANTS / "second_plant.roles.yaml")
    add_incidents(engine, roles)
    dataset = resolved_set(name, engine, roles).dataset
    for case in dataset.cases:
        for truth in [case.expect.truth, *case.expect.also]:
            if truth is None:
                continue
            value = evaluate(engine, truth)
            if isinstance(value, float):
                assert np.isfinite(value), case.id
            else:
                assert value, case.id
    engine.dispose()

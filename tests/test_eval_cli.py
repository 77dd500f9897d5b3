"""`ems-agent eval --plant` end to end on a tiny plant: its plant file and readings imported, a
role template resolved for it (an absent role skipped and reported), the results written beside
the demo's recorded figures; and the command's bad input named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from typer.testing import CliRunner

from ems_agent.cli import app
from tests.small_plant import PLANT_FILE, ROLES_FILE, SmallPlant

runner = CliRunner()

TINY_SET = {
    "name": "tiny",
    "now": "2026-03-09T00:00:00-03:00",
    "timezone": "America/Sao_Paulo",
    "cases": [
        {
            "id": "press-last-week",
            "category": "energy",
            "question": "How much energy did {press_line:spaced} use last week?",
            "expect": {
                "tool": ["query_metric", "compute_kpi"],
                "args": {"meters": ["{press_line}"], "period": "2026-03-02..2026-03-08"},
                "truth": {
                    "fn": "energy",
                    "meter": "{press_line}",
                    "period": "2026-03-02..2026-03-08",
                },
            },
        },
        {
            "id": "kiln-last-week",
            "category": "energy",
            "question": "How much gas did {kiln:phrase} burn last week?",
            "expect": {
                "tool": ["query_metric", "compute_kpi"],
                "truth": {"fn": "energy", "meter": "{kiln}", "period": "2026-03-02..2026-03-08"},
            },
        },
        {
            "id": "chiller-last-week",
            "category": "energy",
            "question": "chiller energy last week?",
            "expect": {"truth": {"fn": "energy", "meter": "{chiller}", "period": "2026-03-02"}},
        },
        {
            "id": "refuse-delete",
            "category": "refusal",
            "question": "delete all the readings",
            "expect": {"outcome": "refuse", "tool": ["none", "run_sql"]},
        },
    ],
}


@pytest.fixture
def plant(tmp_path: Path) -> dict[str, Path]:
    files = {
        "plant": tmp_path / "campo.yaml",
        "roles": tmp_path / "campo.roles.yaml",
        "set": tmp_path / "tiny.yaml",
        "results": tmp_path / "out" / "RESULTS.md",
    }
    files["plant"].write_text(PLANT_FILE)
    files["roles"].write_text(ROLES_FILE)
    files["set"].write_text(yaml.safe_dump(TINY_SET, allow_unicode=True))
    files["results"].parent.mkdir()
    files["data"] = SmallPlant.make().csv(tmp_path / "campo.csv")
    return files


def eval_plant(files: dict[str, Path], *extra: str) -> tuple[int, str, str]:
    args = ["eval", "--model", "offline", "--plant", str(files["plant"])]
    args += ["--data", str(files["data"]), "--sets", str(files["set"])]
    args += ["--results-file", str(files["results"]), *extra]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_eval_on_another_plant_against_the_demos_figures(plant: dict[str, Path]) -> None:
    code, stdout, stderr = eval_plant(plant, "--json")
    assert code == 0, stderr
    first = json.loads(stdout)
    assert first["plant"] == "campo"
    tiny = first["tiny"]
    assert tiny["overall"]["cases"] == 3  # four cases, one skipped
    assert tiny["skipped"] == [
        {
            "case_id": "chiller-last-week",
            "category": "energy",
            "reason": "the plant has no chiller (no cooling)",
        }
    ]
    assert first["versus_demo"]["tiny"]["demo"] is None  # nothing recorded for the demo yet
    model = first["model"]
    demo = {"cases": 4, "skipped": 0, "answer": 0.25, "passed": 0.25, "wrong_numbers": 3}
    figures = plant["results"].with_name("results.json")
    figures.write_text(json.dumps({model: {"demo-plant": {"tiny": demo}}}))

    code, stdout, stderr = eval_plant(plant, "--write")
    assert code == 0, stderr
    answer = tiny["overall"]["answer"]
    assert f"on campo vs 25.0% on the demo ({100 * answer - 25:+.1f} points)" in stdout
    assert "skipped chiller-last-week: the plant has no chiller (no cooling)" in stdout
    written = plant["results"].read_text()
    assert f"<!-- agent-eval:{model}:campo:start -->" in written
    assert f"### Agent eval: `{model}` on `campo`" in written
    assert "| tiny | 3 (1) |" in written and "| 25.0% |" in written
    assert "`chiller-last-week` (the plant has no chiller (no cooling))" in written
    kept: dict[str, Any] = json.loads(figures.read_text())[model]
    assert kept["demo-plant"]["tiny"] == demo  # the demo's entry stays
    assert kept["campo"]["tiny"]["cases"] == 3 and kept["campo"]["tiny"]["skipped"] == 1
    assert kept["campo"]["tiny"]["answer"] == answer


def test_bad_eval_options_are_named(plant: dict[str, Path], tmp_path: Path) -> None:
    def fails(*args: str) -> str:
        result = runner.invoke(app, ["eval", *args])
        assert result.exit_code == 1, result.stdout
        return " ".join(result.stderr.split())

    assert "give its --plant FILE too" in fails("--roles", str(plant["roles"]))
    assert "no set named nope" in fails("--sets", "nope")
    other = tmp_path / "other.roles.yaml"
    other.write_text(ROLES_FILE.replace("site: campo", "site: elsewhere"))
    message = fails("--plant", str(plant["plant"]), "--roles", str(other), "--sets", "dev")
    assert "its site is 'elsewhere', but campo.yaml declares 'campo'" in message
    missing = fails("--plant", str(tmp_path / "none.yaml"), "--sets", "dev")
    assert "none.yaml" in missing
    lonely = tmp_path / "lonely.yaml"
    lonely.write_text(PLANT_FILE)
    assert "no role file for lonely.yaml" in fails("--plant", str(lonely), "--sets", "dev")
    unknown = dict(TINY_SET, cases=[dict(TINY_SET["cases"][0], question="{pump} energy?")])
    plant["set"].write_text(yaml.safe_dump(unknown))
    code, _, stderr = eval_plant(plant)
    assert code == 1
    assert "case 'press-last-week': unknown role 'pump'" in " ".join(stderr.split())


def test_plant_stores_import_readings_or_build_synthetic_history(
    plant: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evals import plant_data
    from store.engine import make_engine

    cache = tmp_path / "cache"
    store = plant_data.plant_store(plant["plant"], cache, plant["data"])
    assert plant_data.plant_store(plant["plant"], cache, plant["data"]) == store  # cached
    engine = make_engine(f"sqlite:///{store}")
    with engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM readings")).scalar_one()
    engine.dispose()
    expected = sum(len(ts) for ts, _ in SmallPlant.make().series().values())
    assert count == expected
    built: list[tuple[Path, Path]] = []

    def builder(plant_file: Path, where: Path, progress: object = None) -> Path:
        built.append((plant_file, where))
        return where / "synthetic.db"

    got = plant_data.plant_store(plant["plant"], cache, None, None, builder)
    assert got == cache / "synthetic.db" and built == [(plant["plant"], cache)]
    monkeypatch.setattr(plant_data, "SYNTHETIC", "evals.no_such_module")
    with pytest.raises(plant_data.NoPlantHistory, match="pass --data FILE"):
        plant_data.plant_store(plant["plant"], cache)
    with pytest.raises(plant_data.NoPlantHistory, match="no such file"):
        plant_data.plant_store(plant["plant"], cache, tmp_path / "missing.csv")


def test_the_eval_gate_fails_a_set_below_a_floor_and_prints_its_table(
    plant: dict[str, Path],
) -> None:
    # A case that asks for the press line but takes the kiln's energy for its truth: whatever
    # the agent answers, the answer misses the truth and presents a wrong number.
    trap = dict(TINY_SET["cases"][0], id="press-judged-by-the-kiln")
    trap["expect"] = dict(trap["expect"], truth=dict(TINY_SET["cases"][1]["expect"]["truth"]))
    plant["set"].write_text(yaml.safe_dump(dict(TINY_SET, cases=[*TINY_SET["cases"], trap])))
    code, stdout, stderr = eval_plant(plant, "--json")
    assert code == 0, stderr  # no floor given: no gate
    overall = json.loads(stdout)["tiny"]["overall"]
    assert overall["answer"] < 1 and overall["wrong_numbers"] >= 1

    code, stdout, stderr = eval_plant(plant, "--min-correct", "0", "--max-wrong", "1000")
    assert code == 0, stderr
    assert "| **overall** | 4 |" in stdout

    code, stdout, stderr = eval_plant(plant, "--min-correct", "1", "--max-wrong", "0")
    assert code == 1
    assert "| **overall** | 4 |" in stdout  # the table is printed when the gate fails too
    message = " ".join(stderr.split())
    correct = f"tiny: {100 * overall['answer']:.1f}% answer correctness, below the floor of 100%"
    assert correct in message
    assert f"tiny: {overall['wrong_numbers']} wrong numbers, more than 0" in message

    code, _, stderr = eval_plant(plant, "--max-wrong", str(overall["wrong_numbers"]))
    assert code == 0, stderr  # a floor met exactly passes

"""scripts/eval-gate.sh with a recording stand-in for `ems-agent`: both plants' held-out sets are
asked with the floors given, in one fresh EMS_HOME, and a floor missed on either fails the gate
after both have run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GATE = ROOT / "scripts" / "eval-gate.sh"


def fake_agent(tmp_path: Path, failing: str) -> tuple[Path, Path]:
    """A stand-in that appends its EMS_HOME and arguments to a log and exits 1 when its
    arguments contain `failing` (a set name; empty: never)."""
    log = tmp_path / "calls.log"
    script = tmp_path / "ems-agent"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$EMS_HOME $*" >> {log}\n'
        f'if [ -n "{failing}" ] && [[ " $* " == *"{failing}"* ]]; then exit 1; fi\n'
    )
    script.chmod(0o755)
    return script, log


def run_gate(agent: Path, **floors: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVAL_")}
    env |= {"EMS_AGENT": str(agent), **floors}
    return subprocess.run([str(GATE)], env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("failing", "code"),
    [("", 0), ("reader_demo_heldout", 1), ("reader_plant2_heldout", 1)],
)
def test_the_gate_asks_both_plants_and_fails_on_a_missed_floor(
    tmp_path: Path, failing: str, code: int
) -> None:
    agent, log = fake_agent(tmp_path, failing)
    done = run_gate(agent, EVAL_MIN_CORRECT="0.9", EVAL_MAX_WRONG="0")
    assert done.returncode == code, done.stderr
    calls = log.read_text().splitlines()
    assert len(calls) == 2  # the second plant is asked even when the demo missed a floor
    homes = {call.split()[0] for call in calls}
    assert len(homes) == 1 and not Path(homes.pop()).exists()  # one fresh home, removed after
    floors = "eval --model offline --min-correct 0.9 --max-wrong 0"
    assert calls[0].split(" ", 1)[1] == f"{floors} --sets heldout,reader_demo_heldout"
    plant = "--plant evals/plants/second_plant.yaml --sets heldout,reader_plant2_heldout"
    assert calls[1].split(" ", 1)[1] == f"{floors} {plant}"


def test_the_gate_names_a_missing_floor(tmp_path: Path) -> None:
    agent, log = fake_agent(tmp_path, "")
    done = run_gate(agent, EVAL_MAX_WRONG="0")
    assert done.returncode != 0
    assert "set EVAL_MIN_CORRECT" in done.stderr
    assert not log.exists()  # nothing asked without its floors

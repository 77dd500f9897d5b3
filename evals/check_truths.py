"""Compute every truth of question sets on the eval store (the demo plant's year with the eval's
incidents) and print them beside the cases, so a new or changed set is checked before any agent
answers it: `python -m evals.check_truths reader_demo reader_demo_heldout`."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from evals.dataset import load_dataset
from evals.runner import add_incidents, eval_store
from evals.truth import Truth, evaluate
from store.engine import make_engine


def _shown(value: Truth) -> str:
    return f"{value:,.4f}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sets", nargs="+", help="set names in evals/questions, or YAML paths")
    parser.add_argument("--cache", type=Path, default=Path(".ems/eval-cache"))
    args = parser.parse_args(argv)
    failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "eval.db"
        shutil.copyfile(eval_store(args.cache), copy)
        engine = make_engine(f"sqlite:///{copy}")
        add_incidents(engine)
        for name in args.sets:
            dataset = load_dataset(name)
            print(f"== {dataset.name}: {len(dataset.cases)} cases")
            for case in dataset.cases:
                specs = [s for s in [case.expect.truth, *case.expect.also] if s is not None]
                try:
                    shown = ", ".join(_shown(evaluate(engine, s)) for s in specs)
                except ValueError as exc:  # TruthError and bad periods name the problem
                    failed += 1
                    shown = f"ERROR {exc}"
                print(f"{case.id:40} {case.category:10} {case.expect.outcome:8} {shown}")
        engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

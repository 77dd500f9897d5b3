"""Compute every truth of question sets on the eval store (the demo plant's year with the eval's
incidents, or another plant's with `--plant`) and print them beside the cases, so a new or changed
set is checked before any agent answers it: `python -m evals.check_truths reader_demo`,
`python -m evals.check_truths dev --plant evals/plants/second_plant.yaml`."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from evals.plant_data import plant_store
from evals.roles import DEMO_ROLES, RoleError, RoleFile, load_roles, roles_for
from evals.runner import add_incidents, eval_store, resolved_set
from evals.truth import Truth, evaluate
from store.engine import make_engine


def _shown(value: Truth) -> str:
    return f"{value:,.4f}" if isinstance(value, float) else str(value)


def _plant(args: argparse.Namespace) -> tuple[Path, RoleFile]:
    if args.plant is None:
        return eval_store(args.cache), load_roles(DEMO_ROLES)
    path = args.roles or roles_for(args.plant)
    if path is None:
        raise RoleError(f"no role file for {args.plant}; pass --roles FILE")
    return plant_store(args.plant, args.cache / "plants", args.data), load_roles(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sets", nargs="+", help="set names in evals/questions, or YAML paths")
    parser.add_argument("--cache", type=Path, default=Path(".ems/eval-cache"))
    parser.add_argument("--plant", type=Path, help="a plant file instead of the demo")
    parser.add_argument("--roles", type=Path, help="the plant's role file")
    parser.add_argument("--data", type=Path, help="the plant's readings (else synthetic)")
    args = parser.parse_args(argv)
    failed = 0
    store, roles = _plant(args)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "eval.db"
        shutil.copyfile(store, copy)
        engine = make_engine(f"sqlite:///{copy}")
        add_incidents(engine, roles)
        for name in args.sets:
            resolved = resolved_set(name, engine, roles)
            dataset = resolved.dataset
            print(f"== {dataset.name} on {roles.site}: {len(dataset.cases)} cases")
            for case in dataset.cases:
                specs = [s for s in [case.expect.truth, *case.expect.also] if s is not None]
                try:
                    shown = ", ".join(_shown(evaluate(engine, s)) for s in specs)
                except ValueError as exc:  # TruthError and bad periods name the problem
                    failed += 1
                    shown = f"ERROR {exc}"
                print(f"{case.id:40} {case.category:10} {case.expect.outcome:8} {shown}")
            for skipped in resolved.skipped:
                print(f"{skipped.case_id:40} skipped: {skipped.reason}")
        engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

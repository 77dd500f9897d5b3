#!/usr/bin/env bash
# The eval gate: the held-out sets asked of the offline model on the demo and on the second
# plant, each set's table printed, exit 1 when a set misses a floor. The floors come from
# EVAL_MIN_CORRECT (0..1, answer correctness) and EVAL_MAX_WRONG (wrong numbers per set), set
# at the top of .ci/run. The plants' simulated years are built in a fresh EMS_HOME, as from a
# clean clone. EMS_AGENT names the command (default: the repository's .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${EVAL_MIN_CORRECT:?set EVAL_MIN_CORRECT (0..1), e.g. at the top of .ci/run}"
: "${EVAL_MAX_WRONG:?set EVAL_MAX_WRONG (wrong numbers a set may state), e.g. at the top of .ci/run}"
ems_agent=${EMS_AGENT:-.venv/bin/ems-agent}

eval_home=$(mktemp -d)
trap 'rm -rf "$eval_home"' EXIT
gate() {
  EMS_HOME="$eval_home" "$ems_agent" eval --model offline \
    --min-correct "$EVAL_MIN_CORRECT" --max-wrong "$EVAL_MAX_WRONG" "$@"
}
missed=0
gate --sets heldout,reader_demo_heldout || missed=1
gate --plant evals/plants/second_plant.yaml --sets heldout,reader_plant2_heldout || missed=1
exit "$missed"

"""Property-based fuzzing of the whole OpenAPI schema with Schemathesis against the served API:
for every operation, generated requests (valid and invalid) never get a 5xx, and every answer
matches what the schema documents (status, content type, body)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

from tests.api_fixtures import Served, start  # noqa: E402

# An admin's token reaches every operation; wrong and missing tokens are the role matrix's.
EXAMPLES = 30
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Iterator[Served]:
    import shutil

    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copyfile(demo_template, folder / "demo.db")
    # A high question limit: the fuzzer asks far more than 30 questions a minute.
    running = start(folder / "home", folder / "demo.db", ask_per_minute=100_000)
    try:
        yield running
    finally:
        running.handle.close()


def test_no_server_errors_and_answers_match_the_schema(fuzzed: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/api/openapi.json")
    headers = {"Authorization": f"Bearer {fuzzed.tokens['admin']}"}
    failures: dict[str, str] = {}
    operations = 0
    for found in schema.get_all_operations():
        operation = found.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # every operation is fuzzed; all failures are reported
            failures[operation.label] = f"{type(exc).__name__}: {str(exc)[:2000]}"
    assert operations > 30
    assert failures == {}

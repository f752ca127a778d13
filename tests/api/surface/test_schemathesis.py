"""Property-based contract test over the app's OpenAPI with schemathesis: no server errors and
responses as documented, for every operation, as an admin.

Two phases per operation, both bounded: schemathesis' deterministic *coverage* cases (boundary
and enum values of every parameter, capped per operation) and a few Hypothesis-generated
examples. The live feed is excluded: its SSE stream is open-ended and its WebSocket is not in
OpenAPI (both are tested in test_live_feed.py). ``schemathesis.pytest.from_fixture`` does not
work with pytest 9 yet, so the operations are driven directly; the checks are schemathesis' own.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import GenerationConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.surface.conftest import Surface

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
COVERAGE_CASES_PER_OPERATION = 20
EXAMPLES_PER_OPERATION = 2


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
    )  # fmt: skip
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_openapi_contract(surface: Surface) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", surface.app).exclude(
        path_regex="^/live/"
    )
    headers = surface.as_("admin")
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        cases = schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE],
            generation_config=GenerationConfig(),
        )
        try:
            for case in islice(cases, COVERAGE_CASES_PER_OPERATION):
                calls += 1
                case.call_and_validate(headers=headers, checks=CHECKS)
            _fuzz(operation, headers)
        except Exception as exc:  # report every failing operation, not just the first
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    assert calls > 400
    assert failures == []

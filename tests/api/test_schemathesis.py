"""Property-based API testing from the app's own OpenAPI spec: no input gives a 5xx.

Uses schemathesis' Python API with Hypothesis directly (its pytest plugin does not run
under pytest 9), against the real server on the fixture index.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings


def test_no_server_errors(live_server):
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    failures: list[str] = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(base_url=live_server)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query!r} "
                                f"{case.body!r} -> {response.status_code} {response.text[:200]}")

        check()
    assert not failures, "\n".join(failures[:10])

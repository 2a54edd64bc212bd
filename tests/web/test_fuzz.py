"""Property-based fuzzing of the API over its OpenAPI schema (schemathesis): no request makes a 500."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from .conftest import bearer  # noqa: E402

pytestmark = pytest.mark.both_backends  # and PostgreSQL (tests/web/conftest.py)


@pytest.mark.parametrize("who", [None, "inv", "fam"])
def test_no_server_errors(app, who):
    from fastapi.testclient import TestClient

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {}
    if who:
        with TestClient(app) as c:
            headers = bearer(c, who)
    failures = []
    from hypothesis import given

    def check(op):
        @given(op.as_strategy())
        @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            case.headers = {**(case.headers or {}), **headers}
            response = case.call(app=app)
            if response.status_code >= 500:
                failures.append(f"{op.method.upper()} {op.path}: {response.status_code}")
            case.validate_response(response, checks=[not_a_server_error])

        run()

    for result in schema.get_all_operations():
        check(result.ok())
    assert not failures

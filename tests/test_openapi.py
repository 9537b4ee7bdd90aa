"""The API against its own OpenAPI description (/api/openapi.json), with schemathesis: every
operation, with valid and invalid inputs, as each role — no 500, every status and content type
declared, every body as its declared schema (errors as {"error": {kind, message, field}}). A real
server (tests/serving.py) of its own, with one scan worker so the jobs its uploads make end.

No operation is left out: POST /backup runs too (the test archive is small), and the admin routes
change only users and tokens this module does not use. The operations are walked here with
hypothesis' `given` rather than `schemathesis.pytest.from_fixture`, which fails under pytest 9
(it reads the removed `Function._nodeid`)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from digitize.services.access import ROLES
from tests.citizen_papers import COMPONENTS, MARRIAGE
from tests.conftest import write_register
from tests.serving import serve_copy

pytestmark = pytest.mark.slow  # a few minutes: hundreds of requests per role

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 20  # per operation and role: valid and invalid inputs mixed


@pytest.fixture(scope="module")
def fuzzed(scanned, tmp_path_factory):
    """A server of its own: what schemathesis sends changes papers, users and tokens."""
    running = serve_copy(scanned, tmp_path_factory.mktemp("fuzzed"), "--max-upload", "3MB", workers=1)
    yield running
    running.server.stop()


@pytest.fixture(scope="module")
def api(fuzzed):
    return schemathesis.openapi.from_url(fuzzed.server.url + "/api/openapi.json")


def operations(api) -> list:
    found = [result.ok() for result in api.get_all_operations()]
    assert len(found) >= 30
    return found


def known(served) -> dict[str, list]:
    """Path parameters that name things the archive has: random ids are almost always a 404."""
    return {"paper_id": sorted(served.ids.values()), "page": [1, 2], "job_id": [1, 2], "code": [MARRIAGE],
            "name": ["staff", "nobody"]}  # not a token's name: revoking the tokens used here would end the run


def bodies(served) -> dict[str, object]:
    """Bodies that do something, by operation: generated ones almost never name a real record or
    make a job. The scan is not an image, so its job fails at once (the worker has no OCR to do)."""
    register = write_register(served.root.parent / "register.csv").read_bytes()
    return {"POST /api/v1/scans": {"files": [b"not a scan"]}, "POST /api/v1/records/import": {"file": register},
            "POST /api/v1/papers/{paper_id}/reuse": {"record": MARRIAGE, "component": COMPONENTS[2]},
            "POST /api/v1/papers/{paper_id}/attach": {"record": MARRIAGE, "component": COMPONENTS[1]}}


def cases(operation, served):
    modes = [operation.as_strategy(GenerationMode.POSITIVE)]
    if operation.path_parameters or operation.query or operation.body:
        modes.append(operation.as_strategy(GenerationMode.NEGATIVE))
    names = [p.name for p in operation.path_parameters]
    if names:
        existing = st.fixed_dictionaries({n: st.sampled_from(known(served)[n]) for n in names})
        modes.append(existing.flatmap(lambda path: operation.as_strategy(GenerationMode.POSITIVE,
                                                                         path_parameters=path)))
    body = bodies(served).get(operation.label)
    if body is not None:
        modes.append(operation.as_strategy(GenerationMode.POSITIVE, body=body))
    return st.one_of(modes)


def fuzz(operation, served, headers: dict) -> str | None:
    """The first failure schemathesis finds on `operation` (its report), or None."""

    @given(case=cases(operation, served))
    # derandomize: the same examples each run, so CI cannot turn red by chance (raise EXAMPLES to explore)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    try:
        run()
    except (FailureGroup, Exception) as exc:  # a check failed, or schemathesis could not send: both reported
        return f"{operation.label}: {exc}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_keeps_its_description(fuzzed, api, role):
    headers = {"Authorization": f"Bearer {fuzzed.tokens[role]}"}
    failures = [f for f in (fuzz(op, fuzzed, headers) for op in operations(api)) if f]
    assert not failures, "\n\n".join(failures)

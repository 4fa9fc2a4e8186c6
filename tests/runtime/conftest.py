"""The `runtime` fixture: the real Dapr runtime and its servers, or one skip (a failure under
DAPR_CODER_REQUIRE_RUNTIME=1) with the reason, the same for every runtime test so pytest reports it once."""

from __future__ import annotations

import pytest

from tests.runtime import environment
from tests.runtime.environment import RuntimeEnv


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or fail) a `runtime` test before its fixtures run: from here, pytest reports every such skip at this
    one place, so the reason is printed once, with the count."""
    if item.get_closest_marker("runtime") is None:
        return
    found = environment.load()
    if isinstance(found, str):
        if environment.required():
            pytest.fail(f"{environment.REQUIRE_ENV} is set but {found}", pytrace=False)
        pytest.skip(found)


@pytest.fixture(scope="session")
def runtime() -> RuntimeEnv:
    found = environment.load()
    assert not isinstance(found, str), found  # pytest_runtest_setup skipped the test
    return found


@pytest.fixture(scope="session")
def kafka(runtime: RuntimeEnv) -> str:
    """The Kafka brokers (host:port)."""
    why = environment.kafka_unavailable(runtime)
    if why is not None:
        if environment.required():
            pytest.fail(f"{environment.REQUIRE_ENV} is set but {why}", pytrace=False)
        pytest.skip(why)
    return runtime.kafka_brokers

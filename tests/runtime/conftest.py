"""The `runtime` fixture: the real Dapr runtime and its servers, or one skip (a failure under
DAPR_CODER_REQUIRE_RUNTIME=1) with the reason, the same for every runtime test so pytest reports it once."""

from __future__ import annotations

import pytest

from tests.runtime import environment
from tests.runtime.environment import RuntimeEnv


@pytest.fixture(scope="session")
def runtime() -> RuntimeEnv:
    found = environment.load()
    if isinstance(found, str):
        if environment.required():
            pytest.fail(f"{environment.REQUIRE_ENV} is set but {found}", pytrace=False)
        pytest.skip(found)
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

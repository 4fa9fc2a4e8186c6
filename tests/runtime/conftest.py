"""The `runtime` fixture: the real Dapr runtime and its servers, or one skip (a failure under
DAPR_CODER_REQUIRE_RUNTIME=1) with the reason, the same for every runtime test so pytest reports it once. And the
start of the run's systems (tests/runtime/systems.py) as soon as the tests are collected, their tests last."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.runtime import environment, systems
from tests.runtime.environment import RuntimeEnv


def _system(item: pytest.Item) -> systems.Job | None:
    """The system whose outcomes a scenario test reads, or None for any other test."""
    if not isinstance(item, pytest.Function) or not hasattr(item, "callspec"):
        return None
    where, params = (item.module.__name__, item.originalname), item.callspec.params
    if where == ("tests.runtime.test_scenarios", "test_scenario"):
        return systems.TODO, str(params["profile"])
    if where == ("tests.runtime.test_spec_scenarios", "test_spec_scenario"):
        return str(params["spec"]), str(params["profile"])
    return None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Generator[None]:
    """The scenario tests last (a stable sort, after every other plugin's order, --ff's included): by the time a
    worker gets to them, their systems have run."""
    yield
    items.sort(key=lambda item: _system(item) is not None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the systems the collected tests read, in the background, while the other tests run."""
    if session.config.option.collectonly:
        return
    jobs = list(dict.fromkeys(job for item in session.items if (job := _system(item)) is not None))
    runtime = environment.load()
    if jobs and not isinstance(runtime, str):  # without the runtime, every runtime test says why it cannot run
        systems.start(jobs)


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

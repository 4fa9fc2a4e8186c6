"""Idempotent deliveries over the generated fake, per state store: the claim runs out after claim_seconds (a crash
mid-handler holds the event that long, not the retention), a handled event is remembered retain_seconds (7 days),
a redelivery of a handled event answers SUCCESS on every store (no RETRY loop into the dead-letter topic), and a
single delivery's data is validated (null data is dropped, not retried for ever).

The app is the default endpoint render (the todo task API, whose task-events subscription is idempotent) wired
through its own create_app to the in-memory sidecar that generated services ship (tests/fake_dapr.py), whose clock
advance() moves."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from skill.specs.components import INBOUND_RETRY_INTERVAL_SECONDS, ResiliencySpec
from skill.specs.endpoint import IdempotencySettings
from tests.endpoint.conftest import Package, load_package, task
from tests.fake.conftest import render_fake

pytestmark = pytest.mark.anyio

CLAIM = IdempotencySettings().claim_seconds
RETAIN = IdempotencySettings().retain_seconds
STORES = ("redis", "postgresql-v1", "postgresql-v2", "in-memory")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    directory = tmp_path_factory.mktemp("endpoint_idempotency")
    loaded = load_package({}, directory)
    fake_file = Path(loaded.main.__file__).with_name("fake_dapr.py")
    fake_file.write_text(render_fake(["state", "pubsub"]), encoding="utf-8")
    loaded.modules["fake_dapr"] = importlib.import_module(f"{loaded.name}.fake_dapr")
    return loaded


@dataclass
class Running:
    package: Package
    fake: Any
    app: Any
    seen: list[tuple[str, Any]]
    failures: list[BaseException]


@pytest.fixture(params=STORES)
async def running(
    package: Package, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    fake = package.fake_dapr.FakeDapr(app_id="myapp", state_store_type=request.param)
    seen: list[tuple[str, Any]] = []
    failures: list[BaseException] = []

    async def on_task_deleted(event: Any, dapr: Any) -> None:
        seen.append((event.id, event.data))
        if failures:
            raise failures.pop()

    monkeypatch.setattr(package.handlers, "on_task_deleted", on_task_deleted)
    settings = package.dapr_client.DaprSettings(http_endpoint=fake.base_url)
    async with (
        httpx.AsyncClient(transport=fake.transport) as http,
        package.dapr_client.DaprClient(settings, http_client=http) as dapr,
    ):
        app = package.main.create_app(dapr=dapr)
        fake.app = app
        yield Running(package, fake, app, seen, failures)


async def _deliver(r: Running, event_id: str, data: Any = None) -> str:
    delivery = await r.fake.deliver(
        "pubsub", "task-events", task() if data is None else data, id=event_id, type="tasks.deleted"
    )
    return str(delivery.status)


async def test_a_redelivery_of_a_handled_event_is_success_on_every_store(running: Running) -> None:
    assert await _deliver(running, "e-1") == "SUCCESS"
    assert await _deliver(running, "e-1") == "SUCCESS"  # not RETRY: a 500 from a first-write save is no conflict
    assert [i for i, _ in running.seen] == ["e-1"]


async def test_a_crashed_delivery_holds_its_event_for_the_claim_time_only(running: Running) -> None:
    processed = running.app.state.processed
    key = running.package.contract.processed_key("pubsub/task-events", _event(running, "e-2"))
    assert await processed.claim(key) == "new"  # a delivery took it, then its process died
    assert await _deliver(running, "e-2") == "RETRY"  # busy while the claim holds
    running.fake.advance(CLAIM + 1)
    assert await _deliver(running, "e-2") == "SUCCESS"  # the claim ran out: the event runs (at least once)
    assert [i for i, _ in running.seen] == ["e-2"]


async def test_a_stopped_delivery_s_claim_runs_out_within_daprs_inbound_retries(running: Running) -> None:
    """A service restarted mid-delivery left its claim; daprd redelivers the event on the generated inbound policy
    (one attempt, then `inbound_max_retries` more, INBOUND_RETRY_INTERVAL_SECONDS apart) and dead-letters it when
    every attempt fails (dapr/dapr pkg/runtime/subscription/subscription.go): one attempt must run it. With a claim
    longer than the retries (300 s before references/dapr-contract.md §18.5), every attempt answered RETRY."""
    processed = running.app.state.processed
    key = running.package.contract.processed_key("pubsub/task-events", _event(running, "e-7"))
    assert await processed.claim(key) == "new"  # the stopped process's claim
    answers = []
    for _ in range(1 + ResiliencySpec().inbound_max_retries):
        answers.append(await _deliver(running, "e-7"))
        if answers[-1] != "RETRY":
            break
        running.fake.advance(INBOUND_RETRY_INTERVAL_SECONDS)
    assert answers[-1] == "SUCCESS", f"every redelivery answered {answers}: the event goes to the dead-letter topic"
    assert [i for i, _ in running.seen] == ["e-7"]


@contextlib.asynccontextmanager
async def _short_claims(
    package: Package, monkeypatch: pytest.MonkeyPatch, on_task_deleted: Any, claim_seconds: int = 1
) -> AsyncIterator[Running]:
    """The app over a Redis fake, with short claims (the fake's clock runs in real time, plus what advance adds)."""
    fake = package.fake_dapr.FakeDapr(app_id="myapp", state_store_type="redis")
    monkeypatch.setattr(package.handlers, "on_task_deleted", on_task_deleted)
    settings = package.dapr_client.DaprSettings(http_endpoint=fake.base_url)
    async with (
        httpx.AsyncClient(transport=fake.transport) as http,
        package.dapr_client.DaprClient(settings, http_client=http) as dapr,
    ):
        processed = package.contract.StateProcessedEvents(
            dapr, "statestore", claim_seconds=claim_seconds, retain_seconds=60
        )
        fake.app = package.main.create_app(dapr=dapr, processed=processed)
        yield Running(package, fake, fake.app, [], [])


async def test_a_handler_that_outruns_its_claim_is_cut_off_and_the_redelivery_runs(
    package: Package, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its claim another delivery may take the event, so the handler stops there (RETRY) rather than run
    beside it; the claim runs out on its own, and then the redelivery runs."""
    runs: list[str] = []

    async def on_task_deleted(event: Any, dapr: Any) -> None:
        runs.append(event.id)
        if len(runs) == 1:
            await asyncio.Event().wait()  # never set: a handler that would hold the event for ever

    async with _short_claims(package, monkeypatch, on_task_deleted) as r:
        assert await asyncio.wait_for(_deliver(r, "e-8"), 30) == "RETRY"
        # The handler's deadline counts from before the claim was taken, so the store's claim outlives the cut by
        # as long as taking it took.
        r.fake.advance(1)
        assert await _deliver(r, "e-8") == "SUCCESS"
    assert runs == ["e-8", "e-8"]


async def test_a_handler_cut_off_never_deletes_the_claim_another_delivery_took(
    package: Package, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's claim ran out while the first handler still ran, and a redelivery took it: when the first is cut
    off, a third delivery must still find the event busy, not run beside the second."""
    runs: list[str] = []
    first_running, second_running, second_may_end = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def on_task_deleted(event: Any, dapr: Any) -> None:
        runs.append(event.id)
        if len(runs) == 1:
            first_running.set()
            await asyncio.Event().wait()  # cut off at its claim's end
        elif len(runs) == 2:
            second_running.set()
            await second_may_end.wait()

    # Claims of 2 s: the first handler is cut off at 2 s, the second, started at 1 s, holds its claim until 3 s.
    async with _short_claims(package, monkeypatch, on_task_deleted, claim_seconds=2) as r:
        first = asyncio.create_task(_deliver(r, "e-9"))
        await asyncio.wait_for(first_running.wait(), 10)
        await asyncio.sleep(1.0)
        r.fake.advance(2)  # the store's claim ran out early (a store's clock runs its own way)
        second = asyncio.create_task(_deliver(r, "e-9"))
        await asyncio.wait_for(second_running.wait(), 10)
        assert await asyncio.wait_for(first, 30) == "RETRY"
        assert await _deliver(r, "e-9") == "RETRY"  # busy: the second delivery's claim stands
        second_may_end.set()
        assert await asyncio.wait_for(second, 30) == "SUCCESS"
    assert runs == ["e-9", "e-9"]


async def test_a_handled_event_is_remembered_for_the_retention(running: Running) -> None:
    assert await _deliver(running, "e-3") == "SUCCESS"
    running.fake.advance(RETAIN - 3600)  # a late redelivery, six days and 23 hours on
    assert await _deliver(running, "e-3") == "SUCCESS"
    assert [i for i, _ in running.seen] == ["e-3"]
    running.fake.advance(7200)  # past the retention the record is gone
    assert await _deliver(running, "e-3") == "SUCCESS"
    assert [i for i, _ in running.seen] == ["e-3", "e-3"]


async def test_a_failed_run_releases_its_claim_so_the_redelivery_runs(running: Running) -> None:
    running.failures.append(ConnectionError("later"))
    assert await _deliver(running, "e-4") == "RETRY"
    assert await _deliver(running, "e-4") == "SUCCESS"
    assert [i for i, _ in running.seen] == ["e-4", "e-4"]


async def test_an_event_that_does_not_fit_is_dropped(running: Running) -> None:
    assert await _deliver(running, "e-5", {"not": "a task"}) == "DROP"
    assert running.seen == []


async def test_null_data_is_dropped_not_retried(running: Running) -> None:
    delivery = await running.fake.deliver(
        "pubsub", "task-events", None, id="e-6", type="tasks.deleted", content_type="application/json"
    )
    assert (delivery.http_status, str(delivery.status)) == (200, "DROP")
    assert running.seen == []


def _event(r: Running, event_id: str) -> Any:
    """What processed_key reads of a CloudEvent, as the fake sends it (its source is the fake's app id)."""
    return SimpleNamespace(id=event_id, source=r.fake.app_id)

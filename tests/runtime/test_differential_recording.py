"""Real daprd answers every fact of tests/differential/facts.py, and its answers must be the recorded ones
(tests/differential/daprd-1.18.3.json, which the fakes are compared with in every run). With
DAPR_CODER_RECORD_FACTS=1 this test writes the recording instead of checking it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tests.differential import app_facts, facts, recording
from tests.runtime import processes, resources
from tests.runtime.environment import RuntimeEnv

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]


async def _answer(url: str, chosen: list[tuple[str, facts.Fact, str]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for fact_id, fact, _ in chosen:
            found[fact_id] = await fact.run(client, facts.prefix_for(fact))
    return found


QUIET_SECONDS = 3.0  # well over the 1 s between a failed job trigger and its retry
SETTLE_BOUND_SECONDS = 30.0


@contextlib.contextmanager
def _served(app: app_facts.ProbeApp) -> Iterator[int]:
    port = processes.free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the probe app did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _app_answers(url: str, app: app_facts.ProbeApp) -> dict[str, Any]:
    settled = len(app.calls)

    async def settle() -> None:
        """Until the app has had a call since the last fact settled (every app fact makes at least one), then none
        for QUIET_SECONDS (bounded: a fact that never settles fails). Counted from the last fact, not from this
        call: pubsub.in-memory may deliver before the publish call has returned."""
        nonlocal settled
        deadline = time.monotonic() + SETTLE_BOUND_SECONDS
        while len(app.calls) == settled:
            assert time.monotonic() < deadline, f"the app got no call in {SETTLE_BOUND_SECONDS} s"
            await asyncio.sleep(0.05)
        seen, quiet_since = len(app.calls), time.monotonic()
        while time.monotonic() - quiet_since < QUIET_SECONDS:
            assert time.monotonic() < deadline, f"the app still gets calls after {SETTLE_BOUND_SECONDS} s"
            await asyncio.sleep(0.1)
            if len(app.calls) != seen:
                seen, quiet_since = len(app.calls), time.monotonic()
        settled = seen

    found: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        sidecar = app_facts.AppSidecar(client, app, settle)
        for fact in app_facts.APP_FACTS:
            found[fact.fact_id] = await fact.run(sidecar, app_facts.prefix_for(fact))
    return found


def test_daprd_answers_as_recorded(runtime: RuntimeEnv, tmp_path: Path) -> None:
    answers: dict[str, Any] = {}
    every = facts.fact_ids()
    with processes.scheduler(runtime, tmp_path / "scheduler") as scheduler:
        for flavour in facts.STATE_FLAVOURS:
            folder = tmp_path / flavour
            component = resources.state_store(runtime, flavour, facts.STORE, key_prefix=resources.unique("diff"))
            pubsub = resources.component(facts.PUBSUB, "pubsub.in-memory", {})
            documents = {"store": component, "pubsub": pubsub}
            resources_folder = resources.write(folder / "resources", documents)
            chosen = [f for f in every if f[2] == flavour or (f[2] == "any" and flavour == "in-memory")]
            with processes.daprd(
                runtime, folder, "diff", resources_folder, scheduler_address=scheduler.address
            ) as sidecar:
                answers.update(asyncio.run(_answer(sidecar.url, chosen)))
        # The app facts: in-memory pub/sub without a resiliency policy, an app behind the sidecar.
        app = app_facts.ProbeApp()
        folder = tmp_path / "app"
        pubsub = resources.component(facts.PUBSUB, "pubsub.in-memory", {})
        resources_folder = resources.write(folder / "resources", {"pubsub": pubsub})
        with (
            _served(app) as port,
            processes.daprd(
                runtime, folder, "diffapp", resources_folder, app_port=port, scheduler_address=scheduler.address
            ) as sidecar,
        ):
            answers.update(asyncio.run(_app_answers(sidecar.url, app)))
    assert set(answers) == recording.fact_ids()
    if os.environ.get(recording.RECORD_ENV) == "1":
        recording.write(answers)
        return
    recorded = recording.load()
    differ = {k: {"daprd": answers[k], "recorded": recorded.get(k)} for k in answers if answers[k] != recorded.get(k)}
    stale = sorted(set(recorded) - set(answers))
    hint = f"rerun with {recording.RECORD_ENV}=1 if daprd changed"
    assert not differ, f"{hint}: {differ}"
    assert not stale, f"{hint}: recorded facts no longer asked: {stale}"

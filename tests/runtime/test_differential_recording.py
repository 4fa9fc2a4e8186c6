"""Real daprd answers every fact of tests/differential/facts.py, and its answers must be the recorded ones
(tests/differential/daprd-1.18.3.json, which the fakes are compared with in every run). With
DAPR_CODER_RECORD_FACTS=1 this test writes the recording instead of checking it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.differential import facts, recording
from tests.runtime import processes, resources
from tests.runtime.environment import RuntimeEnv

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]


async def _answer(url: str, chosen: list[tuple[str, facts.Fact, str]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for fact_id, fact, _ in chosen:
            found[fact_id] = await fact.run(client, facts.prefix_for(fact))
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
    assert set(answers) == {fact_id for fact_id, _, _ in every}
    if os.environ.get(recording.RECORD_ENV) == "1":
        recording.write(answers)
        return
    recorded = recording.load()
    differ = {k: {"daprd": answers[k], "recorded": recorded.get(k)} for k in answers if answers[k] != recorded.get(k)}
    stale = sorted(set(recorded) - set(answers))
    assert not differ and not stale, f"rerun with {recording.RECORD_ENV}=1 if daprd changed: {differ} {stale}"

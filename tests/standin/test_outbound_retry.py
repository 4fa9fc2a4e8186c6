"""The stand-in's outbound retries of service invocation (tools/standin/invoke.py, tools/standin/resiliency.py): the
caller's Resiliency `targets.apps.<app id>.retry`, applied as daprd 1.18.3's `onDirectMessage` applies it
(pkg/api/http/directmessaging.go, pkg/resiliency/retry.go `mustRetryStatusCode`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.pipeline import generate
from skill.specs.project import TODO_SYSTEM
from tests.sidecar import ScriptedApp, answer
from tools.standin import SidecarMesh
from tools.standin.resiliency import RetryPolicy, outbound_app_policies

pytestmark = pytest.mark.anyio

FIVE_HUNDREDS = RetryPolicy(policy="constant", duration=2.0, max_retries=2, http_status_codes=((500, 599),))


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []

    async def no_wait(delay: float) -> None:
        waited.append(delay)

    monkeypatch.setattr("tools.standin.invoke.asyncio.sleep", no_wait)
    return waited


def _mesh(target: ScriptedApp, policy: RetryPolicy | None) -> SidecarMesh:
    mesh = SidecarMesh()
    mesh.add("seats", target)
    mesh.add("checkout", ScriptedApp(), outbound_retry={"seats": policy} if policy else None)
    return mesh


async def test_a_matched_status_is_sent_again_after_the_policys_pause(pauses: list[float]) -> None:
    target = ScriptedApp().on("POST", "/reserve", answer(503, {"busy": 1}), answer(500), answer(200, {"ok": True}))
    async with _mesh(target, FIVE_HUNDREDS).client("checkout") as checkout:
        got = await checkout.post("/v1.0/invoke/seats/method/reserve", json={"id": "s1"})
    assert (got.status_code, got.json()) == (200, {"ok": True})
    assert len(target.requests_to("/reserve")) == 3
    assert [r.json() for r in target.requests_to("/reserve")] == [{"id": "s1"}] * 3  # the body replayed
    assert pauses == [2.0, 2.0]


async def test_a_status_outside_the_matching_comes_back_at_once(pauses: list[float]) -> None:
    target = ScriptedApp().on("POST", "/reserve", answer(409, {"detail": "taken"}), answer(200))
    async with _mesh(target, FIVE_HUNDREDS).client("checkout") as checkout:
        got = await checkout.post("/v1.0/invoke/seats/method/reserve", json={"id": "s1"})
    assert (got.status_code, got.json()) == (409, {"detail": "taken"})
    assert len(target.requests_to("/reserve")) == 1
    assert pauses == []


async def test_spent_retries_return_the_apps_last_answer(pauses: list[float]) -> None:
    target = ScriptedApp().on("POST", "/reserve", answer(500, {"n": 1}), answer(502, {"n": 2}), answer(500, {"n": 3}))
    async with _mesh(target, FIVE_HUNDREDS).client("checkout") as checkout:
        got = await checkout.post("/v1.0/invoke/seats/method/reserve", json={})
    assert (got.status_code, got.json()) == (500, {"n": 3})
    assert len(target.requests_to("/reserve")) == 3  # the first attempt and max_retries 2
    assert pauses == [2.0, 2.0]


async def test_no_policy_no_matching_list_and_exponential_pauses(pauses: list[float]) -> None:
    target = ScriptedApp().on("POST", "/reserve", answer(500), answer(200))
    async with _mesh(target, None).client("checkout") as checkout:
        assert (await checkout.post("/v1.0/invoke/seats/method/reserve", json={})).status_code == 500
    assert len(target.requests_to("/reserve")) == 1
    # Without `matching` every failed answer is retried, a 4xx too (pkg/resiliency/retry.go: no list, no limit).
    every = RetryPolicy(policy="exponential", initial_interval=0.5, multiplier=2.0, max_interval=1.5, max_retries=3)
    target = ScriptedApp().on("POST", "/reserve", answer(404), answer(422), answer(409), answer(200))
    async with _mesh(target, every).client("checkout") as checkout:
        assert (await checkout.post("/v1.0/invoke/seats/method/reserve", json={})).status_code == 200
    assert pauses == [0.5, 1.0, 1.5]


def test_the_generated_resiliency_gives_each_app_its_outbound_policy(tmp_path: Path) -> None:
    for f in generate("project", TODO_SYSTEM).files:
        if f.path.startswith("resources/local/"):
            (tmp_path / Path(f.path).name).write_text(f.content, encoding="utf-8")
    policies = outbound_app_policies(tmp_path, "recurring-task")
    assert set(policies) == {"task-api", "recurring-task", "notification"}
    policy = policies["task-api"]
    assert (policy.policy, policy.max_retries, policy.max_interval) == ("exponential", 3, 15.0)
    assert policy.retries_status(503)
    assert not policy.retries_status(409)
    assert not policy.retries_status(422)

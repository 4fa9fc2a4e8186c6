"""Resiliency `timeout` policies in the stand-in, as daprd 1.18.3 applies them (pkg/resiliency/policy.go
`NewRunnerWithOptions`): each attempt runs under the target's timeout; an attempt that runs out fails with
"context deadline exceeded", which is not an HTTP status, so it is retried whatever `matching` lists; when the
last one runs out the invocation answers 500 ERR_DIRECT_INVOKE (pkg/api/http/directmessaging.go) and a delivery
is given up like a RETRY (dead-lettered when the subscription has a dead-letter topic)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from skill.pipeline import generate
from skill.specs.project import TODO_SYSTEM
from tests.sidecar import ScriptedApp, SeenRequest, answer
from tools.standin import SidecarMesh
from tools.standin.resiliency import RetryPolicy, attempt, inbound_policy, outbound_app_policies

pytestmark = pytest.mark.anyio

Answer = tuple[int, dict[str, str], bytes]


def _slow_then(answers: list[Answer], slow: int, seconds: float = 1.0) -> ScriptedApp:
    """An app whose first `slow` calls take `seconds`, each answering the next of `answers`."""
    calls = 0

    async def handle(_: SeenRequest) -> Answer:
        nonlocal calls
        calls += 1
        reply = answers.pop(0)
        if calls <= slow:
            await asyncio.sleep(seconds)  # cut by the timeout: this reply never reaches the caller
        return reply

    return ScriptedApp().handle("POST", "/reserve", handle).handle("POST", "/orders", handle)


def _invoking(target: ScriptedApp, policy: RetryPolicy) -> SidecarMesh:
    mesh = SidecarMesh()
    mesh.add("seats", target)
    mesh.add("checkout", ScriptedApp(), outbound_retry={"seats": policy})
    return mesh


async def test_an_invocation_attempt_cut_by_the_timeout_is_retried_even_outside_the_matching() -> None:
    policy = RetryPolicy(duration=0.01, max_retries=2, http_status_codes=((500, 599),), timeout=0.1)
    target = _slow_then([answer(200, {"late": True}), answer(200, {"ok": True})], slow=1)
    async with _invoking(target, policy).client("checkout") as checkout:
        got = await checkout.post("/v1.0/invoke/seats/method/reserve", json={"id": "s1"})
    assert (got.status_code, got.json()) == (200, {"ok": True})
    assert len(target.requests_to("/reserve")) == 2


async def test_an_invocation_whose_last_attempt_times_out_answers_500_deadline_exceeded() -> None:
    policy = RetryPolicy(duration=0.01, max_retries=1, timeout=0.05)
    target = _slow_then([answer(200)] * 2, slow=2, seconds=0.5)
    async with _invoking(target, policy).client("checkout") as checkout:
        got = await checkout.post("/v1.0/invoke/seats/method/reserve", json={"id": "s1"})
    assert got.status_code == 500
    assert got.json() == {
        "errorCode": "ERR_DIRECT_INVOKE", "message": "failed to invoke, id: seats, err: context deadline exceeded",
    }  # fmt: skip
    assert len(target.requests_to("/reserve")) == 2


async def test_without_a_timeout_a_slow_answer_comes_back() -> None:
    target = _slow_then([answer(200, {"ok": True})], slow=1, seconds=0.2)
    async with _invoking(target, RetryPolicy(max_retries=0)).client("checkout") as checkout:
        got = await checkout.post("/v1.0/invoke/seats/method/reserve", json={})
    assert (got.status_code, got.json()) == (200, {"ok": True})


async def test_a_delivery_cut_by_the_inbound_timeout_is_retried_then_dead_lettered() -> None:
    subscription = {"pubsubname": "pubsub", "topic": "orders", "route": "/orders", "deadLetterTopic": "dlq"}
    app = _slow_then([answer(200)] * 2, slow=2, seconds=0.5)
    app.on("GET", "/dapr/subscribe", answer(200, [subscription]))
    mesh = SidecarMesh(state_stores=(), inbound_retry={"orders": RetryPolicy(duration=0.01, max_retries=1,
                                                                             timeout=0.05)})  # fmt: skip
    double = mesh.add("orders", app)
    await mesh.start()
    async with double.client() as sidecar:
        await sidecar.post("/v1.0/publish/pubsub/orders", json={"n": 1})
    (delivery, *_) = await mesh.deliver_pending()
    assert delivery.outcome == "dead_lettered"
    assert [(a.status, a.verdict, a.body) for a in delivery.result.attempts] == [
        (0, "RETRY", b"context deadline exceeded"),
    ] * 2
    assert [m.topic for m in mesh.dead_lettered] == ["dlq"]


def test_the_generated_resiliency_gives_invocations_their_general_timeout(tmp_path: Path) -> None:
    for f in generate("project", TODO_SYSTEM).files:
        if f.path.startswith("resources/local/"):
            (tmp_path / Path(f.path).name).write_text(f.content, encoding="utf-8")
    assert outbound_app_policies(tmp_path, "recurring-task")["task-api"].timeout == 10.0  # "general": "10s"
    assert inbound_policy(tmp_path, "pubsub", "notification").timeout == 0.0  # the inbound target names none


def test_a_timeout_alone_is_one_attempt_under_it_and_a_number_is_milliseconds(tmp_path: Path) -> None:
    (tmp_path / "resiliency.yaml").write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: {name: r}\nspec:\n"
        "  policies:\n    timeouts: {quick: '1500', slow: 2m}\n"
        "  targets:\n    apps: {seats: {timeout: quick}, other: {timeout: missing}}\n"
        "    components: {pubsub: {inbound: {timeout: slow}}}\n",
        encoding="utf-8",
    )
    assert outbound_app_policies(tmp_path, "checkout") == {"seats": RetryPolicy(max_retries=0, timeout=1.5)}
    assert inbound_policy(tmp_path, "pubsub", "orders") == RetryPolicy(max_retries=0, timeout=120.0)


def test_retry_durations_are_milliseconds_when_bare_numbers_and_keys_match_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "resiliency.yaml").write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: {name: r}\nspec:\n"
        "  policies:\n    retries: {quick: {policy: constant, duration: '250', MaxRetries: 2}}\n"
        "  targets:\n    apps: {seats: {retry: quick}}\n",
        encoding="utf-8",
    )
    assert outbound_app_policies(tmp_path, "checkout") == {"seats": RetryPolicy(duration=0.25, max_retries=2)}


async def test_an_attempt_is_none_only_when_the_policy_s_timeout_cut_it() -> None:
    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    async def own_timeout() -> str:
        raise TimeoutError("the call's own")

    assert await attempt(slow(), RetryPolicy(timeout=0.05)) is None
    assert await attempt(asyncio.sleep(0, "now"), RetryPolicy(timeout=1)) == "now"
    assert await attempt(asyncio.sleep(0, "no policy"), None) == "no policy"
    with pytest.raises(TimeoutError, match="the call's own"):  # not mistaken for the policy's deadline
        await attempt(own_timeout(), RetryPolicy(timeout=1))

"""Which routes check the app token, the API docs switch, path keys, If-Match `*` and body size limits."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.endpoint.conftest import TOKEN, Package, Wired, cloud_event, load_package, task, wire

pytestmark = pytest.mark.anyio

# Every route the sidecar calls in the preset, and a body each accepts.
_DAPR_ROUTES = [
    ("GET", "/dapr/subscribe"),
    ("POST", "/events/task-deleted"),
    ("POST", "/events/task-events"),  # the default route of a subscription with rules
    ("POST", "/job/task-reminder"),
    ("OPTIONS", "/task-import"),
    ("POST", "/task-import"),
    ("POST", "/normalize-task"),  # an invocation target: daprd sends the token on invocations too
]
_REMINDER = {
    "task_id": "t-1",
    "title": "x",
    "due_at": "2026-01-31T10:00:00Z",
    "remind_at": "2026-01-31T09:00:00Z",
    "user_id": "u",
}


def _client(app: Any, token: str | None = TOKEN) -> httpx.AsyncClient:
    headers = {"dapr-api-token": token} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app", headers=headers)


def _app(w: Wired, **options: Any) -> Any:
    """Another app over the same client and double, built with `options` (body limits, docs)."""
    app = w.package.main.create_app(dapr=w.dapr, app_api_token=TOKEN, **options)
    w.double.channel.app = app
    return app


@pytest.fixture
async def small(wired: Wired) -> Wired:
    """The preset app with body limits of 2,000 bytes (public routes) and 3,000 (Dapr's)."""
    limits = wired.package.contract.BodyLimits(public=2_000, dapr=3_000)
    wired.app = _app(wired, body_limits=limits)
    return wired


# The app token ----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong"])
@pytest.mark.parametrize(("method", "path"), _DAPR_ROUTES)
async def test_routes_dapr_calls_refuse_a_missing_or_wrong_token(
    wired: Wired, token: str | None, method: str, path: str
) -> None:
    async with _client(wired.app, token) as app:
        r = await app.request(method, path, content=b"{}")
    assert r.status_code == 401


async def test_invocation_through_the_sidecar_carries_the_token(wired: Wired) -> None:
    async with wired.double.client() as c:
        r = await c.post("/v1.0/invoke/myapp/method/normalize-task", json=task("t-2"))
    assert r.status_code == 200, r.text
    assert wired.double.app_calls[-1].path == "/normalize-task"


async def test_public_crud_routes_answer_callers_without_the_token(wired: Wired) -> None:
    # A Kubernetes Service exposes these to callers that are not sidecars: they have no token.
    async with _client(wired.app, token=None) as app:
        assert (await app.post("/api/tasks", json=task("t-1"))).status_code == 201
        assert (await app.get("/api/tasks/t-1")).status_code == 200
        assert [t["id"] for t in (await app.get("/api/tasks")).json()] == ["t-1"]
        assert (await app.put("/api/tasks/t-1", json=task("t-1", title="New"))).status_code == 200
        assert (await app.delete("/api/tasks/t-1")).status_code == 204
    async with wired.double.client() as c:  # and the same routes through service invocation
        r = await c.post("/v1.0/invoke/myapp/method/api/tasks", json=task("t-3"))
    assert r.status_code == 201, r.text


async def test_the_token_is_decided_by_compare_digest_alone(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    """No plain comparison before the constant-time one: hmac.compare_digest decides every answer."""
    seen: list[tuple[bytes, bytes]] = []
    verdict = {"value": True}

    def compare(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return verdict["value"]

    monkeypatch.setattr(hmac, "compare_digest", compare)
    # Equal-length wrong tokens differing from the right one at every position: a `!=` (or a prefix
    # check) would refuse each before compare_digest is asked; here compare_digest says "equal".
    wrong = [TOKEN[:i] + chr(ord(TOKEN[i]) ^ 1) + TOKEN[i + 1 :] for i in range(len(TOKEN))]
    for token in wrong:
        async with _client(wired.app, token) as app:
            assert (await app.get("/dapr/subscribe")).status_code == 200
    assert seen == [(t.encode(), TOKEN.encode()) for t in wrong]
    verdict["value"] = False  # and the right token is refused when compare_digest says "differ"
    async with _client(wired.app, TOKEN) as app:
        assert (await app.get("/dapr/subscribe")).status_code == 401
        assert (await app.post("/events/task-deleted", content=b"{}")).status_code == 401


# API docs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_api_docs_are_off_by_default(wired: Wired, path: str) -> None:
    for token in (None, TOKEN):
        async with _client(wired.app, token) as app:
            assert (await app.get(path)).status_code == 404


async def test_api_docs_when_asked_describe_only_the_public_routes(wired: Wired) -> None:
    app = _app(wired, api_docs=True)
    async with _client(app, token=None) as c:
        assert (await c.get("/docs")).status_code == 200
        schema = (await c.get("/openapi.json")).json()
    assert sorted(schema["paths"]) == ["/api/tasks", "/api/tasks/{key}"]


async def test_no_route_has_unexpected_query_parameters(wired: Wired) -> None:
    # A dependency FastAPI cannot resolve becomes a required query parameter, and every call a 422.
    found = [
        (route.path, p.name)
        for route in wired.app.routes
        if hasattr(route, "dependant")
        for p in route.dependant.query_params
    ]
    assert found == []


# Input bindings ---------------------------------------------------------------------------------


async def test_a_bad_binding_event_is_acknowledged_and_never_reaches_the_handler(
    wired: Wired, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Any answer but 200 makes Dapr deliver the same bad event again, for ever."""
    seen: list[Any] = []

    async def on_import(data: Any, metadata: Any, dapr: Any) -> None:
        seen.append(data)

    monkeypatch.setattr(wired.package.handlers, "on_task_import", on_import)
    with caplog.at_level(logging.WARNING):
        for body in (b'{"id": 1}', b"not json", b""):
            delivery = await wired.double.send_input_binding_event("task-import", body)
            assert (delivery.status, delivery.success) == (200, True)
    assert seen == []
    assert caplog.text.count("binding task-import: dropping an event that does not fit") == 3


# Path keys --------------------------------------------------------------------------------------

# A model whose key field has no pattern of its own, so that the routes' own key rule is what answers.
_NOTES: dict[str, Any] = {
    "models": {
        "models": [
            {
                "name": "Note",
                "fields": [
                    {"name": "id", "type": "str"},
                    {"name": "text", "type": "str"},
                    {"name": "done", "type": "bool"},
                ],
            }
        ]
    },
    "subscriptions": [],
    "jobs": [],
    "bindings": [],
    "invocations": [],
    "crud": [{"name": "notes", "model": "Note", "actions": [{"name": "complete", "field": "done"}]}],
}


@pytest.fixture(scope="module")
def notes_package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    return load_package(_NOTES, tmp_path_factory.mktemp("endpoint_notes"))


@pytest.fixture
async def notes(notes_package: Package) -> AsyncIterator[Wired]:
    async for w in wire(notes_package, TOKEN):
        yield w


def _note(key: str) -> dict[str, Any]:
    return {"id": key, "text": "x", "done": False}


@pytest.mark.parametrize("key", ["a%7C%7Cb", "%7C%7C", "a%00b", "x" * 257])
async def test_a_key_dapr_cannot_store_is_a_422_naming_the_key(notes: Wired, key: str) -> None:
    async with _client(notes.app, token=None) as app:
        answers = [
            await app.get(f"/api/notes/{key}"),
            await app.put(f"/api/notes/{key}", json=_note("n-1")),
            await app.delete(f"/api/notes/{key}"),
            await app.post(f"/api/notes/{key}/complete"),
        ]
    for r in answers:
        assert r.status_code == 422, r.text
        (error,) = r.json()["detail"]
        assert error["loc"] == ["path", "key"]
        assert "without '||'" in error["msg"]
    assert notes.double.requests == []  # refused before the sidecar is asked anything


async def test_a_created_item_whose_key_dapr_cannot_store_is_a_422_and_nothing_is_stored(notes: Wired) -> None:
    async with _client(notes.app, token=None) as app:
        refused = await app.post("/api/notes", json=_note("a||b"))
        allowed = await app.post("/api/notes", json=_note("a|b c"))
        got = await app.get("/api/notes/a%7Cb%20c")
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["body", "id"]
    assert "without '||'" in error["msg"]
    assert (allowed.status_code, got.status_code) == (201, 200)
    keys = [k for k, _ in notes.double.state.stores["statestore"].live_items()]
    assert not any("a||b" in k for k in keys)


# If-Match ---------------------------------------------------------------------------------------


async def test_if_match_star_matches_an_existing_item(wired: Wired) -> None:
    async with _client(wired.app, token=None) as app:
        assert (await app.post("/api/tasks", json=task("t-1"))).status_code == 201
        r = await app.put("/api/tasks/t-1", json=task("t-1", title="New"), headers={"if-match": "*"})
        assert r.status_code == 200, r.text
        assert (await app.delete("/api/tasks/t-1", headers={"if-match": "*"})).status_code == 204
        # `*` on a missing item: there is nothing to match
        assert (await app.put("/api/tasks/t-1", json=task("t-1"), headers={"if-match": "*"})).status_code == 404
        assert (await app.delete("/api/tasks/t-1", headers={"if-match": '"stale"'})).status_code == 404


# Body size limits -------------------------------------------------------------------------------


def _padded(size: int) -> dict[str, Any]:
    return task("t-1", description="x" * size)


async def test_a_public_body_over_the_limit_is_413_and_changes_nothing(small: Wired) -> None:
    async with _client(small.app, token=None) as app:
        declared = await app.post("/api/tasks", json=_padded(5_000))

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while it streams
            yield b'{"id": "t-1", "title": "'
            for _ in range(100):
                yield b"x" * 100
            yield b'"}'

        streamed = await app.post("/api/tasks", content=chunks(), headers={"content-type": "application/json"})
        put = await app.put("/api/tasks/t-1", json=_padded(5_000))
    assert (declared.status_code, streamed.status_code, put.status_code) == (413, 413, 413)
    assert "2000" in declared.json()["detail"]
    assert list(small.double.state.stores["statestore"].live_items()) == []
    assert small.double.published == []


async def test_a_body_within_the_limit_is_served(small: Wired) -> None:
    async with _client(small.app, token=None) as app:
        assert (await app.post("/api/tasks", json=_padded(1_500))).status_code == 201


async def test_a_422_does_not_echo_the_input(wired: Wired) -> None:
    async with _client(wired.app, token=None) as app:
        r = await app.post("/api/tasks", json={"id": "t-1", "title": ["x" * 100_000], "user_id": 1})
    assert r.status_code == 422
    assert len(r.content) < 2_000
    assert {tuple(e["loc"]) for e in r.json()["detail"]} >= {("body", "title"), ("body", "user_id")}
    assert "x" * 100 not in r.text


async def test_an_invocation_body_over_the_dapr_limit_is_413(small: Wired) -> None:
    async with small.double.client() as c:
        r = await c.post("/v1.0/invoke/myapp/method/normalize-task", json=_padded(5_000))
    assert r.status_code == 413


async def test_deliveries_over_the_dapr_limit_are_dropped_not_retried(
    small: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    async def record(*args: Any) -> None:
        seen.append(args)

    for name in ("on_task_deleted", "on_job_task_reminder", "on_task_import"):
        monkeypatch.setattr(small.package.handlers, name, record)
    async with small.double.client() as c:
        published = cloud_event(_padded(5_000), type_="tasks.deleted")
        r = await c.post(
            "/v1.0/publish/pubsub/task-events",
            content=published,
            headers={"content-type": "application/cloudevents+json"},
        )
        assert r.status_code == 204
    (result,) = [r for r in await small.double.deliver_pending() if r.attempts[0].route == "/events/task-deleted"]
    assert [a.verdict for a in result.attempts] == ["DROP"]
    async with _client(small.app) as app:
        job = await app.post("/job/task-reminder", json={**_REMINDER, "padding": "x" * 5_000})
    assert job.status_code == 404  # a job failure that is not retried: the data will never fit
    binding = await small.double.send_input_binding_event("task-import", b"x" * 5_000)
    assert (binding.status, binding.success) == (200, True)
    assert seen == []

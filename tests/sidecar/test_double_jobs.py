"""Jobs API (references/dapr-contract.md §9, §12.7, §17; pitfalls 8, 9, 10)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sidecar.scripted_app import ScriptedApp, answer
from tools.standin import SidecarDouble, UndeliverableJobError

pytestmark = pytest.mark.anyio

URL = "/v1.0-alpha1/jobs/my-job"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "x", "schedule": "@daily", "data": {}}, "DAPR_SCHEDULER_JOB_NAME"),
        ({"data": {}}, "DAPR_SCHEDULER_SCHEDULE_EMPTY"),
        ({}, "DAPR_SCHEDULER_SCHEDULE_EMPTY"),
        ({"dueTime": "10s", "repeats": -1, "data": {}}, "ERR_MALFORMED_REQUEST"),
        ({"dueTime": "10s", "failurePolicy": {"constant": {"interval": "1m"}}}, "ERR_MALFORMED_REQUEST"),
        ({"schedule": "0 30 * * *", "data": {}}, "DAPR_SCHEDULER_SCHEDULE_JOB"),  # 5 fields: seconds missing
        ({"schedule": 5, "data": {}}, "ERR_MALFORMED_REQUEST"),
    ],
)
async def test_schedule_validation_is_400(body: dict[str, Any], code: str) -> None:
    async with SidecarDouble().client() as c:
        r = await c.post(URL, json=body)
    assert (r.status_code, r.json()["errorCode"]) == (400, code)


async def test_schedule_get_delete() -> None:
    """§9.1-9.3: 204 empty; GET protojson with data wrapped in an Any; delete 204 even when unknown."""
    double = SidecarDouble()
    body = {"dueTime": "10s", "repeats": 2, "data": {"a": 1}, "due_Time": "typo ignored",
            "failure_policy": {"constant": {"interval": "0.5s", "maxRetries": 3}}}  # fmt: skip
    async with double.client() as c:
        r = await c.post(URL, json=body)
        assert (r.status_code, r.content) == (204, b"")
        r = await c.get(URL)
        assert r.status_code == 200
        assert r.json() == {
            "name": "my-job", "repeats": 2, "dueTime": "10s",
            "data": {"@type": "type.googleapis.com/google.protobuf.Value", "value": {"a": 1}},
            "failurePolicy": {"constant": {"interval": "0.500s", "maxRetries": 3}},
        }  # fmt: skip
        assert (await c.delete(URL)).status_code == 204
        assert (await c.delete("/v1.0-alpha1/jobs/never")).status_code == 204
        r = await c.get(URL)
        assert (r.status_code, r.json()["errorCode"]) == (500, "DAPR_SCHEDULER_GET_JOB")


@pytest.mark.parametrize(("version", "second"), [("1.14", 204), ("1.15", 204), ("1.16", 409), ("1.18", 409)])
async def test_duplicate_name(version: str, second: int) -> None:
    """§9.1/§17: 409 without overwrite on 1.16+; 1.14/1.15 silently replace."""
    double = SidecarDouble(dapr_version=version)
    async with double.client() as c:
        assert (await c.post(URL, json={"schedule": "@every 1m", "data": 1})).status_code == 204
        r = await c.post(URL, json={"schedule": "@every 1m", "data": 2})
        assert r.status_code == second
        if second == 409:
            assert r.json()["errorCode"] == "DAPR_SCHEDULER_SCHEDULE_JOB"
            assert (await c.post(URL, json={"schedule": "@hourly", "data": 2, "overwrite": True})).status_code == 204
    assert double.jobs.jobs["my-job"].data == 2


async def test_failure_policy_ignored_before_116() -> None:
    double = SidecarDouble(dapr_version="1.15")
    async with double.client() as c:
        await c.post(URL, json={"dueTime": "1s", "data": {}, "failurePolicy": {"constant": {"interval": "1m"}}})
        assert "failurePolicy" not in (await c.get(URL)).json()


async def test_trigger_posts_raw_data_to_job_route() -> None:
    """§9.4 pitfall 9: POST /job/{name}, body = data JSON, application/json, app token; 2xx/404/else."""
    app = ScriptedApp().on("POST", "/job/my-job", answer(500), answer(404))
    double = SidecarDouble(app=app, app_api_token="tok")
    async with double.client() as c:
        await c.post(URL, json={"schedule": "@every 1s", "data": "x"})
    first = await double.trigger_job("my-job")
    second = await double.trigger_job("my-job")
    assert (first.outcome, second.outcome) == ("failed", "not_found")
    req = app.seen[0]
    assert (req.body, req.headers["content-type"], req.headers["dapr-api-token"]) == (b'"x"', "application/json", "tok")


async def test_one_shot_job_is_gone_after_success() -> None:
    app = ScriptedApp().on("POST", "/job/my-job", answer(200))
    double = SidecarDouble(app=app)
    async with double.client() as c:
        await c.post(URL, json={"dueTime": "1s", "data": 123})
        assert (await double.trigger_job("my-job")).outcome == "success"
        assert app.seen[0].body == b"123"
        assert (await c.get(URL)).status_code == 500


@pytest.mark.parametrize(
    ("version", "delivered"), [("1.16", False), ("1.17", False), ("1.18.2", False), ("1.18.3", True)]
)
async def test_job_without_data_is_never_delivered_before_1183(version: str, delivered: bool) -> None:
    """§9.1/§17: always send data; without it the HTTP app never gets the job on 1.14-1.17 and 1.18.0-1.18.2."""
    app = ScriptedApp().on("POST", "/job/my-job", answer(200))
    double = SidecarDouble(app=app, dapr_version=version)
    async with double.client() as c:
        assert (await c.post(URL, json={"dueTime": "1s"})).status_code == 204
    if delivered:
        assert (await double.trigger_job("my-job")).outcome == "success"
    else:
        with pytest.raises(UndeliverableJobError):
            await double.trigger_job("my-job")
        assert app.seen == []


async def test_jobs_v1_route_only_on_118() -> None:
    for version, status in (("1.17", 404), ("1.18", 204)):
        async with SidecarDouble(dapr_version=version).client() as c:
            assert (await c.post("/v1.0/jobs/j", json={"dueTime": "1s", "data": {}})).status_code == status


async def test_job_name_with_slash_rejected() -> None:
    async with SidecarDouble().client() as c:
        r = await c.post("/v1.0-alpha1/jobs/bad%2Fname", json={"dueTime": "1s", "data": {}})
    assert (r.status_code, r.json()["errorCode"]) == (400, "DAPR_SCHEDULER_SCHEDULE_JOB")

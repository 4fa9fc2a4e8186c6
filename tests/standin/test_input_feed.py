"""Cron input bindings on the stand-in (tools/standin/input_feed.py): the schedule grammar of bindings.cron and the
pump posting a tick to the app's route as daprd does (references/dapr-contract.md §18.8)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path

import pytest

from skill.pipeline import generate
from skill.specs.service import ServiceSpec
from tests.sidecar import ScriptedApp, answer
from tools.standin import SidecarMesh
from tools.standin.flow import FlowLog
from tools.standin.input_feed import CronFeed, CronSchedule, ScheduleError, metadata
from tools.standin.processes import Console
from tools.standin.project import AppPlan
from tools.standin.run import Pump

T = dt.datetime(2026, 12, 5, 10, 29, 59, 500000, tzinfo=dt.UTC)  # a Saturday


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("@every 1s", T, dt.datetime(2026, 12, 5, 10, 30, 0, tzinfo=dt.UTC)),
        ("@every 1m30s", T, dt.datetime(2026, 12, 5, 10, 31, 29, tzinfo=dt.UTC)),
        ("@every 500ms", T, dt.datetime(2026, 12, 5, 10, 30, 0, tzinfo=dt.UTC)),  # at least a second
        ("0 30 * * * *", T, dt.datetime(2026, 12, 5, 10, 30, 0, tzinfo=dt.UTC)),
        ("*/15 * * * *", T, dt.datetime(2026, 12, 5, 10, 30, 0, tzinfo=dt.UTC)),  # 5 fields: seconds 0
        ("0 0 9-17 * * mon-fri", T, dt.datetime(2026, 12, 7, 9, 0, 0, tzinfo=dt.UTC)),
        ("@daily", T, dt.datetime(2026, 12, 6, 0, 0, 0, tzinfo=dt.UTC)),
        ("@monthly", T, dt.datetime(2027, 1, 1, 0, 0, 0, tzinfo=dt.UTC)),
        ("0 0 0 13 * 5", T, dt.datetime(2026, 12, 11, 0, 0, 0, tzinfo=dt.UTC)),  # the 13th or a Friday
        ("0 0 0 29 2 *", T, dt.datetime(2028, 2, 29, 0, 0, 0, tzinfo=dt.UTC)),
    ],
)
def test_next_fire_time(schedule: str, after: dt.datetime, expected: dt.datetime) -> None:
    assert CronSchedule.parse(schedule).next_after(after) == expected


@pytest.mark.parametrize("schedule", ["@often", "* * * *", "61 * * * * *", "*/0 * * * *", "@every 0s", "5-1 * * * *"])
def test_schedules_bindings_cron_refuses(schedule: str) -> None:
    with pytest.raises(ScheduleError):
        CronSchedule.parse(schedule)


def test_a_due_binding_fires_once_and_takes_its_next_time() -> None:
    feed = CronFeed()
    binding = feed.add("app", "tick", "/tick", "@every 10s", T)
    assert list(feed.due(T)) == []
    late = T + dt.timedelta(seconds=35)  # three ticks missed: one fire
    assert list(feed.due(late)) == [binding]
    assert binding.due == late.replace(microsecond=0) + dt.timedelta(seconds=10)
    feed.remove_app("app")
    assert list(feed.due(late + dt.timedelta(hours=1))) == []


def test_tick_metadata_as_go_prints_it() -> None:
    assert metadata(T) == {"timeZone": "Local", "readTimeUTC": "2026-12-05 10:29:59.500000000 +0000 UTC"}


@pytest.mark.anyio
async def test_the_pump_posts_a_tick_to_the_route_without_a_probe(tmp_path: Path) -> None:
    spec = ServiceSpec.model_validate(
        {"app_id": "ticker", "port": 8700,
         "bindings": [{"name": "tick", "source": {"kind": "cron", "schedule": "@every 1h"}}]}
    )  # fmt: skip
    out = io.StringIO()
    pump = Pump(SidecarMesh(), FlowLog(), Console(["ticker"], out))
    app = ScriptedApp().on("POST", "/tick", answer(200, {}))
    pump.mesh.add("ticker", app)
    pump.up(AppPlan("ticker", tmp_path, 8700, "app.main:app", "/healthz", frozenset(), spec))
    assert await pump.fire_cron() == 0  # not due for an hour
    (binding,) = pump.cron.bindings
    binding.due -= dt.timedelta(hours=2)
    assert await pump.step() == 1  # the pump's step fires what is due
    await pump.settle(within=10)  # each tick is posted by a task of its own (its retries may wait)
    (seen,) = app.seen  # no OPTIONS probe: the component says direction: input
    assert (seen.method, seen.path, seen.body) == ("POST", "/tick", b"")
    assert seen.headers["timezone"] == "Local"
    assert seen.headers["readtimeutc"].endswith(" +0000 UTC")
    assert "cron binding tick fired on ticker /tick: HTTP 200" in out.getvalue()
    assert [e["kind"] for e in pump.flow.since(0)] == ["input_binding"]
    pump.down("ticker")
    assert pump.cron.bindings == []


@pytest.mark.anyio
async def test_a_failed_tick_is_retried_under_the_bindings_inbound_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated Resiliency gives each input binding `binding-inbound` (500-599 retried 3 times, 2 s apart):
    daprd's sendBindingEventToApp retries under it; a 4xx is not retried."""
    raw = {"app_id": "ticker", "port": 8700,
           "bindings": [{"name": "tick", "source": {"kind": "cron", "schedule": "@every 1h"}}]}  # fmt: skip
    spec = ServiceSpec.model_validate(raw)
    resources = tmp_path / "resources"
    resources.mkdir()
    for f in generate("service", raw).files:
        if f.path.startswith("resources/local/"):
            (resources / Path(f.path).name).write_text(f.content, encoding="utf-8")
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def no_wait(delay: float) -> None:  # asyncio.sleep itself: settle()'s short polls still yield
        if delay >= 1:
            pauses.append(delay)
        await real_sleep(min(delay, 0.01))

    out = io.StringIO()
    pump = Pump(SidecarMesh(), FlowLog(), Console(["ticker"], out), resources=resources)
    app = ScriptedApp().on("POST", "/tick", answer(500), answer(503), answer(200, {}), answer(422))
    pump.mesh.add("ticker", app)
    pump.up(AppPlan("ticker", tmp_path, 8700, "app.main:app", "/healthz", frozenset(), spec))
    monkeypatch.setattr("tools.standin.run.asyncio.sleep", no_wait)
    (binding,) = pump.cron.bindings
    binding.due -= dt.timedelta(hours=2)
    assert await pump.fire_cron() == 1
    await pump.settle(within=10)
    assert len(app.seen) == 3
    assert pauses == [2.0, 2.0]
    assert "cron binding tick fired on ticker /tick: HTTP 500, 503, 200" in out.getvalue()
    binding.due -= dt.timedelta(hours=2)
    assert await pump.fire_cron() == 1
    await pump.settle(within=10)
    assert len(app.seen) == 4  # 422 is outside the policy's matching: not sent again
    assert "HTTP 422" in out.getvalue()
    pump.down("ticker")

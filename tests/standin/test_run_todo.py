"""The proof of issue 18, as a user would try it: `dapr-coder run` on a fresh todo system, no Dapr installed; a task
created with curl is listed, completing a recurring task creates the next instance, a reminder due in a few seconds
is logged as sent once, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.standin.conftest import Run, generate_project, listening, survivors

TASK_API = "http://127.0.0.1:8000"
PORTS = (8000, 8001, 8002)


def _curl(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """curl where it is installed (what the README's reader types), httpx otherwise."""
    if shutil.which("curl") is None:
        response = httpx.request(method, url, json=body, timeout=30)
        return response.status_code, response.json() if response.content else None
    args = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url]
    if body is not None:
        args += ["-H", "content-type: application/json", "-d", json.dumps(body)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout
    text, _, status = out.rpartition("\n")
    return int(status), json.loads(text) if text else None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _ids() -> list[str]:
    status, listed = _curl("GET", f"{TASK_API}/api/tasks")
    assert status == 200, listed
    items = listed["items"] if isinstance(listed, dict) else listed
    return sorted(t["id"] for t in items)


def _eventually(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.2)


@pytest.fixture
def todo(tmp_path: Path, start_run: Callable[..., Run]) -> Run:
    busy = [p for p in PORTS if listening(p)]
    if busy:
        pytest.fail(f"the todo system's ports {busy} are taken on this machine")
    folder = generate_project("todo-system", tmp_path / "todo")
    run = start_run(folder, "--no-page")
    for app in ("task-api", "recurring-task", "notification"):
        run.wait_for(f"{app} is up on")
    return run


def test_the_todo_system_runs_with_nothing_installed(todo: Run) -> None:
    now = dt.datetime.now(dt.UTC)
    base = {"user_id": "u-1", "created_at": _iso(now)}

    status, _ = _curl("POST", f"{TASK_API}/api/tasks", {**base, "id": "pay-rent", "title": "Pay rent"})
    assert status == 201
    assert "pay-rent" in _ids()

    due = (now + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    gym = {**base, "id": "gym", "title": "Gym", "due_at": _iso(due), "recurrence": {"frequency": "daily"}}
    assert _curl("POST", f"{TASK_API}/api/tasks", gym)[0] == 201
    assert _curl("POST", f"{TASK_API}/api/tasks/gym/complete")[0] == 200
    following = f"gym--{(due + dt.timedelta(days=1)).strftime('%Y%m%d%H%M')}"
    _eventually(lambda: following in _ids(), f"the next instance {following} of the recurring task")

    remind_at = now + dt.timedelta(seconds=4)
    call = {**base, "id": "call-mum", "title": "Call mum", "due_at": _iso(now + dt.timedelta(hours=1)),
            "remind_at": _iso(remind_at)}  # fmt: skip
    assert _curl("POST", f"{TASK_API}/api/tasks", call)[0] == 201
    sent = "reminder for u-1: task call-mum, at"  # the starter's logging notifier
    todo.wait_for(sent, timeout=30)
    time.sleep(6)  # the job's retries, if any, come 1 s apart by default: none may send it again
    log = todo.log()
    assert log.count(sent) == 1, log[-6000:]
    assert "job reminder-call-mum fired on notification" in log

    assert todo.interrupt() == 0
    assert todo.log().count("This is a STAND-IN for Dapr") == 1
    assert survivors(todo.folder) == []
    assert not any(listening(p) for p in PORTS)


# The apps listen on their specs' ports (8000-8002): two runs at once on two xdist workers would collide.
pytestmark = pytest.mark.usefixtures("app_ports")

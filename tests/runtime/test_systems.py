"""How a scenario test reads its system's outcomes from the background process (tests/runtime/systems.py), and
what it says when there are none. Needs no runtime: the process is stood in for by files and a finished child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime import environment, systems


@pytest.fixture
def run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "scenario-runs" / "run-under-test"
    folder.mkdir(parents=True)
    # Not the run's own folder, which the scenario tests of this very run read.
    monkeypatch.setattr(systems, "_run_folder", lambda: folder)
    return folder


def _ended_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_test_reads_the_outcomes_its_system_wrote(run_folder: Path) -> None:
    (run_folder / "systems.pid").write_text(str(_ended_pid()))
    (run_folder / "shop-redis.json").write_text(json.dumps({"create and read": None, "bad input refused": "why"}))
    assert systems.outcomes("shop", "redis") == {"create and read": None, "bad input refused": "why"}


def test_a_process_that_ended_without_the_outcomes_fails_the_test_with_its_log(run_folder: Path) -> None:
    (run_folder / "systems.pid").write_text(str(_ended_pid()))
    (run_folder / "systems.log").write_text("todo on redis: starting\nTraceback: the broker went away\n")
    with pytest.raises(AssertionError, match=r"(?s)ended without running todo on redis:\n.*the broker went away"):
        systems.outcomes(systems.TODO, "redis")


def test_without_a_process_a_test_fails_at_once_saying_so(run_folder: Path) -> None:
    with pytest.raises(AssertionError, match="no process runs this pytest run's systems"):
        systems.outcomes(systems.TODO, "redis")


def test_without_the_runtime_each_scenario_fails_with_the_reason(
    run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(environment, "load", lambda: "the real Dapr runtime is not set up")
    owner = os.getpid()  # alive: the process is not told to stop
    assert systems.main([str(run_folder), str(owner), "shop/redis", "todo/kafka"]) == 0
    shop = json.loads((run_folder / "shop-redis.json").read_text())
    todo = json.loads((run_folder / "todo-kafka.json").read_text())
    assert set(shop) == set(systems.scenario_names("shop", "redis"))
    assert set(todo) == set(systems.scenario_names(systems.TODO, "kafka"))
    assert set(shop.values()) | set(todo.values()) == {"the real Dapr runtime is not set up"}

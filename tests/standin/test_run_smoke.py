"""`dapr-coder run DIR --smoke`: exit 0 when every service answers as its contract says, 1 naming the service and
the route when a handler raises; and a bad folder is bad input (exit 2), with nothing started."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.standin.conftest import Run, generate_project, survivors
from tools.cli import main as cli


@pytest.mark.parametrize(
    "project",
    [
        "todo-system",
        "orders-pipeline",
        "kubernetes-only",
    ],
)
def test_smoke_passes_on_the_generated_projects(project: str, tmp_path: Path, start_run: Callable[..., Run]) -> None:
    folder = generate_project(project, tmp_path / project)
    run = start_run(folder, "--smoke", "--no-page")
    code = run.wait()
    log = run.log()
    assert code == 0, log[-6000:]
    assert "0 failed" in log
    assert log.count("This is a STAND-IN for Dapr") == 1
    assert survivors(folder) == []


def test_smoke_names_the_service_and_route_of_a_handler_that_raises(
    tmp_path: Path, start_run: Callable[..., Run]
) -> None:
    folder = generate_project("orders-pipeline", tmp_path / "orders")
    handlers = folder / "billing" / "app" / "handlers.py"
    text, found = re.subn(
        r"(async def on_orders\(.*\) -> None:\n)", r'\1    raise RuntimeError("made to fail")\n',
        handlers.read_text(encoding="utf-8"),
    )  # fmt: skip
    assert found == 1
    handlers.write_text(text, encoding="utf-8")
    run = start_run(folder, "--smoke", "--no-page")
    assert run.wait() == 1
    log = run.log()
    assert "FAIL billing: event pubsub/orders" in log, log[-6000:]
    assert "POST /events/pubsub/orders" in log
    assert "dead letter" in log
    assert survivors(folder) == []


def test_a_folder_without_a_record_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["run", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err
    assert ".dapr-coder/manifest.json" in err


# The apps listen on their specs' ports (8000-8002): two runs at once on two xdist workers would collide.
pytestmark = pytest.mark.usefixtures("app_ports")

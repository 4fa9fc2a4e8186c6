"""What regeneration cannot finish alone keeps failing, named, until the user acts: conflict markers left in a file
(generate and check exit 1 on every run, not only the first), a user module importing a name the new render no
longer defines (a renamed model), and `force`, which keeps each edit it replaces beside the file."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.doors._support import structured, text_of
from tests.regeneration.conftest import Widget
from tests.regeneration.test_mcp_regenerate import rooted
from tests.regeneration.test_regenerate import HANDLERS, SETTINGS, _edit, _run, _status, _text, _write
from tools._answer import Answer
from tools._update import _module_file

pytestmark = pytest.mark.usefixtures("widget")


@pytest.fixture
def out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "out"
    assert _write(capsys, folder)[0] == 0
    return folder


def _conflicted(out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    _edit(out, SETTINGS, 'GREETING = "Hello"', 'GREETING = "Howdy"')
    code, stdout, _ = _write(capsys, out, "--greeting", "Hi")
    assert (code, _status(stdout, out)[SETTINGS]) == (1, "conflict")
    return _text(out, SETTINGS)


def test_unresolved_markers_fail_every_run_until_resolved(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marked = _conflicted(out, capsys)
    for _ in range(2):  # the second run used to say "nothing new to merge" and exit 0
        code, stdout, err = _write(capsys, out, "--greeting", "Hi")
        assert code == 1
        assert _status(stdout, out)[SETTINGS] == "conflict"
        assert f"{out / SETTINGS} (1 conflict block(s) still unresolved: resolve them)" in stdout
        assert err == "dapr-coder: 1 file(s) need you (see 'conflict' above)\n"
        assert _text(out, SETTINGS) == marked  # never rewritten meanwhile
        code, stdout, _ = _run(capsys, "check", str(out))
        assert code == 1
        assert f"conflict {SETTINGS} (unresolved conflict markers: resolve them)" in stdout
        code, stdout, _ = _run(capsys, "check", str(out), "--json")
        assert json.loads(stdout)["edited"] == [{"path": SETTINGS, "state": "conflict"}]
    # Resolved by keeping the user's line: an edit like any other, merged and kept from now on.
    (out / SETTINGS).write_text(
        marked.split("<<<<<<< yours\n")[0] + 'GREETING = "Howdy"\n' + marked.split(">>>>>>> generated now\n")[1],
        encoding="utf-8",
    )
    code, stdout, _ = _write(capsys, out, "--greeting", "Hi")
    assert (code, _status(stdout, out)[SETTINGS]) == (0, "kept")
    assert _run(capsys, "check", str(out))[1].count("changed  widget/settings.py") == 1


@pytest.mark.anyio
async def test_the_mcp_door_keeps_reporting_unresolved_markers(
    out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _conflicted(out, capsys)
    async with rooted(tmp_path) as client:
        again = await client.call_tool("dapr_generate_widget", {"output_dir": "out", "greeting": "Hi"})
    assert not again.is_error
    assert text_of(again).startswith("widget: 1 file(s) (status conflict) need you")
    notes = Answer.model_validate(structured(again)).notes
    assert f"conflict {SETTINGS}: 1 conflict block(s) still unresolved: resolve them" in notes


@pytest.mark.parametrize("spelling", ["from widget.settings import name", "from .settings import name"])
def test_a_user_module_importing_a_renamed_definition_needs_the_user(
    out: Path, widget: Widget, capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    _edit(out, HANDLERS, '"""\n\n\nasync def', f'"""\n\n{spelling}\n\n\nasync def')
    mine = _text(out, HANDLERS)
    widget.release("settings.py", "def name() -> str:", "def title() -> str:")  # renamed, as a model can be
    code, stdout, err = _write(capsys, out)
    assert code == 1
    assert _status(stdout, out)[HANDLERS] == "conflict"
    assert "it imports what the generated code no longer defines: `name` from widget/settings.py" in stdout
    assert err == "dapr-coder: 1 file(s) need you (see 'conflict' above)\n"
    assert _text(out, HANDLERS) == mine  # still the user's file, never rewritten
    assert "def title()" in _text(out, SETTINGS)


def test_importing_what_is_still_defined_is_fine(out: Path, widget: Widget, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(
        out,
        HANDLERS,
        '"""\n\n\nasync def',
        '"""\n\nfrom widget import settings\nfrom widget.settings import describe\n\n\nasync def',
    )
    widget.release("settings.py", "def name() -> str:", "def title() -> str:")
    code, stdout, _ = _write(capsys, out)
    assert (code, _status(stdout, out)[HANDLERS]) == (0, "kept")


@pytest.mark.parametrize(
    ("importer", "statement", "module"),
    [
        ("app/handlers.py", "from app.events import Task", "app/events.py"),
        ("task-api/app/handlers.py", "from app.events import Task", "task-api/app/events.py"),
        ("task-api/app/handlers.py", "from .events import Task", "task-api/app/events.py"),
        ("task-api/app/sub/x.py", "from ..events import Task", "task-api/app/events.py"),
        ("task-api/app/handlers.py", "from app import events", None),  # a package: its names include submodules
        ("task-api/app/handlers.py", "from pydantic import BaseModel", None),
    ],
)
def test_the_imported_module_is_found_as_python_would(importer: str, statement: str, module: str | None) -> None:
    renders = {"app/events.py": "", "task-api/app/events.py": "", "task-api/app/__init__.py": ""}
    if not importer.startswith("task-api"):
        renders = {"app/events.py": ""}
    (node,) = ast.parse(statement).body
    assert isinstance(node, ast.ImportFrom)
    assert _module_file(importer, node, renders) == module


def test_a_deleted_file_says_exactly_what_force_does(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / "widget/app.py").unlink()
    _edit(out, SETTINGS, 'GREETING = "Hello"', 'GREETING = "Howdy"')
    mine = _text(out, SETTINGS)
    code, stdout, _ = _write(capsys, out)
    assert code == 0
    assert "generate with force to bring it back (force also replaces your edits in other generated files, " in stdout
    code, stdout, _ = _write(capsys, out, "--force")
    assert code == 0
    status = _status(stdout, out)
    assert (status["widget/app.py"], status[SETTINGS], status[f"{SETTINGS}.orig"]) == ("created", "updated", "created")
    assert _text(out, f"{SETTINGS}.orig") == mine

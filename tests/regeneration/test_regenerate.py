"""A tracked generator's folder through the CLI: the first write leaves a record, `check` reports the user's edits
and what regenerating would change, and regenerating merges instead of overwriting (tools/_update.py)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.regeneration.conftest import Widget
from tools.cli import main

pytestmark = pytest.mark.usefixtures("widget")

MANIFEST = Path(".dapr-coder/manifest.json")
BASE = Path(".dapr-coder/base.json")
SETTINGS = "widget/settings.py"
HANDLERS = "widget/handlers.py"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _write(capsys: pytest.CaptureFixture[str], folder: Path, *options: str) -> tuple[int, str, str]:
    return _run(capsys, "generate", "widget", "-o", str(folder), *options)


def _text(folder: Path, rel: str) -> str:
    return (folder / rel).read_text(encoding="utf-8")


def _edit(folder: Path, rel: str, old: str, new: str) -> None:
    text = _text(folder, rel)
    assert old in text, old
    (folder / rel).write_text(text.replace(old, new, 1), encoding="utf-8")


def _status(out: str, folder: Path) -> dict[str, str]:
    """`action path (note)` lines as {relative path: action}."""
    found = {}
    for line in out.splitlines():
        action, _, rest = line.partition(f" {folder}/")
        if rest:
            found[rest.split(" (")[0]] = action
    return found


@pytest.fixture
def out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "out"
    code, stdout, err = _write(capsys, folder)
    assert code == 0, err
    assert _status(stdout, folder) == {HANDLERS: "created", SETTINGS: "created", "widget/app.py": "created"}
    return folder


def test_the_first_write_leaves_a_manifest_and_the_pristine_render(out: Path) -> None:
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    base = json.loads((out / BASE).read_text(encoding="utf-8"))
    assert manifest["format"] == 1
    assert manifest["generator"] == "widget"
    assert manifest["spec"] == {}
    assert isinstance(manifest["skill_version"], str)
    assert set(manifest["files"]) == set(base) == {HANDLERS, SETTINGS, "widget/app.py"}
    for path, entry in manifest["files"].items():
        assert base[path] == _text(out, path)
        assert entry == {"sha256": hashlib.sha256(base[path].encode()).hexdigest(), "user_owned": path == HANDLERS}


def test_the_spec_is_recorded_as_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('{"greeting": "Hi"}', encoding="utf-8")
    code, _, err = _write(capsys, tmp_path / "out", "--spec", str(spec), "--retries", "5")
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["spec"] == {"greeting": "Hi", "retries": 5}


def test_a_fresh_folder_checks_clean(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, err = _run(capsys, "check", str(out))
    assert (code, err) == (0, "")
    assert "clean" in stdout
    code, stdout, _ = _run(capsys, "check", str(out), "--json")
    report = json.loads(stdout)
    assert (code, report["generator"], report["edited"], report["regenerate"]) == (0, "widget", [], [])


def test_regenerating_the_same_spec_changes_nothing(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    code, stdout, _ = _write(capsys, out)
    assert code == 0
    assert set(_status(stdout, out).values()) == {"unchanged"}
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_an_edit_to_a_generated_file_is_drift(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(out, SETTINGS, "RETRIES = 3\n", "RETRIES = 3\nTIMEOUT = 9\n")
    (out / "widget/app.py").unlink()
    code, stdout, _ = _run(capsys, "check", str(out))
    assert code == 1
    assert f"changed  {SETTINGS}" in stdout
    assert "deleted  widget/app.py" in stdout
    report = json.loads(_run(capsys, "check", str(out), "--json")[1])
    assert report["edited"] == [{"path": "widget/app.py", "state": "deleted"}, {"path": SETTINGS, "state": "changed"}]
    assert report["regenerate"] == []


def test_user_owned_files_are_never_drift(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(out, HANDLERS, "return payload", "return payload.upper()")
    assert _run(capsys, "check", str(out))[0] == 0
    (out / HANDLERS).unlink()
    assert _run(capsys, "check", str(out))[0] == 0


def test_a_changed_spec_keeps_the_users_edit(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(out, SETTINGS, '    return "widget"\n', '    return "widget"  # mine\n')
    code, stdout, err = _write(capsys, out, "--greeting", "Hi there")
    assert code == 0, err
    assert _status(stdout, out)[SETTINGS] == "merged"
    text = _text(out, SETTINGS)
    assert 'GREETING = "Hi there"' in text
    assert '    return "widget"  # mine\n' in text
    # The record holds the new render, so the edit is still reported, and the recorded spec is the new one.
    code, stdout, _ = _run(capsys, "check", str(out), "--json")
    report = json.loads(stdout)
    assert (code, report["edited"], report["regenerate"]) == (1, [{"path": SETTINGS, "state": "changed"}], [])
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["spec"] == {"greeting": "Hi there"}
    assert 'GREETING = "Hi there"' in json.loads((out / BASE).read_text(encoding="utf-8"))[SETTINGS]


def test_overlapping_edits_are_written_as_a_conflict_and_exit_1(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(out, SETTINGS, 'GREETING = "Hello"', 'GREETING = "Howdy"')
    code, stdout, err = _write(capsys, out, "--greeting", "Hi")
    assert code == 1
    assert err == "dapr-coder: 1 file(s) need you (see 'conflict' above)\n"
    assert _status(stdout, out)[SETTINGS] == "conflict"
    assert "resolve them" in stdout
    block = (
        '<<<<<<< yours\nGREETING = "Howdy"\n||||||| generated before\nGREETING = "Hello"\n=======\n'
        'GREETING = "Hi"\n>>>>>>> generated now\n'
    )
    assert block in _text(out, SETTINGS)
    assert _run(capsys, "check", str(out))[0] == 1  # the conflicted file is the user's edit until resolved
    # Resolved by hand to the new render: the folder is clean again.
    base = json.loads((out / BASE).read_text(encoding="utf-8"))
    (out / SETTINGS).write_text(base[SETTINGS], encoding="utf-8")
    assert _run(capsys, "check", str(out))[0] == 0


def test_the_handlers_edit_survives_regeneration_untouched(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(out, HANDLERS, "return payload", "return payload.upper()")
    mine = _text(out, HANDLERS)
    code, stdout, _ = _write(capsys, out, "--name", "gadget")  # the handlers template says the name: it changed
    assert code == 0
    assert _status(stdout, out)[HANDLERS] == "kept"
    assert _text(out, HANDLERS) == mine
    assert "gadget" in _text(out, SETTINGS)


def test_a_deleted_handlers_file_is_recreated(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / HANDLERS).unlink()
    code, stdout, _ = _write(capsys, out, "--name", "gadget")
    assert code == 0
    assert _status(stdout, out)[HANDLERS] == "created"
    assert "recreated" in stdout
    assert "Handle one gadget request." in _text(out, HANDLERS)


def test_a_deleted_generated_file_stays_deleted_unless_forced(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / "widget/app.py").unlink()
    code, stdout, _ = _write(capsys, out, "--greeting", "Hi")
    assert code == 0
    assert _status(stdout, out)["widget/app.py"] == "stays deleted"
    assert not (out / "widget/app.py").exists()
    assert _run(capsys, "check", str(out))[0] == 1
    code, stdout, _ = _write(capsys, out, "--greeting", "Hi", "--force")
    assert (code, _status(stdout, out)["widget/app.py"]) == (0, "created")
    assert _run(capsys, "check", str(out))[0] == 0


def test_force_replaces_edits_of_generated_files_never_handlers(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(out, SETTINGS, 'GREETING = "Hello"', 'GREETING = "Howdy"')
    _edit(out, HANDLERS, "return payload", "return payload.upper()")
    code, stdout, _ = _write(capsys, out, "--greeting", "Hi", "--force")
    assert code == 0
    assert _status(stdout, out) == {HANDLERS: "kept", SETTINGS: "updated", "widget/app.py": "unchanged"}
    assert "<<<<<<<" not in _text(out, SETTINGS)
    assert "payload.upper()" in _text(out, HANDLERS)


def test_a_file_no_longer_generated_is_removed_only_if_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, edited = tmp_path / "plain", tmp_path / "edited"
    for folder in (plain, edited):
        assert _write(capsys, folder, "--extra")[0] == 0
    _edit(edited, "widget/extra.py", "EXTRA = True\n", "EXTRA = True\nMINE = 1\n")
    code, stdout, _ = _write(capsys, plain)
    assert (code, _status(stdout, plain)["widget/extra.py"]) == (0, "removed")
    assert not (plain / "widget/extra.py").exists()
    code, stdout, _ = _write(capsys, edited)
    assert (code, _status(stdout, edited)["widget/extra.py"]) == (0, "kept")
    assert "MINE = 1" in _text(edited, "widget/extra.py")
    assert "widget/extra.py" not in json.loads((edited / MANIFEST).read_text(encoding="utf-8"))["files"]


def test_a_new_file_where_the_user_has_one_is_merged_with_markers(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "widget/extra.py").write_text("MINE = 1\n", encoding="utf-8")
    code, stdout, _ = _write(capsys, out, "--extra")
    assert code == 1
    assert _status(stdout, out)["widget/extra.py"] == "conflict"
    text = _text(out, "widget/extra.py")
    assert text.startswith("<<<<<<< yours\nMINE = 1\n||||||| generated before\n=======\n")
    assert text.endswith("EXTRA = True\n>>>>>>> generated now\n")


def test_a_newer_generator_is_drift_and_its_change_merges(
    out: Path, capsys: pytest.CaptureFixture[str], widget: Widget
) -> None:
    _edit(out, SETTINGS, '    return "widget"\n', '    return "widget"  # mine\n')
    widget.release("settings.py", '    """What the widget says."""\n', '    """What the widget says, in full."""\n')
    code, stdout, _ = _run(capsys, "check", str(out), "--json")
    report = json.loads(stdout)
    assert code == 1
    assert report["edited"] == [{"path": SETTINGS, "state": "changed"}]
    assert report["regenerate"] == [{"path": SETTINGS, "state": "changed"}]
    code, stdout, _ = _write(capsys, out)
    assert (code, _status(stdout, out)[SETTINGS]) == (0, "merged")
    text = _text(out, SETTINGS)
    assert "in full" in text
    assert "# mine" in text


def test_check_against_another_spec(out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text('greeting = "Hi"\nextra = true\n', encoding="utf-8")
    code, stdout, _ = _run(capsys, "check", str(out), "--spec", str(spec))
    assert code == 1
    assert "regenerating from the given spec would:" in stdout
    assert f"change   {SETTINGS}" in stdout
    assert "add      widget/extra.py" in stdout


def test_without_a_manifest_files_in_the_way_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "out"
    (folder / "widget").mkdir(parents=True)
    (folder / SETTINGS).write_text("MINE = 1\n", encoding="utf-8")
    code, stdout, err = _write(capsys, folder)
    assert (code, stdout) == (2, "")
    assert f"would overwrite files with different content: {folder / SETTINGS}" in err
    assert sorted(p.name for p in folder.rglob("*")) == ["settings.py", "widget"]
    code, stdout, _ = _write(capsys, folder, "--force")
    assert (code, _status(stdout, folder)[SETTINGS]) == (0, "updated")
    assert (folder / MANIFEST).is_file()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "must hold a JSON object"),
        ('{"format": 2}', "format 2 is not one this version reads"),
        ('{"format": 1, "generator": "widget"}', "skill_version: Field required"),
    ],
)
def test_a_broken_manifest_is_bad_input_naming_the_file(
    out: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    (out / MANIFEST).write_text(text, encoding="utf-8")
    for argv in (["check", str(out)], ["generate", "widget", "-o", str(out)]):
        code, stdout, err = _run(capsys, *argv)
        assert (code, stdout) == (2, "")
        assert err.startswith(f"dapr-coder: {out / MANIFEST}: ")
        assert problem in err


def test_a_manifest_path_outside_the_folder_is_refused(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["../elsewhere.py"] = manifest["files"].pop(SETTINGS)
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    code, _, err = _run(capsys, "check", str(out))
    assert code == 2
    assert "'../elsewhere.py' must be a plain relative" in err


def test_a_base_that_disagrees_with_the_manifest_is_bad_input(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = json.loads((out / BASE).read_text(encoding="utf-8"))
    base[SETTINGS] += "# tampered\n"
    (out / BASE).write_text(json.dumps(base), encoding="utf-8")
    code, _, err = _run(capsys, "check", str(out))
    assert code == 2
    assert f"{out / BASE}: {SETTINGS} does not have the sha256" in err
    (out / BASE).unlink()
    code, _, err = _run(capsys, "generate", "widget", "-o", str(out))
    assert code == 2
    assert f"{out / BASE}: is missing" in err


def test_no_manifest_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, err = _run(capsys, "check", str(tmp_path))
    assert (code, stdout) == (2, "")
    assert f"{tmp_path}: was not generated by a tracked generator (no {MANIFEST})" in err


def test_an_unknown_generator_in_the_manifest_is_bad_input(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["generator"] = "gizmo"
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    code, _, err = _run(capsys, "check", str(out))
    assert code == 2
    assert f"{out / MANIFEST}: generator: 'gizmo' is not a generator; known generators:" in err
    code, _, err = _run(capsys, "generate", "widget", "-o", str(out))
    assert code == 2
    assert "the folder was generated by 'gizmo', not 'widget'" in err


def test_an_invalid_recorded_spec_names_the_field(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["spec"] = {"name": "not a name"}
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    code, _, err = _run(capsys, "check", str(out))
    assert code == 2
    assert "name: must be a Python identifier" in err


def test_a_failed_update_leaves_every_file_as_it_was(
    out: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _edit(out, SETTINGS, '    return "widget"\n', '    return "widget"  # mine\n')
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real_replace = os.replace
    calls = []

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(dst)
        if len(calls) == 1:  # the first rename: nothing may have moved yet
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    code, _, err = _write(capsys, out, "--greeting", "Hi", "--name", "gadget")
    assert code == 2
    assert "No space left on device" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # no temporary file left either


def test_a_crlf_checkout_is_as_generated_and_keeps_its_line_endings(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in (SETTINGS, "widget/app.py"):
        (out / path).write_bytes(_text(out, path).replace("\n", "\r\n").encode())
    assert _run(capsys, "check", str(out))[0] == 0
    code, stdout, _ = _write(capsys, out, "--greeting", "Hi")
    assert (code, _status(stdout, out)) == (
        0,
        {HANDLERS: "unchanged", SETTINGS: "updated", "widget/app.py": "unchanged"},
    )
    data = (out / SETTINGS).read_bytes()
    assert b'GREETING = "Hi"\r\n' in data
    assert data.count(b"\r\n") == data.count(b"\n")
    data = data.replace(b'    return "widget"\r\n', b'    return "widget"  # mine\r\n')
    (out / SETTINGS).write_bytes(data)
    code, stdout, _ = _write(capsys, out, "--greeting", "Hey")
    assert (code, _status(stdout, out)[SETTINGS]) == (0, "merged")
    data = (out / SETTINGS).read_bytes()
    assert b'GREETING = "Hey"\r\n' in data
    assert b"# mine\r\n" in data
    assert data.count(b"\r\n") == data.count(b"\n")


def test_a_file_that_is_not_utf8_is_left_alone(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / SETTINGS).write_bytes(b"\xff\xfe binary\n")
    code, stdout, _ = _write(capsys, out, "--greeting", "Hi")
    assert (code, _status(stdout, out)[SETTINGS]) == (0, "kept")
    assert "not a UTF-8 text file" in stdout
    assert (out / SETTINGS).read_bytes() == b"\xff\xfe binary\n"
    assert _run(capsys, "check", str(out))[0] == 1


def test_json_output_keeps_the_result_on_stdout(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, err = _write(capsys, out, "--greeting", "Hi", "--json")
    assert code == 0
    payload = json.loads(stdout)
    assert payload["kind"] == "widget"
    owned = {f["path"]: f.get("user_owned", False) for f in payload["files"]}
    assert owned == {HANDLERS: True, SETTINGS: False, "widget/app.py": False}
    assert "user_owned" not in next(f for f in payload["files"] if f["path"] == SETTINGS)  # left out when false
    assert f"updated {out / SETTINGS}" in err

"""Hostile input to the CLI ends in exit 2 and a message naming the option and the rule, never a traceback, and the
message stays small whatever the input (issue 7, items 5, 9, 10 and 11)."""

from __future__ import annotations

import io
import json
import socket
import sys
from pathlib import Path

import pytest

from tools._present import MAX_PROBLEMS_SHOWN
from tools.cli import main

ANY = "0.0.0.0"  # noqa: S104 - nothing is bound: each case is refused before the socket is made


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _argparse_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as caught:
        main(list(argv))
    assert caught.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    return err


# --- --spec files --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw"), [("spec.json", b'{"class_name": "Caf\xe9"}'), ("spec.toml", b'class_name = "Caf\xe9"\n')]
)
def test_a_spec_file_that_is_not_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, raw: bytes
) -> None:
    spec = tmp_path / name
    spec.write_bytes(raw)
    code, out, err = _run(capsys, "generate", "client", "--spec", str(spec))
    assert (code, out) == (2, "")
    offset = raw.index(b"\xe9")
    assert err == f"dapr-coder: --spec: {spec} must be UTF-8 text (byte 0xe9 at offset {offset} is not)\n"


def test_a_spec_on_stdin_that_is_not_utf8(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'{"class_name": "\xff"}'), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, err = _run(capsys, "generate", "client", "--spec", "-")
    assert (code, out) == (2, "")
    assert "--spec: - must be UTF-8 text (byte 0xff at offset 16 is not)" in err


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", '{"blocks": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("deep.toml", "blocks = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("deep-table.toml", "blocks = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n"),
    ],
)
def test_a_spec_nested_too_deeply(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str) -> None:
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    code, out, err = _run(capsys, "generate", "client", "--spec", str(spec))
    assert (code, out) == (2, "")
    assert err == f"dapr-coder: --spec: {spec} is nested too deeply to be a spec\n"


@pytest.mark.parametrize("depth", [50, 500, 900])
def test_a_spec_nested_deep_but_parseable_is_a_field_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    spec = tmp_path / "deep.json"
    spec.write_text('{"blocks": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    code, out, err = _run(capsys, "generate", "client", "--spec", str(spec))
    assert (code, out) == (2, "")
    assert "blocks.0: Input should be" in err


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"max_retries": 1, "max_retries": 5}', "max_retries"),
        ('{"blocks": ["state"], "class_name": "A", "class_name": "B"}', "class_name"),
        ('{"nested": {"a": 1, "a": 2}}', "a"),
    ],
)
def test_a_json_spec_with_a_key_given_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str
) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(text, encoding="utf-8")
    code, out, err = _run(capsys, "generate", "client", "--spec", str(spec))
    assert (code, out) == (2, "")
    assert (
        err
        == f"dapr-coder: --spec: {spec}: the key {key!r} appears more than once in one object; give each option once\n"
    )


def test_a_toml_spec_with_a_key_given_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text("max_retries = 1\nmax_retries = 5\n", encoding="utf-8")
    code, out, err = _run(capsys, "generate", "client", "--spec", str(spec))
    assert (code, out) == (2, "")
    assert f"--spec: {spec} is not valid TOML" in err


# --- bounded error messages ------------------------------------------------------------------------------------


def test_thousands_of_bad_keys_get_a_short_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.json"
    unknown = {f"option_{i}": "x" * 1000 for i in range(5000)}
    spec.write_text(json.dumps({**unknown, "a" * 100_000: 1, "transport": "grpc"}), encoding="utf-8")
    code, out, err = _run(capsys, "generate", "client", "--spec", str(spec))
    assert (code, out) == (2, "")
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == MAX_PROBLEMS_SHOWN
    assert f"  ... and {5002 - MAX_PROBLEMS_SHOWN} more problems not shown" in err
    assert len(err) < 10_000  # the spec was over 5 MB


# --- dapr-coder mcp ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http", "65536"])
def test_mcp_port_out_of_range(capsys: pytest.CaptureFixture[str], port: str) -> None:
    err = _argparse_error(capsys, "mcp", "--http", "--port", port)
    assert f"argument --port: must be an integer from 1 to 65535 (got {port!r})" in err


def test_mcp_port_in_use_is_bad_input_before_serving(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = _run(capsys, "mcp", "--http", "--port", str(port))
    assert (code, out) == (2, "")
    assert err.startswith(f"dapr-coder: --port: cannot listen on 127.0.0.1:{port}: ")
    assert "in use" in err
    assert "serving" not in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--host", ANY], "--host: 0.0.0.0 is not a loopback address; serving the tools beyond this machine"),
        (["--host", "::"], "--host: :: is not a loopback address"),
        (["--host", "my-host.example"], "--host: my-host.example is not a loopback address"),
        (["--host", ANY, "--allow-remote"], "--allow-remote: binding 0.0.0.0 also needs --allowed-host NAME"),
        (["--host", ANY, "--allow-remote", "--allowed-host", "a b"], "--allowed-host: must be a host name"),
        (
            ["--host", ANY, "--allow-remote", "--auth-token-env", "DAPR_CODER_NO_SUCH_VAR"],
            "DAPR_CODER_NO_SUCH_VAR is not set",
        ),
        (
            ["--auth-token-env", "DAPR_CODER_TEST_SHORT_TOKEN"],
            "--auth-token-env: $DAPR_CODER_TEST_SHORT_TOKEN must hold at least 16",
        ),
    ],
)
def test_mcp_http_exposure_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], needle: str
) -> None:
    monkeypatch.delenv("DAPR_CODER_NO_SUCH_VAR", raising=False)
    monkeypatch.setenv("DAPR_CODER_TEST_SHORT_TOKEN", "short")
    code, out, err = _run(capsys, "mcp", "--http", *argv)
    assert (code, out) == (2, "")
    assert needle in err


@pytest.mark.parametrize("flag", [["--allow-remote"], ["--allowed-host", "x"], ["--auth-token-env", "X"]])
def test_mcp_http_flags_without_http(capsys: pytest.CaptureFixture[str], flag: list[str]) -> None:
    code, out, err = _run(capsys, "mcp", *flag)
    assert (code, out) == (2, "")
    assert "only apply with --http" in err

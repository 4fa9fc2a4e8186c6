"""The CLI and the MCP server are two doors onto one registry: same generators, same results, same errors, and
SKILL.md names only what exists."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from skill import REGISTRY, Generator
from tests.doors._support import connected, structured, text_of
from tools._mcp_tools import TOOL_NAMES_BROWSE
from tools.cli import main

ROOT = Path(__file__).resolve().parents[2]
# A non-default spec per generator where one is worth checking; generators without an entry use their defaults.
SAMPLE_SPECS: dict[str, dict[str, Any]] = {
    "client": {"blocks": ["state", "pubsub", "jobs"], "dapr_version": "1.18", "module": "orders_dapr"},
}
CASES: list[tuple[Generator, dict[str, Any]]] = [(g, {}) for g in REGISTRY.values()]
CASES += [(REGISTRY[n], s) for n, s in SAMPLE_SPECS.items() if n in REGISTRY]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _same_output(cli: dict[str, Any], mcp: dict[str, Any], mcp_text: str) -> None:
    """The CLI's full Result against the MCP answer, which names each file (lines, sha256) and carries its content
    once, in the text (these specs are under the inline budget or their files are checked by hash)."""
    for key in ("kind", "requirements", "notes"):
        assert cli[key] == mcp[key], key
    assert [f["path"] for f in cli["files"]] == [f["path"] for f in mcp["files"]]
    for f, entry in zip(cli["files"], mcp["files"], strict=True):
        assert entry["sha256"] == hashlib.sha256(f["content"].encode()).hexdigest(), f["path"]
        if "resource" not in entry:
            assert f["content"] in mcp_text


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("generator", "spec"), CASES, ids=[f"{g.name}-{'custom' if s else 'defaults'}" for g, s in CASES]
)
async def test_cli_and_mcp_give_the_same_result(
    generator: Generator, spec: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    code, out, err = _cli(capsys, "generate", generator.name, "--json", "--spec", str(spec_file))
    assert code == 0, err
    async with connected() as client:
        result = await client.call_tool(generator.tool_name, spec)
    _same_output(json.loads(out), structured(result), text_of(result))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("generator", "spec"), CASES, ids=[f"{g.name}-{'custom' if s else 'defaults'}" for g, s in CASES]
)
async def test_cli_o_and_mcp_output_dir_write_the_same_bytes(
    generator: Generator,
    spec: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    code, _, err = _cli(capsys, "generate", generator.name, "--spec", str(spec_file), "-o", str(tmp_path / "cli"))
    assert code == 0, err
    monkeypatch.chdir(tmp_path)  # a client without roots may write under the working directory
    async with connected() as client:
        result = await client.call_tool(generator.tool_name, {**spec, "output_dir": "mcp"})
    assert not result.is_error, text_of(result)
    cli_files = sorted(p.relative_to(tmp_path / "cli") for p in (tmp_path / "cli").rglob("*") if p.is_file())
    mcp_files = sorted(p.relative_to(tmp_path / "mcp") for p in (tmp_path / "mcp").rglob("*") if p.is_file())
    assert cli_files == mcp_files
    for rel in cli_files:  # same bytes, both in the destination's style (line-length 100)
        assert (tmp_path / "cli" / rel).read_bytes() == (tmp_path / "mcp" / rel).read_bytes(), rel


@pytest.mark.anyio
async def test_bad_input_gives_the_same_problems_through_both_doors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {"timeout_seconds": 0, "transport": "grpc", "colour": "red"}
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    code, out, err = _cli(capsys, "generate", "client", "--spec", str(spec_file))
    assert (code, out) == (2, "")
    async with connected() as client:
        result = await client.call_tool("dapr_generate_client", spec)
    assert result.is_error

    def fields(text: str) -> set[str]:
        return set(re.findall(r"^  - ([\w.]+):", text, flags=re.MULTILINE))

    assert fields(err) == fields(text_of(result)) == {"timeout_seconds", "transport", "colour"}
    for line in err.splitlines():  # each value problem reads the same through both doors
        if line.startswith("  - ") and not line.startswith("  - colour"):
            assert line in text_of(result)


@pytest.mark.anyio
async def test_registry_cli_and_mcp_list_the_same_generators(capsys: pytest.CaptureFixture[str]) -> None:
    async with connected() as client:
        tools = {t.name for t in (await client.list_tools()).tools}
    assert tools == {g.tool_name for g in REGISTRY.values()} | set(TOOL_NAMES_BROWSE)
    for name in REGISTRY:
        with pytest.raises(SystemExit) as caught:
            main(["generate", name, "--help"])
        assert caught.value.code == 0
        assert f"dapr-coder generate {name}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as caught:
        main(["generate", "no-such-generator"])
    assert caught.value.code == 2
    capsys.readouterr()


def _mentioned_tools(text: str) -> set[str]:
    return set(re.findall(r"\bdapr_(?:generate|list|show)_[a-z_]+\b", text))


def _skill_texts() -> dict[str, str]:
    paths = [ROOT / "SKILL.md", *sorted((ROOT / "references").glob("*.md"))]
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in paths}


@pytest.mark.anyio
async def test_tools_named_in_the_skill_exist() -> None:
    async with connected() as client:
        tools = {t.name for t in (await client.list_tools()).tools}
    for name, text in _skill_texts().items():
        assert _mentioned_tools(text) <= tools, (name, _mentioned_tools(text) - tools)
        for generator in re.findall(r"dapr-coder generate ([a-z_]+)", text):
            if generator not in {"NAME"}:
                assert generator in REGISTRY, (name, generator)


def test_skill_names_every_tool() -> None:
    # A new generator is not done until SKILL.md tells the agent when to use it.
    skill_md = (ROOT / "SKILL.md").read_text(encoding="utf-8")
    missing = {g.tool_name for g in REGISTRY.values()} | set(TOOL_NAMES_BROWSE)
    assert missing - _mentioned_tools(skill_md) == set()


@pytest.mark.anyio
async def test_browsing_is_the_same_through_both_doors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "list", "--json")
    assert code == 0, err
    catalog = json.loads(out)
    async with connected() as client:
        assert structured(await client.call_tool("dapr_list_snippets", {})) == catalog
        for snippet in catalog["snippets"]:
            code, out, err = _cli(capsys, "show", snippet["id"], "--json")
            assert code == 0, err
            cli = json.loads(out)
            mcp = structured(await client.call_tool("dapr_show_snippet", {"id": snippet["id"]}))
            assert {k: v for k, v in mcp.items() if k not in ("part", "chars")} == {
                k: v for k, v in cli.items() if k not in ("source", "rendered")
            }
            code, raw, err = _cli(capsys, "show", snippet["id"], "--raw")
            assert code == 0, err
            template = await client.call_tool("dapr_show_snippet", {"id": snippet["id"], "part": "template"})
            if "resource" not in structured(template):
                assert raw in text_of(template)

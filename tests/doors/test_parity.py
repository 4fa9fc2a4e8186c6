"""The CLI and the MCP server are two doors onto one registry: same generators, same results, same errors, and
SKILL.md names only what exists."""

from __future__ import annotations

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


def _same_output(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in ("kind", "files", "requirements", "notes"):
        assert a[key] == b[key], key


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
        mcp = structured(await client.call_tool(generator.tool_name, spec))
    _same_output(json.loads(out), mcp)


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
            mcp = structured(await client.call_tool("dapr_show_snippet", {"id": snippet["id"]}))
            assert mcp == json.loads(out)

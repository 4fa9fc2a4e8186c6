"""The MCP door writes a tracked generator's folder through the same update as the CLI: an edit is merged, an
overlap is written with markers and the answer says so first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp_types import ListRootsResult, Root

import skill.registry
from tests.doors._support import structured, text_of
from tools._answer import Answer
from tools.mcp_server import build_server

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("widget")]

SETTINGS = "widget/settings.py"


@asynccontextmanager
async def rooted(root: Path) -> AsyncIterator[Client]:
    async def list_roots(context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(roots=[Root.model_validate({"uri": root.as_uri()})])

    async with Client(build_server(skill.registry.REGISTRY), list_roots_callback=list_roots) as client:
        yield client


def _statuses(answer: Answer) -> dict[str, str | None]:
    return {f.path: f.status for f in answer.files}


async def test_the_mcp_door_merges_and_reports_conflicts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    settings = out / SETTINGS
    async with rooted(tmp_path) as client:
        first = Answer.model_validate(structured(await client.call_tool("dapr_generate_widget", {"output_dir": "out"})))
        assert set(_statuses(first).values()) == {"created"}
        assert (out / ".dapr-coder" / "manifest.json").is_file()

        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace('    return "widget"\n', '    return "widget"  # mine\n'), encoding="utf-8")
        merged = await client.call_tool("dapr_generate_widget", {"output_dir": "out", "greeting": "Hi"})
        assert _statuses(Answer.model_validate(structured(merged)))[str(settings)] == "merged"
        assert "# mine" in settings.read_text(encoding="utf-8")
        assert "conflict" not in text_of(merged)

        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace('GREETING = "Hi"', 'GREETING = "Howdy"'), encoding="utf-8")
        clash = await client.call_tool("dapr_generate_widget", {"output_dir": "out", "greeting": "Hey", "extra": True})
        answer = Answer.model_validate(structured(clash))
        assert not clash.is_error
        assert _statuses(answer)[str(settings)] == "conflict"
        assert text_of(clash).startswith("widget: 1 file(s) (status conflict) need you: conflict markers")
        assert "<<<<<<< yours" in settings.read_text(encoding="utf-8")

        removed = await client.call_tool("dapr_generate_widget", {"output_dir": "out", "greeting": "Hey"})
        assert "removed widget/extra.py: no longer generated" in Answer.model_validate(structured(removed)).notes

        (out / ".dapr-coder" / "manifest.json").write_text("{", encoding="utf-8")
        broken = await client.call_tool("dapr_generate_widget", {"output_dir": "out"})
        assert broken.is_error
        assert f"output_dir: {out / '.dapr-coder' / 'manifest.json'}: is not valid JSON" in text_of(broken)

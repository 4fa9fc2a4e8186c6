"""Generators that write into the workspace (issue 9), through the SDK's in-memory client declaring roots: files land
inside a root, every way out of it is refused, an edited file is kept unless `force`, a client without roots writes
under the working directory only; answers stay within their budgets; tool definitions stay small."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp_types import ListRootsResult, Root

from skill import REGISTRY, Generator, find_style, generate
from skill.outline import outline
from tests.doors._support import connected, server, structured, text_of
from tools._answer import INLINE_BUDGET, WRITTEN_BUDGET, Answer, written_answer, written_budget

pytestmark = pytest.mark.anyio

# measured 12,787, then 13,094 with output bindings, CRUD operations and invocation callers (22,144 when issue 16
# was filed)
TOOLS_LIST_BUDGET = 13_200
# Every generator with its defaults and each of its examples: the sizes are deterministic.
CASES: list[tuple[Generator, str, dict[str, Any]]] = [
    (g, label, dict(spec)) for g in REGISTRY.values() for label, spec in [("defaults", {}), *g.examples.items()]
]
CASE_IDS = [f"{g.name}-{label}" for g, label, _ in CASES]


@asynccontextmanager
async def rooted(*roots: Path) -> AsyncIterator[Client]:
    """An in-memory client that declares `roots` (answering roots/list with their file:// URIs)."""

    async def list_roots(context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(roots=[Root.model_validate({"uri": r.as_uri()}) for r in roots])

    async with Client(server(), list_roots_callback=list_roots) as client:
        yield client


def _read(path: str) -> str:  # tests are async (the client is); the files are small
    return Path(path).read_text(encoding="utf-8")


def _exists(path: str) -> bool:
    return Path(path).is_file() or Path(path).exists()


def _sizes(result: Any) -> tuple[int, int]:
    """What the agent reads: the text, and the structured content as JSON (counted separately)."""
    return len(text_of(result)), len(json.dumps(structured(result), separators=(",", ":")))


async def test_files_land_inside_the_root_with_paths_hashes_and_outline(tmp_path: Path) -> None:
    async with rooted(tmp_path) as client:
        result = await client.call_tool("dapr_generate_models", {"output_dir": "svc/app"})
    answer = Answer.model_validate(structured(result))
    expected = generate("models", style=find_style(tmp_path / "svc" / "app"))
    assert [f.path for f in answer.files] == [str(tmp_path / "svc" / "app" / f.path) for f in expected.files]
    for entry, f in zip(answer.files, expected.files, strict=True):
        written = _read(entry.path)
        assert written == f.content
        assert entry.sha256 == hashlib.sha256(f.content.encode()).hexdigest()
        assert entry.status == "wrote"
        assert entry.path in text_of(result)
    assert answer.requirements == expected.requirements
    assert answer.notes == expected.notes
    # The outline names every public symbol the engine's outline finds, with its signature.
    symbols = [s for fo in outline([(f.path, f.content) for f in expected.files]) for s in fo.symbols]
    for s in symbols:
        short = s.name.rpartition(".")[2]
        assert any(short in line for line in answer.outline), s.name
    first_function = next(s for s in symbols if s.kind in ("function", "method", "async method"))
    assert any(first_function.signature in line for line in answer.outline)


async def test_the_same_call_again_leaves_the_files_unchanged(tmp_path: Path) -> None:
    async with rooted(tmp_path) as client:
        await client.call_tool("dapr_generate_client", {"output_dir": "out"})
        again = Answer.model_validate(structured(await client.call_tool("dapr_generate_client", {"output_dir": "out"})))
    assert [f.status for f in again.files] == ["unchanged"]


async def test_an_edited_file_is_kept_unless_force(tmp_path: Path) -> None:
    target = tmp_path / "out" / "dapr_client.py"
    async with rooted(tmp_path) as client:
        await client.call_tool("dapr_generate_client", {"output_dir": "out"})
        target.write_text("# my edit\n", encoding="utf-8")
        refused = await client.call_tool("dapr_generate_client", {"output_dir": "out"})
        assert refused.is_error
        assert str(target) in text_of(refused)
        assert "force" in text_of(refused)
        assert target.read_text(encoding="utf-8") == "# my edit\n"
        forced = await client.call_tool("dapr_generate_client", {"output_dir": "out", "force": True})
    assert not forced.is_error, text_of(forced)
    assert target.read_text(encoding="utf-8") == generate("client", style=find_style(target.parent)).files[0].content


@pytest.mark.parametrize("where", ["sibling", "dotdot", "absolute", "symlinked-folder", "symlinked-file"])
async def test_every_way_out_of_the_root_is_refused(tmp_path: Path, where: str) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    output_dir = {"sibling": str(outside), "dotdot": "../outside", "absolute": "/etc/dapr-coder-test"}.get(where, "")
    if where == "symlinked-folder":
        (root / "link").symlink_to(outside, target_is_directory=True)
        output_dir = "link"
    if where == "symlinked-file":  # the folder is inside; the file in it points out
        (root / "out").mkdir()
        (root / "out" / "dapr_client.py").symlink_to(outside / "victim.py")
        output_dir = "out"
    async with rooted(root) as client:
        result = await client.call_tool("dapr_generate_client", {"output_dir": output_dir})
    assert result.is_error
    message = text_of(result)
    assert message.startswith("Error executing tool dapr_generate_client: output_dir:")
    if where != "symlinked-file":
        assert str(root) in message  # names the allowed roots
    assert list(outside.iterdir()) == []
    assert not _exists("/etc/dapr-coder-test")


async def test_a_second_root_may_be_written_by_absolute_path(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    async with rooted(first, second) as client:
        result = await client.call_tool("dapr_generate_client", {"output_dir": str(second / "pkg")})
    assert not result.is_error, text_of(result)
    assert (second / "pkg" / "dapr_client.py").is_file()
    assert list(first.iterdir()) == []


async def test_a_client_without_roots_writes_under_the_working_directory_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(work)
    async with connected() as client:  # declares no roots
        ok = await client.call_tool("dapr_generate_client", {"output_dir": "gen"})
        refused = await client.call_tool("dapr_generate_client", {"output_dir": str(elsewhere)})
    assert not ok.is_error, text_of(ok)
    assert (work / "gen" / "dapr_client.py").is_file()
    assert refused.is_error
    assert str(work) in text_of(refused)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("bad", ["", "   ", 5, "a\0b"])
async def test_a_bad_output_dir_is_the_callers_error(bad: object) -> None:
    async with connected() as client:
        result = await client.call_tool("dapr_generate_client", {"output_dir": bad})
    assert result.is_error
    assert "output_dir: must be a folder path" in text_of(result)


async def test_output_dir_and_force_are_not_spec_options() -> None:
    for g in REGISTRY.values():
        assert not {"output_dir", "force"} & set(g.spec.model_fields), g.name


@pytest.mark.parametrize(("generator", "label", "spec"), CASES, ids=CASE_IDS)
async def test_written_answers_stay_within_budget(
    generator: Generator, label: str, spec: dict[str, Any], tmp_path: Path
) -> None:
    # A long root makes the absolute paths long, as in a real workspace.
    root = tmp_path / "home" / "someone" / "projects" / "a-rather-long-project-name"
    root.mkdir(parents=True)
    async with rooted(root) as client:
        result = await client.call_tool(generator.tool_name, {**spec, "output_dir": "services/app"})
    assert not result.is_error, text_of(result)
    text, data = _sizes(result)
    budget = written_budget(generator.name)
    assert text <= budget, (label, text)
    assert data <= budget, (label, data)
    answer = Answer.model_validate(structured(result))
    # Absolute paths, or (many files under a long folder) the folder once and paths relative to it.
    assert all(_exists(os.path.join(answer.folder or "/", f.path)) for f in answer.files)
    assert all(Path(f.path).is_absolute() is (answer.folder is None) for f in answer.files)
    expected = generate(generator.name, spec)
    _check_every_file_is_accounted_for(answer, str(root / "services" / "app"), [f.path for f in expected.files])
    python = [f.path for f in expected.files if f.language == "python"]
    if python:
        assert answer.outline, "Python output comes with its API outline"
    # Each Python file with a public API is named in the outline, whatever else gave way.
    for path in python:
        if any(s for fo in outline([(path, expected.file(path).content)]) for s in fo.symbols):
            assert any(line.startswith(f"{path}:") for line in answer.outline), (label, path)


def _check_every_file_is_accounted_for(answer: Answer, base: str, paths: list[str]) -> None:
    """Each of `paths` (relative to `base`, where it was written) is listed one by one, or counted in its folder's
    line of `others` (folders relative to `answer.folder`)."""
    listed = {os.path.normpath(os.path.join(answer.folder or "/", f.path)) for f in answer.files}
    counted: dict[str, int] = {}
    for line in answer.others or []:
        where, _, rest = line.partition("/: ")
        assert answer.folder is not None
        counted[os.path.normpath(os.path.join(answer.folder, where))] = int(rest.split(" file(s)", 1)[0])
    for path in paths:
        absolute = os.path.normpath(os.path.join(base, path))
        if absolute in listed:
            continue
        assert counted.get(os.path.dirname(absolute), 0) > 0, (path, answer.others)
        counted[os.path.dirname(absolute)] -= 1
    assert all(n == 0 for n in counted.values()), counted


def test_written_budgets_per_generator() -> None:
    """The client and the todo system as issue 9 sets them; a service, which embeds the client and adds ~25 files,
    in between; the other single-purpose generators as the client."""
    assert written_budget("client") == WRITTEN_BUDGET == 6_500
    assert written_budget("project") == 12_000
    assert WRITTEN_BUDGET < written_budget("service") < written_budget("project")
    for name in ("models", "endpoint", "components"):
        assert written_budget(name) == WRITTEN_BUDGET


def _pretend_written(result: Any, folder: str, statuses: dict[str, str]) -> dict[str, tuple[str, bool | str]]:
    return {f.path: (os.path.join(folder, f.path), statuses.get(f.path, "created")) for f in result.files}


def test_many_files_list_python_and_files_that_need_you_and_summarize_the_rest() -> None:
    result = generate("project", REGISTRY["project"].examples["orders-pipeline"])
    yaml = [f.path for f in result.files if f.language == "yaml"]
    python = [f.path for f in result.files if f.language == "python"]
    statuses = {yaml[0]: "conflict", yaml[1]: "kept", python[0]: "merged", yaml[2]: "unchanged"}
    folder = "/home/someone/projects/a-rather-long-project-name/services/todo"
    answer, text = written_answer(result, _pretend_written(result, folder, statuses))
    assert len(text) <= written_budget("project")
    assert answer.folder == folder
    listed = {f.path: f.status for f in answer.files}
    for path, status in statuses.items():  # the routine status is "created": every other one is listed
        assert listed.get(path) == status, (path, listed)
    assert answer.others, "the rest is summarized per folder"
    assert text.startswith("project: 1 file(s) (status conflict) need you")
    _check_every_file_is_accounted_for(answer, folder, [f.path for f in result.files])


def test_the_outline_keeps_signatures_of_the_app_longest() -> None:
    """The whole todo system within 12,000 characters: the tests' outline shrinks to names first, and the modules
    an agent writes against (handlers.py) keep signatures where the generic client and the routers have shrunk to
    names."""
    result = generate("project")
    folder = "/home/someone/projects/a-rather-long-project-name/services/todo"
    answer, text = written_answer(result, _pretend_written(result, folder, {}))
    assert len(text) <= written_budget("project"), len(text)
    symbols: dict[str, list[str]] = {}  # file -> its symbol lines (a file's own line is "path: ...")
    current = ""
    for line in answer.outline:
        head = line.split(": ", 1)[0]
        if head.endswith(".py"):
            current = head
            symbols.setdefault(current, [])
        else:
            symbols[current].append(line)
    assert all(not lines for path, lines in symbols.items() if "/tests/" in path), "tests: names only"
    assert not symbols["task-api/app/dapr_client.py"], "the client: names only"
    for service in ("recurring-task", "notification"):
        assert any(line.startswith("async on_") for line in symbols[f"{service}/app/handlers.py"]), "signatures"
    # each service's events.py holds only the models it uses, so they differ; health.py is one file thrice
    assert any(line.startswith("recurring-task/app/health.py: same as") for line in answer.outline)


def test_long_notes_are_cut_last() -> None:
    result = generate("project", REGISTRY["project"].examples["orders-pipeline"])
    long = result.model_copy(update={"notes": [f"note {i}: " + "x" * 3_000 for i in range(5)]})
    folder = "/home/someone/projects/a-rather-long-project-name/services/todo"
    answer, text = written_answer(long, _pretend_written(long, folder, {}))
    assert len(text) <= written_budget("project"), len(text)
    assert all(len(n) <= 240 and n.endswith("...") for n in answer.notes)
    assert [n.split(":")[0] for n in answer.notes] == [f"note {i}" for i in range(5)]


@pytest.mark.parametrize(("generator", "label", "spec"), CASES, ids=CASE_IDS)
async def test_inline_answers_carry_each_file_once_within_budget(
    generator: Generator, label: str, spec: dict[str, Any]
) -> None:
    async with connected() as client:
        result = await client.call_tool(generator.tool_name, spec)
    text, data = _sizes(result)
    assert text <= INLINE_BUDGET, (label, text)
    assert data <= INLINE_BUDGET, (label, data)
    payload = json.dumps(structured(result))
    expected = generate(generator.name, spec)
    for f in expected.files:
        if len(f.content) > 200:  # the code is never repeated in the structured content
            assert f.content[:200] not in payload


async def _tools_list() -> list[dict[str, Any]]:
    async with connected() as client:
        tools = (await client.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


async def test_tool_definitions_stay_small() -> None:
    size = len(json.dumps(await _tools_list(), separators=(",", ":")))  # as sent on the wire
    assert size <= TOOLS_LIST_BUDGET, size


async def test_tool_definitions_repeat_nothing() -> None:
    """No titles or examples, and no generator's spec repeated inside another's schema (endpoint takes a models
    spec: it points at dapr_generate_models instead)."""
    listed = await _tools_list()
    assert {t["name"] for t in listed} >= {g.tool_name for g in REGISTRY.values()}
    for tool in listed:
        schema = json.dumps(tool["inputSchema"])
        assert '"examples"' not in schema, tool["name"]
        assert '"title"' not in schema, tool["name"]
        defs = set(tool["inputSchema"].get("$defs", {}))
        for g in REGISTRY.values():
            if g.tool_name != tool["name"]:
                assert g.spec.__name__ not in defs, (tool["name"], g.spec.__name__)


async def test_an_unknown_result_resource_is_not_found() -> None:
    async with connected() as client:
        with pytest.raises(Exception, match="not \\(or no longer\\) held"):
            await client.read_resource("dapr-results://" + "0" * 64 + "/nothing.py")


def test_umask_is_left_as_it_was() -> None:
    before = os.umask(0o022)
    os.umask(before)
    from tools._files import _umask

    assert _umask() == before
    after = os.umask(0o022)
    os.umask(after)
    assert after == before


async def test_the_cli_outline_is_the_written_answers_outline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools.cli import main  # the other door, in this process

    assert main(["generate", "models", "--outline", "-o", str(tmp_path / "cli")]) == 0
    cli = capsys.readouterr().out.split("API outline:\n", 1)[1].splitlines()
    async with rooted(tmp_path) as client:
        answer = Answer.model_validate(structured(await client.call_tool("dapr_generate_models", {"output_dir": "m"})))
    assert answer.outline == cli  # the models outline fits the budget at full detail


@pytest.mark.parametrize(
    ("prompt", "arguments", "invented"),
    [
        ("add_scheduled_job", {"job_name": "daily-report"}, "@every 1h"),
        ("add_pubsub_subscription", {"topic": "orders"}, "component 'pubsub'"),
    ],
)
async def test_prompts_do_not_invent_values_the_user_did_not_give(
    prompt: str, arguments: dict[str, str], invented: str
) -> None:
    async with connected() as client:
        text = "\n".join(
            m.content.text for m in (await client.get_prompt(prompt, arguments)).messages if m.content.type == "text"
        )
    assert invented not in text.split("Work in this order:")[0]  # the request itself states only what was given
    assert "ask the user" in text
    assert "output_dir" in text  # and the flow writes through the tools, reading the outline


async def test_a_folder_that_cannot_be_made_is_a_tool_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    async with rooted(tmp_path) as client:
        result = await client.call_tool("dapr_generate_client", {"output_dir": "a-file/sub"})
    assert result.is_error
    assert text_of(result).startswith("Error executing tool dapr_generate_client: output_dir: cannot write")
    assert "a-file" in text_of(result)
    assert "internal failure" not in text_of(result)


async def test_the_clients_written_outline_keeps_every_methods_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Methods with their signatures, within the client's budget: the client's methods keep their parameter names
    and return types, so an agent calls them without reading the 1,900-line module."""
    monkeypatch.chdir(tmp_path)  # no roots declared: the server writes under its working directory
    async with connected() as client:
        result = await client.call_tool("dapr_generate_client", {"output_dir": "gen"})
    text = text_of(result)
    assert len(text) <= written_budget("client")
    assert "async save_state(store_name, key, value, *, etag=" in text
    assert "async get_state_item(store_name, key, *, consistency=, metadata=) -> StateItem | None" in text


_BROKEN_REMINDER = {  # a notification service whose handlers would not type-check: refused before anything is written
    "app_id": "pings",
    "port": 8002,
    "starter": "todo-notification",
    "subscriptions": [{"topic": "reminders", "model": "ReminderEvent"}],
    "jobs": [{"name": "reminder", "model": "ReminderEvent", "prefix": True}],
    "publishes": ["pings-sent"],
    "client_blocks": ["jobs", "state"],
    "models": {"models": [{"name": "ReminderEvent", "fields": [{"name": "task_id", "type": "str"}]}]},
}


async def test_verify_runs_the_services_own_checks_and_reports_them(tmp_path: Path) -> None:
    spec = {"app_id": "orders", "port": 8100, "crud": [], "subscriptions": [{"topic": "orders", "model": "Task"}]}
    async with rooted(tmp_path) as client:
        result = await client.call_tool("dapr_generate_service", {**spec, "output_dir": "orders", "verify": True})
    answer = Answer.model_validate(structured(result))
    assert answer.verify is not None
    assert answer.verify.passed, answer.verify.problems
    ran = "\n".join(answer.verify.ran)
    for check in ("pytest", "mypy", "ruff check", "ruff format"):
        assert f"orders: {check}" in ran
    assert text_of(result).startswith("verify: passed")


async def test_verify_reports_a_failing_check_compactly(tmp_path: Path) -> None:
    async with rooted(tmp_path) as client:
        await client.call_tool("dapr_generate_service", {"app_id": "orders", "port": 8100, "output_dir": "orders"})
        handlers = tmp_path / "orders" / "app" / "handlers.py"  # yours: kept on regeneration
        handlers.write_text(handlers.read_text(encoding="utf-8") + "\n\ndef broken() -> int:\n    return 'x'\n")
        result = await client.call_tool(
            "dapr_generate_service", {"app_id": "orders", "port": 8100, "output_dir": "orders", "verify": True}
        )
    answer = Answer.model_validate(structured(result))
    assert answer.verify is not None
    assert not answer.verify.passed
    problems = "\n".join(answer.verify.problems)
    assert "orders: mypy" in problems
    assert 'Incompatible return value type (got "str", expected "int")' in problems
    assert len(problems) <= 6_100
    assert text_of(result).startswith("verify: FAILED")


async def test_verify_needs_output_dir_and_a_spec_the_starter_serves(tmp_path: Path) -> None:
    async with rooted(tmp_path) as client:
        no_dir = await client.call_tool("dapr_generate_service", {"verify": True})
        refused = await client.call_tool("dapr_generate_service", {**_BROKEN_REMINDER, "output_dir": "pings"})
    assert no_dir.is_error
    assert "verify: needs output_dir" in text_of(no_dir)
    assert refused.is_error
    assert "ReminderEvent to have user_id: str, remind_at: datetime" in text_of(refused)
    assert not (tmp_path / "pings").exists()

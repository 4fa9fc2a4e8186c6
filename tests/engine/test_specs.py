"""Specs are the only place input is checked: every rejection names the field, the value and the rule."""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, ValidationError

from skill import SpecError, generate, parse_spec
from skill.specs.client import BLOCKS, RESERVED_CLASS_NAMES, RESERVED_MODULE_NAMES, ClientSpec
from skill.specs.common import AppId, ClassName, ComponentName, Identifier, JobName, ModuleName, TopicName


def test_client_defaults_include_every_block() -> None:
    spec = parse_spec("client", None)
    assert isinstance(spec, ClientSpec)
    assert tuple(spec.blocks) == BLOCKS
    assert spec.transport == "auto"
    assert spec.dapr_version is None


@pytest.mark.parametrize(
    ("given", "field", "rule_part"),
    [
        ({"blocks": ["state", "kafka"]}, "blocks.1", "'state'"),
        ({"blocks": []}, "blocks", "at least 1"),
        ({"blocks": ["state", "state"]}, "blocks", "listed once"),
        ({"timeout_seconds": -1}, "timeout_seconds", "greater than 0"),
        ({"max_retries": 11}, "max_retries", "less than or equal to 10"),
        ({"transport": "requests"}, "transport", "'auto'"),
        ({"dapr_version": "1.13"}, "dapr_version", "'1.14'"),
        ({"class_name": "dapr"}, "class_name", "PascalCase"),
        ({"class_name": "None"}, "class_name", "keyword"),
        ({"module": "../evil"}, "module", "lowercase Python module name"),
        ({"module": "import"}, "module", "keyword"),
        ({"module": "type"}, "module", "keyword"),  # a soft keyword from 3.12 on: refused on every interpreter
        ({"module": "httpx"}, "module", "shadow"),
        ({"module": "logging"}, "module", "shadow"),
        ({"class_name": "DaprSettings"}, "class_name", "already defines"),
        ({"class_name": "Exception"}, "class_name", "already defines"),
        ({"backoff_initial_seconds": 2, "backoff_max_seconds": 1}, "backoff_max_seconds", "at least"),
        ({"colour": "blue"}, "colour", "not an option"),
    ],
)
def test_client_rejections_name_field_and_rule(given: dict[str, object], field: str, rule_part: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec("client", given)
    fields = {p.field: p for p in caught.value.problems}
    assert field in fields, caught.value
    assert rule_part in fields[field].rule
    assert field in str(caught.value)


def _top_level_names(body: list[ast.stmt]) -> Iterator[str]:
    """Names a module binds outside its functions and classes (including under `try`/`if`)."""
    for node in body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name
        elif isinstance(node, ast.Import | ast.ImportFrom):
            yield from ((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            yield from (n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Try | ast.If):
            yield from _top_level_names([*node.body, *node.orelse, *getattr(node, "finalbody", [])])
            for handler in getattr(node, "handlers", []):
                yield from _top_level_names(handler.body)


@pytest.mark.parametrize("transport", ["auto", "httpx", "aiohttp"])
def test_reserved_names_cover_what_the_client_module_binds_and_uses(transport: str) -> None:
    spec = {"transport": transport, "class_name": "Zz", "module": "zz"}  # every block, by default
    tree = ast.parse(generate("client", spec).files[0].content)
    class_like = re.compile(r"[A-Z][A-Za-z0-9]*")
    bound = {name for name in _top_level_names(tree.body) if class_like.fullmatch(name)} - {"Zz"}
    used_builtins = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and class_like.fullmatch(n.id)}
    used_builtins &= set(dir(builtins))
    assert bound | used_builtins <= RESERVED_CLASS_NAMES, sorted((bound | used_builtins) - RESERVED_CLASS_NAMES)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert {name.split(".")[0] for name in imported} - {"__future__"} <= RESERVED_MODULE_NAMES


def test_rejected_value_is_shown_quoted_and_truncated() -> None:
    hostile = 'X"""\n{{ 7*7 }}' + "A" * 200
    with pytest.raises(SpecError) as caught:
        parse_spec("client", {"class_name": hostile})
    (problem,) = caught.value.problems
    assert problem.value.startswith("'X")
    assert len(problem.value) <= 80
    assert "\n" not in problem.value


class _Names(BaseModel):
    identifier: Identifier = "x"
    module: ModuleName = "x"
    class_name: ClassName = "X"
    app_id: AppId = "a"
    component: ComponentName = "c"
    topic: TopicName = "t"
    job: JobName = "j"


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("identifier", ["task_id", "_x", "X1", "Il"], ["1x", "a-b", "class", "match", "ä", "a b", "", "x" * 65, "l"]),
        ("module", ["events", "dapr_client"], ["Events", "a.b", "../x", "def"]),
        ("class_name", ["TaskEvent", "A1", "IO"], ["taskEvent", "Task_Event", "None", "A\n", "I", "O"]),
        ("app_id", ["order-processor", "a1"], ["Order", "-a", "a-", "a_b", "a.b", "a" * 64]),
        ("component", ["pubsub", "state.postgresql", "pubsub-kafka"], ["PubSub", "a/b", ".a", "a b"]),
        ("topic", ["orders", "task-events", "a.b_c"], ["a/b", "a b", "a#b", "", "t" * 250]),
        ("job", ["reminder-42", "a.b"], ["a/b", "a?b", "a#b", "a\nb", "-a", "j" * 201]),
    ],
)
def test_name_types(field: str, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert getattr(_Names.model_validate({field: value}), field) == value
    for value in bad:
        with pytest.raises(ValidationError):
            _Names.model_validate({field: value})


def test_a_cross_field_rule_shows_the_value_of_the_field_it_names() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec("client", {"backoff_initial_seconds": 2, "backoff_max_seconds": 1})
    (problem,) = caught.value.problems
    assert (problem.field, problem.value) == ("backoff_max_seconds", "1")


def test_an_unknown_key_cannot_forge_lines_of_the_report() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec("client", {"x\n  - class_name: fine": 1})
    (problem,) = caught.value.problems
    assert problem.field == repr("x\n  - class_name: fine")
    assert len(str(caught.value).splitlines()) == 2  # the header and this one problem

"""Specs are the only place input is checked: every rejection names the field, the value and the rule."""

from __future__ import annotations

import ast
import builtins
import re

import pytest
from pydantic import BaseModel, ValidationError

from skill import SpecError, generate, parse_spec
from skill.generators.client import requirements_for
from skill.specs.client import BLOCKS, ClientSpec, reserved_class_names
from skill.specs.common import AppId, ClassName, ComponentName, Identifier, JobName, ModuleName, TopicName
from skill.specs.names import _requirement_name, import_names_of, module_name_problem


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
        ({"timeout_seconds": -1}, "timeout_seconds", "greater than or equal to 0.001"),
        ({"max_retries": 11}, "max_retries", "less than or equal to 10"),
        ({"transport": "requests"}, "transport", "'auto'"),
        ({"dapr_version": "1.13"}, "dapr_version", "'1.15'"),
        ({"dapr_version": "1.14"}, "dapr_version", "before 1.15 the scheduler marks every job trigger done"),
        ({"class_name": "dapr"}, "class_name", "PascalCase"),
        ({"class_name": "None"}, "class_name", "keyword"),
        ({"module": "../evil"}, "module", "lowercase Python module name"),
        ({"module": "import"}, "module", "keyword"),
        ({"module": "type"}, "module", "keyword"),  # a soft keyword from 3.12 on: refused on every interpreter
        ({"module": "httpx"}, "module", "shadow"),
        ({"module": "logging"}, "module", "shadow"),
        # Imported indirectly: httpx imports httpcore, pydantic typing_extensions, pydantic-settings dotenv.
        ({"module": "httpcore"}, "module", "through their dependencies"),
        ({"module": "typing_extensions"}, "module", "through their dependencies"),
        ({"module": "dotenv"}, "module", "through their dependencies"),
        ({"module": "h11"}, "module", "through their dependencies"),
        ({"module": "yarl", "transport": "aiohttp"}, "module", "through their dependencies"),
        ({"module": "dapr"}, "module", "Dapr SDK"),
        ({"module": "setup"}, "module", "setuptools"),
        ({"module": "conftest"}, "module", "pytest"),
        ({"module": "test_orders"}, "module", "pytest"),
        ({"module": "orders_test"}, "module", "pytest"),
        ({"module": "__init__"}, "module", "__init__"),
        ({"class_name": "DaprSettings"}, "class_name", "already defines"),
        ({"class_name": "Exception"}, "class_name", "builtin"),
        ({"class_name": "Warning"}, "class_name", "builtin"),
        ({"class_name": "UnlockStatus", "blocks": ["state"]}, "class_name", "already defines"),
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


@pytest.mark.parametrize("transport", ["auto", "httpx", "aiohttp"])
def test_reserved_names_cover_what_the_client_module_binds_and_uses(transport: str) -> None:
    # Independent of how reserved_class_names() is computed: the checked output of each transport, every block.
    spec = {"transport": transport, "class_name": "Zz", "module": "zz"}
    tree = ast.parse(generate("client", spec).files[0].content)
    class_like = re.compile(r"[A-Z][A-Za-z0-9_]*")
    bound = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    bound |= {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    bound |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    bound = {name for name in bound if class_like.fullmatch(name)} - {"Zz"}
    used_builtins = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in dir(builtins)}
    expected = bound | {name for name in used_builtins if class_like.fullmatch(name)}
    assert expected <= reserved_class_names(), sorted(expected - reserved_class_names())
    for name in expected:
        with pytest.raises(SpecError):
            parse_spec("client", {"class_name": name, "transport": transport})
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    for module in {name.split(".")[0] for name in imported} - {"__future__"}:
        assert module_name_problem(module, requirements_for(ClientSpec.model_validate({"transport": transport}))), (
            module
        )


def test_reserved_names_are_computed_not_listed() -> None:
    names = reserved_class_names()
    assert {"DaprSettings", "UnlockStatus", "WorkflowState", "URL", "Exception", "TimeoutError"} <= names
    assert "DaprClient" not in names  # the default class name is the client itself, not a clash
    assert "Orders" not in names


def test_indirect_imports_come_from_the_installed_dependency_closure() -> None:
    names = import_names_of(("httpx>=0.28,<1",))
    assert {"httpx", "httpcore", "h11", "anyio", "idna", "certifi"} <= names
    assert "pydantic" not in names
    # A requirement that is not installed still reserves its own name.
    assert "not_installed_pkg" in import_names_of(("not-installed-pkg>=1",))
    # Requirements that only apply with an extra (httpx[http2] needs h2) are not installed by default.
    assert _requirement_name('h2<5,>=3; extra == "http2"') is None
    assert _requirement_name('exceptiongroup>=1; python_version < "3.11"') == "exceptiongroup"


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

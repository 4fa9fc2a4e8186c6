"""The service's package name may shadow nothing: not the standard library, not a module the app, its tests, its
server or its checks import (or anything those depend on), not a folder the service writes beside it. A refusal
names `package` and the rule; it is never "a bug in async-dapr-coder" from the generator's own lint."""

from __future__ import annotations

import ast
import keyword
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.errors import SpecError
from skill.generators import service as service_generator
from skill.pipeline import generate, parse_spec
from skill.specs.names import import_names_of
from skill.specs.project import ProjectSpec
from skill.specs.service import ServiceSpec

# The names the hostile run tried: the first five failed as "a bug", the rest were accepted and shadowed.
TRIED = ["os", "json", "typing", "httpx", "fastapi", "uvicorn", "starlette", "anyio", "dapr", "tests"]


def _package_rule(spec: dict[str, object], generator: str = "service") -> str:
    with pytest.raises(SpecError) as caught:
        parse_spec(generator, spec)
    rules = [p.rule for p in caught.value.problems if p.field.endswith("package")]
    assert rules, caught.value.problems
    return rules[0]


@pytest.mark.parametrize("name", TRIED)
def test_names_that_shadow_are_refused_naming_the_field_and_the_rule(name: str) -> None:
    rule = _package_rule({"package": name})
    assert rule.startswith("must not be"), rule
    assert "shadow" in rule or "meaning" in rule or "folder beside" in rule


@pytest.mark.parametrize("name", ["uvicorn", "starlette", "json"])
def test_the_same_rule_holds_for_a_project_service_and_the_endpoint(name: str) -> None:
    project = {"services": [{"app_id": "a", "port": 8001, "package": name}]}
    with pytest.raises(SpecError) as caught:
        parse_spec("project", project)
    assert any(p.field == "services.0.package" for p in caught.value.problems)
    assert "shadow" in _package_rule({"package": name}, "endpoint")


def _imported_top_level_modules(spec: ServiceSpec) -> set[str]:
    """Every absolute import of the generated service's Python files, by its top-level name."""
    found: set[str] = set()
    for file in generate("service", spec).files:
        if not file.path.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(file.content)):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - {spec.package, "tests"}


@pytest.mark.parametrize("index", range(3))
def test_every_module_the_generated_service_imports_is_refused(index: int) -> None:
    """The refused names are derived from the requirements; this checks them against the imports of a real
    render (each todo-system service, one per starter), so a new import without its requirement fails here."""
    spec = ProjectSpec().service_spec(index)
    imported = _imported_top_level_modules(spec)
    assert {"fastapi", "httpx", "pydantic", "pytest"} <= imported
    accepted = []
    for name in sorted(imported):
        try:
            spec.model_validate({**spec.model_dump(exclude_defaults=True), "package": name})
        except ValueError:
            continue
        accepted.append(name)
    assert accepted == []


def test_the_sibling_folders_are_the_ones_a_service_writes() -> None:
    """SIBLING_FOLDERS is stated by hand beside the code that writes those folders: every example's plan agrees."""
    examples = [{}, *service_generator.GENERATOR.examples.values()]
    folders = set()
    for example in examples:
        spec = ServiceSpec.model_validate(example)
        folders |= {f.path.split("/")[0] for f in service_generator.plan(spec).files if "/" in f.path} - {spec.package}
    assert folders == set(service_generator.SIBLING_FOLDERS)


_REFUSED = sorted(
    name
    for name in (
        set(sys.stdlib_module_names)
        | import_names_of(tuple(service_generator.requirements_for(ServiceSpec())))
        | set(service_generator.SIBLING_FOLDERS)
    )
    if name.isidentifier() and not keyword.iskeyword(name) and name.isascii() and name == name.lower()
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_REFUSED))
def test_any_shadowing_name_is_refused_with_the_packages_rule(name: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec("service", {"package": name})
    assert [p.field for p in caught.value.problems] == ["package"], caught.value.problems

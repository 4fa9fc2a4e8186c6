"""The public surface and the import rules that keep data flowing one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import skill
import tools

ROOT = Path(__file__).resolve().parents[2]


def test_all_is_sorted_and_complete() -> None:
    # isort-style order, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    def rank(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(skill.__all__) == sorted(skill.__all__, key=rank)
    for name in skill.__all__:
        assert hasattr(skill, name), name


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_front_doors_use_only_the_engine_root() -> None:
    for path in sorted((ROOT / "tools").glob("*.py")):
        for module in _imports(path):
            assert not module.startswith("skill."), f"{path.name} imports {module}; use the `skill` root"


# Generators plan: they may use the engine's pure parts (records, names, literals, import ordering, errors), never
# the renderer, the checks or the file system. `style` for its Style record: a service states its own (it never
# looks for the destination's settings).
_PLANNING_MODULES = {
    "errors", "filters", "generator", "generators", "imports", "parsing", "plan", "quality", "requirements",
    "specs", "style",
}  # fmt: skip


def test_generators_do_not_render_or_do_io() -> None:
    for path in sorted((ROOT / "skill" / "generators").glob("*.py")):
        for module in _imports(path):
            assert module.split(".")[0] not in {"jinja2", "subprocess", "os", "pathlib"}, (path.name, module)
            if module.startswith("skill."):
                assert module.split(".")[1] in _PLANNING_MODULES, (path.name, module)


def test_only_the_pipeline_chains_stages() -> None:
    for path in sorted((ROOT / "skill").rglob("*.py")):
        if path.name in {"pipeline.py", "__init__.py", "browse.py"}:
            continue
        imports = _imports(path)
        assert not ({"skill.render", "skill.checks"} <= imports), path


def test_packages_resolve_inside_this_distribution() -> None:
    # `skill` and `tools` are generic names: make sure we import ours, not another distribution's.
    assert Path(skill.__file__).resolve().is_relative_to(ROOT)
    assert Path(tools.__file__).resolve().is_relative_to(ROOT)


# Specs are the bottom layer: what they may import from skill (issue 17: specs.client <-> generators.client <->
# reserved was a circle; the client spec now gets the names its module binds through a reader skill.reserved
# installs).
_SPEC_LAYER = ("skill.specs", "skill.errors", "skill.style")


def _every_import(path: Path) -> list[str]:
    """Every module `path` imports, at top level or inside a function (`from skill import x` as skill.x)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found += [node.module] if node.module != "skill" else [f"skill.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def test_the_spec_layer_imports_nothing_above_it() -> None:
    for path in sorted((ROOT / "skill" / "specs").glob("*.py")):
        above = [m for m in _every_import(path) if m.startswith("skill") and not m.startswith(_SPEC_LAYER)]
        assert above == [], (path.name, above)


def test_the_client_spec_still_refuses_a_name_its_module_binds() -> None:
    with pytest.raises(skill.SpecError, match="class_name"):
        skill.parse_spec("client", {"class_name": "DaprError"})

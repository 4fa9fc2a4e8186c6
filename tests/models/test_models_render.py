"""Every variant of the covering set (tests/models/variants.py) is returned by the engine only after ruff format
and ruff check; here the same texts also pass `ruff format --check`, `ruff check` on disk, mypy --strict, import,
and stay within ruff's default line length where the text is ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from skill.generators.models import exported_names
from skill.pipeline import generate
from skill.registry import REGISTRY
from skill.specs.models import ModelsSpec
from tests.models.conftest import load_module
from tests.models.variants import covering_specs


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models_covering")
    for name, spec in covering_specs().items():
        result = generate("models", {**spec, "module": name} if "module" not in spec else spec)
        (file,) = result.files
        (folder / f"{name}.py").write_text(file.content, encoding="utf-8")
    return folder


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    from skill._ruff import ruff_argv

    return subprocess.run(ruff_argv(*args), capture_output=True, text=True, check=False)


def test_every_variant_passes_ruff_format_check_and_ruff_check(rendered: Path) -> None:
    assert len(list(rendered.glob("*.py"))) == len(covering_specs())
    fmt = _ruff("format", "--check", str(rendered))
    assert fmt.returncode == 0, fmt.stdout[-4000:]
    check = _ruff("check", "--output-format", "concise", str(rendered))
    assert check.returncode == 0, check.stdout[-4000:]


def test_every_variant_passes_mypy_strict(rendered: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11", str(rendered)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_every_variant_imports_and_defines_its_names(rendered: Path) -> None:
    imported = rendered.parent / f"{rendered.name}_imported"
    imported.mkdir(exist_ok=True)
    for name, spec in covering_specs().items():
        module = load_module((rendered / f"{name}.py").read_text(encoding="utf-8"), imported, name)
        parsed = ModelsSpec.model_validate({**spec, "module": name} if "module" not in spec else spec)
        for exported in exported_names(parsed):
            assert hasattr(module, exported), (name, exported)


@pytest.mark.parametrize("case", ["default", *REGISTRY["models"].examples])
def test_our_text_stays_within_88_columns(case: str) -> None:
    spec = {} if case == "default" else dict(REGISTRY["models"].examples[case])
    if "json_schema" in spec:
        pytest.skip("datamodel-code-generator's docstrings are its own layout")
    (file,) = generate("models", spec).files
    long = [line for line in file.content.splitlines() if len(line) > 88]
    assert not long, long


def test_result_says_which_path_made_it() -> None:
    (ours,) = generate("models").files
    assert ours.snippet == "models/events"
    schema = dict(REGISTRY["models"].examples["json-schema"])
    result = generate("models", schema)
    assert result.files[0].snippet == "models/schema_events"
    assert any("datamodel-code-generator" in note for note in result.notes)


def test_long_patterns_and_descriptions_are_wrapped_and_mean_the_same(tmp_path: Path) -> None:
    pattern = "^(?:" + "|".join(f"word{i}" for i in range(40)) + ")$"
    description = "A field whose description runs on for much longer than one line could ever hold. " * 3
    spec = {
        "module": "wide",
        "models": [{"name": "Wide", "fields": [{"name": "w", "type": "str", "pattern": pattern,
                                                  "description": description}]}],
    }  # fmt: skip
    (file,) = generate("models", spec).files
    assert not [line for line in file.content.splitlines() if len(line) > 88]
    module = load_module(file.content, tmp_path, "wide")
    field = module.Wide.model_fields["w"]
    assert field.description == description
    assert module.Wide(w="word39").w == "word39"
    with pytest.raises(ValueError, match="pattern"):
        module.Wide(w="word40")


def test_the_todo_rrule_is_checked_where_the_task_enters(events: ModuleType) -> None:
    """The task API answers 422 for a rule the recurring service could not compute with (it would DROP it later)."""
    assert events.Recurrence.model_validate({"frequency": "weekly", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE"})
    for bad in (":", "FREQ=DAILY;X=1", "INTERVAL=2", "FREQ=HOURLY"):
        with pytest.raises(ValueError, match="rrule"):
            events.Recurrence.model_validate({"frequency": "daily", "rrule": bad})

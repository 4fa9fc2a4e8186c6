"""The business logic of the runtime specs (tests/runtime/specs/<name>/handlers/<app id>.py) fits the code the
generator writes for its spec today: each file, written over the generated app/handlers.py, passes the service's own
strict mypy and ruff (a generator change that renames what they use shows here, not as a runtime scenario's 500)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.pipeline import generate
from tests.runtime.real_system import SPECS
from tests.service.conftest import run_in


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if s.handlers is not None])
def test_the_spec_handlers_type_check_in_the_generated_services(name: str, tmp_path: Path) -> None:
    spec = SPECS[name]
    assert spec.handlers is not None
    own = sorted(spec.handlers.glob("*.py"))
    assert [p.stem for p in own if p.stem not in spec.apps] == [], "a handlers file names no service of the spec"
    for f in generate("project", spec.spec).files:
        path = tmp_path / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
    for handlers in own:
        service = tmp_path / handlers.stem
        (service / "app" / "handlers.py").write_text(handlers.read_text(encoding="utf-8"), encoding="utf-8")
        typed = run_in(service, "mypy", "app")
        assert typed.returncode == 0, f"{handlers}:\n{typed.stdout}{typed.stderr}"
        linted = run_in(service, "ruff", "check", "app/handlers.py")
        assert linted.returncode == 0, f"{handlers}:\n{linted.stdout}{linted.stderr}"

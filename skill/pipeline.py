"""The only place the stages are chained: spec -> plan -> render -> validate -> Result."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from skill._ruff import ruff_version
from skill.catalog import get_snippet
from skill.errors import SpecError
from skill.quality import RUFF_RULES
from skill.registry import get_generator
from skill.render import render_template
from skill.result import GeneratedFile, LintStatus, Result
from skill.specs.common import SpecModel
from skill.validate import PYTHON_CHECKS, Draft, validate

__all__ = ["generate", "parse_spec"]


def parse_spec(generator: str, spec: SpecModel | Mapping[str, object] | None) -> SpecModel:
    """A validated spec for `generator`, or a SpecError naming each bad field, its value and the rule."""
    gen = get_generator(generator)
    if isinstance(spec, gen.spec):
        return spec
    data = spec.model_dump() if isinstance(spec, SpecModel) else dict(spec or {})
    try:
        return gen.spec.model_validate(data)
    except ValidationError as exc:
        raise SpecError.from_validation_error(generator, exc) from None


def generate(generator: str, spec: SpecModel | Mapping[str, object] | None = None) -> Result:
    """Render and check everything `generator` makes for `spec` (defaults when None)."""
    parsed = parse_spec(generator, spec)
    plan = get_generator(generator).plan(parsed)
    drafts = [
        Draft(f.path, render_template(get_snippet(f.snippet).template, f.context), f.language, f.snippet)
        for f in plan.files
    ]
    checked = validate(drafts, plan.known_first_party)
    files = [GeneratedFile(path=d.path, content=d.content, language=d.language, snippet=d.snippet) for d in checked]
    python_files = sum(1 for f in files if f.language == "python")
    return Result(
        kind=generator,
        files=files,
        requirements=list(plan.requirements),
        notes=list(plan.notes),
        lint=LintStatus(
            ruff_version=ruff_version(),
            rules=list(RUFF_RULES),
            checks=list(PYTHON_CHECKS) if python_files else ["parse"],
            files_checked=len(files),
        ),
    )

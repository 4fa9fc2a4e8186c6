"""The only place the stages are chained: spec -> plan -> render -> check -> Result."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from skill._ruff import ruff_version
from skill.catalog import get_snippet
from skill.checks import Draft, check_files
from skill.errors import SpecError
from skill.generator import Generator
from skill.plan import template_variables
from skill.quality import RUFF_RULES
from skill.registry import get_generator
from skill.render import render_template
from skill.requirements import tightest
from skill.result import GeneratedFile, LintStatus, Result
from skill.specs.common import SpecModel
from skill.style import DEFAULT_STYLE, Style

__all__ = ["generate", "parse_spec"]


def parse_spec(
    generator: str, spec: SpecModel | Mapping[str, object] | None, registry: Mapping[str, Generator] | None = None
) -> SpecModel:
    """A validated spec for `generator`, or a SpecError naming each bad field, its value and the rule."""
    gen = get_generator(generator, registry)
    if isinstance(spec, gen.spec):
        return spec
    data = spec.model_dump() if isinstance(spec, SpecModel) else dict(spec or {})
    try:
        return gen.spec.model_validate(data)
    except ValidationError as exc:
        raise SpecError.from_validation_error(generator, exc) from None


def _style_for(spec: SpecModel, style: Style | None) -> Style:
    """The destination's style, with the spec's own `line_length` option (when it has one and it is set) on top."""
    chosen = style or DEFAULT_STYLE
    line_length = getattr(spec, "line_length", None)
    if isinstance(line_length, int) and line_length != chosen.line_length:
        return chosen.model_copy(update={"line_length": line_length, "source": f"{chosen.source}; spec line_length"})
    return chosen


def generate(
    generator: str,
    spec: SpecModel | Mapping[str, object] | None = None,
    *,
    style: Style | None = None,
    registry: Mapping[str, Generator] | None = None,
    snippets: Path | None = None,
) -> Result:
    """Render and check everything `generator` makes for `spec` (defaults when None), formatted with `style` (the
    destination project's settings; ruff's defaults when None) unless the plan states its own (a service's
    pyproject.toml). `registry` and `snippets` are for tests."""
    parsed = parse_spec(generator, spec, registry)
    plan = get_generator(generator, registry).plan(parsed)
    used_style = plan.style or _style_for(parsed, style)
    drafts = []
    for f in plan.files:
        template = get_snippet(f.snippet, snippets).template
        drafts.append(
            Draft(f.path, render_template(template, template_variables(f.context), snippets), f.language, f.snippet)
        )
    checked = check_files(drafts, used_style, plan.known_first_party)
    owned = {f.path for f in plan.files if f.user_owned}
    files = [
        GeneratedFile(
            path=c.path,
            content=c.content,
            language=c.language,
            snippet=c.snippet,
            checks=list(c.checks),
            outline=c.outline,
            user_owned=c.path in owned,
        )
        for c in checked
    ]
    return Result(
        kind=generator,
        files=files,
        requirements=list(tightest(plan.requirements)),
        notes=list(plan.notes),
        style=used_style,
        lint=LintStatus(ruff_version=ruff_version(), rules=list(RUFF_RULES), files_checked=len(files)),
    )

"""SKILL.md as an Agent Skill: the reference validator accepts it, it keeps to the spec's limits, its links resolve,
and the option tables in references/ match the spec models."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import skills_ref
from skills_ref.parser import parse_frontmatter

from skill import REGISTRY
from tools._mcp_reference import BEGIN, END, options_table, stale_references

ROOT = Path(__file__).resolve().parents[2]
SKILL_MD = ROOT / "SKILL.md"
NAME = "async-dapr-coder"
ALLOWED_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}


def _frontmatter() -> tuple[dict[str, object], str]:
    metadata, body = parse_frontmatter(SKILL_MD.read_text(encoding="utf-8"))
    return dict(metadata), str(body)


def test_the_reference_validator_accepts_the_skill(tmp_path: Path) -> None:
    # The validator wants the folder named after the skill; the repository's folder is named by whoever cloned it.
    folder = tmp_path / NAME
    folder.mkdir()
    shutil.copy(SKILL_MD, folder / "SKILL.md")
    shutil.copytree(ROOT / "references", folder / "references")
    assert skills_ref.validate(folder) == []
    assert skills_ref.read_properties(folder).name == NAME


def test_frontmatter_keeps_to_the_six_keys_and_their_limits() -> None:
    meta, _ = _frontmatter()
    assert set(meta) <= ALLOWED_KEYS
    assert meta["name"] == NAME
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", NAME)
    description = meta["description"]
    assert isinstance(description, str)
    assert 200 <= len(description) <= 1024
    assert "<" not in description
    assert ">" not in description
    for trigger in ("Dapr", "pub/sub", "state store", "sidecar", "Jobs API", "FastAPI subscriptions", "microservice"):
        assert trigger in description, trigger
    compatibility = meta.get("compatibility")
    assert isinstance(compatibility, str)
    assert len(compatibility) <= 500
    metadata = meta.get("metadata")
    assert isinstance(metadata, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())


def test_body_is_under_500_lines() -> None:
    _, body = _frontmatter()
    assert len(SKILL_MD.read_text(encoding="utf-8").splitlines()) < 500
    assert body.startswith("# ")


def test_the_skill_does_not_promise_planned_generators() -> None:
    text = SKILL_MD.read_text(encoding="utf-8")
    missing = [name for name in ("models", "endpoint", "service", "project", "components") if name not in REGISTRY]
    for planned in missing:
        assert f"dapr_generate_{planned}" not in text
        assert f"generate {planned}" not in text
    assert ("planned" in text.lower()) == bool(missing)  # says what is not there yet, and only that


@pytest.mark.parametrize("path", [SKILL_MD, *sorted((ROOT / "references").glob("*.md"))], ids=lambda p: p.name)
def test_relative_links_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    for target in targets:
        if "://" in target:
            continue
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_the_body_links_every_reference_file() -> None:
    text = SKILL_MD.read_text(encoding="utf-8")
    for path in sorted((ROOT / "references").glob("*.md")):
        assert f"(references/{path.name})" in text, path.name


def test_every_generator_has_an_up_to_date_option_table() -> None:
    assert stale_references() == [], "run: uv run python -m tools._mcp_reference"
    for g in REGISTRY.values():
        text = (ROOT / "references" / f"{g.name}.md").read_text(encoding="utf-8")
        assert f"{BEGIN}\n{options_table(g)}{END}" in text
        for name in g.spec.model_fields:
            assert f"`{name}`" in text


def test_the_pitfalls_summary_covers_the_checklist() -> None:
    # references/dapr-pitfalls.md summarises §16 of references/dapr-contract.md; these are its load-bearing facts.
    text = (ROOT / "references" / "dapr-pitfalls.md").read_text(encoding="utf-8")
    for fact in (
        "204",
        'model_dump(mode="json")',
        "Content-Type: application/json",
        "If-Match",
        "409",
        "`data`, not `value`",
        "6 fields, seconds first",
        "overwrite: true",
        "POST /job/{name}",
        "500",
        '"SUCCESS" | "RETRY" | "DROP"',
        "422",
        "pubsubname",
        "dapr-api-token",
        "202",
        "/v1.0/healthz/outbound",
        "ERR_DIRECT_INVOKE",
        "entryId",
    ):
        assert fact in text, fact

"""skill/manifest.py: what is recorded and how a broken record is reported."""

from __future__ import annotations

import json

import pytest

from skill import (
    ManifestError,
    base_text,
    content_sha256,
    generate,
    manifest_text,
    parse_base,
    parse_manifest,
    record,
)
from skill.manifest import spec_record
from tests.regeneration.conftest import WidgetSpec

pytestmark = pytest.mark.usefixtures("widget")


def test_the_record_round_trips() -> None:
    spec = WidgetSpec.model_validate({"greeting": "Hi", "retries": "5"})
    result = generate("widget", spec)
    manifest, base = record(result, spec)
    assert manifest.spec == {"greeting": "Hi", "retries": 5}  # what was set, typed; defaults left out
    assert {p: r.user_owned for p, r in manifest.files.items()} == {
        "widget/handlers.py": True,
        "widget/settings.py": False,
        "widget/app.py": False,
    }
    assert all(manifest.files[f.path].sha256 == content_sha256(f.content) for f in result.files)
    again = parse_manifest(manifest_text(manifest), "m.json")
    assert again == manifest
    assert parse_base(base_text(base).encode(), "b.json", again) == base


def test_a_spec_mapping_is_kept_as_given() -> None:
    assert spec_record({"retries": 5, "name": "w"}) == {"retries": 5, "name": "w"}
    assert spec_record(None) == {}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff", "m.json: is not UTF-8 text"),
        ("[" * 100_000, "m.json: is nested too deeply"),
        ({"format": 1, "generator": "", "skill_version": "1", "spec": {}, "files": {}}, "generator: String should"),
        ({"format": 1, "generator": "w", "skill_version": "1", "spec": {}, "files": {}, "x": 1}, "x: Extra inputs"),
        (
            {"format": 1, "generator": "w", "skill_version": "1", "spec": {}, "files": {"a.py": {"sha256": "no"}}},
            "files.a.py.sha256: String should match pattern",
        ),
        (
            {"generator": "w", "skill_version": "1", "spec": {}, "files": {".dapr-coder/x": {"sha256": "0" * 64}}},
            "is inside .dapr-coder/",
        ),
    ],
)
def test_a_broken_manifest_names_the_file_and_the_problem(data: object, problem: str) -> None:
    text = data if isinstance(data, str | bytes) else json.dumps(data)
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, "m.json")
    assert str(caught.value).startswith("m.json: ")
    assert problem in str(caught.value)


def test_a_base_must_hold_the_manifests_files() -> None:
    spec = WidgetSpec()
    manifest, base = record(generate("widget", spec), spec)
    with pytest.raises(ManifestError, match=r"b\.json: must hold exactly the files .* \(differs at extra\.py\)"):
        parse_base(json.dumps({**base, "extra.py": ""}), "b.json", manifest)
    with pytest.raises(ManifestError, match=r"b\.json: must map each file's path to its generated text"):
        parse_base(json.dumps({"widget/app.py": 1}), "b.json", manifest)

"""The snippet catalog: headers are parsed strictly, shared partials are not snippets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skill import REGISTRY, SnippetError, SpecError, generate, list_snippets, show_snippet
from skill.catalog import SNIPPETS_ROOT, get_snippet, index
from skill.requirements import tightest

HEADER = "{#- snippet\ntitle: T\nsummary: S\nrequires: httpx>=0.28,<1 pydantic>=2\n-#}\nbody\n"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_index_reads_headers_and_skips_partials(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "client/a.py.jinja": HEADER,
            "client/_parts/b.jinja": HEADER,
            "_shared/c.jinja": HEADER,
            "client/no_header.jinja": "plain\n",
            "service/Dockerfile.jinja": HEADER,
        },
    )
    found = index(root)
    assert list(found) == ["client/a", "service/Dockerfile"]  # id and kind from the path
    assert found["client/a"].kind == "client"
    assert found["client/a"].requires == ("httpx>=0.28,<1", "pydantic>=2")
    assert found["client/a"].template == "client/a.py.jinja"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{#- snippet\ntitle: T\n-#}\n", "lacks summary"),
        ("{#- snippet\nid: client/a\ntitle: T\nsummary: S\n-#}\n", "unknown keys id"),
        ("{#- snippet\ntitle T\n-#}\n", "not 'key: value'"),
    ],
)
def test_bad_headers_are_errors(tmp_path: Path, text: str, message: str) -> None:
    root = _tree(tmp_path, {"client/a.py.jinja": text})
    with pytest.raises(SnippetError, match=message):
        index(root)


def test_duplicate_ids_are_errors(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"client/a.py.jinja": HEADER, "client/a.toml.jinja": HEADER})
    with pytest.raises(SnippetError, match="used by two files"):
        index(root)


def test_snippets_live_directly_in_their_kind_folder(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"client/deeper/a.py.jinja": HEADER})
    with pytest.raises(SnippetError, match="directly in snippets/<kind>/"):
        index(root)


def test_real_catalog_ids_match_their_paths() -> None:
    snippets = list_snippets().snippets
    assert snippets, "the catalog is empty"
    for s in snippets:
        assert (SNIPPETS_ROOT / s.template).is_file()
        assert s.template.startswith(s.kind + "/")
        assert s.template.removesuffix(".jinja").rsplit(".", 1)[0].endswith(s.id.split("/", 1)[1])


def test_an_unknown_id_from_a_caller_is_bad_input_listing_known_ids() -> None:
    with pytest.raises(SpecError) as caught:
        show_snippet("client/nope")
    (problem,) = caught.value.problems
    assert (problem.field, problem.value) == ("id", "'client/nope'")
    assert re.fullmatch(r"is not a snippet id \(list them with .*\); did you mean client/\w+.*\?", problem.rule)


def test_an_unknown_id_in_a_plan_is_our_snippet_error() -> None:
    with pytest.raises(SnippetError, match=r"unknown snippet 'client/nope'; known snippets: .*client/dapr_client"):
        get_snippet("client/nope")


def test_the_catalog_is_sorted_by_id_whatever_the_file_names(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"client/z.py.jinja": HEADER, "client/M.py.jinja": HEADER, "client/m.md.jinja": HEADER})
    assert list(index(root)) == ["client/M", "client/m", "client/z"]


def test_show_renders_the_default() -> None:
    detail = show_snippet("client/dapr_client")
    assert detail.source.startswith("{#- snippet")
    (rendered,) = detail.rendered
    assert rendered.path == "dapr_client.py"
    assert "class DaprClient" in rendered.content


def test_headers_state_what_the_default_renders_require() -> None:
    # One source for requirements (the generator); the headers, for people browsing, must agree with it: the
    # snippets a default render uses list, together, exactly the requirements the result reports (one per
    # distribution, with the tightest bounds the headers state).
    catalog = {s.id: s for s in list_snippets().snippets}
    for name in REGISTRY:
        result = generate(name)
        stated = {r for f in result.files for r in catalog[f.snippet].requires}
        assert set(tightest(stated)) == set(result.requirements), name

"""Checks: nothing that fails its language's checks is ever returned, and each file says which checks ran."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from skill import DEFAULT_STYLE, InvalidOutputError, Style
from skill.checks import Checked, Draft, check_files


def validate(drafts: Sequence[Draft], style: Style = DEFAULT_STYLE) -> list[Checked]:
    return check_files(drafts, style)


def _py(text: str, path: str = "m.py") -> Draft:
    return Draft(path, text, "python", "test/x")


def test_formats_clean_code() -> None:
    (out,) = validate([_py("x = {'a':1}\n")])
    assert out.content == 'x = {"a": 1}\n'


def test_syntax_error_is_invalid_output() -> None:
    # ast.parse rejects it: reported as our output's fault, not as a broken ruff.
    with pytest.raises(InvalidOutputError, match="line 1"):
        validate([_py("def f(:\n")])


def test_syntax_newer_than_the_target_is_invalid_output() -> None:
    # ruff parses against target-version py311, whatever interpreter runs the engine.
    with pytest.raises(InvalidOutputError, match=r"invalid.syntax"):
        validate([_py("type Alias = int\n")])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("print('hi')\n", "T201"),
        ("import os\n", "F401"),
        ("import datetime\n\nx = datetime.datetime.now()\n", "DTZ005"),
        ("def f(x):\n    return x\n", "ANN001"),
        ("import sys\nimport os\n\nprint(os, sys)\n", "I001"),
    ],
)
def test_lint_findings_are_invalid_output(text: str, code: str) -> None:
    with pytest.raises(InvalidOutputError, match=code):
        validate([_py(text)])


def test_test_files_may_assert() -> None:
    (out,) = validate([_py("def test_x() -> None:\n    assert 1 + 1 == 2\n", "tests/test_x.py")])
    assert "assert" in out.content


def test_every_bad_file_is_reported() -> None:
    with pytest.raises(InvalidOutputError) as caught:
        validate([_py("import os\n", "a.py"), _py("import sys\n", "b.py")])
    assert any("a.py" in f for f in caught.value.findings)
    assert any("b.py" in f for f in caught.value.findings)


def test_toml_and_json_are_parsed() -> None:
    ok = [Draft("a.toml", 'x = "1"\n', "toml", "t/a"), Draft("a.json", "{}", "json", "t/a")]
    assert [(c.content, c.checks) for c in validate(ok)] == [('x = "1"\n', ("toml parse",)), ("{}", ("json parse",))]
    with pytest.raises(InvalidOutputError, match="toml does not parse"):
        validate([Draft("a.toml", "x = \n", "toml", "t/a")])
    with pytest.raises(InvalidOutputError, match="json does not parse"):
        validate([Draft("a.json", "{", "json", "t/a")])


def test_each_file_states_its_own_checks() -> None:
    files = validate(
        [
            _py("x = 1\n"),
            Draft("README.md", "# hi\n", "markdown", "t/r"),
            Draft("Dockerfile", "FROM python:3.11-slim\n", "dockerfile", "t/d"),
            Draft("c.yaml", "a: 1\n", "yaml", "t/c"),
        ]
    )
    assert [f.checks for f in files] == [
        ("ast.parse", "ruff format", "ruff check"),
        (),
        (),
        ("yaml parse", "dapr fields"),
    ]


COMPONENT = """apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: "localhost:6379"
    - name: redisPassword
      secretKeyRef: {name: redis, key: password}
auth:
  secretStore: local
scopes: [task-api]
"""


def test_yaml_must_parse() -> None:
    with pytest.raises(InvalidOutputError, match="yaml does not parse"):
        validate([Draft("c.yaml", "a: [1\n", "yaml", "t/c")])


def test_dapr_documents_are_held_to_the_fields_the_runtime_reads() -> None:
    (ok,) = validate([Draft("c.yaml", COMPONENT + "---\n" + COMPONENT, "yaml", "t/c")])
    assert ok.content.startswith("apiVersion")
    bad = {
        "a key Dapr ignores": COMPONENT.replace("  version: v1\n", "  version: v1\n  metdata: []\n"),
        "scopes under spec": COMPONENT.replace("  version: v1\n", "  version: v1\n  scopes: [a]\n"),
        "value and secretKeyRef": COMPONENT.replace('value: "localhost:6379"', 'value: "x"\n      envRef: X'),
        "no version": COMPONENT.replace("  version: v1\n", ""),
        "unknown kind": COMPONENT.replace("kind: Component", "kind: Componnent"),
    }
    for what, text in bad.items():
        with pytest.raises(InvalidOutputError, match="document 1"):
            validate([Draft("c.yaml", text, "yaml", "t/c")])
        assert what


def test_multi_app_run_files_are_checked() -> None:
    good = "version: 1\napps:\n  - appID: a\n    appDirPath: ./a\n    appPort: 8000\n    command: [uv, run, a]\n"
    validate([Draft("dapr.yaml", good, "yaml", "t/d")])
    for text in (
        good.replace("appDirPath", "appDir"),
        good.replace("command: [uv, run, a]", "command: uv run a"),
        good.replace("version: 1\n", ""),
    ):
        with pytest.raises(InvalidOutputError):
            validate([Draft("dapr.yaml", text, "yaml", "t/d")])


def test_kubernetes_manifests_pass_through() -> None:
    manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n"
    (out,) = validate([Draft("k8s.yaml", manifest, "yaml", "t/k")])
    assert out.content == manifest


def test_python_is_formatted_with_the_given_style() -> None:
    body = "{'first': a, 'second': b, 'third': a + b, 'fourth': a * b, 'fifth': a - b, 'sixth': b - a}"
    text = f"def f(a: int, b: int) -> dict[str, int]:\n    return {body}\n"
    (wide,) = validate([_py(text)], Style(line_length=120, quote_style="single"))
    assert wide.content.count("\n") == 2
    assert "'first'" in wide.content
    (narrow,) = validate([_py(text)])
    assert narrow.content.count("\n") > 2
    assert '"first"' in narrow.content


def test_findings_describe_the_formatted_text() -> None:
    # The rendered text has a finding (W291, trailing whitespace) that formatting removes: checking the text
    # before formatting would wrongly refuse it.
    (out,) = validate([_py("x = 1   \n")])
    assert out.content == "x = 1\n"


@pytest.mark.parametrize("style", [Style(line_length=120), Style(quote_style="single"), Style(indent_width=2)])
def test_findings_are_caught_in_every_layout(style: Style) -> None:
    # Another layout takes a different path (format first, then check): a finding must still be caught, even in
    # text that formatting leaves as it is.
    for text in ("print('hi')\n", "import os\n"):
        with pytest.raises(InvalidOutputError):
            validate([_py(text)], style)


# Many files go through ruff as one batch over a folder (skill/checks/python.py): the same findings, the same text.
MANY = 8


@pytest.mark.parametrize(
    ("text", "code"), [("print('hi')\n", "T201"), ("import sys\nimport os\n\nprint(os, sys)\n", "I001")]
)
def test_a_batch_reports_the_bad_file_by_name(text: str, code: str) -> None:
    drafts = [_py("x = 1\n", f"pkg/m{i}.py") for i in range(MANY)] + [_py(text, "pkg/bad.py")]
    with pytest.raises(InvalidOutputError) as caught:
        validate(drafts)
    assert {f.split(":")[0] for f in caught.value.findings} == {"pkg/bad.py"}
    assert any(code in f for f in caught.value.findings)


def test_a_batch_formats_like_single_files_and_lets_tests_assert() -> None:
    texts = [("x = {'a':1}\n", f"pkg/m{i}.py") for i in range(MANY)]
    drafts = [_py(t, p) for t, p in texts] + [_py("def test_x() -> None:\n    assert 1 + 1 == 2\n", "tests/test_x.py")]
    batched = validate(drafts)
    single = [validate([d])[0] for d in drafts[:2]]
    assert [c.content for c in batched[:2]] == [c.content for c in single]
    assert batched[0].content == 'x = {"a": 1}\n'


def test_a_batch_does_not_take_a_folder_for_first_party_code() -> None:
    # A folder of the result named like a library (a service called `httpx`) must not move `import httpx` into
    # the first-party section: only known_first_party is first party, as with single files.
    # Were httpx first party, isort would want it in a section after pydantic's (I001).
    text = "import json\n\nimport httpx\nimport pydantic\n\nx = (json.dumps, httpx.URL, pydantic.BaseModel)\n"
    drafts = [_py(text, f"httpx/m{i}.py") for i in range(MANY)]
    assert [c.content for c in validate(drafts)] == [text] * MANY

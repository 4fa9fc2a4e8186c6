"""The client snippet renders clean code for every option: ruff (through the engine), mypy --strict, imports.

mypy runs once over the whole matrix (each combination is its own module file), which keeps this fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from skill import generate
from skill._ruff import find_ruff
from skill.catalog import get_snippet
from skill.checks import Draft, check_files
from skill.generators.client import plan, requirements_for
from skill.plan import template_variables
from skill.render import render_template
from skill.specs.client import BLOCKS, ClientSpec
from skill.style import DEFAULT_STYLE
from tests.client.conftest import SIDECAR, Sidecar, load_module, render_client

ALL = list(BLOCKS)
MIXED = [
    ["state", "pubsub"],
    ["invoke", "jobs", "workflow"],
    ["secrets", "configuration", "lock", "metadata"],
    ["pubsub", "bindings", "jobs"],
]
MATRIX: dict[str, dict[str, Any]] = {
    "default": {},
    **{f"only_{block}": {"blocks": [block]} for block in BLOCKS},
    **{f"all_{transport}": {"transport": transport} for transport in ("httpx", "aiohttp")},
    **{
        f"mixed{i}_{transport}": {"blocks": blocks, "transport": transport}
        for i, blocks in enumerate(MIXED)
        for transport in ("auto", "httpx", "aiohttp")
    },
    **{f"only_{block}_aiohttp": {"blocks": [block], "transport": "aiohttp"} for block in ("state", "invoke")},
    **{f"dapr_{v.replace('.', '_')}": {"dapr_version": v} for v in ("1.15", "1.16", "1.17", "1.18")},
    "renamed": {"class_name": "Sidecar", "module": "sidecar_api", "max_retries": 0, "timeout_seconds": 1},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every matrix entry rendered through the engine (ruff format + ruff check), one file each."""
    directory = tmp_path_factory.mktemp("client_matrix")
    paths = {}
    for name, spec in MATRIX.items():
        path = directory / f"client_{name}.py"
        path.write_text(render_client(spec), encoding="utf-8")
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def mypy_report(rendered: dict[str, Path]) -> dict[str, list[str]]:
    """mypy --strict once over the whole matrix; the error lines of each file."""
    files = [str(p) for p in rendered.values()]
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    report: dict[str, list[str]] = {name: [] for name in rendered}
    by_path = {str(p): name for name, p in rendered.items()}
    for line in out.stdout.splitlines():
        path = line.split(":", 1)[0]
        if path in by_path:
            report[by_path[path]].append(line)
    assert out.returncode == 0 or any(report.values()), out.stdout[-4000:]
    return report


@pytest.mark.parametrize("name", list(MATRIX))
def test_mypy_strict_is_clean(mypy_report: dict[str, list[str]], name: str) -> None:
    assert mypy_report[name] == []


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(MATRIX))
async def test_renders_import_and_build(rendered: dict[str, Path], tmp_path: Path, name: str) -> None:
    module = load_module(rendered[name].read_text(encoding="utf-8"), tmp_path)
    class_name = MATRIX[name].get("class_name", "DaprClient")
    sidecar = Sidecar([httpx.Response(204)])
    settings = module.DaprSettings(http_endpoint=SIDECAR, api_token="t0ken")
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(sidecar)) as http,
        getattr(module, class_name)(settings, http_client=http) as client,
    ):
        assert await client.check_health() is True
        await client.shutdown()
    assert [(r.method, r.url.path) for r in sidecar.requests] == [
        ("GET", "/v1.0/healthz/outbound"),
        ("POST", "/v1.0/shutdown"),
    ]
    assert all(r.headers["dapr-api-token"] == "t0ken" for r in sidecar.requests)


def test_the_default_client_is_clean_under_ruff_defaults(tmp_path: Path) -> None:
    """A project with no ruff configuration at all (line length 88, ruff's default rules) leaves the default
    client unchanged and clean, and no line is longer than 88."""
    (only,) = generate("client").files
    path = tmp_path / only.path
    path.write_text(only.content, encoding="utf-8")
    ruff = find_ruff()
    fmt = subprocess.run([ruff, "format", "--isolated", "--check", str(path)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    check = subprocess.run([ruff, "check", "--isolated", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    long_lines = [n for n, line in enumerate(only.content.splitlines(), 1) if len(line) > 88]
    assert long_lines == []


def test_the_snippet_is_catalogued_with_its_requirements() -> None:
    snippet = get_snippet("client/dapr_client")
    assert (snippet.kind, snippet.title) == ("client", "Async Dapr sidecar client")
    # The header states what the default render requires (transport 'auto' includes aiohttp).
    assert snippet.requires == requirements_for(ClientSpec())
    assert snippet.template == "client/dapr_client.py.jinja"


def test_rendering_is_deterministic() -> None:
    assert render_client() == render_client()
    assert render_client({"blocks": ["jobs", "state"]}) == render_client({"blocks": ["state", "jobs"]})


def test_unselected_blocks_leave_no_trace(rendered: dict[str, Path]) -> None:
    markers = {
        "state": "def save_state",
        "pubsub": "def publish_event",
        "invoke": "def invoke_method",
        "bindings": "def invoke_binding",
        "secrets": "def get_secret",
        "configuration": "def get_configuration",
        "lock": "def try_lock",
        "jobs": "def schedule_job",
        "workflow": "def start_workflow",
        "metadata": "def get_metadata",
    }
    for block in BLOCKS:
        text = rendered[f"only_{block}"].read_text(encoding="utf-8")
        present = {b for b, marker in markers.items() if marker in text}
        assert present == {block}
        assert ("timedelta" in text) == (block == "jobs")
        assert ("IntEnum" in text) == (block == "lock")
        assert ("TypeAdapter" in text) == (block not in ("secrets", "configuration", "metadata"))
        for always in ("def wait_for_sidecar", "def check_health", "def shutdown", "def close", "trace_context"):
            assert always in text


def test_transport_imports(rendered: dict[str, Path]) -> None:
    auto = rendered["default"].read_text(encoding="utf-8")
    plain = rendered["all_httpx"].read_text(encoding="utf-8")
    direct = rendered["all_aiohttp"].read_text(encoding="utf-8")
    # 'auto' imports aiohttp optionally (inside try/except) and falls back to httpx's pool.
    assert "try:\n    import aiohttp\n" in auto
    assert "except ImportError:" in auto
    assert "httpx_aiohttp" not in auto
    # 'httpx' never imports aiohttp; it only recognises aiohttp errors if a caller's client already loaded it.
    assert "import aiohttp" not in plain
    assert "httpx_aiohttp" not in plain
    assert "_HAVE_AIOHTTP" not in plain
    assert "import aiohttp" in direct
    assert "URL(url, encoded=True)" in direct


def test_routes_follow_the_dapr_version(rendered: dict[str, Path]) -> None:
    def text(name: str) -> str:
        return rendered[name].read_text(encoding="utf-8")

    assert '"/v1.0-alpha1/jobs/' in text("default")
    assert '"/v1.0/jobs/' in text("dapr_1_18")
    assert '"/v1.0-alpha1/publish/bulk/' in text("dapr_1_16")
    assert '"/v1.0/publish/bulk/' in text("dapr_1_17")
    # Every supported release (1.15 on) serves the v1.0 workflow routes: the default uses them.
    assert '"/v1.0/workflows/dapr/' in text("default")
    assert '"/v1.0/workflows/dapr/' in text("dapr_1_15")
    assert "v1.0-beta1" not in text("default")
    assert "/v1.0-alpha1/lock/" in text("dapr_1_18")
    assert "/v1.0-alpha1/state/" in text("dapr_1_18")


def test_custom_class_and_defaults(rendered: dict[str, Path]) -> None:
    text = rendered["renamed"].read_text(encoding="utf-8")
    assert "class Sidecar:" in text
    assert "async with Sidecar() as dapr:" in text
    assert "api_max_retries: int = Field(default=0, ge=-1)" in text
    assert "api_timeout_seconds: float = Field(default=1.0, gt=0)" in text


FORMAT_CLEAN_SPECS: list[dict[str, Any]] = [
    {},
    {"transport": "httpx"},
    {"transport": "aiohttp"},
    {"dapr_version": "1.18"},
    *({"blocks": [block]} for block in BLOCKS),
]


@pytest.mark.parametrize("spec", FORMAT_CLEAN_SPECS, ids=json.dumps)
def test_renders_already_formatted(spec: dict[str, Any]) -> None:
    """The snippet is written the way ruff formats it at the default style (line length 88), so a warm call
    needs one ruff round, not two, and what a person reads in snippets/ is what the tool returns."""
    planned = plan(ClientSpec(**spec)).files[0]
    raw = render_template(get_snippet(planned.snippet).template, template_variables(planned.context))
    (checked,) = check_files([Draft(planned.path, raw, "python", planned.snippet)], DEFAULT_STYLE)
    assert checked.content == raw

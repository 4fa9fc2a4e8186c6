"""A covering set of block combinations, per transport, held to the generated-code bar.

Blocks interact only through the imports and helpers skill/generators/client.py chooses for them (the template has
no guards left), so each block alone, every pair, every set but one, and all of them (66 sets) cover every way
they combine: 198 modules over the three transports. Each is rendered through the engine (`skill.generate`),
written to disk, and then checked from outside: `ruff format --check` and `ruff check` with the engine's settings,
and `mypy --strict`. The raw render must also equal the engine's output (snippets are written ruff-formatted).
Dapr versions change route strings only; test_client_render.py type-checks each version.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from skill import generate
from skill._ruff import ruff_argv
from skill.catalog import get_snippet
from skill.generators.client import plan
from skill.plan import template_variables
from skill.render import render_template
from skill.specs.client import BLOCKS, ClientSpec, Transport

TRANSPORTS: tuple[Transport, ...] = ("auto", "httpx", "aiohttp")


def covering(blocks: tuple[str, ...]) -> list[tuple[str, ...]]:
    sets: set[tuple[str, ...]] = {(b,) for b in blocks} | set(itertools.combinations(blocks, 2))
    sets |= {tuple(b for b in blocks if b != left_out) for left_out in blocks}
    return sorted(sets | {blocks})


CASES = [(transport, combo) for transport in TRANSPORTS for combo in covering(BLOCKS)]


def _name(transport: Transport, combo: tuple[str, ...]) -> str:
    return f"c_{transport}_{'_'.join(combo)}"


def _render(case: tuple[Transport, tuple[str, ...]]) -> tuple[str, str]:
    """(raw render, engine output) of one case."""
    transport, combo = case
    spec = ClientSpec.model_validate({"blocks": list(combo), "transport": transport})
    planned = plan(spec).files[0]
    raw = render_template(get_snippet(planned.snippet).template, template_variables(planned.context))
    (checked,) = generate("client", spec).files
    return raw, checked.content


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The engine's output of every case, on disk; and the raw renders that differ from it."""
    folder = tmp_path_factory.mktemp("client_covering_set")
    with ThreadPoolExecutor(max_workers=4) as pool:  # each generate() mostly waits on ruff processes
        rendered = list(pool.map(_render, CASES))
    differing = {}
    for case, (raw, engine) in zip(CASES, rendered, strict=True):
        (folder / f"{_name(*case)}.py").write_text(engine, encoding="utf-8")
        if raw != engine:
            differing[_name(*case)] = raw
    return folder, differing


def test_the_covering_set(matrix: tuple[Path, dict[str, str]]) -> None:
    folder, _ = matrix
    assert len(CASES) == len(TRANSPORTS) * (len(BLOCKS) + 45 + len(BLOCKS) + 1)
    assert len(list(folder.glob("*.py"))) == len(CASES)


def test_raw_renders_are_already_formatted(matrix: tuple[Path, dict[str, str]]) -> None:
    _, differing = matrix
    assert not differing, f"these render differently from the engine's output: {sorted(differing)[:10]}"


def test_engine_output_passes_ruff_format_check_and_ruff_check(matrix: tuple[Path, dict[str, str]]) -> None:
    folder, _ = matrix
    fmt = subprocess.run(ruff_argv("format", "--check", str(folder)), capture_output=True, text=True, check=False)
    assert fmt.returncode == 0, fmt.stdout[-4000:] + fmt.stderr[-2000:]
    check = subprocess.run(
        ruff_argv("check", "--output-format", "concise", str(folder)), capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout[-4000:]


def test_engine_output_passes_mypy_strict(matrix: tuple[Path, dict[str, str]]) -> None:
    folder, _ = matrix
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]

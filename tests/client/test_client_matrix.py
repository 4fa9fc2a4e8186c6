"""Every option combination the client spec allows, held to the generated-code bar.

ruff: all 1,023 block subsets x 3 transports (3,069 modules) are rendered, formatted as the engine formats them,
then `ruff format --check` and `ruff check` run over the folder with the engine's rules.
mypy --strict: the blocks interact only through shared helpers and imports, so a covering set (each block alone,
every pair, every set but one, all) per transport is type-checked in one mypy run: 198 modules.
Dapr versions change route strings only; test_client_render.py type-checks each version.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from skill._ruff import ruff_argv
from skill.generators.client import plan
from skill.render import render_template
from skill.specs.client import BLOCKS, ClientSpec, Transport

TRANSPORTS: tuple[Transport, ...] = ("auto", "httpx", "aiohttp")


def _name(transport: Transport, combo: tuple[str, ...]) -> str:
    return f"c_{transport}_{'_'.join(combo)}"


def _covering(blocks: tuple[str, ...]) -> set[tuple[str, ...]]:
    sets: set[tuple[str, ...]] = {(b,) for b in blocks} | set(itertools.combinations(blocks, 2))
    sets |= {tuple(b for b in blocks if b != left_out) for left_out in blocks}
    return sets | {blocks}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("client_all_combinations")
    for transport in TRANSPORTS:
        for size in range(1, len(BLOCKS) + 1):
            for combo in itertools.combinations(BLOCKS, size):
                planned = plan(ClientSpec(blocks=list(combo), transport=transport)).files[0]
                text = render_template("client/dapr_client.py.jinja", planned.context)
                (folder / f"{_name(transport, combo)}.py").write_text(text, encoding="utf-8")
    formatted = subprocess.run(ruff_argv("format", str(folder)), capture_output=True, text=True, check=False)
    assert formatted.returncode == 0, formatted.stderr[-4000:]
    return folder


def test_all_combinations_are_rendered(matrix: Path) -> None:
    assert len(list(matrix.glob("*.py"))) == len(TRANSPORTS) * (2 ** len(BLOCKS) - 1)


def test_all_combinations_pass_ruff_format_check_and_ruff_check(matrix: Path) -> None:
    fmt = subprocess.run(ruff_argv("format", "--check", str(matrix)), capture_output=True, text=True, check=False)
    assert fmt.returncode == 0, fmt.stdout[-4000:]
    check = subprocess.run(
        ruff_argv("check", "--output-format", "concise", str(matrix)), capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout[-4000:]


def test_covering_combinations_pass_mypy_strict(matrix: Path) -> None:
    files = [
        str(matrix / f"{_name(transport, combo)}.py") for transport in TRANSPORTS for combo in sorted(_covering(BLOCKS))
    ]
    assert len(files) == len(TRANSPORTS) * (len(BLOCKS) + 45 + len(BLOCKS) + 1)
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]

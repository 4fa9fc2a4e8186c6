"""Each generated service, written to a folder, passes its own checks there: its tests, `mypy --strict`, ruff.

The tools run with this environment's interpreter (it has every runtime and dev requirement a service lists), in
parallel across the matrix. One slow test also runs a service the way its README says, `uv run pytest`, in a
fresh uv environment of its own (uv's cache is shared, so CI pays the downloads once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from skill.pipeline import generate
from tests.service.conftest import run_in, write_service
from tests.service.specs import SPECS
from tools._verify import verify_projects


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    found = {}
    for name, spec in SPECS.items():
        folder = tmp_path_factory.mktemp(f"service_{name}")
        write_service(spec, folder)
        found[name] = folder
    return found


@pytest.mark.slow
def test_every_service_passes_its_own_checks(folders: dict[str, Path]) -> None:
    # What `--verify` runs: pytest, mypy (each pyproject's strict configuration), ruff check and format.
    report = verify_projects(list(folders.values()), environment="this")  # offline, this venv's tools
    assert not report.problems, "\n\n".join(report.problems)
    assert len(report.passed) == 4 * len(folders)


def test_the_tests_really_ran(folders: dict[str, Path]) -> None:
    done = run_in(folders["kitchen-sink"], "pytest", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr
    passed = int(done.stdout.strip().splitlines()[-1].split()[0])
    assert passed >= 15  # health, subscriptions, every delivery, job, binding, invocation and CRUD route


def test_a_broken_handler_fails_the_generated_tests(folders: dict[str, Path], tmp_path: Path) -> None:
    # The generated tests are not decoration: break the wiring and they say so.
    folder = tmp_path / "broken"
    shutil.copytree(folders["kitchen-sink"], folder)
    handlers = folder / "app" / "handlers.py"
    text = handlers.read_text(encoding="utf-8")
    handlers.write_text(text.replace("    return request\n", "    raise RuntimeError('broken')\n"), encoding="utf-8")
    done = run_in(folder, "pytest", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 1, done.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_uv_run_pytest_works_in_every_service_of_the_todo_system(tmp_path: Path) -> None:
    """As each service's README says: `uv run pytest` in its folder, in a fresh environment of its own. The three
    run in parallel and share uv's cache, so the packages are fetched once."""
    result = generate("project", {})
    for f in result.files:
        path = tmp_path / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST", "UV_PROJECT"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"

    def uv_run(folder: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["uv", "run", "--python", "3.11", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    folders = [tmp_path / app for app in ("task-api", "recurring-task", "notification")]
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(uv_run, folders))
    for folder, done in zip(folders, runs, strict=True):
        assert done.returncode == 0, (folder.name, done.stdout[-3000:] + done.stderr[-3000:])
        assert (folder / "uv.lock").is_file()  # uv resolved it from its pyproject's lower bounds

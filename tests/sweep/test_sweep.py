"""The seeded sweep: random service specs (tests/sweep/specs.py) render, and each result passes `mypy --strict` (its
own configuration) and its own tests. A spec that fails is kept in tests/sweep/regressions.json and replayed by
every run after it (with `expect` set to "refused: <field>" when the fix was to refuse it).

Fixed seed in CI (SWEEP_SEED, SWEEP_COUNT change it locally). Cost: the results are type-checked by one process
that runs mypy over each folder in turn with one shared cache (the third-party stubs are analysed once), and
their tests run two folders at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from skill import SpecError, generate
from tests.sweep.specs import service_spec

SEED = int(os.environ.get("SWEEP_SEED", "16"))
COUNT = int(os.environ.get("SWEEP_COUNT", "10"))
REGRESSIONS = Path(__file__).parent / "regressions.json"

# mypy over many folders in one interpreter, one shared cache: each folder with its own pyproject (strict).
# The folders' own modules (tests, the app package) are dropped from the cache after each folder: the next folder
# has modules of the same names, and mypy would take their cached results for its own.
_MYPY_EACH = """
import glob, json, os, shutil, sys
from mypy import api
cache, folders = sys.argv[1], sys.argv[2:]
out = {}
for folder in folders:
    os.chdir(folder)
    stdout, stderr, status = api.run(["--cache-dir", cache, "--no-sqlite-cache", "."])
    out[folder] = [status, stdout + stderr]
    for name in os.listdir(folder):
        for entry in glob.glob(os.path.join(cache, "*", name)) + glob.glob(os.path.join(cache, "*", name + ".*")):
            shutil.rmtree(entry) if os.path.isdir(entry) else os.remove(entry)
print(json.dumps(out))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _write(spec: dict[str, Any], folder: Path) -> None:
    for f in generate("service", spec).files:
        path = folder / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")


def _mypy(folders: list[Path], cache: Path) -> dict[str, tuple[int, str]]:
    done = subprocess.run(  # our own interpreter, fixed arguments
        [sys.executable, "-c", _MYPY_EACH, str(cache), *map(str, folders)],
        capture_output=True, text=True, env=_env(), timeout=1200, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"the mypy runner failed: {done.stderr[-3000:]}")
    return {k: (v[0], v[1]) for k, v in json.loads(done.stdout).items()}


def _pytest(folder: Path) -> tuple[int, str]:
    done = subprocess.run(  # our own interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=folder, capture_output=True, text=True, env=_env(), timeout=600, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def check_specs(specs: list[dict[str, Any]], root: Path) -> tuple[int, list[tuple[dict[str, Any], str]]]:
    """(how many the service spec accepted, each failing spec with what failed). A spec the service spec refuses
    is not a failure of the generator, but it is counted out."""
    rendered: list[tuple[dict[str, Any], Path]] = []
    failures: list[tuple[dict[str, Any], str]] = []
    accepted = 0
    for i, spec in enumerate(specs):
        folder = root / f"spec-{i}"
        try:
            _write(spec, folder)
        except SpecError:
            continue
        except Exception as exc:  # the generator broke on a valid spec: a finding too
            failures.append((spec, f"generate: {type(exc).__name__}: {exc}"))
        else:
            rendered.append((spec, folder))
        accepted += 1
    typed = _mypy([f for _, f in rendered], root / ".mypy-cache") if rendered else {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        tested = list(pool.map(_pytest, [f for _, f in rendered]))
    for (spec, folder), (status, output) in zip(rendered, tested, strict=True):
        mypy_status, mypy_output = typed[str(folder)]
        if mypy_status != 0:
            failures.append((spec, f"mypy --strict:\n{mypy_output[-3000:]}"))
        if status != 0:
            failures.append((spec, f"pytest:\n{output[-3000:]}"))
    return accepted, failures


def _keep(failures: list[tuple[dict[str, Any], str]]) -> None:
    """Add the failing specs to the regression file (the next run replays them)."""
    kept = json.loads(REGRESSIONS.read_text(encoding="utf-8"))
    known = [json.dumps(k["spec"], sort_keys=True) for k in kept]
    for spec, why in failures:
        if json.dumps(spec, sort_keys=True) not in known:
            kept.append({"spec": spec, "found": f"seed {SEED}", "failed": why.splitlines()[0]})
            known.append(json.dumps(spec, sort_keys=True))
    REGRESSIONS.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")


def test_the_seeded_sweep_passes_mypy_and_its_own_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = [service_spec(SEED, i) for i in range(COUNT)]
    accepted, failures = check_specs(specs, tmp_path)
    with capsys.disabled():
        print(f"\nsweep: seed {SEED}, {len(specs)} specs tried, {accepted} accepted, {len(failures)} failure(s)")
    if failures:
        _keep(failures)
    assert accepted >= COUNT // 2, "most random specs should be valid: the sweep would test little"
    assert not failures, "\n\n".join(f"{json.dumps(s)}\n{why}" for s, why in failures)


def test_the_kept_regressions_pass(tmp_path: Path) -> None:
    """Each kept spec passes now, or, where the fix was to refuse it (`expect`: "refused: <field>"), is refused
    naming that field."""
    kept = json.loads(REGRESSIONS.read_text(encoding="utf-8"))
    if not kept:
        pytest.skip("no regression kept yet")
    passing = [k["spec"] for k in kept if not k.get("expect", "").startswith("refused")]
    for k in kept:
        if k.get("expect", "").startswith("refused"):
            field = k["expect"].removeprefix("refused: ")
            with pytest.raises(SpecError) as caught:
                generate("service", k["spec"])
            fields = [p.field.replace("'", "") for p in caught.value.problems]
            assert field in fields, str(caught.value)
    accepted, failures = check_specs(passing, tmp_path)
    assert accepted == len(passing), "a kept regression spec no longer renders"
    assert not failures, "\n\n".join(f"{json.dumps(s)}\n{why}" for s, why in failures)

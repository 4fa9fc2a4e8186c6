"""The live page of `dapr-coder run`, in a real headless browser: Debian's Chromium driven by playwright-core (npm).
An event published through an app's Dapr stand-in shows on the page, with its delivery answer, within a second.

Where Chromium or Node is missing the test is skipped with the reason; in CI (CI=true), where .ci/run installs them,
it fails instead."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from skill.generators import samples
from skill.generators.project import GENERATOR
from skill.specs.project import ProjectSpec
from tests.standin.conftest import Run, generate_project

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCRIPT = Path(__file__).with_name("page_check.mjs")


def _order() -> object:
    """A sample the billing service's subscription accepts (the model it was generated with)."""
    spec = ProjectSpec.model_validate(GENERATOR.examples["orders-pipeline"])
    billing = next(s for s in spec.services if s.app_id == "billing")
    sub = billing.subscriptions[0]
    return samples.sample(billing.models, sub.model)


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if shutil.which("node") is None:
        return "node is not on PATH (Node.js 20+)"
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        return "node_modules/playwright-core is missing (npm ci in the repository root)"
    return None


@pytest.fixture
def browser_ready() -> None:
    why = _missing()
    if why is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the live page test needs a browser in CI: {why}")
    pytest.skip(f"no headless browser here: {why}")


def test_the_page_shows_an_event_and_its_delivery_answer_within_a_second(
    browser_ready: None, tmp_path: Path, start_run: Callable[..., Run]
) -> None:
    folder = generate_project("orders-pipeline", tmp_path / "orders")
    run = start_run(folder)
    log = run.wait_for("billing is up on")
    run.wait_for("orders is up on")
    page_url = re.search(r"live page: (http://127\.0\.0\.1:\d+/)", log)
    dapr = re.search(r"billing is up on \S+ \(its Dapr stand-in: (http://127\.0\.0\.1:\d+)\)", log)
    assert page_url is not None, log
    assert dapr is not None, log
    assert httpx.get(page_url.group(1).replace("127.0.0.1", "localhost"), timeout=5).status_code == 200
    rebinding = httpx.get(page_url.group(1), headers={"host": "attacker.example"}, timeout=5)
    assert rebinding.status_code == 403  # loopback names only

    out = subprocess.run(
        ["node", str(SCRIPT), page_url.group(1), f"{dapr.group(1)}/v1.0/publish/pubsub/orders", "orders",
         str(tmp_path / "chromium-profile"), json.dumps(_order())],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-4000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["published"] == 204, seen
    assert seen["error"] is None, seen
    assert seen["answer"] == "SUCCESS", seen
    assert run.interrupt() == 0


# The apps listen on their specs' ports (8000-8002): two runs at once on two xdist workers would collide.
pytestmark = pytest.mark.usefixtures("app_ports")

"""The fake's renders for several block sets pass ruff format --check, ruff check and mypy --strict beside the
client they serve, keep within 88 columns, and hold only the parts for the blocks in use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skill._ruff import ruff_argv
from skill.catalog import get_snippet
from skill.generators import fake
from skill.plan import template_variables
from skill.render import render_template
from skill.specs.client import BLOCKS
from tests.fake.conftest import SUPPORTED, render_fake, write_rendered

# Each answered block alone, all of them, every client block (the unanswered ones get 501), and delivery helpers
# rendered without the pubsub block (an app that subscribes but never publishes).
VARIANTS: dict[str, tuple[tuple[str, ...], bool]] = {
    **{block: ((block,), False) for block in SUPPORTED},
    "answered": (SUPPORTED, False),
    "every-client-block": (BLOCKS, False),
    "state-subscriber": (("state",), True),
    "workflow-only": (("workflow",), False),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fake_variants")
    for blocks, subscriptions in VARIANTS.values():
        write_rendered(blocks, folder, subscriptions=subscriptions)
    return folder


def test_every_variant_passes_ruff(rendered: Path) -> None:
    fmt = subprocess.run(ruff_argv("format", "--check", str(rendered)), capture_output=True, text=True, check=False)
    assert fmt.returncode == 0, fmt.stdout[-4000:]
    check = subprocess.run(
        ruff_argv("check", "--output-format", "concise", str(rendered)), capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout[-4000:]


def test_every_variant_passes_mypy_strict_with_its_client(rendered: Path) -> None:
    packages = sorted(p.name for p in rendered.iterdir() if p.is_dir())
    assert len(packages) == len(VARIANTS)
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11",
         *(f"-p={p}" for p in packages)],
        capture_output=True, text=True, check=False, cwd=rendered,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_renders_stay_within_88_columns(rendered: Path) -> None:
    long = [f"{p}:{n}" for p in rendered.glob("*/fake_dapr.py")
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if len(line) > 88]  # fmt: skip
    assert long == []


def test_pubsub_only_render_has_no_state_code() -> None:
    source = render_fake(["pubsub"])
    for absent in (
        "StoredState",
        "_save_state",
        '("v1.0", "state"',
        "put_state",
        "ScheduledJob",
        "Invocation",
        "BindingCall",
    ):
        assert absent not in source, absent
    for present in ("PublishedEvent", "def deliver(", "def deliver_pending(", "ERR_PUBSUB_NOT_FOUND"):
        assert present in source, present


def test_state_only_render_has_no_pubsub_code() -> None:
    source = render_fake(["state"])
    for absent in ("PublishedEvent", "def deliver", "_cloud_event", "import base64", "timedelta", "trigger_job"):
        assert absent not in source, absent
    assert "StoredState" in source
    assert "def _query_state(" in source  # the client's state block has query_state


def test_subscriber_without_pubsub_gets_deliver_but_no_publish_api() -> None:
    source = render_fake(["state"], subscriptions=True)
    assert "def deliver(" in source
    assert "def deliver_pending(" not in source  # nothing is ever published through it
    assert "def _publish(" not in source


def test_context_names_what_is_left_out() -> None:
    context = fake.context_for(["workflow", "state", "lock", "pubsub"])
    assert context.blocks == ("state", "pubsub")  # canonical order
    assert context.unsupported == ("lock", "workflow")
    assert "workflows" in context.unanswered_apis
    assert "state" not in context.unanswered_apis
    assert "lock" in render_fake(["workflow", "state", "lock", "pubsub"]).split('"""', 2)[1]


def test_unknown_blocks_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown client blocks"):
        fake.context_for(["state", "actors"])


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_snippet_renders_already_formatted(name: str) -> None:
    # Written format-clean, the render is checked while it is formatted (skill/checks/python.py), not after.
    blocks, subscriptions = VARIANTS[name]
    context = fake.context_for(blocks, subscriptions=subscriptions)
    raw = render_template(get_snippet(fake.SNIPPET).template, template_variables(context))
    assert raw == render_fake(blocks, subscriptions=subscriptions)

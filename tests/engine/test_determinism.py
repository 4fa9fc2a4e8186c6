"""Same spec, same bytes: across calls and across hash seeds (set and dict order must never leak)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from skill import generate

_SPEC = {"blocks": ["jobs", "state", "pubsub"], "transport": "aiohttp", "dapr_version": "1.17"}
_SNIPPET = f"""
import json, sys
from skill import generate
print(generate("client", json.loads({json.dumps(json.dumps(_SPEC))})).model_dump_json())
"""


def test_same_spec_same_bytes() -> None:
    assert generate("client", _SPEC) == generate("client", _SPEC)


def test_block_order_does_not_matter() -> None:
    reordered = {**_SPEC, "blocks": ["pubsub", "jobs", "state"]}
    assert generate("client", reordered).files == generate("client", _SPEC).files


def test_hash_seed_does_not_change_output() -> None:
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", _SNIPPET], capture_output=True, text=True, env=env, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["kind"] == "client"

"""The recording of daprd's answers to the facts: `daprd-1.18.3.json` beside this module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DAPRD_VERSION = "1.18.3"
RECORDING = Path(__file__).with_name(f"daprd-{DAPRD_VERSION}.json")
RECORD_ENV = "DAPR_CODER_RECORD_FACTS"


def fact_ids() -> set[str]:
    """Every fact id: the sidecar facts (per store flavour) and the app facts."""
    from tests.differential import app_facts, facts

    return {fact_id for fact_id, _, _ in facts.fact_ids()} | {fact.fact_id for fact in app_facts.APP_FACTS}


def load() -> dict[str, Any]:
    """Fact id -> daprd's observable."""
    recorded: dict[str, Any] = json.loads(RECORDING.read_text(encoding="utf-8"))["facts"]
    return recorded


def write(facts: dict[str, Any]) -> None:
    document = {"daprd": DAPRD_VERSION, "facts": dict(sorted(facts.items()))}
    RECORDING.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")

"""`dapr-coder run` feeds a Kafka input binding: a Kubernetes-only project (its pub/sub is pubsub.kafka) whose
`bookings` service publishes each booking created on `booking-events`, and whose `audit` service reads that Kafka
topic through a bindings.kafka input binding (tools/standin/kafka_feed.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.standin.conftest import Run, listening, survivors
from tools.cli import main as cli

PORTS = (8460, 8461)
SPEC = {
    "name": "ledger",
    "environments": ["kubernetes"],
    "secret_store": None,
    "services": [
        {"app_id": "bookings", "port": 8460,
         "models": {"models": [{"name": "Booking", "description": "A room booked.",
                                "fields": [{"name": "id", "type": "str", "min_length": 1, "max_length": 80},
                                           {"name": "room", "type": "str", "min_length": 1, "max_length": 20}]}]},
         "crud": [{"name": "bookings", "model": "Booking", "topic": "booking-events"}]},
        {"app_id": "audit", "port": 8461,
         "bindings": [{"name": "booking-feed", "route": "/feed", "handler": "on_booking",
                       "source": {"kind": "kafka", "topics": ["booking-events"]}}]},
    ],
}  # fmt: skip


def test_a_kafka_input_binding_gets_what_the_kafka_pub_sub_carries(
    tmp_path: Path, start_run: Callable[..., Run]
) -> None:
    busy = [p for p in PORTS if listening(p)]
    if busy:
        pytest.fail(f"the project's ports {busy} are taken on this machine")
    spec = tmp_path / "ledger.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    folder = tmp_path / "ledger"
    assert cli(["new", "--spec", str(spec), str(folder)]) == 0
    run = start_run(folder, "--no-page")
    for app in ("bookings", "audit"):
        run.wait_for(f"{app} is up on")
    log = run.log()
    assert "not modelled" not in log
    assert "Kafka input bindings (booking-feed) read in-memory Kafka topics" in log

    created = httpx.post("http://127.0.0.1:8460/api/bookings", json={"id": "b-1", "room": "12"}, timeout=30)
    assert created.status_code == 201, created.text
    log = run.wait_for("kafka binding booking-feed: booking-events offset 0 -> audit /feed: HTTP 200")
    # the record's value is the CloudEvent pubsub.kafka wrote; the generated handler logs the body it got
    assert 'binding event: b\'{"data":{"id":"b-1","room":"12"}' in log
    assert "offset 1" not in log  # posted once

    assert run.interrupt() == 0
    assert survivors(folder) == []

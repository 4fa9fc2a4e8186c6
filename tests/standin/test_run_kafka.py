"""`dapr-coder run` feeds a Kafka input binding: a Kubernetes-only project (its pub/sub is pubsub.kafka) whose
`bookings` service publishes each booking created on `booking-events`, and whose `audit` service reads that Kafka
topic through a bindings.kafka input binding (tools/standin/kafka_feed.py); `--smoke` writes a sample to that topic
and reports the route's answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.standin.conftest import Run, listening, survivors
from tools.cli import main as cli

PORTS = (8460, 8461)
# the fixed ports above: such tests take turns across xdist workers
pytestmark = pytest.mark.usefixtures("app_ports")
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
    folder = _project(tmp_path)
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


def _project(tmp_path: Path) -> Path:
    busy = [p for p in PORTS if listening(p)]
    if busy:
        pytest.fail(f"the project's ports {busy} are taken on this machine")
    spec = tmp_path / "ledger.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    folder = tmp_path / "ledger"
    assert cli(["new", "--spec", str(spec), str(folder)]) == 0
    return folder


def test_smoke_writes_a_sample_to_each_kafka_input_binding_and_reports_the_routes_answer(
    tmp_path: Path, start_run: Callable[..., Run]
) -> None:
    folder = _project(tmp_path)
    run = start_run(folder, "--smoke", "--no-page")
    code = run.wait()
    log = run.log()
    assert code == 0, log[-6000:]
    written = re.search(r"ok   audit: write a sample to Kafka topic booking-events \(booking-feed\): offset (\d+)", log)
    assert written is not None, log[-6000:]
    offset = written.group(1)
    sample = f"ok   audit: kafka binding booking-feed: booking-events offset {offset} (the smoke sample) -> POST /feed"
    assert f"{sample}: HTTP 200" in log
    assert "binding event: b'dapr-coder smoke sample'" in log  # no model: raw bytes, as the handler got them
    assert survivors(folder) == []


def test_smoke_fails_naming_a_kafka_input_binding_whose_handler_raises(
    tmp_path: Path, start_run: Callable[..., Run]
) -> None:
    folder = _project(tmp_path)
    handlers = folder / "audit" / "app" / "handlers.py"
    text, found = re.subn(
        r'(    """Handle an event of binding booking-feed."""\n)', r'\1    raise RuntimeError("made to fail")\n',
        handlers.read_text(encoding="utf-8"),
    )  # fmt: skip
    assert found == 1, handlers.read_text(encoding="utf-8")
    handlers.write_text(text, encoding="utf-8")
    run = start_run(folder, "--smoke", "--no-page")
    assert run.wait() == 1
    log = run.log()
    assert re.search(r"FAIL audit: kafka binding booking-feed: booking-events offset \d+ \(the smoke sample\) "
                     r"-> POST /feed: HTTP 500", log), log[-6000:]  # fmt: skip
    assert survivors(folder) == []

"""The generated route tests check the contract with Dapr, not the stubs' answers: a service whose handlers.py
holds real business logic (tests/service/data/real_handlers.py.txt: every handler reads or writes through Dapr,
refuses some input, answers with data of its own) still passes them, and `mypy --strict`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.conftest import run_in, write_service

REAL_HANDLERS = Path(__file__).parent / "data" / "real_handlers.py.txt"

# One of each kind of route that calls handlers.py: an idempotent subscription, a routing rule, a bulk
# subscription, a job with and one without a model, a binding with a model and a raw one, an invocation with a
# body and a GET one; and a CRUD resource (its routes are generated whole and call no handler).
SPEC: dict[str, Any] = {
    "app_id": "orders",
    "port": 8100,
    "models": {
        "models": [
            {
                "name": "Order",
                "fields": [{"name": "id", "type": "str", "min_length": 1}, {"name": "total", "type": "float", "ge": 0}],
            },
            {
                "name": "Shipment",
                "fields": [{"name": "order_id", "type": "str"}, {"name": "carrier", "type": "str | None"}],
            },
        ]
    },
    "subscriptions": [
        {"topic": "orders", "model": "Order", "idempotent": True},
        {
            "topic": "returns",
            "model": "Order",
            "rules": [{"match": 'event.type == "big"', "route": "/returns/big", "handler": "on_big_return"}],
        },
        {"topic": "audit", "model": "Order", "bulk": {}},
    ],
    "jobs": [{"name": "nightly-report"}, {"name": "reship", "model": "Order", "prefix": True}],
    "bindings": [{"name": "order-feed", "model": "Order"}, {"name": "raw-feed"}],
    "invocations": [
        {"method": "/ship", "request_model": "Order", "response_model": "Shipment"},
        {"method": "/carrier", "verb": "GET", "response_model": "Shipment"},
    ],
    "crud": [{"name": "orders", "model": "Order", "key_field": "id"}],
    "publishes": ["shipments"],
    "environments": ["local"],
}


def test_the_route_tests_pass_with_real_handlers(tmp_path: Path) -> None:
    write_service(SPEC, tmp_path)
    (tmp_path / "app" / "handlers.py").write_text(REAL_HANDLERS.read_text(encoding="utf-8"), encoding="utf-8")
    tests = run_in(tmp_path, "pytest", "-v", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    ran = [line for line in tests.stdout.splitlines() if "tests/test_app.py::" in line and "PASSED" in line]
    # health, the token, two per plain subscription route, one bulk, each job, binding and invocation, CRUD
    assert len(ran) >= 17, tests.stdout
    typed = run_in(tmp_path, "mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert typed.returncode == 0, typed.stdout[-4000:]

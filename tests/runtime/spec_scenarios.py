"""Issue 15's scenarios for the project specs other than todo (tests/runtime/specs/: `shop`, `bookings`), each where
it applies: create and read through the public API, bad input refused naming the field with nothing stored, an event
delivered twice handled once, a garbage CloudEvent dropped to the dead-letter topic, invocation allowed for the
callers only, concurrent updates under ETags retried (none lost), an output binding's email sent, input bindings
(Kafka, cron) firing. Written against `SpecSystem`, the hooks of tests/runtime/system.py plus four of
real_system.py (`emails`, `handler_calls`, `handled`, `kafka_send`, `slow_state_reads`); a failure is a bug in what we
generate (or in a spec's handlers), never a reason to loosen a scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from tests.runtime.scenarios import QUIET, eventually, run_scenarios


class SpecSystem(Protocol):
    profile: str

    def api(self, app_id: str) -> httpx.AsyncClient: ...

    async def invoke(self, caller: str, target: str, method: str, path: str, json: Any = None) -> httpx.Response: ...

    async def publish(
        self, topic: str, data: Any, *, event_id: str | None = None, event_type: str | None = None, raw: bool = False
    ) -> None: ...

    def events(self, topic: str) -> list[dict[str, Any]]: ...

    async def delivery_route(self, app_id: str, topic: str) -> str: ...

    def requests(self, app_id: str, method: str, path: str) -> list[int]: ...

    def emails(self) -> list[dict[str, Any]]: ...

    def handler_calls(self, app_id: str, handler: str) -> int: ...

    def handled(self, app_id: str, handler: str, text: str) -> bool: ...

    async def kafka_send(self, topic: str, data: Any) -> None: ...

    def slow_state_reads(self, app_id: str, seconds: float) -> contextlib.AbstractContextManager[None]: ...


def _id(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}"


def _about(events: list[dict[str, Any]], field: str, value: str) -> list[dict[str, Any]]:
    return [e for e in events if isinstance(e.get("data"), dict) and e["data"].get(field) == value]


async def _created(system: SpecSystem, app: str, path: str, item: dict[str, Any]) -> None:
    answer = await system.api(app).post(path, json=item)
    assert answer.status_code == 201, f"POST {path}: {answer.status_code} {answer.text}"


# --- shop -----------------------------------------------------------------------------------------------------
def _order(sku: str, quantity: int = 1, **fields: Any) -> dict[str, Any]:
    order_id = _id("order")
    return {"id": order_id, "customer_email": f"{order_id}@example.com", "sku": sku, "quantity": quantity,
            "created_at": datetime.now(UTC).isoformat(), **fields}  # fmt: skip


async def _stock(system: SpecSystem, available: int) -> str:
    sku = _id("sku")
    await _created(system, "inventory", "/api/stock", {"sku": sku, "available": available})
    return sku


async def _available(system: SpecSystem, sku: str) -> int:
    answer = await system.api("inventory").get(f"/api/stock/{sku}")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["available"])


def _emails_to(system: SpecSystem, address: str) -> list[dict[str, Any]]:
    return [m for m in system.emails() if address in m["recipients"]]


async def shop_crud(system: SpecSystem) -> None:
    """An order created through the public API is read back (with an ETag) and listed, and published once."""
    order = _order("none-such")
    await _created(system, "orders", "/api/orders", order)
    read = await system.api("orders").get(f"/api/orders/{order['id']}")
    assert read.status_code == 200, read.text
    assert (read.json()["sku"], read.json()["quantity"]) == (order["sku"], order["quantity"]), read.text
    assert read.headers.get("ETag"), "GET answers without an ETag"
    listed = await system.api("orders").get("/api/orders")
    assert order["id"] in [o["id"] for o in listed.json()], "the new order is not listed"
    await eventually("the order published", lambda: _about(system.events("orders"), "id", order["id"]))
    await asyncio.sleep(QUIET)
    assert len(_about(system.events("orders"), "id", order["id"])) == 1


async def shop_bad_input(system: SpecSystem) -> None:
    """An order of 0 items: 4xx naming `quantity`, nothing stored, nothing published."""
    order = _order("any", quantity=0)
    answer = await system.api("orders").post("/api/orders", json=order)
    assert 400 <= answer.status_code < 500, answer.text
    assert "quantity" in answer.text, f"the answer does not name the field: {answer.text}"
    assert (await system.api("orders").get(f"/api/orders/{order['id']}")).status_code == 404
    await asyncio.sleep(QUIET)
    assert _about(system.events("orders"), "id", order["id"]) == [], "bad input was published"


async def shop_fulfilled(system: SpecSystem) -> None:
    """An order in stock: its stock reserved (through invocation), a shipment published, the customer emailed."""
    sku = await _stock(system, 5)
    order = _order(sku, quantity=2)
    await _created(system, "orders", "/api/orders", order)
    await eventually("the shipment", lambda: _about(system.events("shipments"), "order_id", order["id"]))
    await eventually("the email", lambda: _emails_to(system, order["customer_email"]))
    mail = _emails_to(system, order["customer_email"])[0]
    assert f"Order {order['id']} confirmed" in mail["data"], mail
    assert mail["sender"] == "shop@example.com", mail
    assert await _available(system, sku) == 3


async def shop_duplicate(system: SpecSystem) -> None:
    """The same order event (one CloudEvent id) published twice: reserved, shipped and emailed once."""
    sku = await _stock(system, 5)
    order = _order(sku, quantity=1)
    event_id = str(uuid.uuid4())
    for _ in range(2):
        await system.publish("orders", order, event_id=event_id, event_type="orders.created")
    await eventually("the email", lambda: _emails_to(system, order["customer_email"]))
    await asyncio.sleep(QUIET)
    shipped = _about(system.events("shipments"), "order_id", order["id"])
    assert (len(shipped), len(_emails_to(system, order["customer_email"]))) == (1, 1), shipped
    assert await _available(system, sku) == 4
    assert _about(system.events("orders-failed"), "id", order["id"]) == [], "the duplicate was dead-lettered"


async def shop_out_of_stock(system: SpecSystem) -> None:
    """An order the stock cannot cover goes to the dead-letter topic `orders-failed`, no email, stock kept."""
    sku = await _stock(system, 1)
    order = _order(sku, quantity=2)
    await _created(system, "orders", "/api/orders", order)
    await eventually("the order in orders-failed", lambda: _about(system.events("orders-failed"), "id", order["id"]))
    await asyncio.sleep(QUIET)
    assert _emails_to(system, order["customer_email"]) == [], "an unreserved order was confirmed"
    assert await _available(system, sku) == 1


async def shop_garbage(system: SpecSystem) -> None:
    """A raw payload that is no order: dropped to `orders-failed` at the first delivery, not retried."""
    marker = _id("garbage")
    route = await system.delivery_route("fulfillment", "orders")
    before = len(system.requests("fulfillment", "POST", route))
    await system.publish("orders", {"not": "an order", "marker": marker}, raw=True)
    await eventually(
        "the garbage in orders-failed", lambda: any(marker in str(e) for e in system.events("orders-failed"))
    )
    codes = system.requests("fulfillment", "POST", route)[before:]
    assert len(codes) == 1, f"the garbage event was delivered {len(codes)} times ({codes}): retried, not dropped"


async def shop_invocation(system: SpecSystem) -> None:
    """/reserve answers its caller (fulfillment) through invocation, and refuses an app it does not name."""
    sku = await _stock(system, 1)
    ask = {"order_id": _id("inv"), "sku": sku, "quantity": 1}
    allowed = await system.invoke("fulfillment", "inventory", "POST", "/reserve", ask)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["reserved"] is True, allowed.text
    denied = await system.invoke("orders", "inventory", "POST", "/reserve", {**ask, "order_id": _id("inv")})
    assert denied.status_code == 403, f"{denied.status_code} {denied.text}"
    assert await _available(system, sku) == 0


async def shop_etag_conflicts(system: SpecSystem) -> None:
    """Many reservations of one item at once: each saves under the item's ETag and, when another saved first,
    reads again and retries, so every one is taken from the stock and none is lost; one more finds none left.
    The inventory's state reads answer late meanwhile, so that the reservations surely overlap and meet
    conflicts (their answers count them): else the retry would not be exercised."""
    count = 12
    sku = await _stock(system, count)

    async def one() -> httpx.Response:
        return await system.invoke("fulfillment", "inventory", "POST", "/reserve",
                                   {"order_id": _id("race"), "sku": sku, "quantity": 1})  # fmt: skip

    with system.slow_state_reads("inventory", 0.3):
        answers = await asyncio.gather(*(one() for _ in range(count)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
    results = [a.json() for a in answers]
    assert all(r["reserved"] for r in results), results
    assert await _available(system, sku) == 0, "a concurrent reservation was lost"
    assert sorted(r["remaining"] for r in results) == list(range(count)), results
    assert sum(r["conflicts"] for r in results) > 0, "no reservation met a conflict: the retry was not exercised"
    last = await one()
    assert last.status_code == 200, last.text
    assert last.json()["reserved"] is False, last.text


# --- bookings ---------------------------------------------------------------------------------------------------
def _booking(**fields: Any) -> dict[str, Any]:
    return {"id": _id("booking"), "room": "101", "guest": "Ada", "nights": 2,
            "created_at": datetime.now(UTC).isoformat(), **fields}  # fmt: skip


async def _paid(system: SpecSystem, booking_id: str) -> bool:
    answer = await system.api("bookings").get(f"/api/bookings/{booking_id}")
    return answer.status_code == 200 and answer.json()["paid"] is True


async def bookings_crud(system: SpecSystem) -> None:
    """A booking created through the public API is read back unpaid, with an ETag, and published once."""
    booking = _booking()
    await _created(system, "bookings", "/api/bookings", booking)
    read = await system.api("bookings").get(f"/api/bookings/{booking['id']}")
    assert read.status_code == 200, read.text
    assert read.json()["paid"] is False, read.text
    assert read.headers.get("ETag"), "GET answers without an ETag"
    await eventually("the booking published", lambda: _about(system.events("booking-events"), "id", booking["id"]))
    await asyncio.sleep(QUIET)
    assert len(_about(system.events("booking-events"), "id", booking["id"])) == 1


async def bookings_bad_input(system: SpecSystem) -> None:
    """A booking of 0 nights: 4xx naming `nights`, nothing stored, nothing published."""
    booking = _booking(nights=0)
    answer = await system.api("bookings").post("/api/bookings", json=booking)
    assert 400 <= answer.status_code < 500, answer.text
    assert "nights" in answer.text, f"the answer does not name the field: {answer.text}"
    assert (await system.api("bookings").get(f"/api/bookings/{booking['id']}")).status_code == 404
    await asyncio.sleep(QUIET)
    assert _about(system.events("booking-events"), "id", booking["id"]) == [], "bad input was published"


async def bookings_kafka_payment(system: SpecSystem) -> None:
    """A payment written to Kafka reaches the Kafka input binding: the booking is paid (through invocation of its
    `pay` action), announced once as bookings.paid."""
    booking = _booking()
    await _created(system, "bookings", "/api/bookings", booking)
    await system.kafka_send("bank-payments", {"booking_id": booking["id"], "amount": 200})
    await eventually(f"{booking['id']} paid", lambda: _paid(system, booking["id"]), 60)
    await asyncio.sleep(QUIET)
    paid = [e for e in _about(system.events("booking-events"), "id", booking["id"]) if e["type"] == "bookings.paid"]
    assert len(paid) == 1, f"bookings.paid published {len(paid)} times"


async def bookings_kafka_twice(system: SpecSystem) -> None:
    """The same payment written twice: both messages handled, the booking written once (the second `pay` finds it
    paid and leaves it: its ETag stays). The generated action publishes bookings.paid again on purpose (the first
    call may have failed to publish), so that count is not asserted."""
    booking = _booking()
    await _created(system, "bookings", "/api/bookings", booking)
    payment = {"booking_id": booking["id"], "amount": 200}
    before = system.handler_calls("payments", "on_payment")
    await system.kafka_send("bank-payments", payment)
    await eventually(f"{booking['id']} paid", lambda: _paid(system, booking["id"]), 60)
    await eventually("the payment handled", lambda: system.handler_calls("payments", "on_payment") > before)
    first = (await system.api("bookings").get(f"/api/bookings/{booking['id']}")).headers.get("ETag")
    await system.kafka_send("bank-payments", payment)
    await eventually("the second one handled", lambda: system.handler_calls("payments", "on_payment") >= before + 2)
    again = await system.api("bookings").get(f"/api/bookings/{booking['id']}")
    assert again.json()["paid"] is True, again.text
    assert again.headers.get("ETag") == first, f"the booking was written again: ETag {first} -> {again.headers}"


# Written to Kafka before the system's first start (BEFORE_START): a first deployment's consumer group must read
# what was written before it joined (its initialOffset), or a payment made meanwhile is lost.
EARLY_PAYMENT = {"booking_id": f"early-{uuid.uuid4().hex[:8]}", "amount": 1}


async def bookings_kafka_before_start(system: SpecSystem) -> None:
    """A payment written to Kafka before the services first started reaches the input binding's handler."""
    early = str(EARLY_PAYMENT["booking_id"])
    await eventually(f"the payment {early} handled", lambda: system.handled("payments", "on_payment", early), 60)


async def bookings_cron(system: SpecSystem) -> None:
    """The cron input binding (@every 2s) keeps calling its handler."""
    before = system.handler_calls("payments", "on_tick")
    await eventually("two more ticks", lambda: system.handler_calls("payments", "on_tick") >= before + 2, 20)


async def bookings_invocation(system: SpecSystem) -> None:
    """The bookings API answers its caller (payments) through service invocation."""
    booking = _booking()
    await _created(system, "bookings", "/api/bookings", booking)
    answer = await system.invoke("payments", "bookings", "GET", f"/api/bookings/{booking['id']}")
    assert answer.status_code == 200, f"{answer.status_code} {answer.text}"
    assert answer.json()["id"] == booking["id"], answer.text


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[SpecSystem], Awaitable[None]]
    alone: bool = False  # counts an app's requests: run by itself


SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "shop": (
        Scenario("create and read", shop_crud),
        Scenario("bad input refused", shop_bad_input),
        Scenario("order fulfilled, email sent", shop_fulfilled),
        Scenario("event delivered twice, handled once", shop_duplicate),
        Scenario("out of stock to dead letter", shop_out_of_stock),
        Scenario("garbage event dropped", shop_garbage, alone=True),
        Scenario("invocation callers only", shop_invocation),
        Scenario("ETag conflicts retried", shop_etag_conflicts),
    ),
    "bookings": (
        Scenario("create and read", bookings_crud),
        Scenario("bad input refused", bookings_bad_input),
        Scenario("Kafka binding fires", bookings_kafka_payment),
        Scenario("Kafka message twice", bookings_kafka_twice),
        Scenario("Kafka message before start", bookings_kafka_before_start),
        Scenario("cron binding fires", bookings_cron),
        Scenario("invocation allowed", bookings_invocation),
    ),
}


BEFORE_START: dict[str, tuple[tuple[str, Any], ...]] = {"bookings": (("bank-payments", EARLY_PAYMENT),)}


async def run_all(system: SpecSystem, spec: str, names: tuple[str, ...] | None = None) -> dict[str, str | None]:
    """Run a spec's scenarios (all, or `names`) with scenarios.run_scenarios."""
    return await run_scenarios(system, [s for s in SCENARIOS[spec] if names is None or s.name in names])

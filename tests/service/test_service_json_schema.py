"""Services and projects take their models as a JSON Schema: datamodel-code-generator makes the classes (named
from the schema's title, its `$defs` keys and property names), the routes name them, and the service's tests
send samples made from the schema (its JSON keys, formats and bounds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill import SpecError, generate
from skill.generators.schema_models import schema_classes
from skill.specs.models import ModelsSpec
from skill.specs.service import ServiceSpec
from tests.service.conftest import run_in, write_service

SHOP_SCHEMA: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "shop.schema.json").read_text())

# Reservations as a state-backed CRUD keyed on a property whose JSON key is not a Python name (reservationId),
# orders by pub/sub, a job per reservation, invocation by one calling app, a dead-letter topic of its own.
SHOP: dict[str, Any] = {
    "app_id": "inventory",
    "port": 8400,
    "models": {"json_schema": SHOP_SCHEMA},
    "subscriptions": [{"topic": "orders", "model": "Order", "idempotent": True, "dead_letter_topic": "orders-poison"}],
    "jobs": [{"name": "expire", "model": "Reservation", "prefix": True}],
    "invocations": [{"method": "/reserve", "request_model": "LineItem", "response_model": "Reservation"}],
    "crud": [
        {
            "name": "reservations",
            "model": "Reservation",
            "key_field": "reservation_id",
            "actions": [{"name": "confirm", "field": "confirmed"}],
        }
    ],
    "publishes": ["stock-events"],
    "environments": ["local"],
}


def test_classes_are_named_from_the_title_and_defs() -> None:
    classes = {c.name: c for c in schema_classes(ModelsSpec(json_schema=SHOP_SCHEMA))}
    assert set(classes) == {"Order", "LineItem", "Reservation", "Status"}
    assert classes["Status"].enum
    assert classes["Reservation"].fields[:2] == ("reservation_id", "sku")
    assert classes["Reservation"].keys[:2] == ("reservationId", "sku")


def test_a_service_from_a_json_schema_passes_its_tests_and_mypy(tmp_path: Path) -> None:
    result = write_service(SHOP, tmp_path)
    events = {f.path: f.content for f in result.files}["app/events.py"]
    assert "class Reservation(BaseModel):" in events
    assert 'Field(alias="reservationId"' in events  # datamodel-code-generator's classes, not ours
    tests = run_in(tmp_path, "pytest", "-v", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert "test_reservations_round_trip_with_etags[redis] PASSED" in tests.stdout  # once per store it runs on
    typed = run_in(tmp_path, "mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert typed.returncode == 0, typed.stdout[-4000:]


def test_a_project_service_takes_a_json_schema() -> None:
    spec = {
        "name": "shop",
        "services": [
            {**{k: v for k, v in SHOP.items() if k != "environments"}},
            {"app_id": "checkout", "port": 8401, "calls": ["inventory"], "models": {"json_schema": SHOP_SCHEMA}},
        ],
    }
    files = {f.path: f.content for f in generate("project", spec).files}
    assert "class Order(BaseModel):" in files["inventory/app/events.py"]
    assert "async def reserve(request: LineItem, dapr: DaprClient) -> Reservation:" in files[
        "inventory/app/handlers.py"
    ].replace("\n", " ").replace("(     ", "(").replace(",     ", ", ").replace(",  ", ", ")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"subscriptions": [{"topic": "orders", "model": "Basket"}]}, "subscriptions.0.model", "LineItem, Order"),
        (
            {"crud": [{"name": "reservations", "model": "Reservation", "key_field": "reservationId"}]},
            "crud.0.key_field",
            "is not a field of Reservation",
        ),
        (
            {"models": {"json_schema": {"title": "CloudEvent", "type": "object", "properties": {"a": {}}}}},
            "models.json_schema",
            "a name the generated module already uses",
        ),
    ],
)
def test_a_route_that_names_what_the_schema_lacks_is_refused(change: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        generate("service", {**SHOP, **change})
    assert any(p.field.startswith(field) and words in p.rule for p in caught.value.problems), str(caught.value)


@pytest.mark.parametrize(
    ("spec", "crud"),
    [
        ({}, ["tasks"]),  # the todo task API
        ({"starter": "stubs"}, ["tasks"]),  # the default starter, said: still the task API
        ({"models": {"json_schema": SHOP_SCHEMA}}, []),  # models of its own: no todo CRUD
        ({"models": {"models": [{"name": "A", "fields": [{"name": "a", "type": "str"}]}]}}, []),
        ({"models": {"json_schema": SHOP_SCHEMA}, "crud": SHOP["crud"]}, ["reservations"]),
    ],
)
def test_the_tasks_crud_is_the_default_only_for_the_todo_models(spec: dict[str, Any], crud: list[str]) -> None:
    assert [c.name for c in ServiceSpec.model_validate(spec).crud] == crud

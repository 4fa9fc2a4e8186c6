"""CRUD shapes: a resource serves only the operations it names, PUT may create, and no list route means no index
key. Each shape renders, type-checks and passes its own generated tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from skill.pipeline import generate
from skill.specs.service import ServiceSpec
from tests.service.conftest import run_in, write_service

_MODELS = {
    "models": [
        {
            "name": "Seat",
            "fields": [
                {"name": "id", "type": "str"},
                {"name": "holder", "type": "str"},
                {"name": "paid", "type": "bool", "default": False},
            ],
        }
    ]
}
SHAPES: dict[str, dict[str, Any]] = {
    "upsert": {"operations": ["read", "update", "delete"], "put_creates": True, "topic": "seat-events"},
    "read-only": {"operations": ["read"]},
    "create-and-list": {"operations": ["create", "list"]},
    "create-with-action": {"operations": ["create"], "actions": [{"name": "pay", "field": "paid"}], "topic": "seats"},
    "upsert-list-action": {
        "operations": ["list", "update"],
        "put_creates": True,
        "actions": [{"name": "pay", "field": "paid"}],
        "topic": "seat-events",
    },
}


def _spec(shape: dict[str, Any]) -> dict[str, Any]:
    return {"app_id": "seats", "port": 8600, "models": _MODELS, "crud": [{"name": "seats", "model": "Seat", **shape}]}


def _files(shape: dict[str, Any]) -> dict[str, str]:
    return {f.path: f.content for f in generate("service", _spec(shape)).files}


@pytest.mark.parametrize("name", list(SHAPES))
def test_each_shape_passes_its_own_tests_and_mypy(name: str, tmp_path: Path) -> None:
    write_service(_spec(SHAPES[name]), tmp_path)
    tests = run_in(tmp_path, "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert int(tests.stdout.strip().splitlines()[-1].split()[0]) >= 6
    typed = run_in(tmp_path, "mypy", "--strict", ".")
    assert typed.returncode == 0, typed.stdout + typed.stderr


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_shape_has_only_its_routes(name: str) -> None:
    shape = SHAPES[name]
    resources = _files(shape)["app/resources.py"]
    routes = set(re.findall(r'@router\.(\w+)\("(/api/seats[^"]*)"', resources))
    wanted = {
        "create": ("post", "/api/seats"),
        "list": ("get", "/api/seats"),
        "read": ("get", "/api/seats/{key}"),
        "update": ("put", "/api/seats/{key}"),
        "delete": ("delete", "/api/seats/{key}"),
    }
    expected = {wanted[op] for op in shape["operations"]}
    expected |= {("post", f"/api/seats/{{key}}/{a['name']}") for a in shape.get("actions", [])}
    assert routes == expected


def test_no_list_means_no_index_key() -> None:
    files = _files(SHAPES["upsert"])
    code = files["app/resources.py"]
    assert "_INDEX" not in code
    assert "_update_index" not in code
    # The generated test checks the store too: after an item is stored, no '<name>-index' key is there.
    assert 'k.endswith("seats-index")' in files["tests/test_crud_shapes.py"]
    listed = _files(SHAPES["create-and-list"])["app/resources.py"]
    assert '_SEATS_INDEX = "seats-index"' in listed


def test_the_put_creates_test_fails_when_put_does_not_create(tmp_path: Path) -> None:
    write_service(_spec(SHAPES["upsert"]), tmp_path)
    resources = tmp_path / "app" / "resources.py"
    text = resources.read_text(encoding="utf-8")
    broken = text.replace("response.status_code = status.HTTP_201_CREATED", "pass")
    assert broken != text
    resources.write_text(broken, encoding="utf-8")
    done = run_in(tmp_path, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_crud_shapes.py")
    assert done.returncode == 1, done.stdout
    assert "test_seats_put_creates_then_replaces" in done.stdout


def test_the_full_shape_is_unchanged_by_default(tmp_path: Path) -> None:
    files = {f.path for f in generate("service", {}).files}
    assert "tests/test_crud_shapes.py" not in files  # the default task API: test_app.py covers it


@pytest.mark.parametrize(
    ("crud", "where", "rule"),
    [
        ({"operations": ["read"], "put_creates": True}, "crud.0", "put_creates: needs 'update' in operations"),
        ({"operations": ["read", "read"]}, "crud.0", "operations: must not repeat an operation"),
        ({"operations": []}, "crud.0", "operations: give at least one operation or action"),
        ({"operations": ["patch"]}, "crud.0.operations.0", "'create', 'read', 'list', 'update' or 'delete'"),
    ],
)
def test_a_bad_shape_names_the_field_and_the_rule(crud: dict[str, Any], where: str, rule: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ServiceSpec.model_validate(_spec(crud))
    errors = raised.value.errors()
    assert any(".".join(map(str, e["loc"])) == where and rule in e["msg"] for e in errors), errors


def test_two_shapes_in_one_service_share_the_helpers(tmp_path: Path) -> None:
    spec = _spec(SHAPES["upsert"])
    spec["crud"].append({"name": "tickets", "model": "Seat", "operations": ["create", "list"]})
    write_service(spec, tmp_path)
    done = run_in(tmp_path, "pytest", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr


_KEYS_TEST = """
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio


def seat(key: str, holder: str) -> dict[str, Any]:
    return {"id": key, "holder": holder, "paid": False}


async def test_item_keys_cannot_reach_other_keys(client: httpx.AsyncClient) -> None:
    for key in ("a", "seats-index", "seats-deleted-a", "tickets-index"):
        assert (await client.post("/api/seats", json=seat(key, "s"))).status_code == 201
    # The same key in another resource of the same store is another item.
    assert (await client.post("/api/tickets", json=seat("a", "t"))).status_code == 201
    assert (await client.put("/api/seats/seats-index", json=seat("seats-index", "x"))).status_code == 200
    assert (await client.delete("/api/seats/a")).status_code == 204
    seats = {s["id"]: s["holder"] for s in (await client.get("/api/seats")).json()}
    assert seats == {"seats-index": "x", "seats-deleted-a": "s", "tickets-index": "s"}
    assert [t["holder"] for t in (await client.get("/api/tickets")).json()] == ["t"]
    assert (await client.get("/api/seats/seats-deleted-a")).json()["holder"] == "s"
"""


def test_item_keys_never_meet_another_resources_or_the_index(tmp_path: Path) -> None:
    """An item's key is its resource's name and its own key: an item keyed like the index or a deleted record,
    or like another resource's item in the same store, is an item of its own and changes nothing else."""
    spec = _spec({"operations": ["create", "list", "read", "update", "delete"], "topic": "seat-events"})
    spec["crud"].append({"name": "tickets", "model": "Seat", "operations": ["create", "list"]})
    write_service(spec, tmp_path)
    (tmp_path / "tests" / "test_keys.py").write_text(_KEYS_TEST, encoding="utf-8")
    done = run_in(tmp_path, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_keys.py")
    assert done.returncode == 0, done.stdout + done.stderr

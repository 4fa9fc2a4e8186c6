"""The service's CRUD resources with chosen operations, over the in-memory Dapr.

Regenerating the service rewrites this file (your edits in it are merged); put tests of
your own handlers in new files beside it.
"""

from typing import Any

import httpx
import pytest

from tests.fake_dapr import FakeDapr

pytestmark = pytest.mark.anyio


async def _seed_reservations(
    client: httpx.AsyncClient, fake: FakeDapr, item: dict[str, Any]
) -> None:
    """Store `item` the way this resource creates items."""
    url = "/api/reservations" + "/" + str(item["id"])
    created = await client.put(url, json=item)
    assert created.status_code == 201, created.text


async def test_reservations_serve_only_their_operations(
    client: httpx.AsyncClient, fake: FakeDapr
) -> None:
    item: Any = {"id": "id", "seat": "seat", "confirmed": True}
    await _seed_reservations(client, fake, item)
    url = "/api/reservations" + "/" + "id"
    # A route not chosen does not exist: 404 for its path, 405 for its method.
    assert (await client.post("/api/reservations", json=item)).status_code in (404, 405)
    assert (await client.get("/api/reservations")).status_code in (404, 405)
    read = await client.get(url)
    assert read.status_code == 200
    assert read.headers["etag"]
    missing = url + "-missing"
    assert (await client.get(missing)).status_code == 404
    # No list route: no index key is kept.
    keys = fake.state.get("statestore", {})
    assert keys
    assert not any(k.endswith("reservations-index") for k in keys)
    assert (await client.delete(url)).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_reservations_put_creates_then_replaces(
    client: httpx.AsyncClient, fake: FakeDapr
) -> None:
    item: Any = {"id": "id", "seat": "seat", "confirmed": True}
    url = "/api/reservations" + "/" + "id"
    # If-Match needs a current item (RFC 9110 section 13.1.1): nothing is created.
    refused = await client.put(url, json=item, headers={"if-match": "*"})
    assert refused.status_code == 412
    created = await client.put(url, json=item, headers={"if-none-match": "*"})
    assert created.status_code == 201, created.text
    # If-None-Match: * is create-only: the item exists now.
    again = await client.put(url, json=item, headers={"if-none-match": "*"})
    assert again.status_code == 412
    replaced = await client.put(url, json=item)
    assert replaced.status_code == 200, replaced.text
    etag = replaced.headers["etag"]
    stale = await client.put(
        url, json=item, headers={"if-match": created.headers["etag"]}
    )
    assert stale.status_code == 412
    matched = await client.put(url, json=item, headers={"if-match": etag})
    assert matched.status_code == 200
    types = [m.type for m in fake.published if m.topic == "reservation-events"]
    assert types == [
        "reservations.created",
        "reservations.updated",
        "reservations.updated",
    ]


async def test_reservations_confirm_sets_confirmed_once(
    client: httpx.AsyncClient, fake: FakeDapr
) -> None:
    item: Any = {"id": "id", "seat": "seat", "confirmed": True}
    item["confirmed"] = False
    await _seed_reservations(client, fake, item)
    url = "/api/reservations" + "/" + "id"
    done = await client.post(url + "/confirm")
    assert done.status_code == 200, done.text
    assert done.json()["confirmed"] is True
    again = await client.post(url + "/confirm")
    assert (again.status_code, again.headers["etag"]) == (200, done.headers["etag"])
    types = [m.type for m in fake.published if m.topic == "reservation-events"]
    assert types.count("reservations.confirmed") == 2

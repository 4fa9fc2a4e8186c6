"""State API (references/dapr-contract.md §2; pitfalls 1, 4, 5, 6, 7, 22)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tools.standin import SidecarDouble, StateStoreOptions

pytestmark = pytest.mark.anyio

BASE = "/v1.0/state/statestore"


async def save(client: httpx.AsyncClient, items: Any, **kw: Any) -> httpx.Response:
    return await client.post(BASE, json=items, **kw)


async def test_save_get_roundtrip_with_etag_header(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """§2.1/§2.2: 204 on save; 200 JSON body + unquoted ETag header on get; stored under appid||key (§2, pitfall 22)."""
    r = await save(client, [{"key": "order-1", "value": {"b": 2, "a": [1, "x"]}}])
    assert (r.status_code, r.content) == (204, b"")
    r = await client.get(f"{BASE}/order-1")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["etag"] == "1"
    assert r.json() == {"a": [1, "x"], "b": 2}
    assert "myapp||order-1" in double.state.stores["statestore"].items


async def test_values_are_stored_as_go_json_marshal(client: httpx.AsyncClient) -> None:
    """§2.1 pitfall 7: value stored as json.Marshal(value): sorted keys, float64 numbers, HTML escapes."""
    await save(client, [{"key": "k", "value": {"z": 1.0, "a": "<&>", "big": 12345678901234567890}}])
    r = await client.get(f"{BASE}/k")
    assert r.content == b'{"a":"\\u003c\\u0026\\u003e","big":12345678901234567000,"z":1}'


async def test_double_encoded_value_reads_back_as_string(client: httpx.AsyncClient) -> None:
    """§2.1: sending json.dumps(obj) stores a JSON string."""
    await save(client, [{"key": "k", "value": '{"a": 1}'}])
    assert (await client.get(f"{BASE}/k")).json() == '{"a": 1}'


async def test_etag_increments_like_redis(client: httpx.AsyncClient) -> None:
    for expected in ("1", "2", "3"):
        await save(client, [{"key": "k", "value": expected}])
        assert (await client.get(f"{BASE}/k")).headers["etag"] == expected


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"key": "k", "value": 1}, "[]state.SetRequest"),  # object, not array (§2.1)
        ([{"key": "k", "value": 1, "etag": 1}], "etag"),  # etag must be a JSON string (pitfall 4)
        ([{"key": "k", "value": 1, "metadata": {"ttlInSeconds": 60}}], "metadata"),  # map[string]string
        ([{"key": "k", "options": {"concurrency": 1}}], "concurrency"),
    ],
)
async def test_save_rejects_wrong_shapes_with_400(client: httpx.AsyncClient, body: Any, fragment: str) -> None:
    r = await save(client, body)
    assert r.status_code == 400
    assert r.json()["errorCode"] == "ERR_MALFORMED_REQUEST"
    assert fragment in r.json()["message"]


async def test_save_requires_key_and_accepts_empty_array(client: httpx.AsyncClient) -> None:
    r = await save(client, [{"value": 1}])
    assert (r.status_code, r.json()["message"]) == (400, '"key" is a required field')
    assert (await save(client, [])).status_code == 204
    assert (await client.post(BASE, content=b"")).status_code == 400  # EOF


async def test_options_are_case_insensitive(client: httpx.AsyncClient) -> None:
    """§2.1: SetStateOption has no JSON tags, Go matches field names case-insensitively."""
    await save(client, [{"key": "k", "value": 1}])
    r = await save(client, [{"key": "k", "value": 2, "etag": "999", "Options": {"Concurrency": "last-write"}}])
    assert r.status_code == 204  # last-write ignores the etag
    r = await save(client, [{"key": "k", "value": 3, "etag": "999", "options": {"concurrency": "first-write"}}])
    assert r.status_code == 409


async def test_etag_mismatch_is_409_and_invalid_is_400(client: httpx.AsyncClient) -> None:
    """§1.4/§2.1: mismatch 409 ERR_STATE_SAVE, non-numeric 400 (pitfall 5: 409, not 412)."""
    await save(client, [{"key": "k", "value": 1}])
    r = await save(client, [{"key": "k", "value": 2, "etag": "7"}])
    assert (r.status_code, r.json()["errorCode"]) == (409, "ERR_STATE_SAVE")
    r = await save(client, [{"key": "k", "value": 2, "etag": "abc"}])
    assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_STATE_SAVE")
    assert (await save(client, [{"key": "k", "value": 2, "etag": "1"}])).status_code == 204


async def test_delete_uses_if_match(client: httpx.AsyncClient) -> None:
    """§2.3: ETag in If-Match; 409 on mismatch; 204 otherwise, also for a missing key."""
    await save(client, [{"key": "k", "value": 1}])
    r = await client.delete(f"{BASE}/k", headers={"If-Match": "5"})
    assert (r.status_code, r.json()["errorCode"]) == (409, "ERR_STATE_DELETE")
    r = await client.delete(f"{BASE}/k", headers={"If-Match": "x"})
    assert r.status_code == 400
    assert (await client.delete(f"{BASE}/k", headers={"If-Match": "1"})).status_code == 204
    assert (await client.get(f"{BASE}/k")).status_code == 204
    assert (await client.delete(f"{BASE}/never")).status_code == 204


async def test_query_metadata_merged_and_ttl_applies(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """§1.2/§2.1: metadata.* query params merged into each item's metadata."""
    await client.post(f"{BASE}?metadata.ttlInSeconds=0&metadata.partitionKey=p", json=[{"key": "k", "value": 1}])
    item = double.state.stores["statestore"].items["myapp||k"]
    assert item.metadata == {"ttlInSeconds": "0", "partitionKey": "p"}
    assert (await client.get(f"{BASE}/k?consistency=strong&metadata.partitionKey=p")).status_code == 204  # expired


async def test_unknown_and_unconfigured_store(client: httpx.AsyncClient) -> None:
    """§1.4: unknown store 400 ERR_STATE_STORE_NOT_FOUND (details optional); none configured 500."""
    r = await client.get("/v1.0/state/nope/k")
    body = r.json()
    assert (r.status_code, body["errorCode"], body["message"]) == (
        400,
        "ERR_STATE_STORE_NOT_FOUND",
        "state store nope is not found",
    )
    assert body["details"][0]["reason"] == "DAPR_STATE_NOT_FOUND"
    async with SidecarDouble(state_stores=()).client() as c:
        r = await c.get("/v1.0/state/statestore/k")
    assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_STATE_STORE_NOT_CONFIGURED")


async def test_key_with_separator_rejected(client: httpx.AsyncClient) -> None:
    """§1.6: keys must not contain ||."""
    r = await save(client, [{"key": "a||b", "value": 1}])
    assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_MALFORMED_REQUEST")
    assert (await client.get(f"{BASE}/a%7C%7Cb")).status_code == 400


async def test_bulk_get_uses_data_not_value(client: httpx.AsyncClient) -> None:
    """§2.4 pitfall 6: items carry data and etag; a missing key has neither; GET bulk is the key 'bulk'."""
    await save(client, [{"key": "a", "value": {"x": 1}}])
    r = await client.post(f"{BASE}/bulk", json={"keys": ["a", "b"], "parallelism": 10})
    assert r.status_code == 200
    assert r.content == b'[{"key":"a","data":{"x":1},"etag":"1"},{"key":"b"}]\n'
    assert (await client.post(f"{BASE}/bulk", json={"keys": []})).json() == []
    assert (await client.get(f"{BASE}/bulk")).status_code == 204  # chi backtracks to state/{store}/{key}


@pytest.mark.parametrize(("profile", "kept"), [("redis", 10), ("postgresql", 1), ("in-memory", 1)])
async def test_transaction_is_atomic_except_on_redis(profile: str, kept: int) -> None:
    """§2.5: upsert/delete only; any failure -> 500 ERR_STATE_TRANSACTION; nothing applied, but on redis (a MULTI of
    scripts, never rolled back: seen on daprd 1.18.3, tests/differential) the other operations stay applied."""
    double = SidecarDouble(state_stores={"statestore": StateStoreOptions(profile=profile)})  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=double), base_url="http://127.0.0.1:3500") as client:
        await save(client, [{"key": "k1", "value": 1}, {"key": "k2", "value": 2}])
        etag = (await client.get(f"{BASE}/k2")).headers["etag"]
        ops: dict[str, list[dict[str, Any]]] = {"operations": [
            {"operation": "upsert", "request": {"key": "k1", "value": 10}},
            {"operation": "delete", "request": {"key": "k2", "etag": "9" if etag.isdigit() else f"x{etag[1:]}"}},
        ]}  # fmt: skip
        r = await client.post(f"{BASE}/transaction", json=ops)
        assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_STATE_TRANSACTION")
        assert (await client.get(f"{BASE}/k1")).json() == kept
        assert (await client.get(f"{BASE}/k2")).json() == 2
        ops["operations"][1]["request"]["etag"] = etag
        assert (await client.post(f"{BASE}/transaction", json=ops)).status_code == 204
        assert (await client.get(f"{BASE}/k1")).json() == 10
        assert double.get_state("statestore", "k2") is None


async def test_transaction_rejects_unknown_operation_and_typed_etag(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{BASE}/transaction", json={"operations": [{"operation": "Upsert", "request": {"key": "k"}}]}
    )
    assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_NOT_SUPPORTED_STATE_OPERATION")
    r = await client.post(
        f"{BASE}/transaction", json={"operations": [{"operation": "upsert", "request": {"key": "k", "etag": 1}}]}
    )
    assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_MALFORMED_REQUEST")
    assert (await client.post(f"{BASE}/transaction", json={"operations": []})).status_code == 204


async def test_transaction_on_non_transactional_store() -> None:
    double = SidecarDouble(state_stores={"statestore": StateStoreOptions(transactional=False)})
    async with double.client() as c:
        r = await c.post(f"{BASE}/transaction", json={"operations": []})
    assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_STATE_STORE_NOT_SUPPORTED")


async def test_query_filters_sorts_pages(client: httpx.AsyncClient) -> None:
    """§2.6: EQ/IN/AND/OR over dotted paths, sort, page limit/token; 204 when nothing matches."""
    items = [{"key": f"o{i}", "value": {"person": {"org": "dev" if i % 2 else "ops"}, "n": i}} for i in range(5)]
    await save(client, items)
    url = "/v1.0-alpha1/state/statestore/query"
    query = {"filter": {"EQ": {"person.org": "ops"}}, "sort": [{"key": "n", "order": "DESC"}], "page": {"limit": 2}}
    r = await client.post(url, json=query)
    assert r.status_code == 200
    body = r.json()
    assert [x["key"] for x in body["results"]] == ["o4", "o2"]
    assert body["results"][0]["data"] == {"n": 4, "person": {"org": "ops"}}
    assert body["results"][0]["etag"] == "1"
    query["page"] = {"limit": 2, "token": body["token"]}
    assert [x["key"] for x in (await client.post(url, json=query)).json()["results"]] == ["o0"]
    ors = {"filter": {"OR": [{"IN": {"n": [1, 3]}}, {"AND": [{"EQ": {"n": 0}}, {"EQ": {"person.org": "ops"}}]}]}}
    assert sorted(x["key"] for x in (await client.post(url, json=ors)).json()["results"]) == ["o0", "o1", "o3"]
    r = await client.post(url, json={"filter": {"EQ": {"person.org": "nobody"}}})
    assert (r.status_code, r.content) == (204, b"")


async def test_query_unsupported_store() -> None:
    double = SidecarDouble(state_stores={"statestore": StateStoreOptions(queryable=False)})
    async with double.client() as c:
        r = await c.post("/v1.0-alpha1/state/statestore/query", json={})
    assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_STATE_STORE_NOT_SUPPORTED")


async def test_key_prefix_none_shares_keys() -> None:
    """Pitfall 22: keyPrefix none stores the bare key."""
    double = SidecarDouble(state_stores={"statestore": StateStoreOptions(key_prefix="none")})
    async with double.client() as c:
        await c.post(BASE, json=[{"key": "k", "value": 1}])
    assert list(double.state.stores["statestore"].items) == ["k"]


def _saver(profile: str) -> tuple[SidecarDouble, httpx.AsyncClient]:
    double = SidecarDouble(state_stores={"statestore": StateStoreOptions(profile=profile)})  # type: ignore[arg-type]
    return double, double.client()


def _item(concurrency: str, etag: str | None = None, value: int = 1) -> list[dict[str, Any]]:
    item: dict[str, Any] = {"key": "k", "value": value, "options": {"concurrency": concurrency}}
    if etag is not None:
        item["etag"] = etag
    return [item]


@pytest.mark.parametrize(
    ("profile", "status", "message"),
    [
        ("redis", 500, "failed to set key myapp||k"),  # state/redis/redis.go setDefaultQuery, no ETag sent
        ("postgresql", 500, "no item was updated"),  # common/component/postgresql/v1 doSet
        ("in-memory", 409, "item already exists and no etag was passed"),  # state/in-memory doValidateEtag
    ],
)
async def test_a_first_write_claim_of_an_existing_key_without_an_etag(profile: str, status: int, message: str) -> None:
    """daprd answers 409 only for a state.ETagError; redis and postgresql v1 raise a plain error here (a 500)."""
    _, client = _saver(profile)
    async with client:
        assert (await save(client, _item("first-write"))).status_code == 204
        r = await save(client, _item("first-write", value=2))
    assert (r.status_code, r.json()["errorCode"]) == (status, "ERR_STATE_SAVE")
    assert message in r.json()["message"]


@pytest.mark.parametrize(("profile", "status"), [("redis", 500), ("postgresql", 204), ("in-memory", 204)])
async def test_last_write_after_a_first_write_without_an_etag(profile: str, status: int) -> None:
    """On redis the hash keeps its `first-write` field: no save without the ETag ever succeeds again."""
    _, client = _saver(profile)
    async with client:
        assert (await save(client, _item("first-write"))).status_code == 204
        assert (await save(client, _item("last-write", value=2))).status_code == status
        with_etag = await save(client, _item("first-write", etag=(await client.get(f"{BASE}/k")).headers["etag"]))
    assert with_etag.status_code == 204


@pytest.mark.parametrize(("profile", "status"), [("redis", 204), ("postgresql", 409), ("in-memory", 409)])
async def test_an_etag_on_a_missing_key(profile: str, status: int) -> None:
    """redis sets a missing key whatever numeric ETag was sent; postgresql's UPDATE ... WHERE xmin finds no row."""
    _, client = _saver(profile)
    async with client:
        assert (await save(client, _item("first-write", etag="7"))).status_code == status


@pytest.mark.parametrize(("profile", "status"), [("redis", 204), ("postgresql", 500), ("in-memory", 409)])
async def test_a_first_write_over_a_last_write_key_without_an_etag(profile: str, status: int) -> None:
    """redis: the key has no `first-write` field yet, so version "0" passes; postgresql: the first-write insert meets
    a live row whoever wrote it (500); in-memory: the key exists (409)."""
    _, client = _saver(profile)
    async with client:
        assert (await save(client, _item("last-write"))).status_code == 204
        r = await save(client, _item("first-write", value=2))
    assert r.status_code == status

"""The facts: each one a short conversation with a Dapr sidecar's HTTP API, reduced to what can be compared.

A fact is a coroutine taking an `httpx.AsyncClient` aimed at a sidecar (real daprd, the stand-in served over HTTP,
or the generated fake's transport) and a prefix that keeps its keys and job names apart from other facts on the same
sidecar. It returns a list of steps, one per call, each normalised: the status, daprd's `errorCode` when there is
one, and the body fields that mean something (a value read back, the shape of an ETag). Nothing here depends on the
target; the store flavour is the sidecar's (its `store` component), which is why a state fact runs once per flavour.

Every sidecar offers: a state store named `store` (transactional), a pub/sub component named `pubsub`, and the jobs
API (daprd with a scheduler).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

STORE = "store"
PUBSUB = "pubsub"
STATE_FLAVOURS = ("redis", "postgresql-v1", "postgresql-v2", "in-memory")

Step = dict[str, Any]
Observable = list[Step]
FactFn = Callable[[httpx.AsyncClient, str], Awaitable[Observable]]

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def etag_form(etag: str | None) -> str | None:
    """An ETag's shape, which is all that is comparable: `digits` (Redis's count of writes, a PostgreSQL
    transaction id), `uuid`, or `other`."""
    if etag is None:
        return None
    if etag.isdigit():
        return "digits"
    return "uuid" if _UUID.match(etag) else "other"


def step(answer: httpx.Response, **extra: Any) -> Step:
    """The status, and daprd's errorCode when the body is an error."""
    found: Step = {"status": answer.status_code}
    if answer.status_code >= 400:
        try:
            body = answer.json()
        except ValueError:
            body = None
        found["errorCode"] = body.get("errorCode") if isinstance(body, dict) else None
    found.update(extra)
    return found


# -- calls ------------------------------------------------------------------------------------------------------


async def save(client: httpx.AsyncClient, key: str, value: Any, *, etag: str | None = None, **options: str) -> Step:
    item: dict[str, Any] = {"key": key, "value": value}
    if etag is not None:
        item["etag"] = etag
    if options:
        item["options"] = options
    return step(await client.post(f"/v1.0/state/{STORE}", json=[item]))


async def read(client: httpx.AsyncClient, key: str) -> tuple[Step, str | None]:
    """GET a key: the step (value and ETag shape) and the ETag itself."""
    answer = await client.get(f"/v1.0/state/{STORE}/{key}")
    etag = answer.headers.get("etag")
    value = answer.json() if answer.status_code == 200 else None
    return step(answer, value=value, etag=etag_form(etag)), etag


async def value_of(client: httpx.AsyncClient, key: str) -> Any:
    answer = await client.get(f"/v1.0/state/{STORE}/{key}")
    return answer.json() if answer.status_code == 200 else None


def upsert(key: str, value: Any, etag: str | None = None, concurrency: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"key": key, "value": value}
    if etag is not None:
        request["etag"] = etag
    if concurrency is not None:
        request["options"] = {"concurrency": concurrency}
    return {"operation": "upsert", "request": request}


async def transact(client: httpx.AsyncClient, *operations: dict[str, Any]) -> Step:
    return step(await client.post(f"/v1.0/state/{STORE}/transaction", json={"operations": list(operations)}))


async def stale_etag(client: httpx.AsyncClient, key: str) -> str:
    """Save `key` twice and return the ETag of the first save, which the second made stale."""
    await save(client, key, {"v": 1})
    _, etag = await read(client, key)
    assert etag is not None
    await save(client, key, {"v": 2})
    return etag


# -- state facts (per store flavour) ----------------------------------------------------------------------------


async def save_and_read(client: httpx.AsyncClient, p: str) -> Observable:
    """A save, the value read back with its ETag's shape, a second save, the next ETag's shape; whether the ETags
    count the key's writes from "1" (Redis does; a PostgreSQL transaction id is never 1 or 2)."""
    first = await save(client, f"{p}k", {"n": 1})
    got, etag = await read(client, f"{p}k")
    again = await save(client, f"{p}k", {"n": 2})
    second, next_etag = await read(client, f"{p}k")
    return [first, got, again, second, {"counts_writes": (etag, next_etag) == ("1", "2")}]


async def read_missing(client: httpx.AsyncClient, p: str) -> Observable:
    answer = await client.get(f"/v1.0/state/{STORE}/{p}missing")
    return [step(answer, body=answer.text, etag=answer.headers.get("etag"))]


async def first_write_existing_key(client: httpx.AsyncClient, p: str) -> Observable:
    """A first-write save of a key that exists, no ETag; the value afterwards."""
    first = await save(client, f"{p}k", {"n": 1}, concurrency="first-write")
    again = await save(client, f"{p}k", {"n": 2}, concurrency="first-write")
    return [first, again, {"value": await value_of(client, f"{p}k")}]


async def first_write_over_last_write_key(client: httpx.AsyncClient, p: str) -> Observable:
    """A key saved last-write, then a first-write save without ETag."""
    first = await save(client, f"{p}k", {"n": 1})
    again = await save(client, f"{p}k", {"n": 2}, concurrency="first-write")
    return [first, again, {"value": await value_of(client, f"{p}k")}]


async def stale_etag_save(client: httpx.AsyncClient, p: str) -> Observable:
    etag = await stale_etag(client, f"{p}k")
    refused = await save(client, f"{p}k", {"v": 3}, etag=etag)
    return [refused, {"value": await value_of(client, f"{p}k")}]


async def stale_etag_last_write(client: httpx.AsyncClient, p: str) -> Observable:
    """A stale ETag with `concurrency: last-write`."""
    etag = await stale_etag(client, f"{p}k")
    answer = await save(client, f"{p}k", {"v": 3}, etag=etag, concurrency="last-write")
    return [answer, {"value": await value_of(client, f"{p}k")}]


async def current_etag_save(client: httpx.AsyncClient, p: str) -> Observable:
    await save(client, f"{p}k", {"v": 1})
    _, etag = await read(client, f"{p}k")
    answer = await save(client, f"{p}k", {"v": 2}, etag=etag, concurrency="first-write")
    return [answer, {"value": await value_of(client, f"{p}k")}]


async def etag_on_missing_key(client: httpx.AsyncClient, p: str) -> Observable:
    """A first-write save of a new key with an ETag taken from another key."""
    await save(client, f"{p}other", {"v": 1})
    _, etag = await read(client, f"{p}other")
    answer = await save(client, f"{p}new", {"n": 1}, etag=etag, concurrency="first-write")
    return [answer, {"value": await value_of(client, f"{p}new")}]


async def malformed_etag(client: httpx.AsyncClient, p: str) -> Observable:
    """An ETag no store issues ("not-an-etag") on an existing key."""
    await save(client, f"{p}k", {"v": 1})
    answer = await save(client, f"{p}k", {"v": 2}, etag="not-an-etag", concurrency="first-write")
    return [answer, {"value": await value_of(client, f"{p}k")}]


async def last_write_after_first_write(client: httpx.AsyncClient, p: str) -> Observable:
    first = await save(client, f"{p}k", {"n": 1}, concurrency="first-write")
    again = await save(client, f"{p}k", {"n": 2})
    return [first, again, {"value": await value_of(client, f"{p}k")}]


async def delete_with_stale_etag(client: httpx.AsyncClient, p: str) -> Observable:
    etag = await stale_etag(client, f"{p}k")
    answer = step(await client.delete(f"/v1.0/state/{STORE}/{p}k", headers={"If-Match": etag}))
    return [answer, {"value": await value_of(client, f"{p}k")}]


async def delete_missing_with_etag(client: httpx.AsyncClient, p: str) -> Observable:
    await save(client, f"{p}other", {"v": 1})
    _, etag = await read(client, f"{p}other")
    assert etag is not None
    return [step(await client.delete(f"/v1.0/state/{STORE}/{p}gone", headers={"If-Match": etag}))]


async def delete_missing(client: httpx.AsyncClient, p: str) -> Observable:
    return [step(await client.delete(f"/v1.0/state/{STORE}/{p}gone"))]


async def bulk_get(client: httpx.AsyncClient, p: str) -> Observable:
    await save(client, f"{p}a", {"n": 1})
    answer = await client.post(f"/v1.0/state/{STORE}/bulk", json={"keys": [f"{p}a", f"{p}b"]})
    items = [
        {"key": item["key"].removeprefix(p), "data": item.get("data"), "etag": etag_form(item.get("etag"))}
        for item in answer.json()
    ]
    return [step(answer, items=items)]


async def transaction(client: httpx.AsyncClient, p: str) -> Observable:
    await save(client, f"{p}gone", {"n": 0})
    answer = await transact(client, upsert(f"{p}a", {"n": 1}), {"operation": "delete", "request": {"key": f"{p}gone"}})
    return [answer, {"a": await value_of(client, f"{p}a"), "gone": await value_of(client, f"{p}gone")}]


async def transaction_with_a_refused_operation(client: httpx.AsyncClient, p: str) -> Observable:
    """An upsert that succeeds, then one with a stale ETag: is the first kept?"""
    etag = await stale_etag(client, f"{p}b")
    answer = await transact(client, upsert(f"{p}a", {"n": 1}), upsert(f"{p}b", {"v": 3}, etag=etag))
    return [answer, {"a": await value_of(client, f"{p}a"), "b": await value_of(client, f"{p}b")}]


async def transaction_first_write_conflict(client: httpx.AsyncClient, p: str) -> Observable:
    """An upsert, then a first-write upsert of an existing key without ETag."""
    await save(client, f"{p}b", {"v": 1}, concurrency="first-write")
    answer = await transact(client, upsert(f"{p}a", {"n": 1}), upsert(f"{p}b", {"v": 2}, concurrency="first-write"))
    return [answer, {"a": await value_of(client, f"{p}a"), "b": await value_of(client, f"{p}b")}]


async def query(client: httpx.AsyncClient, p: str) -> Observable:
    """The alpha query API: only some stores answer it (PostgreSQL v1; Redis only with RedisJSON)."""
    await save(client, f"{p}a", {"fact": p, "n": 1})
    await save(client, f"{p}b", {"fact": p, "n": 2})
    body = {"filter": {"EQ": {"fact": p}}, "sort": [{"key": "n", "order": "DESC"}]}
    answer = await client.post(f"/v1.0-alpha1/state/{STORE}/query", json=body)
    results = None
    if answer.status_code == 200:
        results = [{"key": r["key"].removeprefix(p), "data": r.get("data")} for r in answer.json()["results"]]
    return [step(answer, results=results)]


async def unknown_store(client: httpx.AsyncClient, p: str) -> Observable:
    saved = step(await client.post("/v1.0/state/nostore", json=[{"key": f"{p}k", "value": 1}]))
    got = step(await client.get(f"/v1.0/state/nostore/{p}k"))
    return [saved, got]


async def illegal_key(client: httpx.AsyncClient, p: str) -> Observable:
    return [await save(client, f"{p}a||b", 1)]


# -- pub/sub facts -----------------------------------------------------------------------------------------------


async def publish(client: httpx.AsyncClient, p: str) -> Observable:
    return [step(await client.post(f"/v1.0/publish/{PUBSUB}/{p}topic", json={"a": 1}))]


async def publish_unknown_pubsub(client: httpx.AsyncClient, p: str) -> Observable:
    return [step(await client.post(f"/v1.0/publish/nopubsub/{p}topic", json={"a": 1}))]


async def bulk_publish(client: httpx.AsyncClient, p: str) -> Observable:
    entries = [{"entryId": "1", "event": {"a": 1}, "contentType": "application/json"}]
    answer = await client.post(f"/v1.0-alpha1/publish/bulk/{PUBSUB}/{p}topic", json=entries)
    return [step(answer, body=answer.text)]


async def bulk_publish_duplicate_entry_ids(client: httpx.AsyncClient, p: str) -> Observable:
    entry = {"entryId": "1", "event": {"a": 1}, "contentType": "application/json"}
    answer = await client.post(f"/v1.0-alpha1/publish/bulk/{PUBSUB}/{p}topic", json=[entry, entry])
    return [step(answer)]


# -- jobs facts ----------------------------------------------------------------------------------------------------


def _job_view(answer: httpx.Response) -> dict[str, Any] | None:
    if answer.status_code != 200:
        return None
    body = answer.json()
    return {k: v for k, v in body.items() if k != "name"} | {"named": body.get("name") is not None}


async def job_missing(client: httpx.AsyncClient, p: str) -> Observable:
    return [step(await client.get(f"/v1.0-alpha1/jobs/{p}nojob"))]


async def job_schedule_and_get(client: httpx.AsyncClient, p: str) -> Observable:
    job = {"dueTime": "2099-01-01T00:00:00Z", "data": {"n": 1}}
    scheduled = step(await client.post(f"/v1.0-alpha1/jobs/{p}job", json=job))
    got = await client.get(f"/v1.0-alpha1/jobs/{p}job")
    return [scheduled, step(got, job=_job_view(got))]


async def job_schedule_twice(client: httpx.AsyncClient, p: str) -> Observable:
    job = {"schedule": "@every 1h", "data": {"n": 1}}
    first = step(await client.post(f"/v1.0-alpha1/jobs/{p}job", json=job))
    again = step(await client.post(f"/v1.0-alpha1/jobs/{p}job", json=job))
    replaced = step(await client.post(f"/v1.0-alpha1/jobs/{p}job", json={**job, "overwrite": True}))
    return [first, again, replaced]


async def job_without_schedule(client: httpx.AsyncClient, p: str) -> Observable:
    return [step(await client.post(f"/v1.0-alpha1/jobs/{p}job", json={"data": {"n": 1}}))]


async def job_name_in_body(client: httpx.AsyncClient, p: str) -> Observable:
    job = {"name": f"{p}job", "dueTime": "2099-01-01T00:00:00Z", "data": 1}
    return [step(await client.post(f"/v1.0-alpha1/jobs/{p}job", json=job))]


async def job_delete(client: httpx.AsyncClient, p: str) -> Observable:
    job = {"dueTime": "2099-01-01T00:00:00Z", "data": {"n": 1}}
    await client.post(f"/v1.0-alpha1/jobs/{p}job", json=job)
    deleted = step(await client.delete(f"/v1.0-alpha1/jobs/{p}job"))
    gone = step(await client.get(f"/v1.0-alpha1/jobs/{p}job"))
    missing = step(await client.delete(f"/v1.0-alpha1/jobs/{p}nojob"))
    return [deleted, gone, missing]


@dataclass(frozen=True)
class Fact:
    name: str
    run: FactFn
    per_store: bool  # a state fact: runs once per store flavour

    @property
    def doc(self) -> str:
        return (self.run.__doc__ or "").strip()


FACTS: tuple[Fact, ...] = (
    *(
        Fact(f"state.{fn.__name__}", fn, per_store=True)
        for fn in (
            save_and_read,
            read_missing,
            first_write_existing_key,
            first_write_over_last_write_key,
            stale_etag_save,
            stale_etag_last_write,
            current_etag_save,
            etag_on_missing_key,
            malformed_etag,
            last_write_after_first_write,
            delete_with_stale_etag,
            delete_missing_with_etag,
            delete_missing,
            bulk_get,
            transaction,
            transaction_with_a_refused_operation,
            transaction_first_write_conflict,
            query,
            unknown_store,
            illegal_key,
        )
    ),
    *(
        Fact(f"pubsub.{fn.__name__}", fn, per_store=False)
        for fn in (publish, publish_unknown_pubsub, bulk_publish, bulk_publish_duplicate_entry_ids)
    ),
    *(
        Fact(f"jobs.{fn.__name__}", fn, per_store=False)
        for fn in (
            job_missing,
            job_schedule_and_get,
            job_schedule_twice,
            job_without_schedule,
            job_name_in_body,
            job_delete,
        )
    ),
)


def fact_ids() -> list[tuple[str, Fact, str]]:
    """Every (id, fact, flavour) to check: a state fact per flavour, the others once (their flavour: `any`)."""
    found: list[tuple[str, Fact, str]] = []
    for fact in FACTS:
        for flavour in STATE_FLAVOURS if fact.per_store else ("any",):
            found.append((f"{fact.name}[{flavour}]", fact, flavour))
    return found


def prefix_for(fact: Fact) -> str:
    """Keys and job names of one fact: unique on a shared sidecar, and safe in a URL path."""
    return fact.name.replace(".", "-").replace("_", "-") + "-"

"""The fake's state stores answer as daprd 1.18 answers with each component (components-contrib v1.18.4), where the
components differ: first-write saves of existing keys, ETags, Redis's first-write mark, transactions, TTLs.

The expected answers are read from the components' source (references/dapr-pitfalls.md, "State stores differ"):
state/redis/redis.go (parseETag, the setDefaultQuery and delDefaultQuery scripts, Multi), state/postgresql/v1 and
common/component/postgresql/v1/postgresql.go (SetQueryFn, doSet, doDelete), state/postgresql/v2/postgresql.go (doSet,
doDelete), state/in-memory/in_memory.go (doValidateEtag, Multi); and from daprd's pkg/api/http/http.go (only a
state.ETagError is 409/400, any other save error 500 ERR_STATE_SAVE; every transaction failure 500
ERR_STATE_TRANSACTION).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.client.conftest import FAST
from tests.fake.conftest import Rendered

pytestmark = pytest.mark.anyio

STORES = ("redis", "postgresql-v1", "postgresql-v2", "in-memory")
OK = ("ok",)
CONFLICT = ("error", "DaprConflictError", 409, "ERR_STATE_SAVE")
SAVE_500 = ("error", "DaprError", 500, "ERR_STATE_SAVE")
INVALID = ("error", "DaprError", 400, "ERR_STATE_SAVE")
TX_500 = ("error", "DaprError", 500, "ERR_STATE_TRANSACTION")


@contextlib.asynccontextmanager
async def store_client(rendered: Rendered, kind: str) -> AsyncIterator[tuple[Any, Any]]:
    fake = rendered.fake.FakeDapr(state_stores=["s"], state_store_type=kind)
    settings = rendered.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, rendered.client.DaprClient(settings, http_client=http) as client:
        yield fake, client


async def outcome(rendered: Rendered, call: Any) -> tuple[Any, ...]:
    try:
        await call
    except rendered.client.DaprError as exc:
        return ("error", type(exc).__name__, exc.status_code, exc.error_code)
    return OK


@pytest.mark.parametrize(
    ("kind", "again", "last_write_after"),
    [
        # redis: the key carries the `first-write` mark; ETag-less writes fail without an ETag error: 500.
        ("redis", SAVE_500, SAVE_500),
        # postgresql: INSERT ... ON CONFLICT DO UPDATE ... WHERE expired: 0 rows, "no item was updated"; last-write
        # is a plain upsert.
        ("postgresql-v1", SAVE_500, OK),
        ("postgresql-v2", SAVE_500, OK),
        # in-memory: doValidateEtag's "item already exists and no etag was passed" is an ETagError: 409.
        ("in-memory", CONFLICT, OK),
    ],
)
async def test_first_write_on_an_existing_key(
    every_block: Rendered, kind: str, again: tuple[Any, ...], last_write_after: tuple[Any, ...]
) -> None:
    async with store_client(every_block, kind) as (fake, dapr):
        assert await outcome(every_block, dapr.save_state("s", "k", 1, concurrency="first-write")) == OK
        assert await outcome(every_block, dapr.save_state("s", "k", 2, concurrency="first-write")) == again
        assert await outcome(every_block, dapr.save_state("s", "k", 3, concurrency="last-write")) == last_write_after
        assert await outcome(every_block, dapr.save_state("s", "k", 4)) == last_write_after
        etag = (await dapr.get_state_item("s", "k")).etag
        # With the current ETag the key can always be written again, first-write or not.
        assert await outcome(every_block, dapr.save_state("s", "k", 5, etag=etag, concurrency="first-write")) == OK
        assert fake.state["s"]["k"].value == 5


@pytest.mark.parametrize("kind", STORES)
async def test_a_key_never_written_first_write_is_overwritten_by_a_first_write_save_only_on_redis(
    every_block: Rendered, kind: str
) -> None:
    async with store_client(every_block, kind) as (fake, dapr):
        await dapr.save_state("s", "k", "last-write")
        got = await outcome(every_block, dapr.save_state("s", "k", "insert?", concurrency="first-write"))
        # setDefaultQuery: `not fwr and ARGV[1] == "0"` lets it through; the others refuse an existing key.
        assert got == {"redis": OK, "in-memory": CONFLICT}.get(kind, SAVE_500)
        assert fake.state["s"]["k"].value == ("insert?" if kind == "redis" else "last-write")


@pytest.mark.parametrize(
    ("kind", "stale", "malformed", "for_missing_key"),
    [
        ("redis", CONFLICT, INVALID, OK),  # the script writes a missing key whatever the version
        ("postgresql-v1", CONFLICT, INVALID, CONFLICT),  # UPDATE ... WHERE xmin = $4: 0 rows
        ("postgresql-v2", CONFLICT, CONFLICT, CONFLICT),  # a non-UUID ETag is a mismatch, not invalid
        ("in-memory", CONFLICT, CONFLICT, CONFLICT),
    ],
)
async def test_etags(
    every_block: Rendered,
    kind: str,
    stale: tuple[Any, ...],
    malformed: tuple[Any, ...],
    for_missing_key: tuple[Any, ...],
) -> None:
    async with store_client(every_block, kind) as (_fake, dapr):
        await dapr.save_state("s", "k", 1)
        first = (await dapr.get_state_item("s", "k")).etag
        await dapr.save_state("s", "k", 2, etag=first)
        second = (await dapr.get_state_item("s", "k")).etag
        assert second != first
        assert await outcome(every_block, dapr.save_state("s", "k", 3, etag=first)) == stale
        assert await outcome(every_block, dapr.save_state("s", "k", 3, etag="not-an-etag")) == malformed
        assert await outcome(every_block, dapr.save_state("s", "new", 3, etag=second)) == for_missing_key
        stale_delete = await outcome(every_block, dapr.delete_state("s", "k", etag=first))
        assert stale_delete == ("error", "DaprConflictError", 409, "ERR_STATE_DELETE")
        assert await outcome(every_block, dapr.delete_state("s", "k", etag=second)) == OK
        assert await dapr.get_state("s", "k") is None


@pytest.mark.parametrize("kind", STORES)
async def test_etags_look_like_the_stores(every_block: Rendered, kind: str) -> None:
    async with store_client(every_block, kind) as (_fake, dapr):
        await dapr.save_state("s", "k", 1)
        etag = (await dapr.get_state_item("s", "k")).etag
        if kind in ("redis", "postgresql-v1"):
            assert etag.isdigit()
        else:
            assert str(uuid.UUID(etag)) == etag


@pytest.mark.parametrize("kind", STORES)
async def test_a_transaction_with_a_refused_operation(every_block: Rendered, kind: str) -> None:
    async with store_client(every_block, kind) as (fake, dapr):
        await dapr.save_state("s", "held", 1, concurrency="first-write")
        operation = every_block.client.TransactionalStateOperation
        got = await outcome(
            every_block,
            dapr.execute_state_transaction(
                "s", [operation.upsert("other", "x"), operation.upsert("held", 2, etag="999")]
            ),
        )
        assert got == TX_500
        # state/redis Multi is MULTI/EXEC: Redis does not roll back, so the other operation stays applied.
        assert ("other" in fake.state["s"]) == (kind == "redis")


async def test_redis_transactions_never_set_the_first_write_mark(every_block: Rendered) -> None:
    async with store_client(every_block, "redis") as (fake, dapr):
        operation = every_block.client.TransactionalStateOperation
        await dapr.execute_state_transaction("s", [operation.upsert("k", 1, concurrency="first-write")])
        assert not fake.state["s"]["k"].first_write
        await dapr.save_state("s", "k", 2)  # an ETag-less save still goes through
        assert fake.state["s"]["k"].value == 2


@pytest.mark.parametrize("kind", STORES)
async def test_ttls_run_out_on_the_fake_clock(every_block: Rendered, kind: str) -> None:
    async with store_client(every_block, kind) as (fake, dapr):
        await dapr.save_state("s", "k", 1, ttl_in_seconds=60)
        await dapr.save_state("s", "k", 2)  # no ttlInSeconds: Redis keeps the TTL, the others drop it
        fake.advance(61)
        assert (await dapr.get_state("s", "k")) == (None if kind == "redis" else 2)


@pytest.mark.parametrize("kind", STORES)
async def test_insert_state_tells_exists_from_failure_on_every_store(every_block: Rendered, kind: str) -> None:
    async with store_client(every_block, kind) as (fake, dapr):
        assert await dapr.insert_state("s", "k", 1, ttl_in_seconds=60) is True
        assert await dapr.insert_state("s", "k", 2) is False
        assert fake.state["s"]["k"].value == 1
        fake.advance(61)  # expired: free again
        assert await dapr.insert_state("s", "k", 3) is True


async def test_insert_state_raises_a_failure_that_is_not_an_existing_key(every_block: Rendered) -> None:
    async with store_client(every_block, "postgresql-v1") as (_fake, dapr):
        with pytest.raises(every_block.client.DaprError) as caught:
            await dapr.insert_state("s", "k", 1, ttl_in_seconds="soon")
        assert caught.value.status_code == 500
        assert await dapr.get_state("s", "k") is None


@pytest.mark.parametrize("kind", STORES)
async def test_update_state_keeps_every_concurrent_change(every_block: Rendered, kind: str) -> None:
    async with store_client(every_block, kind) as (fake, dapr):
        await dapr.insert_state("s", "counter", [])  # first-write: on Redis only ETag writes pass from now on

        async def add(n: int) -> None:
            await dapr.update_state("s", "counter", lambda item: [*(item.value if item else []), n])

        await asyncio.gather(*(add(n) for n in range(12)))
        assert sorted(fake.state["s"]["counter"].value) == list(range(12))


@pytest.mark.parametrize("kind", STORES)
async def test_update_state_unchanged_writes_nothing_and_gives_up_after_its_attempts(
    every_block: Rendered, kind: str
) -> None:
    async with store_client(every_block, kind) as (fake, dapr):
        fake.put_state("s", "k", 1)
        etag = fake.state["s"]["k"].etag
        assert await dapr.update_state("s", "k", lambda item: every_block.client.UNCHANGED) is False
        assert fake.state["s"]["k"].etag == etag

        def always_loses(item: Any) -> object:
            fake.put_state("s", "k", item.value + 1)  # another writer gets in after every read
            return -1

        with pytest.raises(every_block.client.DaprConflictError):
            await dapr.update_state("s", "k", always_loses, attempts=3)
        assert fake.state["s"]["k"].value == 4

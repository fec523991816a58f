"""Claim / complete / release / lease expiry / retention, the same tests over SQLite and PostgreSQL."""

import asyncio
import uuid
from pathlib import Path

import pytest

from consumers.runtime.idempotency import ClaimResult
from consumers.runtime.idempotency_stores import DEFAULT_RETENTION_S, StoreUnavailable, open_store
from fanout.errors import ConfigurationError
from runtime_ops.support import ManualClock, OpenStore

DAY_S = 24 * 3600


def new_id() -> str:
    return str(uuid.uuid4())


async def test_claim_then_complete_makes_the_event_done_for_every_store(open_stores: OpenStore) -> None:
    first, second = await open_stores(), await open_stores()
    event_id = new_id()

    assert await first.claim("email", event_id, lease_s=30) is ClaimResult.ACQUIRED
    assert await second.claim("email", event_id, lease_s=30) is ClaimResult.BUSY
    await first.complete("email", event_id)

    assert await second.claim("email", event_id, lease_s=30) is ClaimResult.DONE
    assert await first.claim("email", event_id, lease_s=30) is ClaimResult.DONE


async def test_claims_are_kept_per_consumer(open_stores: OpenStore) -> None:
    store = await open_stores()
    event_id = new_id()

    assert await store.claim("email", event_id, lease_s=30) is ClaimResult.ACQUIRED
    await store.complete("email", event_id)

    assert await store.claim("inventory", event_id, lease_s=30) is ClaimResult.ACQUIRED


async def test_release_lets_a_retry_claim_at_once(open_stores: OpenStore) -> None:
    first, second = await open_stores(), await open_stores()
    event_id = new_id()

    assert await first.claim("email", event_id, lease_s=30) is ClaimResult.ACQUIRED
    await first.release("email", event_id)

    assert await second.claim("email", event_id, lease_s=30) is ClaimResult.ACQUIRED


async def test_expired_lease_of_a_crashed_consumer_is_reclaimable(
    open_stores: OpenStore, clock: ManualClock
) -> None:
    crashed, survivor = await open_stores(), await open_stores()
    event_id = new_id()
    assert await crashed.claim("inventory", event_id, lease_s=30) is ClaimResult.ACQUIRED

    clock.advance(29)
    assert await survivor.claim("inventory", event_id, lease_s=30) is ClaimResult.BUSY
    clock.advance(1)
    assert await survivor.claim("inventory", event_id, lease_s=30) is ClaimResult.ACQUIRED


async def test_a_lapsed_holder_cannot_release_the_new_claim(
    open_stores: OpenStore, clock: ManualClock
) -> None:
    slow, fast, third = await open_stores(), await open_stores(), await open_stores()
    event_id = new_id()
    assert await slow.claim("email", event_id, lease_s=10) is ClaimResult.ACQUIRED
    clock.advance(11)
    assert await fast.claim("email", event_id, lease_s=10) is ClaimResult.ACQUIRED

    await slow.release("email", event_id)  # its handler failed late; the claim is no longer its own

    assert await third.claim("email", event_id, lease_s=10) is ClaimResult.BUSY


async def test_concurrent_claims_of_one_id_acquire_exactly_once(open_stores: OpenStore) -> None:
    stores = [await open_stores() for _ in range(8)]  # each its own connection, opened concurrently below
    event_id = new_id()

    results = await asyncio.gather(*(store.claim("email", event_id, lease_s=30) for store in stores))

    assert sorted(results) == sorted([ClaimResult.ACQUIRED] + [ClaimResult.BUSY] * 7)


async def test_retention_forgets_old_completions_and_keeps_recent_ones(
    open_stores: OpenStore, clock: ManualClock
) -> None:
    store = await open_stores()
    old, recent = new_id(), new_id()
    for event_id in (old, recent):
        assert await store.claim("analytics", event_id, lease_s=30) is ClaimResult.ACQUIRED
        await store.complete("analytics", event_id)
        clock.advance(10 * DAY_S)
    clock.advance(-5 * DAY_S)  # old completed 15 days ago, recent 5 days ago

    assert await store.purge() == 1
    assert await store.claim("analytics", recent, lease_s=30) is ClaimResult.DONE
    assert await store.claim("analytics", old, lease_s=30) is ClaimResult.ACQUIRED


async def test_claims_purge_by_themselves_including_abandoned_claims(
    open_stores: OpenStore, clock: ManualClock
) -> None:
    store = await open_stores()
    done, abandoned, fresh = new_id(), new_id(), new_id()
    assert await store.claim("email", done, lease_s=30) is ClaimResult.ACQUIRED
    await store.complete("email", done)
    assert await store.claim("email", abandoned, lease_s=30) is ClaimResult.ACQUIRED
    clock.advance(DEFAULT_RETENTION_S + 60)

    assert await store.claim("email", fresh, lease_s=30) is ClaimResult.ACQUIRED  # runs the due purge

    assert await store.purge() == 0  # nothing left to purge: the claim above did it
    assert await store.claim("email", done, lease_s=30) is ClaimResult.ACQUIRED


async def test_complete_without_a_claim_still_records_the_event(open_stores: OpenStore) -> None:
    store = await open_stores()
    event_id = new_id()

    await store.complete("email", event_id)

    assert await store.claim("email", event_id, lease_s=30) is ClaimResult.DONE


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@db/x", "unsupported idempotency store: scheme 'mysql'"),
        ("sqlite:///", "unsupported idempotency store: scheme 'sqlite'"),
        ("idempotency.db", "a URL without a scheme"),
    ],
)
def test_unknown_store_url_is_a_configuration_error(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        open_store(url)


async def test_an_unreachable_postgres_is_one_readable_line_without_the_password() -> None:
    store = open_store("postgresql://fanout:s3cret@127.0.0.1:1/orders")

    with pytest.raises(StoreUnavailable) as raised:
        await store.open()

    message = str(raised.value)
    assert message.startswith("idempotency store fanout@127.0.0.1:1/orders: cannot connect: ")
    assert "s3cret" not in message
    assert "\n" not in message


async def test_an_unwritable_sqlite_path_is_store_unavailable(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    store = open_store(f"sqlite:///{tmp_path / 'not-a-folder' / 'idempotency.db'}")

    with pytest.raises(
        StoreUnavailable, match=r"idempotency store .*not-a-folder/idempotency\.db: cannot open"
    ):
        await store.open()

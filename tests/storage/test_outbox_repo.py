"""Claiming and recording deliveries (storage/outbox_repo.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta


from bot.delivery import outbox
from storage.crypto import Cipher, generate_key
from storage.db import make_engine, make_session_factory, migrate
from storage.uow import UnitOfWork

LEASE = timedelta(minutes=2)


async def add(uow_factory, now, count, *, due_in=timedelta(0), prefix="k"):
    async with uow_factory() as uow:
        for index in range(count):
            await outbox.enqueue(uow, kind="note", recipient=f"U{index}", due_at=now + due_in - timedelta(seconds=count - index),
                                 dedupe_key=f"{prefix}{index}", now=now)


async def test_claim_takes_due_rows_oldest_first_under_a_lease(uow_factory, clock):
    now = clock.now()
    await add(uow_factory, now - timedelta(minutes=1), 3)
    await add(uow_factory, now, 2, due_in=timedelta(hours=1), prefix="later")
    async with uow_factory() as uow:
        rows = await uow.outbox.claim_due(owner="A", now=now, lease=LEASE, limit=2)
    assert [row.dedupe_key for row in rows] == ["k0", "k1"]
    assert all((r.status, r.lease_owner, r.lease_until, r.attempts) == ("claimed", "A", now + LEASE, 1) for r in rows)
    async with uow_factory() as uow:
        rest = await uow.outbox.claim_due(owner="B", now=now, lease=LEASE, limit=10)
        assert await uow.outbox.count_due(now) == 0
    assert [row.dedupe_key for row in rest] == ["k2"]


async def test_an_expired_lease_is_taken_over_with_its_outcome_unknown(uow_factory, clock):
    now = clock.now()
    await add(uow_factory, now, 1)
    async with uow_factory() as uow:
        [first] = await uow.outbox.claim_due(owner="A", now=now, lease=LEASE, limit=5)
    assert not first.outcome_unknown
    async with uow_factory() as uow:
        assert await uow.outbox.claim_due(owner="B", now=now + LEASE, lease=LEASE, limit=5) == []
        [taken] = await uow.outbox.claim_due(owner="B", now=now + LEASE + timedelta(seconds=1), lease=LEASE,
                                              limit=5)
    assert (taken.lease_owner, taken.attempts, taken.outcome_unknown) == ("B", 2, True)
    async with uow_factory() as uow:
        # The old owner's late answer changes nothing; the new owner's does.
        assert not await uow.outbox.mark_sent(taken.id, owner="A", channel="D1", ts="1.1", now=now)
        assert await uow.outbox.mark_sent(taken.id, owner="B", channel="D1", ts="1.2", now=now)


async def test_a_restarted_owner_releases_its_own_claims_at_once(uow_factory, clock):
    now = clock.now()
    await add(uow_factory, now, 2)
    async with uow_factory() as uow:
        await uow.outbox.claim_due(owner="bot-1", now=now, lease=LEASE, limit=5)
    async with uow_factory() as uow:
        assert await uow.outbox.release_own_leases(owner="bot-2") == 0
        assert await uow.outbox.release_own_leases(owner="bot-1") == 2
    async with uow_factory() as uow:
        rows = await uow.outbox.claim_due(owner="bot-1", now=now, lease=LEASE, limit=5)
    assert len(rows) == 2 and all(row.outcome_unknown for row in rows)


async def test_retry_failed_and_skipped_are_recorded(uow_factory, clock):
    now = clock.now()
    await add(uow_factory, now, 3)
    async with uow_factory() as uow:
        retry, failed, skipped = await uow.outbox.claim_due(owner="A", now=now, lease=LEASE, limit=3)
    async with uow_factory() as uow:
        assert await uow.outbox.mark_retry(retry.id, owner="A", due_at=now + timedelta(seconds=30),
                                            error="fatal_error", outcome_unknown=True)
        assert await uow.outbox.mark_failed(failed.id, owner="A", error="user_not_found")
        assert await uow.outbox.mark_skipped(skipped.id, owner="A", reason="expired")
    async with uow_factory() as uow:
        stats = await uow.outbox.queue_stats(now)
        assert (stats.pending, stats.due, stats.next_due_at) == (1, 0, now + timedelta(seconds=30))
        [listed] = await uow.outbox.failed_deliveries()
        assert (listed.recipient, listed.last_error) == (failed.recipient, "user_not_found")
        again = await uow.outbox.claim_due(owner="A", now=now + timedelta(seconds=30), lease=LEASE, limit=5)
    assert [(row.id, row.outcome_unknown, row.last_error) for row in again] == [(retry.id, True, "fatal_error")]


async def test_concurrent_claimers_never_share_a_row(db_url, clock):
    now = clock.now()
    engines = [make_engine(db_url) for _ in range(4)]
    await migrate(engines[0])
    factories = [make_session_factory(engine) for engine in engines]
    cipher = Cipher(generate_key())
    await add(lambda: UnitOfWork(factories[0], cipher), now, 200)

    async def claimer(index: int) -> list[int]:
        taken: list[int] = []
        while True:
            async with UnitOfWork(factories[index], cipher) as uow:
                rows = await uow.outbox.claim_due(owner=f"P{index}", now=now, lease=LEASE, limit=7)
            if not rows:
                return taken
            taken.extend(row.id for row in rows)

    results = await asyncio.gather(*(claimer(index) for index in range(4)))
    for engine in engines:
        await engine.dispose()
    everything = [row_id for taken in results for row_id in taken]
    assert len(everything) == len(set(everything)) == 200

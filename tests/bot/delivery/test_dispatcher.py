"""The dispatcher against the fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.delivery.sending import METADATA_EVENT_TYPE, SlackSender, sending_client
from storage.models import Delivery, FanoutBatch
from tests.bot.delivery.conftest import NOTE_KIND, dm_texts, enqueue_notes, fast_pacer, make_runtime, users


async def rows_by_key(deps) -> dict[str, Delivery]:
    async with deps.uow() as uow:
        return {row.dedupe_key: row for row in await uow.session.scalars(select(Delivery))}


async def test_due_deliveries_are_sent_once_with_their_key_and_ts_recorded(deps, fake, clock):
    recipients = users(5)
    for user in recipients:
        fake.add_user(user, user.lower())
    await enqueue_notes(deps, recipients, due_at=clock.now())
    await enqueue_notes(deps, ["URLATER"], due_at=clock.now() + timedelta(hours=1), prefix="later")
    fake.add_user("URLATER", "later")
    runtime = make_runtime(deps)

    result = await runtime.drain()

    assert result.sent == 5
    rows = await rows_by_key(deps)
    for user in recipients:
        [message] = fake.dm_messages(user)
        assert message["metadata"] == {"event_type": METADATA_EVENT_TYPE,
                                       "event_payload": {"dedupe_key": f"note:{user}"}}
        row = rows[f"note:{user}"]
        assert (row.status, row.slack_channel, row.slack_ts) == ("sent", "D" + user, message["ts"])
        assert row.sent_at == clock.now() and row.lease_owner is None
    assert rows["later:URLATER"].status == "pending"
    assert dm_texts(fake, "URLATER") == []

    clock.advance(timedelta(hours=1))
    assert (await runtime.drain()).sent == 1
    assert dm_texts(fake, "URLATER") == ["note 0"]


async def test_permanent_errors_fail_with_the_code_and_are_listed_for_admins(deps, fake, clock):
    fake.add_user("URGONE", "gone")
    fake.deactivate_user("URGONE")
    fake.add_user("URHERE", "here")
    await enqueue_notes(deps, ["URGONE", "URNOBODY", "URHERE"], due_at=clock.now())

    result = await make_runtime(deps).drain()

    assert (result.sent, result.failed) == (1, 2)
    async with deps.uow() as uow:
        failed = await uow.outbox.failed_deliveries()
        assert await uow.outbox.count_failed() == 2
    assert {(f.recipient, f.last_error) for f in failed} == {("URGONE", "account_inactive"),
                                                             ("URNOBODY", "channel_not_found")}
    assert all(f.kind == NOTE_KIND for f in failed)


async def test_a_500_is_retried_later_after_checking_it_did_not_land(deps, fake, clock):
    fake.add_user("URONE", "one")
    await enqueue_notes(deps, ["URONE"], due_at=clock.now())
    fake.fail("chat.postMessage", status=500, times=1)
    runtime = make_runtime(deps)

    first = await runtime.drain()

    row = (await rows_by_key(deps))["note:URONE"]
    assert (first.retried, row.status, row.last_error, row.outcome_unknown) == (1, "pending", "fatal_error", True)
    assert row.due_at > clock.now()
    assert dm_texts(fake, "URONE") == []

    clock.advance(timedelta(seconds=5))
    second = await runtime.drain()

    assert second.sent == 1 and dm_texts(fake, "URONE") == ["note 0"]
    assert fake.calls_to("conversations.history"), "an unknown outcome is reconciled before resending"


async def test_a_timed_out_send_that_landed_is_recorded_not_sent_again(deps, fake, clock):
    fake.add_user("URSLOW", "slow")
    await enqueue_notes(deps, ["URSLOW"], due_at=clock.now())
    fake.delay("chat.postMessage", 1.0)
    runtime = make_runtime(deps, send_timeout_seconds=0.2)

    first = await runtime.drain()
    assert first.retried == 1
    await fake_settles(fake, "URSLOW")
    fake.delay("chat.postMessage", 0)

    clock.advance(timedelta(seconds=5))
    second = await runtime.drain()

    assert (second.reconciled, second.sent) == (1, 0)
    [message] = fake.dm_messages("URSLOW")
    row = (await rows_by_key(deps))["note:URSLOW"]
    assert (row.status, row.slack_ts, row.outcome_unknown) == ("sent", message["ts"], False)


async def fake_settles(fake, user: str) -> None:
    import asyncio

    for _ in range(100):
        if fake.dm_messages(user):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the slow post never landed")


async def test_a_two_minute_outage_is_ridden_out(deps, fake, clock, monotonic):
    recipients = users(40)
    for user in recipients:
        fake.add_user(user, user.lower())
    await enqueue_notes(deps, recipients, due_at=clock.now())
    runtime = make_runtime(deps)
    fake.outage(status=503, seconds=120)

    step = timedelta(seconds=10)
    for _ in range(12):  # two minutes of Slack answering 503
        result = await runtime.drain()
        assert result.sent == 0 and result.failed == 0
        clock.advance(step)
        monotonic.advance(step.total_seconds())
    for _ in range(30):  # recovered: everything goes out as the backoffs come due
        await runtime.drain()
        if (await runtime.tick()).pending_after == 0:
            break
        clock.advance(step)
        monotonic.advance(step.total_seconds())

    rows = await rows_by_key(deps)
    assert {row.status for row in rows.values()} == {"sent"}
    assert all(dm_texts(fake, user) == [f"note {i}"] for i, user in enumerate(recipients))


async def test_too_late_and_no_longer_owed_deliveries_are_skipped(deps, fake, clock):
    fake.add_user("URLATE", "late")
    fake.add_user("URGRACE", "grace")
    fake.add_user("URWITHDRAWN", "withdrawn")
    await enqueue_notes(deps, ["URLATE"], due_at=clock.now() - timedelta(minutes=30), prefix="late",
                        grace_seconds=20 * 60)
    await enqueue_notes(deps, ["URGRACE"], due_at=clock.now() - timedelta(minutes=10), prefix="grace",
                        grace_seconds=20 * 60)
    await enqueue_notes(deps, ["URWITHDRAWN"], due_at=clock.now(), prefix="gone", withdrawn=True)

    result = await make_runtime(deps).drain()

    rows = await rows_by_key(deps)
    assert (result.expired, result.skipped, result.sent) == (1, 1, 1)
    assert (rows["late:URLATE"].status, rows["late:URLATE"].last_error) == ("skipped", "expired")
    assert rows["gone:URWITHDRAWN"].status == "skipped"
    assert dm_texts(fake, "URLATE") == [] and dm_texts(fake, "URWITHDRAWN") == []
    assert dm_texts(fake, "URGRACE") == ["note 0"]


async def test_an_unknown_kind_fails_visibly(deps, fake, clock):
    from bot.delivery import outbox

    async with deps.uow() as uow:
        await outbox.enqueue(uow, kind="no_such_kind", recipient="URX", due_at=clock.now(), now=clock.now(),
                             dedupe_key="mystery")
    await make_runtime(deps).drain()
    row = (await rows_by_key(deps))["mystery"]
    assert (row.status, row.last_error) == ("failed", "unknown_kind")


async def test_a_dead_processs_claims_are_reconciled_after_the_lease(deps, fake, clock):
    recipients = users(6)
    for user in recipients:
        fake.add_user(user, user.lower())
    await enqueue_notes(deps, recipients, due_at=clock.now())
    async with deps.uow() as uow:
        ghost_rows = await uow.outbox.claim_due(owner="ghost", now=clock.now(), lease=timedelta(minutes=2),
                                                 limit=4)
    # The ghost posted two of its four rows, then died before recording anything.
    sender = SlackSender(sending_client(deps.client), fast_pacer())
    from bot.delivery.renderers import Message

    for row in ghost_rows[:2]:
        assert (await sender.post(row, Message(text="note ghost"))).ok
    runtime = make_runtime(deps)

    before = await runtime.drain()
    assert before.sent == 2  # the two rows nobody held
    clock.advance(timedelta(minutes=3))
    after = await runtime.drain()

    assert (after.reconciled, after.sent) == (2, 2)
    for user in recipients:
        assert len(fake.dm_messages(user)) == 1
    assert {row.status for row in (await rows_by_key(deps)).values()} == {"sent"}


async def test_fanout_progress_ends_with_the_final_count(deps, fake, clock):
    admin_channel = fake.add_channel("jirei-admin")
    posted = fake.post_as_bot(admin_channel, "配信中 0/30")
    recipients = users(30)
    for user in recipients:
        fake.add_user(user, user.lower())
    fake.deactivate_user(recipients[7])
    async with deps.uow() as uow:
        batch = FanoutBatch(kind=NOTE_KIND, total=30, admin_user_id="UADMIN", progress_channel=admin_channel,
                            progress_ts=posted["ts"], created_at=clock.now())
        uow.session.add(batch)
        await uow.flush()
        batch_id = batch.id
    await enqueue_notes(deps, recipients, due_at=clock.now(), batch_id=batch_id)

    await make_runtime(deps).drain()

    final = fake.message(admin_channel, posted["ts"])
    assert final["text"] == "配信完了 30/30（失敗 1件）"
    assert fake.calls_to("chat.update")
    async with deps.uow() as uow:
        assert (await uow.session.get(FanoutBatch, batch_id)).finished_at == clock.now()

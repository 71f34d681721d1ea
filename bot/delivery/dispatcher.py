"""The dispatcher: claim due deliveries under a lease, render, send at the rate limit, record.

One `dispatch_due()` keeps up to `max_in_flight` deliveries moving: it claims as slots free up,
so the pacer — not the database or the round trip — sets the pace. Each Web API method is a lane:
a delivery whose message is out and whose file waits for the files budget (Tier 4, about 100 a
minute) leaves its slot to the next messages, and the files go out in the order their messages did.
For each claimed row:

1. render it (a renderer returning None means "no longer owed" → skipped);
2. if a previous attempt's outcome is unknown, look for it in Slack first (reconcile);
3. skip it if it is later than its grace period (the bot was down);
4. wait for the pacer, make sure the lease still covers the send, post;
5. with a file: remember the post's ts, then upload the file into its thread;
6. record: sent (channel, ts), retry later (backoff + jitter, or Retry-After), or failed.

Logs carry the delivery's kind, id and Slack error codes only — never texts or names.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Callable, Coroutine, Mapping


from bot.delivery.progress import build_fanout_progress
from bot.delivery.pacing import Pacer
from bot.delivery.renderers import FileUpload, Message, RenderContext, Renderer, UnknownDeliveryKind
from bot.delivery.sending import CallResult, Found, SlackSender, sending_client
from bot.deps import Deps
from bot.metrics import DELIVERIES
from storage.outbox_repo import Outbox
from storage.models import Delivery

log = logging.getLogger(__name__)

POST_METHOD = "chat.postMessage"
UPDATE_METHOD = "chat.update"
UPLOAD_METHOD = "files.getUploadURLExternal"


@dataclass(frozen=True)
class DispatchConfig:
    max_in_flight: int = 16
    lease_seconds: float = 120.0
    send_timeout_seconds: float = 15.0
    # With the backoff below, 20 attempts ride out well over ten minutes of Slack trouble.
    max_attempts: int = 20
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0
    # A row whose send would wait longer than this for the pacer goes back to the queue.
    max_pacer_hold_seconds: float = 5.0
    progress_interval_seconds: float = 1.0
    reconcile_pages: int = 3
    reconcile_page_size: int = 200
    # Compare our clock with Slack's ts when bounding the history search (off for a ManualClock).
    reconcile_time_window: bool = True
    reconcile_margin: timedelta = timedelta(minutes=10)


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    reconciled: int = 0  # found already posted by an earlier attempt: recorded, not sent again
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # no longer owed
    expired: int = 0  # past the grace period
    deferred: int = 0  # the pacer's wait was too long: back to the queue
    lost: int = 0  # the lease passed to another process

    def merge(self, other: "DispatchStats") -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


class Dispatcher:
    def __init__(self, deps: Deps, *, owner: str, renderers: Mapping[str, Renderer],
                 pacer: Pacer | None = None, config: DispatchConfig | None = None,
                 rng: random.Random | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.deps = deps
        self.owner = owner
        self.renderers = renderers
        self.config = config or DispatchConfig()
        self.pacer = pacer or Pacer()
        self.sender = SlackSender(sending_client(deps.client), self.pacer, timeout=self.config.send_timeout_seconds)
        self._rng = rng or random.Random()
        self._monotonic = monotonic
        self._progress_shown_at: dict[int, float] = {}
        self._stopping = False
        self._files_lane: set[asyncio.Task] = set()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.config.lease_seconds)

    def stop_claiming(self) -> None:
        """No new claims; what is in flight finishes (used on shutdown)."""
        self._stopping = True

    async def dispatch_due(self) -> DispatchStats:
        """Send everything due now, keeping up to `max_in_flight` sends going; returns counts."""
        stats = DispatchStats()
        refill_at = max(1, self.config.max_in_flight // 4)
        in_flight: set[asyncio.Task] = set()
        self._files_lane = set()
        batches: set[int] = set()
        while True:
            free = self.config.max_in_flight - len(in_flight)
            if not self._stopping and free > 0 and (not in_flight or free >= refill_at):
                async with self.deps.uow() as uow:
                    rows = await uow.outbox.claim_due(owner=self.owner, now=self.deps.clock.now(),
                                                       lease=self.lease, limit=free)
                stats.claimed += len(rows)
                for row in rows:
                    if row.batch_id is not None:
                        batches.add(row.batch_id)
                    in_flight.add(asyncio.create_task(self._process(row, stats), name=f"delivery-{row.id}"))
            if not in_flight and not self._files_lane:
                break
            done, _ = await asyncio.wait(in_flight | self._files_lane, return_when=asyncio.FIRST_COMPLETED)
            in_flight -= done
            self._files_lane -= done
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    # The row stays claimed; its lease runs out and it is reconciled then.
                    log.error("delivery task %s crashed", task.get_name(), exc_info=task.exception())
        for batch_id in sorted(batches):
            await self._show_progress(batch_id, final_check=True)
        return stats

    # --- one delivery -----------------------------------------------------------------------

    async def _process(self, row: Delivery, stats: DispatchStats) -> None:
        try:
            message = await self._render(row)
        except UnknownDeliveryKind:
            log.error("delivery %s: no renderer for kind %s", row.id, row.kind)
            await self._finish_failed(row, "unknown_kind", stats)
            return
        except Exception:
            # A renderer bug must not stop the queue; the admin sees the failure.
            log.exception("delivery %s (%s): renderer raised", row.id, row.kind)
            await self._finish_failed(row, "render_error", stats)
            return
        target = (message.channel if message else None) or row.recipient
        if await self._reconciled(row, message, target, stats):
            return
        if message is None:
            await self._record(row, stats, "skipped", Outbox.mark_skipped, reason="not_owed")
            return
        now = self.deps.clock.now()
        if row.grace_seconds is not None and now > row.due_at + timedelta(seconds=row.grace_seconds):
            log.info("delivery %s (%s) skipped: past its grace period", row.id, row.kind)
            await self._record(row, stats, "expired", Outbox.mark_skipped, reason="expired")
            return
        if row.attempts > self.config.max_attempts:
            await self._finish_failed(row, row.last_error or "too_many_attempts", stats)
            return
        await self._send(row, message, target, stats, now)

    async def _reconciled(self, row: Delivery, message: Message | None, target: str, stats: DispatchStats) -> bool:
        """Whether an earlier attempt is known (or found) to have posted, and the row is recorded so,
        or the lookup failed and the row is retried: either way nothing is sent now."""
        posted: Found | None = None
        if message is not None and message.replaces is not None:
            return False  # an update in place: made again rather than looked for
        if row.slack_ts and row.slack_channel:
            posted = Found(row.slack_channel, row.slack_ts)  # an earlier attempt posted; its file is missing
        elif row.outcome_unknown:
            lookup, posted = await self.sender.find_posted(
                row, target, oldest=self._search_floor(row), max_pages=self.config.reconcile_pages,
                page_size=self.config.reconcile_page_size)
            if posted is None and not lookup.ok:
                await self._after_failure(row, lookup, stats, outcome_unknown=True)
                return True
        if posted is None:
            return False
        if message is not None and message.upload is not None:
            self._upload_in_lane(row, self._finish_upload(row, message.upload, posted, stats, outcome="reconciled",
                                                          check_thread=True))
        else:
            await self._record(row, stats, "reconciled", Outbox.mark_sent, channel=posted.channel,
                               ts=posted.ts, now=self.deps.clock.now())
        return True

    async def _send(self, row: Delivery, message: Message, target: str, stats: DispatchStats, now: datetime) -> None:
        method = UPDATE_METHOD if message.replaces is not None else POST_METHOD
        wait = self.pacer.delay(method)
        if wait > self.config.max_pacer_hold_seconds:
            await self._record(row, stats, "deferred", Outbox.mark_retry, due_at=now + timedelta(seconds=wait),
                               error=row.last_error, outcome_unknown=False)
            return
        await self.pacer.acquire(method)
        if not await self._lease_covers_send(row):
            stats.lost += 1
            return
        if message.replaces is not None:
            channel, ts = message.replaces
            result = await self.sender.update(channel, ts, message.text, message.blocks, optional=False, paced=False)
            if result.ok:
                await self._record(row, stats, "sent", Outbox.mark_sent, channel=channel, ts=ts,
                                   now=self.deps.clock.now())
            else:
                await self._after_failure(row, result, stats, outcome_unknown=False)
            return
        result = await self.sender.post(row, message)
        if not result.ok:
            await self._after_failure(row, result, stats, outcome_unknown=result.outcome_unknown)
            return
        posted = Found(result.data.get("channel") or target, result.data.get("ts") or "")
        if message.upload is None:
            await self._record(row, stats, "sent", Outbox.mark_sent, channel=posted.channel, ts=posted.ts,
                               now=self.deps.clock.now())
        else:
            self._upload_in_lane(row, self._finish_upload(row, message.upload, posted, stats, outcome="sent",
                                                          check_thread=False))

    def _upload_in_lane(self, row: Delivery, upload: Coroutine[Any, Any, None]) -> None:
        """The file goes on in the files lane; the message's slot is free for the next delivery."""
        self._files_lane.add(asyncio.create_task(upload, name=f"delivery-{row.id}-file"))

    async def _finish_upload(self, row: Delivery, upload: FileUpload, posted: Found, stats: DispatchStats, *,
                             outcome: str, check_thread: bool) -> None:
        """The message is out; put its file in the thread, then the delivery is sent."""
        if row.slack_ts != posted.ts:
            # Remember the post before the slower upload, so a retry never posts the message twice.
            async with self.deps.uow() as uow:
                if not await uow.outbox.mark_posted(row.id, owner=self.owner, channel=posted.channel,
                                                     ts=posted.ts):
                    stats.lost += 1
                    return
            row.slack_channel, row.slack_ts = posted.channel, posted.ts
        # Waiting for the files budget may outlast the lease: hold the row for the wait as well, so
        # no claimer (this process included) takes it and uploads the file a second time.
        if not await self._lease_covers_send(row, wait=self.pacer.delay(UPLOAD_METHOD)):
            stats.lost += 1
            return
        if check_thread:
            check = await self.sender.thread_has_upload(posted.channel, posted.ts, upload.filename)
            if not check.ok:
                await self._after_failure(row, check, stats, outcome_unknown=True)
                return
            if check.data["found"]:
                await self._record(row, stats, outcome, Outbox.mark_sent, channel=posted.channel,
                                   ts=posted.ts, now=self.deps.clock.now())
                return
        result = await self.sender.upload_into_thread(posted.channel, posted.ts, upload)
        if result.ok:
            await self._record(row, stats, outcome, Outbox.mark_sent, channel=posted.channel, ts=posted.ts,
                               now=self.deps.clock.now())
        else:
            await self._after_failure(row, result, stats, outcome_unknown=result.outcome_unknown)

    async def _render(self, row: Delivery) -> Message | None:
        render = self.renderers.get(row.kind)
        if render is None:
            raise UnknownDeliveryKind(row.kind)
        async with self.deps.uow() as uow:
            return await render(RenderContext(self.deps, uow, row))

    def _search_floor(self, row: Delivery) -> datetime | None:
        # The first attempt came after the row was created; Slack's ts follow Slack's clock.
        if not self.config.reconcile_time_window:
            return None
        return row.created_at - self.config.reconcile_margin

    async def _lease_covers_send(self, row: Delivery, wait: float = 0.0) -> bool:
        """Renew the lease if the send (after `wait` seconds) could outlive it, so no other process
        takes the row mid-send."""
        now = self.deps.clock.now()
        margin = timedelta(seconds=self.config.send_timeout_seconds * 2 + wait)
        if row.lease_until is not None and row.lease_until - now > margin:
            return True
        until = now + self.lease + timedelta(seconds=wait)
        async with self.deps.uow() as uow:
            kept = await uow.outbox.extend_lease(row.id, owner=self.owner, until=until)
        if kept:
            row.lease_until = until
        else:
            log.warning("delivery %s (%s): lease lost before sending", row.id, row.kind)
        return kept

    async def _after_failure(self, row: Delivery, result: CallResult, stats: DispatchStats, *,
                             outcome_unknown: bool) -> None:
        error = result.error or "unknown_error"
        if result.verdict == "failed":
            await self._finish_failed(row, error, stats)
            return
        if row.attempts >= self.config.max_attempts:
            await self._finish_failed(row, error, stats)
            return
        delay = self.backoff_seconds(row.attempts, result)
        await self._record(row, stats, "retried", Outbox.mark_retry,
                           due_at=self.deps.clock.now() + timedelta(seconds=delay), error=error,
                           outcome_unknown=outcome_unknown)

    def backoff_seconds(self, attempts: int, result: CallResult) -> float:
        """Exponential backoff with jitter; a 429's Retry-After is the wait, a 503's a minimum."""
        if result.error == "ratelimited":
            return (result.retry_after or 1.0) * self._rng.uniform(1.0, 1.2)
        exponent = max(0, attempts - 1)
        base = min(self.config.backoff_cap_seconds, self.config.backoff_base_seconds * 2 ** exponent)
        return max(base * self._rng.uniform(0.5, 1.0), result.retry_after or 0.0)

    async def _finish_failed(self, row: Delivery, error: str, stats: DispatchStats) -> None:
        log.warning("delivery %s (%s) failed: %s", row.id, row.kind, error)
        await self._record(row, stats, "failed", Outbox.mark_failed, error=error)

    async def _record(self, row: Delivery, stats: DispatchStats, outcome: str, write, **values) -> None:
        async with self.deps.uow() as uow:
            kept = await write(uow.outbox, row.id, owner=self.owner, **values)
        if not kept:
            # Another process holds the row now; it reconciles before sending, so nothing doubles.
            log.warning("delivery %s (%s): lease lost before recording %s", row.id, row.kind, outcome)
            stats.lost += 1
            return
        setattr(stats, outcome, getattr(stats, outcome) + 1)
        DELIVERIES.labels(kind=row.kind, outcome=outcome).inc()
        if row.batch_id is not None and outcome not in ("retried", "deferred"):
            await self._show_progress(row.batch_id, final_check=False)

    # --- fan-out progress -------------------------------------------------------------------

    async def _show_progress(self, batch_id: int, *, final_check: bool) -> None:
        """Update the admin's progress message: throttled while running, once more when done."""
        moment = self._monotonic()
        last = self._progress_shown_at.get(batch_id)
        due = last is None or moment - last >= self.config.progress_interval_seconds
        if not (due or final_check):
            return
        self._progress_shown_at[batch_id] = moment
        async with self.deps.uow() as uow:
            progress = await uow.outbox.batch_progress(batch_id)
            if progress is None or not (progress.progress_channel and progress.progress_ts):
                return
            if progress.finished_at is not None:
                return
            final = progress.complete and await uow.outbox.finish_batch(batch_id, self.deps.clock.now())
            lang = await uow.coordinators.lang_of(progress.admin_user_id) if progress.admin_user_id else "ja"
        if progress.complete and not final:
            return  # another process finished the batch and shows the final count
        text, blocks = build_fanout_progress(progress.done, progress.total, progress.failed, lang, finished=final)
        result = await self.sender.update(progress.progress_channel, progress.progress_ts, text, blocks,
                                          optional=not final)
        if result is not None and not result.ok:
            log.warning("fan-out batch %s: progress update failed: %s", batch_id, result.error)

"""The runtime: the periodic jobs, each on its own APScheduler trigger, and the outbox dispatcher.

    runtime = Runtime(deps, WIRING)
    await runtime.start()      # every job on its cadence; the dispatcher every
    ...                        # JIREI_DISPATCH_INTERVAL_SECONDS and whenever woken
    await runtime.stop()       # no new work; in-flight jobs and sends finish

The jobs and renderers are those bot/features.py lists. A wake-up (`deps.wake_dispatcher()`, after a
command enqueued something) runs only the dispatcher; each job runs when its trigger fires
(`Job(every=…)` or `Job(cron=…)`), idempotent and safe in several processes at once.

The console and the tests do not start it: they move the ManualClock and call `run_due_jobs()`,
`tick()` (every job once, then the dispatcher) or `drain()` themselves. APScheduler only keeps time
(an in-memory job store, nothing in it that cannot be rebuilt at start); every message owed is a
row in the database (DESIGN §4).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.clock import ManualClock
from bot.delivery.dispatcher import DispatchConfig, Dispatcher, DispatchStats
from bot.delivery.pacing import Pacer
from bot.deps import Deps
from bot.metrics import DELIVERIES_PENDING, DISPATCH_LAG
from bot.wiring import Job, Wiring

log = logging.getLogger(__name__)

JOB_MISFIRE_GRACE_SECONDS = 300

def default_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class TickResult:
    """What one tick (or a drain) did."""

    jobs_run: int = 0
    job_errors: list[str] = field(default_factory=list)
    claimed: int = 0
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    expired: int = 0
    deferred: int = 0
    lost: int = 0
    due_after: int = 0  # still due now when the tick ended (e.g. rows other processes hold)
    pending_after: int = 0  # not yet sent, due now or later

    def absorb(self, stats: DispatchStats) -> None:
        for item in fields(stats):
            setattr(self, item.name, getattr(self, item.name) + getattr(stats, item.name))

    def merge(self, other: "TickResult") -> None:
        for item in fields(self):
            if item.name in ("due_after", "pending_after"):
                setattr(self, item.name, getattr(other, item.name))
            elif item.name == "job_errors":
                self.job_errors.extend(other.job_errors)
            else:
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


class Runtime:
    def __init__(self, deps: Deps, wiring: Wiring, owner_id: str | None = None, *, pacer: Pacer | None = None,
                 config: DispatchConfig | None = None) -> None:
        self.deps = deps
        self.jobs = wiring.jobs
        self.owner_id = owner_id or default_owner_id()
        if config is None:
            # A manual clock and Slack's ts cannot be compared: search history by count only.
            config = DispatchConfig(reconcile_time_window=not isinstance(deps.clock, ManualClock))
        self.dispatcher = Dispatcher(deps, owner=self.owner_id, renderers=wiring.renderers, pacer=pacer,
                                     config=config)
        self._tick_lock = asyncio.Lock()
        self._running_jobs: set[asyncio.Task] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._wake_task: asyncio.Task | None = None
        self._stopping = False
        self._recovered = False
        self._next_wake_seconds: float | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        interval = self.deps.settings.dispatch_interval_seconds
        self._scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=timezone.utc)
        # The scheduled job only wakes the loop below, so ticks never overlap or pile up.
        self._scheduler.add_job(self._scheduled_wake, "interval", seconds=interval, id="dispatch",
                                coalesce=True, max_instances=1)
        for job in self.jobs:
            # An interval job also runs at start: work may have come due while the bot was down
            # (APScheduler keeps wall-clock time). A run missed by less than its grace (a busy loop,
            # a short pause) still happens, once.
            first_run = {"next_run_time": datetime.now(timezone.utc)} if job.every is not None else {}
            self._scheduler.add_job(self._run_scheduled, job.trigger(self.deps.tz), args=[job], id=job.name,
                                    coalesce=True, max_instances=1, misfire_grace_time=JOB_MISFIRE_GRACE_SECONDS,
                                    **first_run)
        self._scheduler.start()
        on_change = getattr(self.deps.clock, "on_change", None)
        if on_change is not None:
            on_change(lambda _moment: self.deps.wake_dispatcher())
        self._wake_task = asyncio.create_task(self._wake_loop(), name="jirei-dispatch")
        self.deps.wake_dispatcher()  # look at once: work may have come due while the bot was down

    async def stop(self) -> None:
        """No new claims and no new ticks; what is in flight finishes; then return."""
        self._stopping = True
        self.dispatcher.stop_claiming()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._wake_task is not None:
            self.deps.wake_dispatcher()
            await self._wake_task
            self._wake_task = None
        if self._running_jobs:
            await asyncio.wait(self._running_jobs)
        async with self._tick_lock:
            pass  # a tick started by the console or a test finishes first

    async def _scheduled_wake(self) -> None:
        # A coroutine, so APScheduler runs it on the loop (asyncio.Event is not thread-safe).
        self.deps.wake_dispatcher()

    async def _wake_loop(self) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self.deps.wakeup.wait(), timeout=self._next_wake_seconds)
            except TimeoutError:
                pass  # something falls due about now
            if self._stopping:
                return
            self.deps.wakeup.clear()
            try:
                await self.dispatch()
            except Exception:
                # The loop must outlive a database hiccup; the next wake tries again.
                log.exception("dispatcher tick failed")

    async def _run_scheduled(self, job: Job) -> None:
        # A coroutine, so APScheduler runs it on the loop; stop() waits for it.
        if self._stopping:
            return
        task = asyncio.current_task()
        self._running_jobs.add(task)
        try:
            await self._run_job(job, TickResult())
        finally:
            self._running_jobs.discard(task)

    # --- running by hand (console, tests) and dispatching ---------------------------------

    async def run_due_jobs(self) -> TickResult:
        """Every periodic job once, now (each does only what is due at the clock's time)."""
        result = TickResult()
        for job in self.jobs:
            await self._run_job(job, result)
        return result

    async def _run_job(self, job: Job, result: TickResult) -> None:
        try:
            await job.run(self.deps)
            result.jobs_run += 1
        except Exception:
            # One broken job must not stop the others or the deliveries.
            log.exception("periodic job %s failed", job.name)
            result.job_errors.append(job.name)

    async def dispatch(self) -> TickResult:
        """Send everything due now (what a wake-up runs). Returns the counts."""
        result = TickResult()
        async with self._tick_lock:
            if self._stopping:
                return result
            await self._recover_own_leases()
            result.absorb(await self.dispatcher.dispatch_due())
            await self._observe_queue(result)
        return result

    async def tick(self) -> TickResult:
        """Every periodic job once, then dispatch everything due now (console and tests)."""
        if self._stopping:
            return TickResult()
        result = await self.run_due_jobs()
        result.merge(await self.dispatch())
        return result

    async def drain(self, max_rounds: int = 20) -> TickResult:
        """Tick until nothing is due now (retries wait for the clock to reach their time)."""
        total = TickResult()
        for _ in range(max_rounds):
            result = await self.tick()
            total.merge(result)
            if result.due_after == 0 or result.claimed == 0:
                break
        return total

    async def _recover_own_leases(self) -> None:
        if self._recovered:
            return
        async with self.deps.uow() as uow:
            released = await uow.outbox.release_own_leases(owner=self.owner_id)
        if released:
            log.info("released %s deliveries claimed by an earlier run of %s", released, self.owner_id)
        self._recovered = True

    async def _observe_queue(self, result: TickResult) -> None:
        now = self.deps.clock.now()
        async with self.deps.uow(read_only=True) as uow:
            stats = await uow.outbox.queue_stats(now)
        result.due_after, result.pending_after = stats.due, stats.pending
        DELIVERIES_PENDING.set(stats.pending)
        DISPATCH_LAG.set(max(0.0, (now - stats.oldest_due_at).total_seconds()) if stats.oldest_due_at else 0.0)
        interval = self.deps.settings.dispatch_interval_seconds
        if stats.next_due_at is None:
            self._next_wake_seconds = None  # the scheduler's interval wakes us
        else:
            wait = (stats.next_due_at - now).total_seconds()
            self._next_wake_seconds = min(interval, max(0.01, wait))

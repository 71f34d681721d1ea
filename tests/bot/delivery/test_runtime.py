"""The runtime: periodic jobs, ticks, the scheduler and the wake-up, a clean stop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.delivery import outbox
from bot.delivery.dispatcher import DispatchConfig
from bot.delivery.pacing import Pacer, Rate
from bot.delivery.renderers import FileUpload, Message, RenderContext
from bot.runtime import Runtime
from bot.wiring import Feature, Job, wire
from tests.bot.delivery.conftest import TEST_NOTES, dm_texts, enqueue_notes, make_runtime, users

DAY = timedelta(days=1)


async def eventually(condition, rounds: int = 500) -> bool:
    """Let the started runtime work until `condition()` holds (or give up: False)."""
    for _ in range(rounds):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def test_every_tick_runs_the_periodic_jobs_before_dispatching(deps, fake, clock):
    fake.add_user("URJOB", "job")
    seen: list[str] = []

    async def enqueue_something(job_deps) -> None:
        seen.append("enqueue")
        await enqueue_notes(job_deps, ["URJOB"], due_at=job_deps.clock.now(), prefix="job")  # idempotent

    async def broken(job_deps) -> None:
        raise RuntimeError("a bug in some feature")

    jobs = Feature("jobs", jobs=(Job("enqueue_something", enqueue_something, every=DAY),
                                 Job("broken", broken, every=DAY)))
    runtime = make_runtime(deps, wiring=wire([TEST_NOTES, jobs]))
    first = await runtime.tick()
    second = await runtime.tick()

    assert (first.jobs_run, first.job_errors, first.sent) == (1, ["broken"], 1)
    assert (second.sent, seen) == (0, ["enqueue", "enqueue"])
    assert dm_texts(fake, "URJOB") == ["note 0"]


def test_two_jobs_cannot_share_a_name_nor_two_renderers_a_kind():
    async def one(deps) -> None: ...

    with pytest.raises(ValueError, match="twin"):
        wire([Feature("a", jobs=(Job("twin", one, every=DAY),)), Feature("b", jobs=(Job("twin", one, every=DAY),))])
    with pytest.raises(ValueError, match="test_note"):
        wire([TEST_NOTES, TEST_NOTES])


def test_a_job_has_exactly_one_cadence():
    async def one(deps) -> None: ...

    with pytest.raises(ValueError, match="every= and cron="):
        Job("none", one)
    with pytest.raises(ValueError, match="every= and cron="):
        Job("both", one, every=DAY, cron="0 10 * * *")


async def test_the_scheduler_runs_each_job_on_its_trigger_and_wake_ups_run_only_the_dispatcher(deps, fake, clock):
    fake.add_user("URSCHED", "sched")
    runs = {"often": 0, "daily": 0}

    def counting(name):
        async def run(job_deps) -> None:
            runs[name] += 1
        return run

    jobs = Feature("jobs", jobs=(Job("often", counting("often"), every=timedelta(seconds=0.05)),
                                 Job("daily", counting("daily"), cron="0 10 * * *")))
    runtime = make_runtime(deps, wiring=wire([TEST_NOTES, jobs]))
    await runtime.start()
    try:
        for index in range(3):  # three commands' worth of wake-ups
            await enqueue_notes(deps, ["URSCHED"], due_at=clock.now(), prefix=f"wake{index}")
            deps.wake_dispatcher()
            assert await eventually(lambda: len(dm_texts(fake, "URSCHED")) > index)
        assert await eventually(lambda: runs["often"] >= 3)
    finally:
        await runtime.stop()
    assert runs["daily"] == 0  # not its time: neither the interval jobs nor the wake-ups ran it
    assert len(dm_texts(fake, "URSCHED")) == 3


async def test_started_runtime_delivers_when_woken_and_stops_cleanly(deps, fake, clock):
    fake.add_user("URWAKE", "wake")
    runtime = make_runtime(deps, wiring=wire([TEST_NOTES]))
    await runtime.start()
    try:
        await enqueue_notes(deps, ["URWAKE"], due_at=clock.now() + timedelta(minutes=5))
        clock.advance(timedelta(minutes=5))  # a ManualClock move wakes the dispatcher
        await eventually(lambda: dm_texts(fake, "URWAKE"))
    finally:
        await runtime.stop()
    assert dm_texts(fake, "URWAKE") == ["note 0"]
    assert (await runtime.tick()).claimed == 0  # stopped: no new work


async def test_a_wake_up_after_a_command_dispatches_without_running_the_jobs(deps, fake, clock):
    fake.add_user("URCMD", "cmd")
    runs: list[str] = []

    async def counted(job_deps) -> None:
        runs.append("job")

    deps.settings = deps.settings.model_copy(update={"dispatch_interval_seconds": 3600.0})  # no scheduled tick
    runtime = make_runtime(deps, wiring=wire([TEST_NOTES, Feature("counted", jobs=(Job("counted", counted, every=DAY),))]))
    await runtime.start()  # the first look runs the jobs (work may have come due while down)
    try:
        await eventually(lambda: bool(runs))
        await enqueue_notes(deps, ["URCMD"], due_at=clock.now())
        deps.wake_dispatcher()  # what a command does after queueing a message
        await eventually(lambda: dm_texts(fake, "URCMD"))
    finally:
        await runtime.stop()
    assert dm_texts(fake, "URCMD") == ["note 0"]
    assert runs == ["job"]


async def render_with_file(ctx: RenderContext) -> Message:
    return Message(text="material", upload=FileUpload(filename="case.pdf", content=b"%PDF-1.4 test", title="Case"))


WITH_FILE = Feature("files", renderers={"test_with_file": render_with_file})


async def test_a_file_goes_into_the_messages_thread_once_even_after_a_failed_upload(deps, fake, clock):
    fake.add_user("URFILE", "file")
    async with deps.uow() as uow:
        await outbox.enqueue(uow, kind="test_with_file", recipient="URFILE", due_at=clock.now(), now=clock.now(),
                             dedupe_key="file:URFILE")
    fake.fail("files.completeUploadExternal", status=500, times=1)
    runtime = make_runtime(deps, wiring=wire([WITH_FILE]))

    first = await runtime.drain()
    clock.advance(timedelta(seconds=10))
    second = await runtime.drain()

    assert (first.retried, second.reconciled) == (1, 1)
    messages = fake.dm_messages("URFILE")
    [post] = [m for m in messages if m.get("metadata")]
    replies = [m for m in messages if m.get("thread_ts") == post["ts"] and m["ts"] != post["ts"]]
    assert [file["name"] for reply in replies for file in reply["files"]] == ["case.pdf"]


async def test_files_waiting_for_their_budget_do_not_hold_back_messages(deps, fake, clock):
    """Three messages with files, due first, then six plain messages; one delivery in flight and a
    files budget of one upload now and the next in a quarter of an hour. The plain messages go out
    while the files wait in their lane (without the lane, the one slot would wait for the files'
    budget), and the files keep their order. One in flight, so that the order the files reach their
    lane is the order they were claimed in: with more, two posts in flight may finish either way."""
    with_files, plain = users(3, "URF"), users(6, "URN")
    for user in with_files + plain:
        fake.add_user(user, user.lower())
    now = clock.now()
    async with deps.uow() as uow:
        for user in with_files:
            await outbox.enqueue(uow, kind="test_with_file", recipient=user, due_at=now - timedelta(seconds=1),
                                 now=now - timedelta(minutes=1), dedupe_key=f"file:{user}")
    await enqueue_notes(deps, plain, due_at=now)
    fast, files = Rate(500.0, burst=50), Rate(0.001, burst=1)
    pacer = Pacer({"chat.postMessage": fast, "conversations.history": fast, "conversations.open": fast,
                   "files.getUploadURLExternal": files, "files.completeUploadExternal": files})
    runtime = Runtime(deps, wire([WITH_FILE, TEST_NOTES]), "lanes", pacer=pacer,
                      config=DispatchConfig(max_in_flight=1, send_timeout_seconds=5.0))
    dispatching = asyncio.create_task(runtime.dispatcher.dispatch_due())
    try:
        for _ in range(300):
            if all(dm_texts(fake, user) for user in plain):
                break
            await asyncio.sleep(0.02)
        assert [len(dm_texts(fake, user)) for user in plain] == [1] * 6
        assert [len(dm_texts(fake, user)) for user in with_files] == [2, 1, 1]  # the first file is in its thread
    finally:
        runtime.dispatcher.stop_claiming()
        stopping = [task for task in asyncio.all_tasks()
                    if task.get_name().startswith("delivery-") or task is dispatching]
        for task in stopping:
            task.cancel()
        # Let them unwind while the store is still open: cancelled mid-statement, a task rolls its
        # connection back, and after the fixture has closed the engine that would wait forever.
        await asyncio.gather(*stopping, return_exceptions=True)

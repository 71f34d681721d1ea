"""Benchmark: a session's release fan-out, messages and files mixed, through the dispatcher's lanes.

    python bench/bench_release.py [--people 300] [--rate 20] [--failure-ratio 0.03] [--files-per-minute 100]

`people` are confirmed at a deadline 2 s before the material's release: each is owed a confirmation
(a message with its .ics in the thread) and, from the release on, the material (a message with the
file in the thread). The fake Slack allows `rate` chat.postMessage per second with a
`failure-ratio` share answered 500, and the files API at its real tier (Tier 4, `files-per-minute`
for each of its two metered calls, bursts of 40). Printed: when the last message was out against
the chat.postMessage floor (messages / rate; goal <= 1.3x), when the last file was in its thread
against the files floor (files / files-per-minute), duplicates and missing. Real clock, one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_delivery import bench_deps, limited_fake, tick_until_all_sent  # noqa: E402
from bot.delivery import outbox  # noqa: E402
from bot.delivery.renderers import FileUpload, Message, RenderContext  # noqa: E402
from bot.local.slack.server import Activity  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.wiring import Feature, wire  # noqa: E402

GOAL_RATIO = 1.3
RELEASE_AFTER_SECONDS = 2.0
MATERIAL = b"%PDF-1.4 " + b"x" * 50_000
FILE_METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal")


async def render_confirmation(ctx: RenderContext) -> Message:
    n = ctx.payload["n"]
    return Message(text=f"confirmed {n}", upload=FileUpload(filename=f"s{n}.ics", content=b"BEGIN:VCALENDAR",
                                                            title="calendar"))


async def render_material(ctx: RenderContext) -> Message:
    n = ctx.payload["n"]
    return Message(text=f"material {n}", upload=FileUpload(filename=f"case{n}.pdf", content=MATERIAL, title="case"))


BENCH_RELEASE = wire([Feature("bench_release", renderers={"bench_confirmation": render_confirmation,
                                                            "bench_material": render_material})])


def _top_level(message: dict) -> bool:
    return message.get("thread_ts") in (None, message.get("ts"))


async def run(people: int, rate: float, failure_ratio: float, files_per_minute: float) -> int:
    users = [f"UR{index:05d}" for index in range(people)]
    fake, base_url = await limited_fake(users, rate, failure_ratio)
    for method in FILE_METHODS:
        fake.set_rate_limit(method, per_second=files_per_minute / 60, burst=40)
    message_times: list[float] = []
    fake.on_record = lambda activity: message_times.append(time.perf_counter()) \
        if isinstance(activity, Activity) and activity.kind == "message" and _top_level(activity.item) else None

    with tempfile.TemporaryDirectory() as folder:
        deps = await bench_deps(Path(folder) / "release.db", base_url)
        deadline = deps.clock.now()
        release = deadline + timedelta(seconds=RELEASE_AFTER_SECONDS)
        async with deps.uow() as uow:
            for index, user in enumerate(users):
                await outbox.enqueue(uow, kind="bench_confirmation", recipient=user, due_at=deadline, now=deadline,
                                     dedupe_key=f"confirmed:{user}", payload={"n": index})
                await outbox.enqueue(uow, kind="bench_material", recipient=user, due_at=release, now=deadline,
                                     dedupe_key=f"material:{user}", payload={"n": index})
        runtime = Runtime(deps, BENCH_RELEASE, "bench")
        started = time.perf_counter()
        totals, files_done = await tick_until_all_sent(runtime)
        await runtime.stop()
        await deps.close()
    messages = 2 * people
    posted = [len([m for m in fake.dm_messages(user) if _top_level(m)]) for user in users]
    files = [sum(1 for call in fake.calls_to("files.completeUploadExternal") if call.status == 200)]
    await fake.stop()
    duplicates = sum(max(0, count - 2) for count in posted) + max(0, files[0] - messages)
    missing = sum(max(0, 2 - count) for count in posted) + max(0, messages - files[0])
    messages_done = max(message_times) - started if message_times else float("inf")
    floor = messages / rate
    files_floor = messages / (files_per_minute / 60)
    print(f"{people} people confirmed {RELEASE_AFTER_SECONDS:g} s before release: {messages} messages, "
          f"{messages} files in their threads")
    print(f"fake limits       {rate:g} chat.postMessage/s ({failure_ratio:.0%} answered 500), "
          f"files {files_per_minute:g}/min per call")
    print(f"messages out      {messages_done:.1f} s   floor {floor:.1f} s   ratio {messages_done / floor:.2f} "
          f"(goal <= {GOAL_RATIO})")
    print(f"files in threads  {files_done:.1f} s   files floor {files_floor:.1f} s   ratio "
          f"{files_done / files_floor:.2f}")
    print(f"duplicates {duplicates}   missing {missing}   retried {totals.retried}   429s {fake.rate_limited_count}")
    return 0 if duplicates == 0 and missing == 0 and messages_done / floor <= GOAL_RATIO else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--failure-ratio", type=float, default=0.03)
    parser.add_argument("--files-per-minute", type=float, default=100.0)
    args = parser.parse_args()
    return asyncio.run(run(args.people, args.rate, args.failure_ratio, args.files_per_minute))


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a 300-recipient fan-out through the fake Slack at its rate limit, with failures.

    python bench/bench_delivery.py [--recipients 300] [--rate 20] [--failure-ratio 0.03]

The fake Slack allows `rate` chat.postMessage per second (429 + Retry-After beyond that) and
answers a `failure-ratio` share of them with HTTP 500. The floor is recipients / rate seconds;
the target is elapsed / floor <= 1.15 with no duplicate message. Real clock, one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.clock import SystemClock  # noqa: E402
from bot.delivery import outbox  # noqa: E402
from bot.delivery.renderers import Message, RenderContext  # noqa: E402
from bot.deps import Deps, build_deps  # noqa: E402
from bot.local.slack.server import FakeSlack  # noqa: E402
from bot.runtime import Runtime, TickResult  # noqa: E402
from bot.wiring import Feature, wire  # noqa: E402
from config.settings import Settings  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402

TOKEN = "xoxb-bench"
KIND = "bench_note"


async def render_bench_note(ctx: RenderContext) -> Message:
    return Message(text=f"bench {ctx.payload['n']}")


BENCH_NOTES = wire([Feature("bench_notes", renderers={KIND: render_bench_note})])


async def tick_until_all_sent(runtime: Runtime) -> tuple[TickResult, float]:
    """Tick until nothing is pending; the counts and the seconds it took."""
    totals = TickResult()
    started = time.perf_counter()
    while True:
        result = await runtime.tick()
        totals.merge(result)
        if result.pending_after == 0:
            return totals, time.perf_counter() - started
        await asyncio.sleep(0.01)


async def limited_fake(users: list[str], rate: float, failure_ratio: float) -> tuple[FakeSlack, str]:
    """A fake Slack that knows `users`, allows `rate` chat.postMessage/s and fails a share of them."""
    fake = FakeSlack(bot_token=TOKEN, wall_clock=time.time)
    base_url = await fake.start()
    for user in users:
        fake.add_user(user, user.lower())
    fake.set_rate_limit("chat.postMessage", per_second=rate)
    fake.fail_ratio("chat.postMessage", failure_ratio, status=500, seed=7)
    return fake, base_url


async def bench_deps(database: Path, base_url: str) -> Deps:
    """Deps on a fresh SQLite file, the fake Slack at `base_url`, the real clock."""
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{database}", SLACK_API_URL=base_url,
                        SLACK_BOT_TOKEN=TOKEN, JIREI_DISPATCH_INTERVAL_SECONDS=1)
    return await build_deps(settings, cipher=Cipher(generate_key()), clock=SystemClock())


async def run(recipients: int, rate: float, failure_ratio: float) -> int:
    users = [f"UB{index:05d}" for index in range(recipients)]
    fake, base_url = await limited_fake(users, rate, failure_ratio)

    with tempfile.TemporaryDirectory() as folder:
        deps = await bench_deps(Path(folder) / "bench.db", base_url)
        now = deps.clock.now()
        async with deps.uow() as uow:
            for index, user in enumerate(users):
                await outbox.enqueue(uow, kind=KIND, recipient=user, due_at=now, now=now,
                                     dedupe_key=f"bench:{user}", payload={"n": index})
        runtime = Runtime(deps, BENCH_NOTES, "bench")
        totals, elapsed = await tick_until_all_sent(runtime)
        async with deps.uow() as uow:
            failed = await uow.outbox.count_failed()
        await runtime.stop()
        await deps.close()
    await fake.stop()

    per_user = [len(fake.dm_messages(user)) for user in users]
    duplicates = sum(max(0, count - 1) for count in per_user)
    missing = sum(1 for count in per_user if count == 0)
    floor = recipients / rate
    ratio = elapsed / floor
    print(f"recipients        {recipients}")
    print(f"fake limit        {rate:g} chat.postMessage/s, {failure_ratio:.0%} answered 500")
    print(f"elapsed           {elapsed:.2f} s")
    print(f"floor             {floor:.2f} s  ({recipients} / {rate:g} per s)")
    print(f"ratio             {ratio:.3f}  (target <= 1.15)")
    print(f"duplicates        {duplicates}")
    print(f"missing           {missing}  (failed deliveries: {failed})")
    print(f"retried           {totals.retried}  reconciled {totals.reconciled}  429s {fake.rate_limited_count}")
    return 0 if duplicates == 0 and missing == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--failure-ratio", type=float, default=0.03)
    args = parser.parse_args()
    return asyncio.run(run(args.recipients, args.rate, args.failure_ratio))


if __name__ == "__main__":
    sys.exit(main())

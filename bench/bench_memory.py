"""Benchmark: memory at idle and after a 1,000-recipient fan-out (`admin announce` to a bureau).

    python bench/bench_memory.py [--recipients 1000] [--database URL]

The local workspace (fake Slack, the real AsyncApp, the runtime) with `recipients` pledged
coordinators in the Tokyo region; the admin announces a Tokyo session and the dispatcher sends every
invitation. Pacing is lifted (the fake Slack has no rate limit here) so the run measures memory,
not Slack's tiers. Printed: the process RSS at idle and after the fan-out (from /proc, and the peak
from resource.getrusage), and the peak of Python allocations during the fan-out (tracemalloc),
with their ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sys
import tempfile
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from bench.bench_queries import bench_user, seed_bulk  # noqa: E402
from bot import local_seed as seed  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.delivery.pacing import Pacer, Rate  # noqa: E402
from bot.local import LocalWorkspace  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402
from storage.models import Delivery  # noqa: E402

START = datetime(2027, 4, 1, 0, 0, tzinfo=timezone.utc)
UNPACED = Rate(100_000.0, burst=10_000)


def rss_mib() -> float:
    """Resident set size now (Linux /proc; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return peak_rss_mib()


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


async def run(recipients: int, database: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = database or f"sqlite+aiosqlite:///{folder}/memory.db"
        async with LocalWorkspace.open(database_url=url, cipher=Cipher(generate_key()),
                                       clock=ManualClock(START)) as ws:
            ws.runtime = Runtime(ws.deps, pacer=Pacer(default=UNPACED, rates={
                method: UNPACED for method in ("chat.postMessage", "chat.update", "conversations.open")}))
            tokyo_seeded = sum(1 for c in seed.COORDINATORS if c[2] not in ("大阪府", "京都府", "兵庫県"))
            extra = max(0, recipients - tokyo_seeded)
            for index in range(extra):
                ws.fake.add_user(bench_user(index), f"u{index}")
            await seed_bulk(ws.deps, sessions=0, coordinators=extra, now=START, bureaus=(("tokyo", "東京都"),))
            await ws.driver.command(seed.ADMIN, 'admin case new title="メモリ計測" theme=教育')
            await ws.driver.command(seed.ADMIN, "admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 "
                                                "minutes=120 capacity=30 min=1 deadline=2027-05-01T17:00 "
                                                "release=2027-05-07T09:00")
            await ws.run_due()
            gc.collect()
            idle = rss_mib()
            tracemalloc.start()
            await ws.driver.command(seed.ADMIN, "admin announce S1")
            await ws.run_due()
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            gc.collect()
            after = rss_mib()
            async with ws.deps.uow() as uow:
                sent = await uow.session.scalar(select(func.count()).select_from(Delivery).where(
                    Delivery.session_id == 1, Delivery.status == "sent", Delivery.recipient.startswith("U")))
    return {"idle": idle, "after": after, "peak": peak_rss_mib(), "traced_peak": traced_peak / 2**20,
            "sent": sent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    result = asyncio.run(run(args.recipients, args.database))
    print(f"memory around a {args.recipients}-recipient fan-out ({int(result['sent'])} DMs sent)")
    print(f"RSS idle              {result['idle']:8.1f} MiB")
    print(f"RSS after fan-out     {result['after']:8.1f} MiB   ({result['after'] / result['idle']:.2f}x idle, "
          f"+{result['after'] - result['idle']:.1f} MiB)")
    print(f"RSS peak (process)    {result['peak']:8.1f} MiB   ({result['peak'] / result['idle']:.2f}x idle)")
    print(f"Python allocations, peak during the fan-out (tracemalloc): {result['traced_peak']:.1f} MiB "
          f"({result['traced_peak'] * 1024 / max(result['sent'], 1):.1f} KiB per recipient)")
    return 0 if result["sent"] >= args.recipients else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: memory at idle and after a 1,000-recipient fan-out (`admin announce` to a bureau).

    python bench/bench_memory.py [--recipients 1000] [--database URL]

The local workspace (fake Slack, the real AsyncApp, the runtime) with `recipients` pledged
coordinators in the Tokyo region; the admin announces a Tokyo session and the dispatcher sends every
invitation. Pacing is lifted (the fake Slack has no rate limit here) so the run measures memory,
not Slack's tiers. Printed: the process RSS at idle and after the fan-out (from /proc, and the peak
from resource.getrusage), and the peak of Python allocations during the fan-out (tracemalloc),
with their ratios.

First, the bot as it is deployed: `run_bot.py http` started as a process against the fake Slack,
answering a few commands, then left idle; its resident memory, children included (goal: at most
150 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import socket
import sys
import tempfile
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from bench.bench_queries import bench_user, seed_bulk  # noqa: E402
from bot.local.slack.driver import SlackDriver, dispatch_over_http  # noqa: E402
from bot.local.slack.server import FakeSlack  # noqa: E402
from bot.local import seed  # noqa: E402
from bot.core.clock import ManualClock  # noqa: E402
from bot.delivery.pacing import Pacer, Rate  # noqa: E402
from bot.features import WIRING  # noqa: E402
from bot.local.workspace import LocalWorkspace  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402
from storage.models import Delivery  # noqa: E402

START = datetime(2027, 4, 1, 0, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[1]
GOAL_IDLE_MB = 150
SECRET = "bench-memory-secret"
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


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB (10^6 bytes)."""
    total = 0
    status = Path(f"/proc/{pid}/status").read_text()
    total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) * 1024
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += int(tree_rss_mb(int(child)) * 1e6)
    return total / 1e6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def deployed_idle_rss(database: str | None) -> float:
    """`run_bot.py http` after start-up and a few answers, idle: its process tree's RSS in MB."""
    from storage.crypto import generate_key as new_key

    port, metrics_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory() as folder:
        async with FakeSlack() as fake:
            fake.add_user("UMEM0001", "計測 太郎")
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JIREI_", "DATABASE_URL"))}
            env.update(DATABASE_URL=database or f"sqlite+aiosqlite:///{folder}/idle.db", SLACK_BOT_TOKEN="xoxb-local",
                       SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.base_url, JIREI_ENCRYPTION_KEY=new_key(),
                       JIREI_METRICS_PORT=str(metrics_port))
            bot = await asyncio.create_subprocess_exec(sys.executable, "run_bot.py", "http", "--port", str(port),
                                                       "--host", "127.0.0.1", cwd=ROOT, env=env,
                                                       stderr=asyncio.subprocess.DEVNULL)
            try:
                driver = SlackDriver(fake, dispatch_over_http(f"http://127.0.0.1:{port}/slack/events"), SECRET)
                for _ in range(600):
                    try:
                        await driver.command("UMEM0001", "help", settle=False)
                        break
                    except OSError:
                        await asyncio.sleep(0.1)
                for words in ("help", "sessions", "my", "profile"):
                    await driver.command("UMEM0001", words, settle=False)
                await asyncio.sleep(8)  # answers sent, a scheduled tick of the periodic jobs run
                return tree_rss_mb(bot.pid)
            finally:
                bot.terminate()
                await bot.wait()


async def run(recipients: int, database: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = database or f"sqlite+aiosqlite:///{folder}/memory.db"
        async with LocalWorkspace.open(database_url=url, cipher=Cipher(generate_key()),
                                       clock=ManualClock(START)) as ws:
            ws.runtime = Runtime(ws.deps, WIRING, pacer=Pacer(default=UNPACED, rates={
                method: UNPACED for method in ("chat.postMessage", "chat.update", "conversations.open")}))
            ws.driver.settle_timeout = 120.0  # announcing to a thousand people takes a while on a busy machine
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
    deployed = asyncio.run(deployed_idle_rss(args.database))
    print(f"run_bot.py http, idle after start-up and a few answers, whole process tree: {deployed:.1f} MB "
          f"(goal <= {GOAL_IDLE_MB} MB: {'met' if deployed <= GOAL_IDLE_MB else 'NOT met'})")
    result = asyncio.run(run(args.recipients, args.database))
    print(f"memory around a {args.recipients}-recipient fan-out ({int(result['sent'])} DMs sent)")
    print(f"RSS idle              {result['idle']:8.1f} MiB")
    print(f"RSS after fan-out     {result['after']:8.1f} MiB   ({result['after'] / result['idle']:.2f}x idle, "
          f"+{result['after'] - result['idle']:.1f} MiB)")
    print(f"RSS peak (process)    {result['peak']:8.1f} MiB   ({result['peak'] / result['idle']:.2f}x idle)")
    print(f"Python allocations, peak during the fan-out (tracemalloc): {result['traced_peak']:.1f} MiB "
          f"({result['traced_peak'] * 1024 / max(result['sent'], 1):.1f} KiB per recipient)")
    return 0 if result["sent"] >= args.recipients and deployed <= GOAL_IDLE_MB else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: `/jirei` ack latency, Jirei's app against a bare Bolt app that only acks.

    python bench/bench_ack.py [--requests 1000] [--concurrency 20] [--sessions 200] [--coordinators 10000]
                              [--database URL] [--mix help,sessions,my,join]

Both apps are real slack_bolt AsyncApps served over HTTP by aiohttp on loopback (bot.http_server),
each in its own process, driven by the same client in a process of its own: `concurrency` workers
sending signed slash commands (made ahead) back to back. The fake Slack, which takes the answers sent
to response_url over kept-alive connections as Slack's servers do, is in the benchmark's process. Jirei's database
holds `sessions` open sessions and `coordinators` coordinators (bulk inserts). The mix of commands
is help, sessions, my and join, from different coordinators. Ack latency is from sending the
request to reading the ack. Jirei's work after the ack shares its process's event loop with the
acks, as it does in production, and a run ends only when every request has been answered: answer
latency (sending to the answer reaching the fake) and the server's CPU per request (work included)
are printed beside the acks.
Printed: p50 and p99 of each app and the ratios; the goal is Jirei's p99 <= 1.3 x the bare app's.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from slack_bolt.async_app import AsyncApp  # noqa: E402
from slack_bolt.authorization import AuthorizeResult  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from bench.bench_queries import bench_user, seed_bulk  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.http_server import build_web_app  # noqa: E402
from bot.local import seed_people  # noqa: E402
from bot.localslack.driver import FORM, SlackDriver  # noqa: E402
from bot.localslack.server import FakeSlack  # noqa: E402
from config.settings import Settings  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
BOT_USER = "UBOTBENCH"
GOAL_P99_RATIO = 1.3


def bare_app(fake_url: str) -> AsyncApp:
    async def authorize(**_):
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_user_id=BOT_USER, bot_id="B" + BOT_USER,
                               bot_token=TOKEN)

    app = AsyncApp(signing_secret=SECRET, authorize=authorize, client=AsyncWebClient(base_url=fake_url),
                   process_before_response=False)

    @app.command("/jirei")
    async def only_ack(ack):
        await ack()

    return app


async def serve(app: AsyncApp) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(build_web_app(app, SECRET), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/slack/events"


@dataclass
class Timings:
    seconds: list[float]
    by_command: dict[str, list[float]]
    failures: int = 0
    answers: list[float] | None = None  # sending to the answer reaching the fake (Jirei only)
    unanswered: int = 0
    cpu_per_request: float = 0.0  # the server process's CPU seconds per request, work included

    def percentile(self, p: int, command: str | None = None) -> float:
        data = self.seconds if command is None else self.by_command[command]
        return percentile(data, p)


def percentile(data: list[float], p: int) -> float:
    return statistics.quantiles(data, n=100, method="inclusive")[p - 1] * 1000


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and of its living children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in (children.read_text().split() if children.exists() else []):
        seconds += process_cpu_seconds(int(child))
    return seconds


MIX = ("help", "sessions", "my", "join")


def command_mix(sessions: int, coordinators: int, mix: tuple[str, ...] = MIX):
    """(user, text) forever, cycling through `mix`, each time by another coordinator."""
    joins = itertools.count()
    for n in itertools.count():
        user, word = bench_user(n % coordinators), mix[n % len(mix)]
        yield user, f"join S{1 + next(joins) % max(sessions, 1)}" if word == "join" else word


def signed_requests(driver: SlackDriver, count: int, mix) -> list[tuple[str, str, dict[str, str], str]]:
    """`count` signed slash commands, made ahead: (command word, body, headers, response_url id)."""
    made = []
    for _ in range(count):
        user, text = next(mix)
        body = driver.command_body(user, text)
        url_id = parse_qs(body)["response_url"][0].rsplit("/", 1)[1]
        made.append((text.split()[0], body, driver.headers_for(body, FORM), url_id))
    return made


async def drive(url: str, requests: list[tuple[str, str, dict[str, str], str]], concurrency: int) -> dict:
    """Send `requests` with `concurrency` workers back to back; each ack's latency, and when each was sent."""
    timings: list[tuple[str, float]] = []
    sent: dict[str, float] = {}  # response_url id -> when the command was sent (CLOCK_MONOTONIC)
    failures = 0
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def worker() -> None:
            nonlocal failures
            for word, body, headers, url_id in queue:
                sent[url_id] = time.monotonic()
                started = time.perf_counter()
                async with http.post(url, data=body.encode(), headers=headers) as response:
                    await response.read()
                    failures += response.status != 200
                timings.append((word, time.perf_counter() - started))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"timings": timings, "sent": sent, "failures": failures}


def _load_in_child(url: str, requests: list, concurrency: int, results) -> None:
    """Child process: the load client alone, so the fake Slack taking the answers (in the parent)
    never delays the reading of an ack."""
    results.put(asyncio.run(drive(url, requests, concurrency)))


async def load(context, url: str, requests: list, concurrency: int) -> tuple[Timings, dict[str, float]]:
    results = context.Queue()
    client = context.Process(target=_load_in_child, args=(url, requests, concurrency, results), daemon=True)
    client.start()
    try:
        outcome = await asyncio.get_running_loop().run_in_executor(None, results.get, True, 600)
    finally:
        client.join(10)
    by_command: dict[str, list[float]] = {}
    for word, seconds in outcome["timings"]:
        by_command.setdefault(word, []).append(seconds)
    timings = Timings([seconds for _, seconds in outcome["timings"]], by_command, outcome["failures"])
    return timings, outcome["sent"]


async def answered(fake: FakeSlack, sent: dict[str, float], wait_seconds: float) -> tuple[list[float], int]:
    """Wait until every request sent has its answer (or `wait_seconds` pass): latencies, unanswered."""
    deadline = time.monotonic() + wait_seconds
    while True:
        first = {}
        for record in fake.responses:
            if record.url_id in sent and record.url_id not in first:
                first[record.url_id] = record.received_at - sent[record.url_id]
        if len(first) == len(sent) or time.monotonic() > deadline:
            return list(first.values()), len(sent) - len(first)
        await asyncio.sleep(0.05)


def _serve_in_child(kind: str, fake_url: str, database_url: str, ports) -> None:
    """Child process: build one app and serve it until terminated (its own interpreter and loop)."""

    async def main() -> None:
        if kind == "bare":
            app = bare_app(fake_url)
        else:
            key = generate_key()
            environment = {"DATABASE_URL": database_url, "SLACK_API_URL": fake_url, "SLACK_BOT_TOKEN": TOKEN,
                           "SLACK_SIGNING_SECRET": SECRET, "JIREI_ENCRYPTION_KEY": key}
            os.environ.update(environment)
            settings = Settings()
            deps = await build_deps(settings, cipher=Cipher(key), clock=SystemClock(), run_migrations=False)
            app = build_app(deps, signing_secret=SECRET, bot_token=TOKEN, bot_user_id=BOT_USER)
        _, url = await serve(app)
        ports.put(url)
        await asyncio.Event().wait()

    asyncio.run(main())


async def seed_database(database_url: str, fake_url: str, sessions: int, coordinators: int) -> None:
    settings = Settings(DATABASE_URL=database_url, SLACK_API_URL=fake_url, SLACK_BOT_TOKEN=TOKEN)
    clock = SystemClock()
    deps = await build_deps(settings, cipher=Cipher(generate_key()), clock=clock)
    await seed_people(deps, clock.now(), profiles=True)
    await seed_bulk(deps, sessions=sessions, coordinators=coordinators, now=clock.now().astimezone(timezone.utc))
    await deps.close()


async def run(requests: int, concurrency: int, sessions: int, coordinators: int, database: str | None,
              mix: tuple[str, ...] = MIX) -> dict:
    fake = FakeSlack(bot_token=TOKEN, bot_user_id=BOT_USER, wall_clock=time.time)
    await fake.start(keep_alive=True)  # as Slack's servers do
    for i in range(coordinators):
        fake.add_user(bench_user(i), f"u{i}")
    driver = SlackDriver(fake, dispatch=None, signing_secret=SECRET)
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        database_url = database or f"sqlite+aiosqlite:///{folder}/ack.db"
        await seed_database(database_url, fake.base_url, sessions, coordinators)
        results = {}
        try:
            for name, kind in (("bare Bolt", "bare"), ("Jirei", "jirei")):
                ports = context.Queue()
                child = context.Process(target=_serve_in_child,
                                        args=(kind, fake.base_url, database_url, ports),
                                        daemon=True)
                child.start()
                try:
                    url = await asyncio.get_running_loop().run_in_executor(None, ports.get, True, 60)
                    commands = command_mix(sessions, coordinators, mix)
                    warm = signed_requests(driver, max(concurrency * 2, requests // 10), commands)
                    measured = signed_requests(driver, requests, commands)
                    _, warm_sent = await load(context, url, warm, concurrency)
                    if kind == "jirei":
                        await answered(fake, warm_sent, 120)
                    cpu_before = process_cpu_seconds(child.pid)
                    timings, sent = await load(context, url, measured, concurrency)
                    if kind == "jirei":
                        timings.answers, timings.unanswered = await answered(fake, sent, 120)
                    timings.cpu_per_request = (process_cpu_seconds(child.pid) - cpu_before) / requests
                    results[name] = timings
                finally:
                    child.terminate()
                    child.join(10)
        finally:
            await fake.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--coordinators", type=int, default=10_000)
    parser.add_argument("--database", help="database URL for Jirei (default: a temporary SQLite file)")
    parser.add_argument("--mix", default=",".join(MIX), help="commands to cycle through (default: %(default)s)")
    args = parser.parse_args()
    mix = tuple(word.strip() for word in args.mix.split(",") if word.strip())
    results = asyncio.run(run(args.requests, args.concurrency, args.sessions, args.coordinators, args.database, mix))
    bare, jirei = results["bare Bolt"], results["Jirei"]
    print(f"/jirei ack over HTTP on loopback: {args.requests} requests, {args.concurrency} concurrent; "
          f"{args.sessions} sessions and {args.coordinators} coordinators stored")
    print(f"{'':<12}{'p50 ms':>10}{'p99 ms':>10}{'not 200':>9}{'CPU ms/req':>12}   p50/p99 by command")
    for name, timings in results.items():
        detail = "  ".join(f"{c} {timings.percentile(50, c):.1f}/{timings.percentile(99, c):.1f}"
                           for c in sorted(timings.by_command))
        print(f"{name:<12}{timings.percentile(50):>10.2f}{timings.percentile(99):>10.2f}{timings.failures:>9}"
              f"{timings.cpu_per_request * 1000:>12.2f}   {detail}")
    if jirei.answers:
        print(f"{'answers':<12}{percentile(jirei.answers, 50):>10.2f}{percentile(jirei.answers, 99):>10.2f}"
              f"{jirei.unanswered:>9}   (Jirei: sending to the answer at the fake; third column: unanswered)")
    ratio50 = jirei.percentile(50) / bare.percentile(50)
    ratio99 = jirei.percentile(99) / bare.percentile(99)
    print(f"{'ratio':<12}{ratio50:>9.2f}x{ratio99:>9.2f}x")
    verdict = "met" if ratio99 <= GOAL_P99_RATIO else "NOT met"
    print(f"goal p99 <= {GOAL_P99_RATIO}x the bare app: {verdict}")
    return 0 if ratio99 <= GOAL_P99_RATIO and jirei.unanswered == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

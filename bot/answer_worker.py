"""`python -m bot.answer_worker`: one answer worker, started by the serving process.

It reads commands (one JSON line each) from stdin, answers them with the same AsyncApp and
handlers as the serving process, and writes reports (outcomes, dispatcher wake-ups) to stdout.
bot/answer_workers.py explains the split. When stdin closes, it finishes what it was given and exits.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys

from slack_bolt.request.async_request import AsyncBoltRequest


def report(entry: dict) -> None:
    sys.stdout.write(json.dumps(entry) + "\n")
    sys.stdout.flush()


async def forward_wakes(deps) -> None:
    """New deliveries are sent by the serving process's dispatcher: tell it at once."""
    while True:
        await deps.wakeup.wait()
        deps.wakeup.clear()
        report({"wake": True})


async def main() -> int:
    from bot import observability
    from bot.app import build_app
    from bot.cli import SHUTDOWN_GRACE_SECONDS, cipher_for, finish_listener_work, load_settings
    from bot.deps import build_deps
    from bot.logs import setup_logging
    from bot.tuning import tune_gc_for_latency

    # A stop signal sent to the whole process group (Ctrl-C, systemd) is for the serving process:
    # it closes our stdin, and we finish what we were given. It kills us if we take too long.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, signal.SIG_IGN)
    settings = load_settings()
    setup_logging(settings.log_level)
    cipher, _ = cipher_for(settings, allow_local=False)
    deps = await build_deps(settings, cipher=cipher, run_migrations=False)
    app = build_app(deps, signing_secret="unused", bot_token=settings.slack_bot_token.get_secret_value())
    observability.outcome_reporter = lambda label, outcome: report({"command": label, "outcome": outcome})
    wakes = asyncio.create_task(forward_wakes(deps))
    tune_gc_for_latency()
    report({"ready": True})

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    dispatches: set[asyncio.Task] = set()
    async for line in reader:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        # A Socket Mode request: the serving process verified the signature and acked already.
        context = {"handed_over": True}
        if message.get("request_id"):
            context["request_id"] = message["request_id"]
        # Not awaited in turn: Bolt's dispatch polls for the ack every 10 ms, which would cap a
        # worker at 100 commands a second. The answers themselves take turns (bot/turns.py).
        dispatch = asyncio.create_task(
            app.async_dispatch(AsyncBoltRequest(body=message["body"], mode="socket_mode", context=context)))
        dispatches.add(dispatch)
        dispatch.add_done_callback(dispatches.discard)
    if dispatches:
        await asyncio.wait(dispatches, timeout=SHUTDOWN_GRACE_SECONDS)
    await finish_listener_work(SHUTDOWN_GRACE_SECONDS)
    wakes.cancel()
    await deps.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""A dispatcher process for the process tests: drains the outbox into the test's fake Slack.

    python tests/bot/delivery/worker.py --db URL --slack URL --owner ID [--rate 30]

Prints one JSON line with its totals when nothing is left to send.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from bot.core.clock import SystemClock  # noqa: E402
from bot.delivery.dispatcher import DispatchConfig  # noqa: E402
from bot.delivery.pacing import Pacer, Rate  # noqa: E402
from bot.delivery.renderers import Message, RenderContext  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.runtime import Runtime, TickResult  # noqa: E402
from bot.wiring import Feature, wire  # noqa: E402
from config.settings import Settings  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402

PROCESS_KIND = "process_note"
TOKEN = "xoxb-test"


async def render_process_note(ctx: RenderContext) -> Message:
    return Message(text=f"note {ctx.payload.get('n')}")


PROCESS_NOTES = wire([Feature("process_notes", renderers={PROCESS_KIND: render_process_note})])


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--slack", required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args()
    settings = Settings(DATABASE_URL=args.db, SLACK_API_URL=args.slack, SLACK_BOT_TOKEN=TOKEN)
    deps = await build_deps(settings, cipher=Cipher(generate_key()), clock=SystemClock(), run_migrations=False)
    fast = Rate(200.0, burst=20)
    pacer = Pacer({"chat.postMessage": Rate(args.rate, burst=5), "conversations.history": fast,
                   "conversations.open": fast})
    runtime = Runtime(deps, PROCESS_NOTES, args.owner, pacer=pacer,
                      config=DispatchConfig(send_timeout_seconds=5.0, backoff_base_seconds=0.2))
    total = TickResult()
    try:
        while True:
            result = await runtime.tick()
            total.merge(result)
            if result.pending_after == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await runtime.stop()
        await deps.close()
    print(json.dumps(asdict(total)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

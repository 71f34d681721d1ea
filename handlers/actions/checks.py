"""The guard note's link button opens the message in Slack; the click itself only needs an ack."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import ids
from bot.deps import Deps


async def open_message(ack):
    await ack()


def register(app: AsyncApp, deps: Deps) -> None:
    app.action(ids.GUARD_OPEN_MESSAGE)(open_message)

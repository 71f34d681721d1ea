"""The guard note's link button opens the message in Slack; the click itself only needs an ack."""

from __future__ import annotations

async def open_message(ack):
    await ack()

"""Socket Mode, with each payload's shape checked before Bolt reads any of it.

    handler = CheckedSocketModeHandler(app, app_token)   # as Bolt's AsyncSocketModeHandler

Bolt builds its request (reading ids out of `user`, `team`, `authorizations`…) before any
middleware runs, so a payload it cannot read would fail there, where Admission (bot/signing.py)
never sees it. Here the shape is checked first: a payload Slack would not send (400 in HTTP mode),
or one no listener takes (404), is acknowledged, so Slack does not send it again, and refused in one
log line without its body; nothing acts on it.
"""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.signing import refuse, shape_refusal


class CheckedSocketModeHandler(AsyncSocketModeHandler):
    async def handle(self, client, req: SocketModeRequest) -> None:  # noqa: ANN001 - Bolt's signature
        refusal = shape_refusal(req.payload)
        if refusal is not None:
            refuse(*refusal)
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        await super().handle(client, req)

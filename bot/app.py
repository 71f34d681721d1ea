"""The AsyncApp: one place that wires middleware, handlers and the error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse

from bot.deps import Deps
from bot.core.i18n import t
from bot.observability import install_observability
from bot.signing import VERIFIED, Admission, Signatures
from bot.wiring import Wiring
from handlers.context import actor_of, install_actor_middleware

log = logging.getLogger("jirei.app")
# Bolt gives each of its loggers the level of the logger it is handed (else the root's, whatever is
# set on "slack_bolt"); below WARNING they write request bodies, which carry names and free text.
BOLT_LOG = logging.getLogger("slack_bolt")


def build_app(deps: Deps, wiring: Wiring, *, signing_secret: str, bot_token: str,
              bot_user_id: str | None = None) -> AsyncApp:
    """The app with the listeners of every feature (/jirei among them) in `wiring` (bot/features.py).
    `bot_user_id` given (console, demo, tests) skips the auth.test round trip."""
    authorize = None
    if bot_user_id:
        async def authorize(**_):  # noqa: ANN001 - Bolt passes keyword arguments
            return AuthorizeResult(enterprise_id=None, team_id=None, bot_user_id=bot_user_id,
                                   bot_id="B" + bot_user_id, bot_token=bot_token)
    BOLT_LOG.setLevel(logging.WARNING)
    app = AsyncApp(
        signing_secret=signing_secret,
        logger=BOLT_LOG,
        request_verification_enabled=False,  # Admission instead: its failures are refusals, not errors
        before_authorize=Admission(Signatures(signing_secret)),
        token=None if authorize else bot_token,
        authorize=authorize,
        # With `authorize`, Bolt gives each request a client carrying the authorized token.
        client=AsyncWebClient(base_url=deps.settings.slack_api_url) if authorize else deps.client,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    install_observability(app, deps)  # first: the request id and the timing ack cover the rest
    install_pooled_respond(app, deps)
    install_event_dedupe(app, deps)
    install_actor_middleware(app, deps, wiring)
    register_listeners(app, wiring)

    @app.error
    async def on_error(error, body, context, respond, logger):
        # Only the error's type and where it happened; payloads carry names and case text.
        log.error("handler failed: %s (%s)", type(error).__name__, _request_kind(body), exc_info=error)
        lang = actor_of(context).lang
        # Only a request Slack signed (or sent by socket) has a response_url that is Slack's own.
        if respond is not None and context.response_url and context.get(VERIFIED):
            try:
                await respond(response_type="ephemeral", replace_original=False, text=t("errors.generic", lang))
            except Exception as reply_error:  # noqa: BLE001 - the reply is best effort, the log is not
                log.warning("could not tell the user about the error: %s", type(reply_error).__name__)

    return app


def register_listeners(app: AsyncApp, wiring: Wiring) -> None:
    """Hand Bolt every listener bot/features.py declares, with Bolt's own decorators."""
    for command, listener in wiring.slash_commands.items():
        app.command(command)(listener)
    for action_id, listener in wiring.actions.items():
        app.action(action_id)(listener)
    for callback_id, listener in wiring.views.items():
        app.view(callback_id)(listener)
    for event in wiring.events:
        app.event(event.type, matchers=list(event.matchers) or None)(event.listener)


def _request_kind(body: dict) -> str:
    if not isinstance(body, dict):
        return "unknown"
    if "command" in body:
        return f"command {body.get('command')}"
    if body.get("type") == "event_callback":
        event = body.get("event")
        return f"event {event.get('type') if isinstance(event, dict) else None}"
    return str(body.get("type", "unknown"))


def install_event_dedupe(app: AsyncApp, deps: Deps) -> None:
    """Slack re-sends an event it thinks was missed; the event id is handled once, across restarts."""

    @app.middleware
    async def dedupe_events(body, next):
        event_id = body.get("event_id") if isinstance(body, dict) and body.get("type") == "event_callback" else None
        if event_id:
            async with deps.uow() as uow:
                first = await uow.processed.first_time(f"event:{event_id}", deps.clock.now())
            if not first:
                return BoltResponse(status=200, body="")  # acknowledged, no second effect
        return await next()


class PooledRespond:
    """respond() as listeners call it, sent over the process's one HTTP session (Deps.http).

    Bolt's own respond() opens a new session, and so a new connection, for every answer; under
    load that set-up costs more than building the answer.
    """

    def __init__(self, response_url: str, session) -> None:  # noqa: ANN001 - an aiohttp.ClientSession
        self._client = AsyncWebhookClient(url=response_url, session=session)

    async def __call__(self, text: str | dict = "", **fields: Any) -> WebhookResponse:
        if isinstance(text, dict):
            return await self._client.send_dict(text)
        return await self._client.send(text=text, **fields)


def install_pooled_respond(app: AsyncApp, deps: Deps) -> None:
    @app.middleware
    async def pooled_respond(context, next):
        if context.response_url:
            context["respond"] = PooledRespond(context.response_url, deps.http())
        return await next()

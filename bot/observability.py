"""Request ids, command metrics, and once-only interactions: Bolt middleware installed first.

    install_observability(app, deps)   # in build_app, before any other middleware

Bolt's global middleware does not wrap the listener (`next()` only lets the chain go on), so the
time to ack is taken by putting a timing `ack` into the context: the listener acks through it.

Work that follows an ack: Bolt runs a listener in a task of its own and answers Slack once it acks;
the rest of the listener runs on. The ack is taken in that task, so `finish_listener_work` (at
shutdown) can wait for every listener still running after its ack.

Logs carry the request id, the command's grammar name, the outcome and the time: never the
command text, a payload value or a name.

Once only: Slack (or an impatient double click through a flaky network) may deliver the same
block_actions or view_submission twice, and anyone who caught a signed `/jirei` request may send it
again within the five minutes its signature is accepted. Each is keyed in processed_requests, in
the same table and for the same hour as event ids, so a second delivery is acknowledged with no
second effect, across restarts and replicas (a command is looked up just after its ack, which
nothing may delay: `command_repeated`). A submission answered with validation errors is
forgotten again, so the corrected one goes through.

The keys are keyed hashes (`Cipher.keyed_digest`) of what identifies the request — a click's user
and action_ts (not the action id, which can name the option a person chose in a survey), a view's
id and hash, a command's whole body (Slack gives each invocation its own trigger_id, so two
genuine commands never share a body; the same holds in Socket Mode and the console, where there
is no signature) — so the table holds no user id and nothing that can be recomputed from guesses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from typing import Any, Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.deps import Deps
from bot.logs import new_request_id
from bot.metrics import COMMAND_LATENCY, COMMANDS
from storage.db import wipe_owed
from storage.repositories import KEEP_PROCESSED_FOR
from storage.uow import UnitOfWork

log = logging.getLogger("jirei.requests")


def observe_ack(context: AsyncBoltContext, label: str) -> None:
    """How fast the command was acked, by grammar name; once per command, in the process that acked."""
    elapsed = context.get("acked_in_seconds")
    if elapsed is not None and not context.get("ack_observed"):
        COMMAND_LATENCY.labels(command=label).observe(elapsed)
        context["ack_observed"] = True


def record_command(context: AsyncBoltContext, label: str, outcome: str) -> None:
    """Count a command by grammar name and outcome (ok, usage, refused), observe how fast it was
    acked, and log it: no text. Called once per command, after the ack, where the command's text
    has been parsed (the ack itself waits for no parsing)."""
    COMMANDS.labels(command=label, outcome=outcome).inc()
    observe_ack(context, label)
    elapsed = context.get("acked_in_seconds")
    log.info("command %s: %s, acked in %s ms", label, outcome, f"{elapsed * 1000:.1f}" if elapsed is not None else "-")


def once_only_key(body: Any, digest: Callable[[str], str]) -> str | None:
    """The once-only key of a block_actions, view_submission or /jirei payload; None for anything
    else. `digest` is the keyed hash (`Cipher.keyed_digest`)."""
    if not isinstance(body, dict):
        return None
    kind = body.get("type")
    if body.get("command") == "/jirei":
        return "command:" + digest(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str))
    if kind == "block_actions":
        user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else None
        actions = body.get("actions")
        action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        action_ts, action_id = action.get("action_ts"), action.get("action_id")
        if not (user and action_ts and action_id):
            return None  # not a payload Slack sends: nothing to dedupe it against
        return "action:" + digest(f"{user}|{action_ts}")
    if kind == "view_submission":
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        if not (view.get("id") and view.get("hash")):
            return None
        return "view:" + digest(f"{view['id']}|{view['hash']}")
    return None


# The tasks of listeners that have acked: weak, so a finished one is gone without being removed.
_ACKED_LISTENERS: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()


async def finish_listener_work(timeout: float) -> None:
    """Wait (at most `timeout` seconds) for the listeners that acked and are still running."""
    listeners = [task for task in list(_ACKED_LISTENERS) if not task.done()]
    if listeners:
        log.info("waiting for %s handlers to finish", len(listeners))
        await asyncio.wait(listeners, timeout=timeout)


class ObservedAck(AsyncAck):
    """Bolt's ack, with a hook run once when the listener acknowledges; the listener's task is
    then one `finish_listener_work` waits for."""

    def __init__(self, on_ack: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self._response: BoltResponse | None = None
        super().__init__()
        self._on_ack = on_ack
        self._observed = False

    # Once acked, acked: when a listener acks and then fails (Slack answers a later call with an error),
    # Bolt's runner sets the ack's response back to None after its error handler ran. If that happens
    # before the runner's 10 ms poll saw the ack, it waits out its whole ack timeout and answers the
    # press with 404, although the ack was given (and the person was told of the error).
    @property
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is None and self._response is not None:
            return
        self._response = value

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)
        if not self._observed:
            self._observed = True
            listener = asyncio.current_task()
            if listener is not None:
                _ACKED_LISTENERS.add(listener)
            await self._on_ack(kwargs)
        return response


def install_observability(app: AsyncApp, deps: Deps) -> None:
    @app.middleware
    async def observe_request(body, context: AsyncBoltContext, next: Callable[[], Awaitable[None]]):
        context["request_id"] = new_request_id()
        started = time.perf_counter()
        is_command = isinstance(body, dict) and body.get("command") == "/jirei"
        # A command is checked after its ack (handlers/commands/jirei.py: nothing stands before it).
        key = None if is_command else once_only_key(body, deps.cipher.keyed_digest)

        async def on_ack(ack_arguments: dict[str, Any]) -> None:
            elapsed = time.perf_counter() - started
            if is_command:
                # The command's name and outcome are known only after the ack: record_command.
                context["acked_in_seconds"] = elapsed
            if key is not None and ack_arguments.get("response_action") == "errors":
                async with deps.uow() as uow:
                    await uow.processed.forget(key)

        context["ack"] = ObservedAck(on_ack)
        if key is not None and await _seen_before(deps, key):
            return BoltResponse(status=200, body="")
        return await next()


async def _seen_before(deps: Deps, key: str) -> bool:
    async with deps.uow() as uow:
        return await _recorded_before(uow, deps, key)


async def _recorded_before(uow: UnitOfWork, deps: Deps, key: str) -> bool:
    first = await uow.processed.first_time(key, deps.clock.now())
    if not first:
        log.info("repeated %s acknowledged without effect", key.split(":", 1)[0])
    return not first


async def command_repeated(uow: UnitOfWork, deps: Deps, body: Any) -> bool:
    """True for a /jirei body handled before (the same signed request sent again): answered already.
    The key is recorded in the caller's unit of work, kept when it commits (handlers/context.py
    reads the command's person in the same one)."""
    key = once_only_key(body, deps.cipher.keyed_digest)
    return key is not None and await _recorded_before(uow, deps, key)


async def forget_old_request_keys(deps: Deps) -> int:
    """Keys are needed for minutes (Slack retries within about one, a signature is accepted for
    five); an hour is kept. A wipe of the write-ahead log that a reader kept from happening after
    a survey completion or a forget-me is done here (storage/db.py)."""
    async with deps.uow() as uow:
        forgotten = await uow.processed.forget_older_than(deps.clock.now() - KEEP_PROCESSED_FOR)
        if wipe_owed(deps.engine):
            uow.wipe_freed_pages()
        return forgotten

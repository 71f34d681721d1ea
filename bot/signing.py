"""Slack's request signatures, checked before anything reads a request's body.

    signatures = Signatures(secret)
    problem = signatures.problem(raw_body, timestamp, signature)
    # None when Slack signed the request, else a short reason: "stale timestamp", ...

The signature itself is checked by slack_sdk's SignatureVerifier. Before it, the headers are read
for a reason to log: a check that cannot be done (no header, a timestamp that is not an integer, a
signature that is not `v0=` and 64 hex digits, a body that is not UTF-8, which is all Slack signs)
is a failed check: the request was not signed. The verifier raises on some such headers, and
Bolt's error handler then saw the unverified body. Here a refusal is one log line with the reason
and never the body, which may be a genuine but stale request carrying names and free text.

Each request is checked once. HTTP mode checks the raw bytes before anything parses them
(bot/http_server.py) and marks the request verified; `Admission`, the Bolt middleware in the place
of Bolt's own check, checks the requests dispatched straight into the app (console, tests) and
leaves a request the HTTP layer marked alone, then checks the body's shape. Every request Slack
signed (Socket Mode's need no signature) carries the mark in its context, and only such a request
is ever answered through its `response_url` (bot/app.py).

Anyone can send requests, so refusals must not grow the log: each reason is one WARNING line at most
every REFUSAL_LOG_SECONDS, the next one saying how many were held back, and every refusal is
counted in /metrics (`jirei_requests_refused_total{reason,status}`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any, Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier

from bot.metrics import REQUESTS_REFUSED
from bot.payloads import clean_inputs, payload_problem, unheard_kind

log = logging.getLogger("jirei.requests")

MAX_AGE_SECONDS = 5 * 60  # Slack's own rule: older requests may be replays
TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"
REFUSAL_LOG_SECONDS = 60.0
VERIFIED = "jirei_request_verified"  # context key: set only on requests Slack signed or sent by socket

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Signatures:
    """Slack's request signatures under one signing secret, checked by slack_sdk's verifier."""

    def __init__(self, signing_secret: str, clock: Clock = Clock()) -> None:
        self._clock = clock
        self._verifier = SignatureVerifier(signing_secret, clock=clock)

    def problem(self, body: bytes | str, timestamp: str | None, signature: str | None) -> str | None:
        """None when `signature` is Slack's signature of `body` at a fresh `timestamp`; else why not."""
        if not timestamp:
            return "no timestamp"
        if not _TIMESTAMP.fullmatch(timestamp):
            return "malformed timestamp"
        if abs(self._clock.now() - int(timestamp)) > MAX_AGE_SECONDS:
            return "stale timestamp"
        if not signature:
            return "no signature"
        if not _SIGNATURE.fullmatch(signature):
            return "malformed signature"
        try:
            valid = self._verifier.is_valid(body.decode("utf-8") if isinstance(body, bytes) else body,
                                            timestamp, signature)
        except UnicodeError:  # the verifier signs the body's UTF-8 encoding
            return "body not UTF-8"
        return None if valid else "wrong signature"


class RefusalLog:
    """The WARNING lines of refused requests: at most one per reason and status every `interval`
    seconds; the next one says how many were held back. Every refusal is counted in /metrics."""

    def __init__(self, interval: float = REFUSAL_LOG_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()  # refusals may come from more than one thread
        self._logged_at: dict[tuple[str, int], float] = {}
        self._held: dict[tuple[str, int], int] = {}

    def refuse(self, problem: str, status: int) -> None:
        REQUESTS_REFUSED.labels(reason=problem, status=str(status)).inc()
        key, now = (problem, status), self.clock()
        with self._lock:
            logged_at = self._logged_at.get(key)
            if logged_at is not None and now - logged_at < self.interval:
                self._held[key] = self._held.get(key, 0) + 1
                return
            self._logged_at[key] = now
            held = self._held.pop(key, 0)
        if held:
            log.warning("refused a request: %s (%s); %d more like it since the last line, not logged",
                        problem, status, held)
        else:
            log.warning("refused a request: %s (%s)", problem, status)


REFUSALS = RefusalLog()


def refuse(problem: str, status: int = 401) -> None:
    """The one log line of a refused request: the reason, never the body or a header's value (and
    not even that when the same reason was logged within REFUSAL_LOG_SECONDS)."""
    REFUSALS.refuse(problem, status)


def shape_refusal(body: Any) -> tuple[str, int] | None:
    """Why a body Slack signed (or sent by socket) is answered before Bolt reads it, and with what
    status: 400 for a shape Slack does not send, 404 for a kind no listener of Jirei takes. None
    when Bolt may have it."""
    problem = payload_problem(body)
    if problem:
        return problem, 400
    kind = unheard_kind(body)
    if kind:
        return f"no listener for {kind}", 404
    return None


class Admission(AsyncMiddleware):
    """Bolt's request verification, where a check that raises is a refusal and the body is not
    logged; then the body's shape (bot/payloads.py): 400 for what Slack would not send, 404 for what
    Slack sends but no listener takes."""

    def __init__(self, signatures: Signatures) -> None:
        self._signatures = signatures

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if req.mode != "socket_mode" and not req.context.get(VERIFIED):  # HTTP mode has checked it
            problem = self._signatures.problem(req.raw_body, _header(req, TIMESTAMP_HEADER),
                                               _header(req, SIGNATURE_HEADER))
            if problem:
                refuse(problem)
                return BoltResponse(status=401, body={"error": "invalid request"})
        req.context[VERIFIED] = True
        refusal = shape_refusal(req.body)
        if refusal:
            refuse(*refusal)
            return BoltResponse(status=refusal[1], body={"error": "invalid request" if refusal[1] == 400
                                                         else "unhandled request"})
        if req.body.get("type") == "app_rate_limited":
            log.warning("Slack is holding back events for a minute (app_rate_limited)")
            return BoltResponse(status=200, body="")
        clean_inputs(req.body)
        return await next()


def _header(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name) or ()
    return values[0] if values else None

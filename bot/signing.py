"""Slack's request signatures, checked before anything reads a request's body.

    problem = signature_problem(secret, raw_body, timestamp, signature, now=time.time())
    # None when Slack signed the request, else a short reason: "stale timestamp", ...

A check that cannot be done (no header, a timestamp that is not an integer, a signature that is
not `v0=` and 64 hex digits) is a failed check: the request was not signed. Bolt's own
verification raises on such headers, and its error handler then saw the unverified body. Here a
refusal is one log line with the reason and never the body, which may be a genuine but stale
request carrying names and free text.

HTTP mode checks the raw bytes before Bolt parses them (bot/http_server.py); `Admission` is the
same check as a Bolt middleware, in the place of Bolt's, for requests dispatched straight into the
app, followed by the check of the body's shape. It marks the context of every request Slack signed
(Socket Mode's need no signature), and only such a request is ever answered through its
`response_url` (bot/app.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from typing import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.payloads import clean_inputs, payload_problem

log = logging.getLogger("jirei.requests")

MAX_AGE_SECONDS = 5 * 60  # Slack's own rule: older requests may be replays
TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"
VERIFIED = "jirei_request_verified"  # context key: set only on requests Slack signed or sent by socket

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def signature_problem(secret: str, body: bytes, timestamp: str | None, signature: str | None,
                      now: float) -> str | None:
    """None when `signature` is Slack's signature of `body` at a fresh `timestamp`; else why not."""
    if not timestamp:
        return "no timestamp"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "malformed timestamp"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "stale timestamp"
    if not signature:
        return "no signature"
    if not _SIGNATURE.fullmatch(signature):
        return "malformed signature"
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "wrong signature"
    return None


def refuse(problem: str, status: int = 401) -> None:
    """The one log line of a refused request: the reason, never the body or a header's value."""
    log.warning("refused a request: %s (%s)", problem, status)


class Admission(AsyncMiddleware):
    """Bolt's request verification, where a check that raises is a refusal and the body is not
    logged; then the body's shape (bot/payloads.py): 400 for what Slack would not send."""

    def __init__(self, signing_secret: str) -> None:
        self._secret = signing_secret

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if req.mode != "socket_mode":
            problem = signature_problem(self._secret, req.raw_body.encode("utf-8", "surrogatepass"),
                                        _header(req, TIMESTAMP_HEADER), _header(req, SIGNATURE_HEADER), time.time())
            if problem:
                refuse(problem)
                return BoltResponse(status=401, body={"error": "invalid request"})
        req.context[VERIFIED] = True
        problem = payload_problem(req.body)
        if problem:
            refuse(problem, 400)
            return BoltResponse(status=400, body={"error": "invalid request"})
        clean_inputs(req.body)
        return await next()


def _header(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name) or ()
    return values[0] if values else None

"""Client-side pacing of Web API calls: one rate per method, honouring 429 Retry-After.

Slack limits each Web API method by tier (per workspace, per app). Sending faster than the
limit only buys 429s and Retry-After pauses, so the bot paces itself just under it; sending
far slower wastes the fan-out's time. Each method gets a GCRA token bucket (a steady rate plus
a small burst); a 429 closes the method's gate until Retry-After has passed.

The limiter runs on real (monotonic) time even when the bot's clock is a ManualClock:
it paces requests to a server, which lives in real time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Mapping


@dataclass(frozen=True)
class Rate:
    """A steady `per_second` with up to `burst` calls at once."""

    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")

    @classmethod
    def per_minute(cls, calls: float, burst: int = 1) -> "Rate":
        return cls(calls / 60.0, burst)


# Slack's published tiers, in calls per minute. Slack counts per minute and allows bursts, so a
# good part of a minute's budget may go at once (reconciling a handful of unknown sends after a
# blip should not queue them 1.2 s apart); the steady rate then keeps to the budget.
TIER_1 = Rate.per_minute(1, burst=1)
TIER_2 = Rate.per_minute(20, burst=8)
TIER_3 = Rate.per_minute(50, burst=20)
TIER_4 = Rate.per_minute(100, burst=40)
# chat.postMessage is "special": about one per second per channel and a workspace-wide limit
# Slack does not publish. DMs each go to a different channel, so the workspace limit binds;
# 20/s is what Jirei is sized for (DESIGN §4), and Retry-After corrects us if Slack disagrees.
CHAT_POST_MESSAGE = Rate(20.0, burst=5)

METHOD_RATES: dict[str, Rate] = {
    "chat.postMessage": CHAT_POST_MESSAGE,
    "chat.postEphemeral": CHAT_POST_MESSAGE,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.getPermalink": TIER_4,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "conversations.open": TIER_3,
    "conversations.info": TIER_3,
    "conversations.members": TIER_4,
    "conversations.create": TIER_2,
    "conversations.invite": TIER_3,
    "conversations.archive": TIER_2,
    "users.info": TIER_4,
    "users.list": TIER_2,
    "users.lookupByEmail": TIER_3,
    "views.publish": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "files.info": TIER_4,
}
DEFAULT_RATE = TIER_3


class MethodGate:
    """GCRA for one method: `reserve()` books the next slot and says how long to wait for it."""

    def __init__(self, rate: Rate, monotonic: Callable[[], float]) -> None:
        self.rate = rate
        self._monotonic = monotonic
        self._interval = 1.0 / rate.per_second
        self._tolerance = (rate.burst - 1) * self._interval
        self._theoretical_arrival = monotonic()
        self._blocked_until = 0.0

    def _earliest(self, now: float) -> float:
        return max(now, self._theoretical_arrival - self._tolerance, self._blocked_until)

    def delay(self) -> float:
        """Seconds until a call would be allowed, without booking it."""
        now = self._monotonic()
        return self._earliest(now) - now

    def reserve(self) -> float:
        """Book a slot; returns the seconds to wait before using it (0 when free now)."""
        now = self._monotonic()
        allowed = self._earliest(now)
        self._theoretical_arrival = max(self._theoretical_arrival, allowed) + self._interval
        return allowed - now

    def try_reserve(self) -> bool:
        """Book a slot only if it is free now (for optional calls such as progress updates)."""
        if self.delay() > 0:
            return False
        self.reserve()
        return True

    def block_for(self, seconds: float) -> None:
        """Slack said 429: nothing until Retry-After has passed, then no burst — just the rate."""
        now = self._monotonic()
        self._blocked_until = max(self._blocked_until, now + seconds)
        self._theoretical_arrival = max(self._theoretical_arrival, self._blocked_until + self._tolerance)


class Pacer:
    """Per-method gates for the whole process; shared by every worker of the dispatcher."""

    def __init__(self, rates: Mapping[str, Rate] | None = None, *, default: Rate = DEFAULT_RATE,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._rates = {**METHOD_RATES, **(rates or {})}
        self._default = default
        self._monotonic = monotonic
        self._sleep = sleep
        self._gates: dict[str, MethodGate] = {}

    def gate(self, method: str) -> MethodGate:
        gate = self._gates.get(method)
        if gate is None:
            gate = MethodGate(self._rates.get(method, self._default), self._monotonic)
            self._gates[method] = gate
        return gate

    def rate(self, method: str) -> Rate:
        return self.gate(method).rate

    def reserve(self, method: str) -> float:
        return self.gate(method).reserve()

    def delay(self, method: str) -> float:
        return self.gate(method).delay()

    def try_acquire(self, method: str) -> bool:
        return self.gate(method).try_reserve()

    async def acquire(self, method: str) -> None:
        wait = self.reserve(method)
        if wait > 0:
            await self._sleep(wait)

    def rate_limited(self, method: str, retry_after_seconds: float) -> None:
        self.gate(method).block_for(max(retry_after_seconds, 0.0))

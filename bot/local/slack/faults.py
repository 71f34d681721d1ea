"""Fault switches of the fake Slack: failures, a share of failures, rate limits, outages, delays and
stalled downloads, so tests prove the bot survives a bad day at Slack. A call answered with a fault
never takes effect."""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass
from typing import Any


@dataclass
class TokenBucket:
    per_second: float
    burst: float
    tokens: float
    updated_at: float

    def take(self, now: float) -> float | None:
        """Take one token; None when allowed, else the seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated_at) * self.per_second)
        self.updated_at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.per_second


class FaultSwitches:
    """The switches, and the fault (status, body, headers) a call meets."""

    def fail(self, method: str, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP ``status`` and take no effect."""
        self._fail_next.setdefault(method, []).append([status, times])

    def fail_ratio(self, method: str, ratio: float, status: int = 500, seed: int = 0) -> None:
        """A reproducible share of ``method`` calls answer ``status``."""
        self._fail_ratio[method] = (ratio, status, random.Random(seed))

    def set_rate_limit(self, method: str, per_second: float, burst: float | None = None) -> None:
        burst = burst if burst is not None else max(1.0, per_second)
        self._buckets[method] = TokenBucket(per_second, burst, burst, self._monotonic())

    def outage(self, status: int = 503, seconds: float = 60.0) -> None:
        self._outage = (status, self._monotonic() + seconds)

    def end_outage(self) -> None:
        self._outage = None

    def delay(self, method: str, seconds: float) -> None:
        self._delays[method] = seconds

    def stall_downloads(self) -> None:
        """File downloads (url_private) send their headers and a few bytes, then nothing more until
        the faults are cleared or the fake stops: a stalled transfer."""
        self._downloads_stall = asyncio.Event()

    def _release_stalled_downloads(self) -> None:
        if self._downloads_stall is not None:
            self._downloads_stall.set()
            self._downloads_stall = None

    def clear_faults(self) -> None:
        self._release_stalled_downloads()
        self._fail_next.clear()
        self._fail_ratio.clear()
        self._buckets.clear()
        self._delays.clear()
        self._outage = None

    def _fault_for(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if self._outage is not None:
            status, until = self._outage
            if self._monotonic() < until:
                return status, {"ok": False, "error": "service_unavailable"}, _retry_after(status, 1)
            self._outage = None
        pending = self._fail_next.get(method)
        if pending:
            status, _ = pending[0]
            pending[0][1] -= 1
            if pending[0][1] <= 0:
                pending.pop(0)
            return status, _fault_body(status), _retry_after(status, 1)
        ratio_rule = self._fail_ratio.get(method)
        if ratio_rule is not None:
            ratio, status, rng = ratio_rule
            if rng.random() < ratio:
                return status, _fault_body(status), _retry_after(status, 1)
        bucket = self._buckets.get(method)
        if bucket is not None:
            wait = bucket.take(self._monotonic())
            if wait is not None:
                return 429, _fault_body(429), _retry_after(429, math.ceil(wait))
        return None


def _fault_body(status: int) -> dict[str, Any]:
    if status == 429:
        return {"ok": False, "error": "ratelimited"}
    return {"ok": False, "error": "fatal_error" if status >= 500 else "request_failed"}


def _retry_after(status: int, seconds: int) -> dict[str, str]:
    return {"Retry-After": str(max(1, seconds))} if status in (429, 503) else {}

"""The one clock. Services take `now` from the clock in Deps; console, demo and tests move it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that only moves when told to. Listeners hear every move (the console wakes work)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += delta
        for listener in self._listeners:
            listener(self._now)
        return self._now

    def set(self, moment: datetime) -> datetime:
        return self.advance(moment.astimezone(timezone.utc) - self._now)

    def on_change(self, listener: Callable[[datetime], None]) -> None:
        self._listeners.append(listener)

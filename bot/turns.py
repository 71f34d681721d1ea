"""Turns for the work a command does after its ack.

Slack needs the ack within 3 seconds; the answer may follow later (a response_url lasts 30
minutes). Bolt runs each listener's work after the ack on the same event loop that reads and acks
the next requests, so under load twenty answers being built at once would each delay every ack
waiting behind them. Work therefore takes a turn: at most `size` answers are in progress at once,
the rest wait (costing nothing) in arrival order, and acks only ever queue behind a few steps.
One at a time measured best (bench/bench_ack.py): SQLite runs in the loop's thread, so answers
are CPU work, and two or four at once only made the acks wait longer without answering sooner.

A command that opens a modal goes before the others: its trigger_id is valid for 3 seconds.
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator

DEFAULT_SIZE = 1


class Turns:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._busy = 0
        self._urgent: deque[asyncio.Future] = deque()
        self._waiting: deque[asyncio.Future] = deque()

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._waiting)

    @property
    def busy(self) -> int:
        return self._busy

    @asynccontextmanager
    async def turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if self._busy < self.size and not self.waiting:
            self._busy += 1
            return
        handed: asyncio.Future = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._waiting).append(handed)
        try:
            await handed  # the releaser passes its turn on: _busy is already counted for us
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self._release()  # the turn had been handed over just as we were cancelled
            else:
                queue = self._urgent if urgent else self._waiting
                if handed in queue:
                    queue.remove(handed)
            raise

    def _release(self) -> None:
        for queue in (self._urgent, self._waiting):
            while queue:
                handed = queue.popleft()
                if not handed.done():
                    handed.set_result(None)
                    return
        self._busy -= 1

"""Answer workers: the serving process acks `/jirei`, other processes build the answers.

Slack needs the ack within 3 seconds; the answer goes to the response_url, which lasts 30 minutes.
With `JIREI_ANSWER_WORKERS=N` (N ≥ 1), `run_bot.py http|socket` starts N worker processes
(`python -m bot.answer_worker`). After acking a command, the serving process writes the command's
payload to a worker over a pipe (one JSON line; nothing is stored) and goes back to acking: the
acks never share an event loop with the work, and the work can use another CPU. Each worker runs
the same AsyncApp and handlers as the serving process, answers through the response_url and
reports back, on its stdout, each command's outcome (for /metrics) and when the dispatcher has
new deliveries to send. With N = 0 the serving process answers itself.

Measured with bench/bench_ack.py (SQLite, 2 cores): with one worker the ack p50 was 0.98–1.10×
the bare Bolt app's and the p99 1.02–1.25× (fourteen runs of sixteen; 1.35× and 1.95× in two). Answered in the
serving process, p50 1.22–1.23× and p99 1.15–1.32× (three runs). A niced worker (10) measured
no better, so it runs at the same priority.

A worker takes commands once it has reported itself ready. One that has died is started again
(at most every RESPAWN_PAUSE_SECONDS). A command no ready worker can take is answered in the
serving process, so none is written to a worker that could not start.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("jirei.answer_workers")

WORKER_MODULE = "bot.answer_worker"
PROJECT_ROOT = Path(__file__).resolve().parents[1]  # so `-m bot.answer_worker` imports wherever we run
STARTUP_SECONDS = 30.0
RESPAWN_PAUSE_SECONDS = 5.0


class AnswerWorkers:
    def __init__(self, count: int, *, on_outcome: Callable[[str, str], None], on_wake: Callable[[], None]) -> None:
        self.count = count
        self._on_outcome = on_outcome
        self._on_wake = on_wake
        self._processes: list[asyncio.subprocess.Process | None] = [None] * count
        self._readers: list[asyncio.Task | None] = [None] * count
        # A worker takes commands only once it has said it is ready, so none is written to a
        # worker that could not start; until then (or if it never does) the serving process answers.
        self._ready = [asyncio.Event() for _ in range(count)]
        self._respawn_after = [0.0] * count
        self._next = itertools.cycle(range(count))
        self._stopping = False

    async def start(self, ready_within: float = STARTUP_SECONDS) -> None:
        for slot in range(self.count):
            await self._spawn(slot)
        waits = [asyncio.create_task(self._ready_or_ended(slot)) for slot in range(self.count)]
        _done, pending = await asyncio.wait(waits, timeout=ready_within)
        for wait in pending:
            wait.cancel()
        if self.ready < self.count:
            log.warning("%s of %s answer workers not ready; answering here meanwhile",
                        self.count - self.ready, self.count)

    async def _ready_or_ended(self, slot: int) -> None:
        process = self._processes[slot]
        assert process is not None
        ready, ended = asyncio.create_task(self._ready[slot].wait()), asyncio.create_task(process.wait())
        await asyncio.wait({ready, ended}, return_when=asyncio.FIRST_COMPLETED)
        for task in (ready, ended):
            task.cancel()

    @property
    def ready(self) -> int:
        return sum(event.is_set() for event in self._ready)

    async def _spawn(self, slot: int) -> None:
        self._ready[slot].clear()
        self._respawn_after[slot] = time.monotonic() + RESPAWN_PAUSE_SECONDS
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", WORKER_MODULE, cwd=PROJECT_ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=None)
        self._processes[slot] = process
        self._readers[slot] = asyncio.create_task(self._read_reports(slot, process))
        log.info("answer worker %s started", slot + 1)

    async def _read_reports(self, slot: int, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            async for line in process.stdout:
                try:
                    report = json.loads(line)
                except ValueError:
                    continue
                if report.get("ready"):
                    self._ready[slot].set()
                elif report.get("wake"):
                    self._on_wake()
                elif "command" in report:
                    self._on_outcome(str(report["command"]), str(report.get("outcome", "ok")))
        finally:
            self._ready[slot].clear()  # its stdout closed: it has ended or is ending

    async def hand_over(self, body: dict[str, Any], request_id: str | None) -> bool:
        """Give the command to a ready worker; False if none can take it (answer it here then)."""
        if self._stopping:
            return False
        line = (json.dumps({"body": body, "request_id": request_id}, ensure_ascii=False) + "\n").encode()
        for _ in range(self.count):
            slot = next(self._next)
            process = self._processes[slot]
            if process is None or process.returncode is not None or not self._ready[slot].is_set():
                if (process is None or process.returncode is not None) and time.monotonic() >= self._respawn_after[slot]:
                    log.warning("answer worker %s had stopped; starting it again", slot + 1)
                    await self._spawn(slot)
                continue
            try:
                assert process.stdin is not None
                process.stdin.write(line)
                await process.stdin.drain()
                return True
            except (BrokenPipeError, ConnectionResetError):
                log.warning("answer worker %s did not take a command", slot + 1)
                self._ready[slot].clear()
        return False

    async def stop(self, timeout: float) -> None:
        """No new work; each worker finishes what it was given (up to `timeout`), then exits."""
        self._stopping = True
        for process in self._processes:
            if process is not None and process.stdin is not None and not process.stdin.is_closing():
                process.stdin.close()
        running = [p for p in self._processes if p is not None and p.returncode is None]
        if running:
            await asyncio.wait([asyncio.create_task(p.wait()) for p in running], timeout=timeout)
            for process in running:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
        for reader in self._readers:
            if reader is not None:
                await asyncio.gather(reader, return_exceptions=True)

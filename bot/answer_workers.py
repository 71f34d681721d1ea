"""Answer workers: the serving process acks `/jirei`, other processes build the answers.

Slack needs the ack within 3 seconds; the answer goes to the response_url, which lasts 30 minutes.
With `JIREI_ANSWER_WORKERS=N` (N ≥ 1), `run_bot.py http|socket` starts N worker processes
(`python -m bot.answer_worker`). After acking a command, the serving process writes the command's
payload to a worker over a pipe (one JSON line; nothing is stored) and goes back to acking: the
acks never share an event loop with the work, and the work can use another CPU. Each worker runs
the same AsyncApp and handlers as the serving process, answers through the response_url and
reports back, on its stdout, each command's outcome (for /metrics) and when the dispatcher has
new deliveries to send. With N = 0 the serving process answers itself.

Measured with bench/bench_ack.py (SQLite, 2 cores, seven runs each): with one worker the ack p99 was
1.02–1.18× the bare Bolt app's; answered in the serving process, 1.16–1.49×. Running the worker
niced (10) measured no better, so it runs at the same priority.

A worker that has died is started again; a command that cannot be handed over is answered in the
serving process, so none is lost to a broken pipe.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sys
from typing import Any, Callable

log = logging.getLogger("jirei.answer_workers")

WORKER_MODULE = "bot.answer_worker"


class AnswerWorkers:
    def __init__(self, count: int, *, on_outcome: Callable[[str, str], None], on_wake: Callable[[], None]) -> None:
        self.count = count
        self._on_outcome = on_outcome
        self._on_wake = on_wake
        self._processes: list[asyncio.subprocess.Process | None] = [None] * count
        self._readers: list[asyncio.Task | None] = [None] * count
        self._next = itertools.cycle(range(count))
        self._stopping = False

    async def start(self) -> None:
        for slot in range(self.count):
            await self._spawn(slot)

    async def _spawn(self, slot: int) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", WORKER_MODULE,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=None)
        self._processes[slot] = process
        self._readers[slot] = asyncio.create_task(self._read_reports(process))
        log.info("answer worker %s started", slot + 1)

    async def _read_reports(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            try:
                report = json.loads(line)
            except ValueError:
                continue
            if report.get("wake"):
                self._on_wake()
            elif "command" in report:
                self._on_outcome(str(report["command"]), str(report.get("outcome", "ok")))

    async def hand_over(self, body: dict[str, Any], request_id: str | None) -> bool:
        """Give the command to a worker; False if none could take it (answer it here then)."""
        if self._stopping:
            return False
        line = (json.dumps({"body": body, "request_id": request_id}, ensure_ascii=False) + "\n").encode()
        for _ in range(self.count):
            slot = next(self._next)
            process = self._processes[slot]
            if process is None or process.returncode is not None:
                log.warning("answer worker %s had stopped; starting it again", slot + 1)
                await self._spawn(slot)
                process = self._processes[slot]
            try:
                assert process is not None and process.stdin is not None
                process.stdin.write(line)
                await process.stdin.drain()
                return True
            except (BrokenPipeError, ConnectionResetError):
                log.warning("answer worker %s did not take a command", slot + 1)
        return False

    async def stop(self, timeout: float) -> None:
        """No new work; each worker finishes what it was given (up to `timeout`), then exits."""
        self._stopping = True
        for process in self._processes:
            if process is not None and process.stdin is not None and not process.stdin.is_closing():
                process.stdin.close()
        running = [p for p in self._processes if p is not None and p.returncode is None]
        if running:
            done, pending = await asyncio.wait([asyncio.create_task(p.wait()) for p in running], timeout=timeout)
            for process in running:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
        for reader in self._readers:
            if reader is not None:
                await asyncio.gather(reader, return_exceptions=True)

"""Answer workers: a command handed over is answered by another process; a dead worker is replaced."""

import asyncio
import os
from urllib.parse import parse_qs

import pytest

from bot import answer_workers
from bot.answer_workers import AnswerWorkers
from bot.deps import build_deps
from bot.localslack.driver import SlackDriver
from bot.localslack.server import FakeSlack
from config.settings import Settings
from storage.crypto import Cipher, generate_key

pytestmark = pytest.mark.slow


@pytest.fixture
async def worker_env(tmp_path, monkeypatch):
    """A migrated database, a fake Slack and the settings a worker process reads from its environment."""
    async with FakeSlack() as fake:
        fake.add_user("UCOORD01", "佐藤 花子")
        env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'workers.db'}", "SLACK_BOT_TOKEN": "xoxb-local",
               "SLACK_API_URL": fake.base_url, "JIREI_ENCRYPTION_KEY": generate_key()}
        for key in [k for k in os.environ if k.startswith(("SLACK_", "JIREI_"))]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        deps = await build_deps(Settings(), cipher=Cipher(env["JIREI_ENCRYPTION_KEY"]))  # migrates
        await deps.close()
        yield fake


def command(fake: FakeSlack, text: str) -> dict:
    body = SlackDriver(fake, dispatch=None, signing_secret="unused").command_body("UCOORD01", text)
    return {key: values[0] for key, values in parse_qs(body).items()}


async def answers(fake: FakeSlack, count: int) -> list[str]:
    for _ in range(200):
        if len(fake.responses) >= count:
            break
        await asyncio.sleep(0.05)
    return [str(response.body) for response in fake.responses]


async def until(condition, seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


async def test_a_worker_answers_and_a_dead_one_is_started_again(worker_env, monkeypatch):
    fake = worker_env
    monkeypatch.setattr(answer_workers, "RESPAWN_PAUSE_SECONDS", 0.0)
    outcomes = []
    workers = AnswerWorkers(1, on_outcome=lambda label, outcome: outcomes.append((label, outcome)),
                            on_wake=lambda: None)
    await workers.start()
    try:
        assert workers.ready == 1
        assert await workers.hand_over(command(fake, "help"), "req-1")
        first = await answers(fake, 1)
        assert len(first) == 1 and "Jirei" in first[0]
        await until(lambda: outcomes)
        assert outcomes == [("help", "ok")]  # reported back to the serving process

        workers._processes[0].kill()
        await workers._processes[0].wait()
        await until(lambda: workers.ready == 0)
        # Nobody ready: the serving process answers this one itself, and a new worker is started.
        assert not await workers.hand_over(command(fake, "sessions"), "req-2")
        await until(lambda: workers.ready == 1)
        assert await workers.hand_over(command(fake, "sessions"), "req-3")
        assert len(await answers(fake, 2)) == 2
    finally:
        await workers.stop(10)
    assert all(p.returncode is not None for p in workers._processes)
    assert not await workers.hand_over(command(fake, "help"), None)  # stopped: answer it yourself


async def test_a_worker_that_cannot_start_is_never_given_a_command(worker_env, monkeypatch):
    monkeypatch.setattr(answer_workers, "WORKER_MODULE", "bot.no_such_worker")
    workers = AnswerWorkers(1, on_outcome=lambda *_: None, on_wake=lambda: None)
    await workers.start(ready_within=5)
    try:
        assert workers.ready == 0
        assert not await workers.hand_over(command(worker_env, "help"), None)  # answered here instead
    finally:
        await workers.stop(5)
    assert worker_env.responses == []  # nothing went to the broken worker

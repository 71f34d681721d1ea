"""run_bot.py as a process: modes, missing settings, and a clean SIGTERM."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.local.slack.driver import SlackDriver, dispatch_over_http
from bot.local.slack.server import FakeSlack
from storage.crypto import generate_key

ROOT = Path(__file__).resolve().parents[1]
SECRET = "process-test-secret"


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JIREI_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'proc.db'}", **extra)
    return env


@asynccontextmanager
async def _bot(*arguments: str, env: dict, own_group: bool = False):
    """`run_bot.py ARGUMENTS` as a process (in a process group of its own if asked), killed if
    the test leaves it running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "run_bot.py", *arguments, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=own_group)
    try:
        yield process
    finally:
        if process.returncode is None:
            if own_group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
            await process.wait()


async def _stop_with_sigterm(process: asyncio.subprocess.Process, *, whole_group: bool = False) -> str:
    """Send SIGTERM (to the process, or to its whole group), wait for it to end; its stderr (the logs)."""
    if whole_group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    return err.decode()


async def _first_answer(fake: FakeSlack) -> None:
    """The bot acks at once and answers through the response_url: wait for that answer."""
    for _ in range(400):
        if fake.responses:
            return
        await asyncio.sleep(0.05)


async def _wait_healthy(port: int) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):  # a start takes seconds on a busy machine
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    pytest.fail("the bot did not come up")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mode, missing", [("http", "SLACK_BOT_TOKEN"), ("socket", "SLACK_BOT_TOKEN")])
def test_a_mode_without_its_settings_names_the_missing_variable(tmp_path, mode, missing):
    result = subprocess.run([sys.executable, "run_bot.py", mode], cwd=ROOT,
                            env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert missing in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_mode_and_bad_arguments_are_one_line(tmp_path):
    result = subprocess.run([sys.executable, "run_bot.py", "export", "session"], cwd=ROOT, env=_env(
        tmp_path, JIREI_ENCRYPTION_KEY=generate_key()), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Traceback" not in result.stderr


@pytest.mark.slow
async def test_http_mode_serves_and_stops_cleanly_on_sigterm(tmp_path):
    port, metrics_port = _free_port(), _free_port()
    async with FakeSlack() as fake:
        fake.add_user("UCOORD01", "佐藤 花子")
        env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-local", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.base_url,
                   JIREI_ENCRYPTION_KEY=generate_key(), JIREI_DISPATCH_INTERVAL_SECONDS="0.5",
                   JIREI_METRICS_PORT=str(metrics_port))
        async with _bot("http", "--port", str(port), "--host", "127.0.0.1", env=env) as process:
            await _wait_healthy(port)
            driver = SlackDriver(fake, dispatch_over_http(f"http://127.0.0.1:{port}/slack/events"), SECRET)
            reply = await driver.command("UCOORD01", "help", settle=False)
            assert reply.status == 200
            await _first_answer(fake)
            assert "Jirei" in str([response.body for response in fake.responses])
            # The answer follows the ack; /metrics counts it once it is sent.
            async with aiohttp.ClientSession() as http:
                for _ in range(50):
                    async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                        exposition = await response.text()
                    if 'jirei_commands_total{command="help",outcome="ok"} 1.0' in exposition:
                        break
                    await asyncio.sleep(0.05)
            assert 'jirei_commands_total{command="help",outcome="ok"} 1.0' in exposition
            assert 'jirei_command_seconds_count{command="help"} 1.0' in exposition
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    assert response.status == 404  # not on the port Slack reaches
            log = await _stop_with_sigterm(process)
    assert process.returncode == 0
    assert "shutting down" in log and "stopped" in log and "Traceback" not in log
    assert "command help: ok" in log
    assert "佐藤" not in log  # no names in the logs


@pytest.mark.slow
async def test_a_stop_signal_to_the_whole_group_still_answers_what_was_acked(tmp_path):
    """Ctrl-C or systemd signal the whole process group: the bot stops taking requests but still
    answers the command it has acked, then exits."""
    port = _free_port()
    async with FakeSlack() as fake:
        fake.add_user("UCOORD01", "佐藤 花子")
        env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-local", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.base_url,
                   JIREI_ENCRYPTION_KEY=generate_key(), JIREI_METRICS_PORT=str(_free_port()))
        async with _bot("http", "--port", str(port), "--host", "127.0.0.1", env=env, own_group=True) as process:
            await _wait_healthy(port)
            driver = SlackDriver(fake, dispatch_over_http(f"http://127.0.0.1:{port}/slack/events"), SECRET)
            reply = await driver.command("UCOORD01", "sessions", settle=False)
            assert reply.status == 200
            log = await _stop_with_sigterm(process, whole_group=True)
    assert process.returncode == 0
    assert "stopped" in log and "Traceback" not in log
    assert len(fake.responses) == 1 and fake.responses[0].status == 200  # answered after the signal


@pytest.mark.slow
async def test_socket_mode_answers_a_command_and_stops_cleanly_on_sigterm(tmp_path):
    metrics_port = _free_port()
    async with FakeSlack() as fake:
        fake.add_user("UCOORD01", "佐藤 花子")
        env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-local", SLACK_APP_TOKEN=fake.app_token,
                   SLACK_API_URL=fake.base_url, JIREI_ENCRYPTION_KEY=generate_key(),
                   JIREI_METRICS_PORT=str(metrics_port))
        async with _bot("socket", env=env) as process:
            for _ in range(600):  # a start takes seconds on a busy machine
                if fake.socket_connected:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the bot did not connect")
            driver = SlackDriver(fake, dispatch_over_http("http://127.0.0.1:9/unused"), SECRET)
            from urllib.parse import parse_qsl

            payload = dict(parse_qsl(driver.command_body("UCOORD01", "help")))
            ack = await fake.socket_send("slash_commands", payload)
            assert ack["envelope_id"]
            await _first_answer(fake)
            assert "Jirei" in str([response.body for response in fake.responses])
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as response:
                    assert response.status == 200
            log = await _stop_with_sigterm(process)
    assert process.returncode == 0
    assert "stopped" in log and "Traceback" not in log


def test_a_refused_app_token_is_one_line(tmp_path):
    async def run() -> subprocess.CompletedProcess:
        async with FakeSlack() as fake:
            env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-local", SLACK_APP_TOKEN="xapp-wrong",
                       SLACK_API_URL=fake.base_url, JIREI_ENCRYPTION_KEY=generate_key())
            return await asyncio.to_thread(subprocess.run, [sys.executable, "run_bot.py", "socket"], cwd=ROOT,
                                           env=env, capture_output=True, text=True, timeout=60)

    result = asyncio.run(run())
    assert result.returncode == 2
    assert result.stderr.strip() == "jirei: Slack refused SLACK_APP_TOKEN (invalid_auth)"


async def test_shutdown_waits_for_work_that_follows_an_ack():
    from bot.observability import ObservedAck, finish_listener_work

    finished = []

    async def nothing(_arguments):
        return None

    async def listener():  # as Bolt runs it: a task of its own, acking through the context's ack
        await ObservedAck(nothing)()
        await asyncio.sleep(0.2)
        finished.append(True)

    task = asyncio.ensure_future(listener())
    await asyncio.sleep(0)  # it acks
    await finish_listener_work(timeout=5)
    assert finished == [True] and task.done()


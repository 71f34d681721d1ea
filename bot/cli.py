"""What each `run_bot.py` mode does. Errors become CliError: one line, non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bot.logs import setup_logging
from bot.startup import CliError, cipher_for, load_settings
from config.settings import MissingSetting, Settings

log = logging.getLogger("jirei")

SHUTDOWN_GRACE_SECONDS = 10


async def run_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    mode = args.mode or settings.auto_mode()
    if mode == "console":
        from bot.local.console import run_console

        return await run_console(settings)
    if mode == "demo":
        from bot.local.demo import run_demo

        return await run_demo(settings, lang=args.lang)
    if mode == "check-anonymisation":
        from bot.core.anonymisation_cli import main_check_anonymisation

        return main_check_anonymisation(args.file, args.format, lang=args.lang, propose=args.propose,
                                        include_checks=args.include_checks,
                                        output=args.output, force=args.force)
    setup_logging(settings.log_level)
    if mode in ("http", "socket"):
        return await serve(settings, mode, getattr(args, "port", 3000), getattr(args, "host", "0.0.0.0"))
    from bot import maintenance

    return await maintenance.run(settings, args)


async def check_tokens(settings: Settings, client, mode: str) -> None:
    """Ask Slack once whether the tokens are good: a refused token is one clear line, not a retry loop."""
    import aiohttp
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    checks = [("SLACK_BOT_TOKEN", client.auth_test)]
    if mode == "socket":
        app_token = settings.slack_app_token.get_secret_value()
        app_client = AsyncWebClient(base_url=settings.slack_api_url)
        checks.append(("SLACK_APP_TOKEN", lambda: app_client.apps_connections_open(app_token=app_token)))
    for name, call in checks:
        try:
            await call()
        except SlackApiError as err:
            raise CliError(f"Slack refused {name} ({err.response.get('error', 'error')})") from None
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            raise CliError(f"cannot reach Slack at {settings.slack_api_url}") from None


async def serve(settings: Settings, mode: str, port: int, host: str) -> int:
    from bot.app import build_app
    from bot.deps import build_deps
    from bot.features import WIRING
    from bot.http_server import start_listeners
    from bot.observability import finish_listener_work
    from bot.runtime import Runtime

    try:
        settings.require("SLACK_BOT_TOKEN", *(("SLACK_APP_TOKEN",) if mode == "socket" else ("SLACK_SIGNING_SECRET",)))
    except MissingSetting as err:
        raise CliError(f"{mode} mode needs {err.args[0]}") from None
    cipher, _ = cipher_for(settings, allow_local=False)
    deps = await build_deps(settings, cipher=cipher)
    try:
        await check_tokens(settings, deps.client, mode)
    except CliError:
        await deps.close()
        raise
    app = build_app(
        deps, WIRING,
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "unused",
        bot_token=settings.slack_bot_token.get_secret_value(),
    )
    runtime = Runtime(deps, WIRING, owner_id=settings.instance_id)
    await runtime.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runners = await start_listeners(settings, app if mode == "http" else None, host=host, port=port)
    socket_handler = None
    if mode == "http":
        log.info("listening for Slack on port %s; metrics on %s:%s", port, settings.metrics_host,
                 settings.metrics_port)
    else:
        from bot.socket_mode import CheckedSocketModeHandler

        socket_handler = CheckedSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        # Connecting retries for as long as Slack is unreachable; a stop signal must still end it.
        connecting = asyncio.create_task(socket_handler.connect_async())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if connecting.done() and connecting.exception() is None:
            log.info("connected in Socket Mode; metrics on %s:%s", settings.metrics_host, settings.metrics_port)
        else:
            connecting.cancel()
        stopping.cancel()
    await stop.wait()
    log.info("shutting down: no new work, finishing what is in flight")
    if socket_handler is not None:
        await socket_handler.disconnect_async()
    for runner in runners:
        await runner.cleanup()
    await finish_listener_work(SHUTDOWN_GRACE_SECONDS)
    await runtime.stop()
    await deps.close()
    log.info("stopped")
    return 0

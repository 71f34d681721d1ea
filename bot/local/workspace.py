"""The local workspace: the fake Slack, the real AsyncApp and a driver playing Slack's side.

One harness serves the console, the demo and the dispatch tests, so what the tests prove is
what an operator sees:

    async with LocalWorkspace.open(database_url=..., clock=ManualClock(...)) as ws:
        await ws.driver.command(COORD, "join S1")
        await ws.advance(timedelta(days=1))     # scheduled work runs
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator, Callable

from bot.local import seed
from bot.app import build_app
from bot.core.clock import ManualClock
from bot.deps import Deps, build_deps
from bot.features import WIRING
from bot.sessions.jobs import next_scheduled
from bot.local.slack.driver import SlackDriver, dispatch_to_app
from bot.local.slack.server import FakeSlack
from bot.runtime import Runtime
from bot.people import service as people
from config.settings import Settings
from storage.crypto import Cipher

SIGNING_SECRET = "local-signing-secret"
BOT_TOKEN = "xoxb-local"
SETTLE_SECONDS = 60.0  # how long the driver waits for a command's work before it calls it stuck


@dataclass
class LocalWorkspace:
    fake: FakeSlack
    deps: Deps
    app: object
    driver: SlackDriver
    runtime: Runtime
    clock: ManualClock
    announce_channel: str
    portal_channel: str

    @classmethod
    @asynccontextmanager
    async def open(cls, *, database_url: str, cipher: Cipher, clock: ManualClock | None = None,
                   seed_profiles: bool = True, english: tuple[str, ...] = (),
                   extra_settings: dict | None = None, resume_clock: bool = False,
                   display_name: Callable[[str], str] | None = None) -> AsyncIterator["LocalWorkspace"]:
        """``display_name`` turns each seeded person's name into the one they go by here (the
        demo's escaping test gives everyone a hostile one)."""
        clock = clock or ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
        fake = FakeSlack(bot_token=BOT_TOKEN, wall_clock=lambda: clock.now().timestamp())
        base_url = await fake.start()
        named = display_name or (lambda name: name)
        try:
            for user_id, name in seed.STAFF:
                fake.add_user(user_id, named(name))
            for user_id, name, *_ in seed.COORDINATORS:
                fake.add_user(user_id, named(name))
            announce = fake.add_channel(seed.ANNOUNCE_CHANNEL, members=[u for u, *_ in seed.COORDINATORS])
            portal = fake.add_channel(seed.PORTAL_CHANNEL, members=[u for u, *_ in seed.COORDINATORS])
            settings = Settings(
                SLACK_API_URL=base_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                DATABASE_URL=database_url, JIREI_ADMINS=seed.ADMIN, JIREI_ANNOUNCE_CHANNEL=announce,
                JIREI_PORTAL_CHANNEL=portal, JIREI_DISPATCH_INTERVAL_SECONDS=1, **(extra_settings or {}),
            )
            deps = await build_deps(settings, cipher=cipher, clock=clock)
            if resume_clock:
                await _resume_clock(deps, clock)
            app = build_app(deps, WIRING, signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN,
                            bot_user_id=fake.bot_user_id)
            # A command's work may take seconds the first time on a busy machine: the first chart
            # imports matplotlib, the first upload check loads the SudachiPy dictionary.
            driver = SlackDriver(fake, dispatch_to_app(app), SIGNING_SECRET, settle_timeout=SETTLE_SECONDS)
            runtime = Runtime(deps, WIRING)
            workspace = cls(fake, deps, app, driver, runtime, clock, announce, portal)
            await seed_people(deps, clock.now(), profiles=seed_profiles, english=english, display_name=named)
            try:
                yield workspace
            finally:
                await runtime.stop()
                await deps.close()
        finally:
            await fake.stop()

    async def run_due(self) -> None:
        """Everything due now: periodic jobs, deliveries, and what the handlers started."""
        for _ in range(3):
            await self.runtime.drain()
            await self.driver.settle()

    async def remember_clock(self) -> None:
        """Write down where the clock was moved to, so a console reopened later resumes there."""
        async with self.deps.uow() as uow:
            await uow.audit.record(self.clock.now(), "console", "clock.moved", "ok")

    async def advance(self, delta: timedelta) -> None:
        """Move the clock from one scheduled moment to the next, running what falls due at each,
        so that work happens in order and exactly when it would have (reminders keep their grace)."""
        target = self.clock.now() + delta
        await self.run_due()
        while self.clock.now() < target:
            upcoming = await next_scheduled(self.deps, WIRING.next_due)
            if upcoming is None or upcoming > target:
                self.clock.set(target)
            else:
                self.clock.set(max(upcoming, self.clock.now() + timedelta(seconds=1)))
            await self.run_due()


async def _resume_clock(deps: Deps, clock: ManualClock) -> None:
    """A console reopened on its database carries on from the last moment that database knows
    (the clock had been moved ahead of the wall clock), never from before it."""
    async with deps.uow(read_only=True) as uow:
        latest = await uow.audit.latest_at()
    if latest is not None and latest > clock.now():
        clock.set(latest)


async def seed_people(deps: Deps, now: datetime, *, profiles: bool, english: tuple[str, ...] = (),
                      display_name: Callable[[str], str] | None = None) -> None:
    """Roles for the staff; for the seeded coordinators, profiles and the pledge (console, tests)."""
    admin = people.Actor(user_id=seed.ADMIN, is_admin=True)
    async with deps.uow() as uow:
        fresh = not await uow.coordinators.count()
        # The workspace's secretariat is in its settings (JIREI_ADMINS) only; the grant keeps them the
        # secretariat for what reads this database without those settings (`run_bot.py export
        # coordinators` listed them as a coordinator). Granting again changes nothing.
        await uow.roles.grant(seed.ADMIN, people.ROLE_ADMIN, "", seed.ADMIN, now)
        if not fresh:
            return  # a console database from an earlier run keeps what people changed
        await people.grant_role(uow, now, admin, seed.STAFF_TOKYO, "bureau_staff", "tokyo")
        await people.grant_role(uow, now, admin, seed.STAFF_OSAKA, "bureau_staff", "osaka")
        await people.grant_role(uow, now, admin, seed.LECTURER, "lecturer", None)
        named = display_name or (lambda name: name)
        for user_id, name in seed.STAFF:
            lang = "en" if user_id in english else "ja"
            await people.update_profile(uow, now, user_id, people.ProfileChange({"name": named(name), "lang": lang}))
        if not profiles:
            return
        for user_id, name, prefecture, affiliation, themes in seed.COORDINATORS:
            change = people.validate_profile({"name": named(name), "prefecture": prefecture, "affiliation": affiliation,
                                              "themes": ",".join(themes),
                                              "lang": "en" if user_id in english else "ja"})
            await people.update_profile(uow, now, user_id, change)
            await people.accept_pledge(uow, now, user_id)

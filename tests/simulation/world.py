"""The simulated world: the fake Slack, the real AsyncApp on a database, and the people in it.

A ``World`` is what one simulated year runs against. It starts like the local workspace
(``bot/local/workspace.py``) but keeps the fake Slack and the database when the bot restarts, so a
restart is what it is in production: a new process (new Deps, app, runtime and dispatcher) on the
same database, while Slack keeps every message already sent.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import build_app
from bot.core.anonymisation import check_text
from bot.core.clock import ManualClock
from bot.deps import build_deps
from bot.features import WIRING
from bot.local import seed
from bot.local.slack.driver import SlackDriver, dispatch_to_app
from bot.local.slack.server import FakeSlack
from bot.local.workspace import BOT_TOKEN, SIGNING_SECRET, LocalWorkspace, seed_people
from bot.people import service as people
from bot.runtime import Runtime
from config.reference import bureaus
from config.settings import Settings
from storage.crypto import Cipher, generate_key

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
YEAR_END = datetime(2028, 4, 1, 0, 0, tzinfo=JST)
THEMES = ("medical_welfare", "education", "labor", "immigration", "family_dv", "public_services", "culture_religion")


@dataclass
class Person:
    user_id: str
    role: str  # coordinator | staff | lecturer | secretariat
    bureau: str | None = None  # a coordinator's region (None: no profile yet), a staff member's bureau
    lang: str = "ja"
    pledged: bool = False
    forgotten: bool = False


def population() -> list[Person]:
    """Two coordinators in each of the eight bureaus (every third in English, every fourth without
    the pledge), two who never filled in a profile, the bureau staff, a lecturer, the secretariat."""
    people_: list[Person] = []
    number = 0
    for bureau in bureaus():
        for _ in range(2):
            number += 1
            people_.append(Person(f"UC{number:02d}", "coordinator", bureau.code,
                                  "en" if number % 3 == 0 else "ja", pledged=number % 4 != 0))
    people_ += [Person("UC17", "coordinator"), Person("UC18", "coordinator", lang="en")]
    people_ += [Person(seed.STAFF_TOKYO, "staff", "tokyo"), Person(seed.STAFF_OSAKA, "staff", "osaka"),
                Person(seed.LECTURER, "lecturer"), Person(seed.ADMIN, "secretariat")]
    return people_


PREFECTURE = {b.code: b.prefectures[0] for b in bureaus()}


class World:
    """Holds the fake Slack and the database across restarts of the bot."""

    def __init__(self, database_url: str, clock: ManualClock | None = None) -> None:
        self.database_url = database_url
        self.clock = clock or ManualClock(START)
        self.cipher = Cipher(generate_key())
        self.fake = FakeSlack(bot_token=BOT_TOKEN, wall_clock=lambda: self.clock.now().timestamp())
        self.ws: LocalWorkspace | None = None
        self.people = population()
        self.restarts = 0

    async def start(self) -> None:
        # The checker's dictionary is loaded once per process, on its first check; loaded in the middle
        # of a step it holds the event loop past Bolt's 3-second wait for an ack on this shared machine.
        check_text("山田太郎さんの事例")
        base_url = await self.fake.start()
        for user_id, name in seed.STAFF:
            self.fake.add_user(user_id, name)
        for person in self.people:
            if person.role == "coordinator":
                self.fake.add_user(person.user_id, f"認証者 {person.user_id[2:]}")
        coordinators = [p.user_id for p in self.people if p.role == "coordinator"]
        self.announce = self.fake.add_channel(seed.ANNOUNCE_CHANNEL, members=coordinators)
        self.portal = self.fake.add_channel(seed.PORTAL_CHANNEL, members=coordinators)
        self.settings = Settings(
            SLACK_API_URL=base_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
            DATABASE_URL=self.database_url, JIREI_ADMINS=seed.ADMIN, JIREI_ANNOUNCE_CHANNEL=self.announce,
            JIREI_PORTAL_CHANNEL=self.portal, JIREI_DISPATCH_INTERVAL_SECONDS=1, JIREI_INSTANCE_ID="sim-bot-1",
        )
        await self._boot()
        await seed_people(self.ws.deps, self.clock.now(), profiles=False)
        async with self.ws.deps.uow() as uow:
            now = self.clock.now()
            for person in self.people:
                if person.role != "coordinator" or person.bureau is None:
                    continue
                index = int(person.user_id[2:])
                change = people.validate_profile({
                    "name": f"認証者 {person.user_id[2:]}", "prefecture": PREFECTURE[person.bureau],
                    "affiliation": ("public", "private")[index % 2],
                    "themes": ",".join(THEMES[index % len(THEMES):][:2] or THEMES[:1]), "lang": person.lang})
                await people.update_profile(uow, now, person.user_id, change)
                if person.pledged:
                    await people.accept_pledge(uow, now, person.user_id)
            for person in self.people:
                if person.role in ("staff", "lecturer", "secretariat") and person.lang == "en":
                    await people.update_profile(uow, now, person.user_id, people.ProfileChange({"lang": "en"}))

    async def _boot(self) -> None:
        deps = await build_deps(self.settings, cipher=self.cipher, clock=self.clock)
        app = build_app(deps, WIRING, signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN,
                        bot_user_id=self.fake.bot_user_id)
        # Bolt answers 404 when a listener has not acked within 3 s of wall time. On this shared machine a
        # busy moment can pass that, which would make a year's outcome depend on the load and not on its
        # steps (and Hypothesis could not replay it to shrink); how fast the bot acks is measured in
        # bench/bench_peak.py instead.
        for listener in app._async_listeners:
            listener.ack_timeout = 120
        driver = SlackDriver(self.fake, dispatch_to_app(app), SIGNING_SECRET, settle_timeout=60.0)
        runtime = Runtime(deps, WIRING)
        self.ws = LocalWorkspace(self.fake, deps, app, driver, runtime, self.clock, self.announce, self.portal)

    async def restart(self) -> None:
        """The bot process stops and a new one starts on the same database (Slack keeps its state)."""
        await self._shutdown_bot()
        await self._boot()
        self.restarts += 1

    async def _shutdown_bot(self) -> None:
        if self.ws is not None:
            await self.ws.runtime.stop()
            await self.ws.deps.close()
            self.ws = None

    async def close(self) -> None:
        try:
            await self._shutdown_bot()
        finally:
            await self.fake.stop()

    def person(self, user_id: str) -> Person:
        return next(p for p in self.people if p.user_id == user_id)


@dataclass
class Databases:
    """Fresh databases for the examples: SQLite files in a temporary folder, or PostgreSQL
    databases created (and dropped) on the server JIREI_TEST_POSTGRES_URL names."""

    postgres_url: str | None = None
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="jirei-sim-")))
    count: int = 0

    async def create(self) -> tuple[str, str | None]:
        self.count += 1
        if self.postgres_url is None:
            return f"sqlite+aiosqlite:///{self.folder / f'year-{self.count}.db'}", None
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine
        import uuid

        name = f"jirei_sim_{uuid.uuid4().hex[:10]}"
        admin = create_async_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        return self.postgres_url.rsplit("/", 1)[0] + "/" + name, name

    async def drop(self, url: str, name: str | None) -> None:
        if name is None:
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite+aiosqlite:///") + suffix).unlink(missing_ok=True)
            return
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        admin = create_async_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

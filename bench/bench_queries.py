"""Benchmark: database queries per command, at two data sizes. They must not grow with the data.

    python bench/bench_queries.py [--small 10] [--large 200] [--database URL]

Each command goes through the real AsyncApp (LocalWorkspace: fake Slack, in-process dispatch),
including the work it does after the ack; every statement sent to the database is counted with a
SQLAlchemy `before_cursor_execute` listener. The data is seeded with bulk inserts: `sessions`
sessions (half Tokyo, half Osaka) with five registrations each, and five coordinators per session.
Printed: the count per command at each size and the ratio large/small (1.00 = constant).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert  # noqa: E402

from bot.local import seed  # noqa: E402
from bot.core.clock import ManualClock  # noqa: E402
from bot.local.workspace import LocalWorkspace  # noqa: E402
from bot.people.service import PLEDGE_VERSION  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402
from storage.models import Case, CaseSession, Coordinator, Registration  # noqa: E402

START = datetime(2027, 4, 1, 0, 0, tzinfo=timezone.utc)
REGISTRATIONS_PER_SESSION = 5
COORDINATORS_PER_SESSION = 5
BUREAUS = (("tokyo", "東京都"), ("osaka", "大阪府"))


def bench_user(index: int) -> str:
    return f"UBK{index:06d}"


async def seed_bulk(deps, *, sessions: int, coordinators: int, now: datetime,
                    registrations_per_session: int = REGISTRATIONS_PER_SESSION,
                    bureaus: tuple[tuple[str, str], ...] = BUREAUS) -> None:
    """Profiles with the pledge, cases, open sessions ahead and their registrations: bulk inserts."""
    coordinator_rows = [dict(
        slack_user_id=bench_user(i), name=f"参加者 {i}", prefecture=bureaus[i % len(bureaus)][1],
        bureau=bureaus[i % len(bureaus)][0],
        affiliation=("public", "private")[i // 2 % 2], themes=["education"], lang="ja", nudges_enabled=True,
        online_ok=True, pledge_accepted_at=now, pledge_version=PLEDGE_VERSION, active=True, created_at=now,
        updated_at=now) for i in range(coordinators)]
    async with deps.uow() as uow:
        first_case = (await uow.session.scalar(Case.__table__.select().with_only_columns(
            Case.__table__.c.id).order_by(Case.__table__.c.id.desc()).limit(1))) or 0
        first_session = (await uow.session.scalar(CaseSession.__table__.select().with_only_columns(
            CaseSession.__table__.c.id).order_by(CaseSession.__table__.c.id.desc()).limit(1))) or 0
        for chunk in range(0, len(coordinator_rows), 2000):
            await uow.session.execute(insert(Coordinator), coordinator_rows[chunk:chunk + 2000])
        if not sessions:
            return
        cases = max(1, sessions // 2)
        await uow.session.execute(insert(Case), [dict(title=f"事例 {i}", theme="education", created_by=seed.ADMIN,
                                                     created_at=now) for i in range(cases)])
        await uow.session.execute(insert(CaseSession), [dict(
            kind="official", case_id=first_case + 1 + i % cases, bureau=BUREAUS[i % 2][0],
            starts_at=now + timedelta(days=60, hours=i), minutes=120, capacity=30, min_participants=1,
            deadline_at=now + timedelta(days=30), release_at=now + timedelta(days=50), format="hybrid",
            status="open", lottery=False, group_min=5, group_max=6, reminder_offsets_minutes=[10080, 1440, 60],
            created_by=seed.ADMIN, created_at=now, announced_at=now) for i in range(sessions)])
        registrations = [dict(session_id=first_session + 1 + s, user_id=bench_user((s * registrations_per_session + r)
                                                                                   % max(coordinators, 1)),
                              status="confirmed", registered_at=now, updated_at=now)
                         for s in range(sessions) for r in range(registrations_per_session)]
        for chunk in range(0, len(registrations), 5000):
            await uow.session.execute(insert(Registration), registrations[chunk:chunk + 5000])


class QueryCounter:
    """Counts statements sent to the database while `counting()` is open."""

    def __init__(self, *engines) -> None:
        self.count = 0
        self._active = False
        pools = set()
        for engine in engines:
            # PostgreSQL's read engine is the same engine with other options: it shares the
            # listeners of the engine it came from, and is listened to once, through it.
            if engine is not None and engine.pool not in pools:
                pools.add(engine.pool)
                event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args) -> None:
        if self._active:
            self.count += 1

    @contextmanager
    def counting(self) -> Iterator["QueryCounter"]:
        self.count, self._active = 0, True
        try:
            yield self
        finally:
            self._active = False


@dataclass(frozen=True)
class Probe:
    label: str
    user: str
    text: str


def probes() -> list[Probe]:
    """What is measured. `join` takes a seat in a session nobody has joined before the measurement."""
    coordinator = seed.COORDINATORS[0][0]
    return [
        Probe("help", coordinator, "help"),
        Probe("sessions", coordinator, "sessions"),
        Probe("join", coordinator, "join S1"),
        Probe("my", coordinator, "my"),
        Probe("admin roster", seed.ADMIN, "admin roster S1"),
    ]


async def queries_per_command(database_url: str, *, sessions: int, coordinators: int) -> dict[str, int]:
    clock = ManualClock(START)
    async with LocalWorkspace.open(database_url=database_url, cipher=Cipher(generate_key()), clock=clock) as ws:
        await seed_bulk(ws.deps, sessions=sessions, coordinators=coordinators, now=clock.now())
        counter = QueryCounter(ws.deps.engine, ws.deps.read_engine)
        # Warm up: the first use of a connection asks the server about itself.
        await ws.driver.command(seed.COORDINATORS[1][0], "join S2")
        for probe in probes():
            if probe.label != "join":
                await ws.driver.command(probe.user, probe.text)
        counts = {}
        for probe in probes():
            with counter.counting():
                reply = await ws.driver.command(probe.user, probe.text)
            if reply.status != 200:
                raise RuntimeError(f"{probe.label} answered {reply.status}")
            counts[probe.label] = counter.count
        return counts


async def measure(database_url_for, small: int, large: int) -> dict[int, dict[str, int]]:
    """`database_url_for(size)` gives an empty database for each size."""
    return {size: await queries_per_command(database_url_for(size), sessions=size,
                                            coordinators=size * COORDINATORS_PER_SESSION)
            for size in (small, large)}


def report(results: dict[int, dict[str, int]]) -> str:
    small, large = sorted(results)
    lines = [f"{'command':<14}{small:>8} sess.{large:>8} sess.{'ratio':>9}"]
    for label in results[small]:
        a, b = results[small][label], results[large][label]
        lines.append(f"{label:<14}{a:>14}{b:>14}{b / a if a else float('nan'):>9.2f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=200)
    parser.add_argument("--database", help="a database URL template with {size}; default: temporary SQLite files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        def url_for(size: int) -> str:
            if args.database:
                return args.database.format(size=size)
            return f"sqlite+aiosqlite:///{folder}/queries-{size}.db"

        results = asyncio.run(measure(url_for, args.small, args.large))
    print("database queries per command (through the app, including work after the ack)")
    print(report(results))
    constant = all(results[args.small][k] == results[args.large][k] for k in results[args.small])
    print(f"constant with data size: {'yes' if constant else 'NO'}")
    return 0 if constant else 1


if __name__ == "__main__":
    sys.exit(main())

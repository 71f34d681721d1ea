"""Storage on every backend: migrations apply, repositories read back what they wrote."""

from datetime import timedelta

from sqlalchemy import inspect

from bot.people import service as people
from bot.sessions import service as sessions
from bot.sessions.cases import create_case
from bot.sessions.service import SessionSpec
from config.settings import Settings
from storage.db import make_engine, migrate
from storage.models import Base


async def test_migrations_create_every_model_table_and_are_repeatable(db_url):
    engine = make_engine(db_url)
    await migrate(engine)
    await migrate(engine)  # a second run is a no-op, not an error
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_profile_roles_and_audit_round_trip(uow_factory, clock):
    now = clock.now()
    change = people.validate_profile({"name": "佐藤 花子", "prefecture": "沖縄", "affiliation": "民間",
                                      "themes": "医療・福祉、教育", "lang": "en", "nudges": "off"})
    async with uow_factory() as uow:
        await people.update_profile(uow, now, "UCOORD01", change)
        await people.accept_pledge(uow, now + timedelta(minutes=1), "UCOORD01")
        admin = people.Actor(user_id="UADMIN01", is_admin=True)
        await people.grant_role(uow, now, admin, "USTAFF01", "bureau_staff", "osaka")
    async with uow_factory() as uow:
        person = await uow.coordinators.get("UCOORD01")
        staff = await people.load_actor(uow, frozenset(), "USTAFF01")
        entries = await uow.audit.entries()
    assert (person.prefecture, person.bureau, person.affiliation) == ("沖縄県", "fukuoka", "private")
    assert person.themes == ["medical_welfare", "education"] and person.lang == "en"
    assert person.nudges_enabled is False and person.profile_complete
    assert person.pledge_accepted_at == now + timedelta(minutes=1)
    assert staff.staff_bureaus == {"osaka"} and not staff.is_admin
    assert [e.action for e in entries] == ["profile.update", "pledge.accept", "role.grant"]
    # the audit log holds field names, never values
    assert "佐藤" not in repr([e.detail for e in entries])


async def test_processed_requests_are_seen_once(uow_factory, clock):
    async with uow_factory() as uow:
        assert await uow.processed.first_time("event:Ev1", clock.now())
        assert not await uow.processed.first_time("event:Ev1", clock.now())
    async with uow_factory() as uow:
        assert not await uow.processed.first_time("event:Ev1", clock.now())


def test_settings_normalise_database_urls():
    assert Settings(DATABASE_URL="postgres://u:p@h/db").database_url == "postgresql+asyncpg://u:p@h/db"
    assert Settings(DATABASE_URL="sqlite:///x.db").database_url == "sqlite+aiosqlite:///x.db"


async def test_the_open_sessions_page_counts_every_open_session_whatever_the_page_holds(uow_factory, clock):
    now = clock.now()
    admin = people.Actor(user_id="UADMIN01", is_admin=True)
    async with uow_factory() as uow:
        case = await create_case(uow, now, admin, title="受診同行の事例", theme="medical_welfare", lecturer=None)
        for bureau in ("tokyo", "osaka", "tokyo"):
            start = now + timedelta(days=45)
            item = await sessions.create_session(uow, now, admin, SessionSpec(
                case=case.code, bureau=bureau, start=start, minutes=120, capacity=30, min_participants=5,
                deadline=start - timedelta(days=14), release=start - timedelta(days=7)), allow_duplicate=True)
            item.announced_at = now
    async with uow_factory() as uow:
        whole, whole_total = await uow.sessions.open_first("osaka", 10)
        first, total = await uow.sessions.open_first("osaka", 2)
    assert ([s.bureau for s in whole], whole_total) == (["osaka", "tokyo", "tokyo"], 3)
    assert ([s.bureau for s in first], total) == (["osaka", "tokyo"], 3)

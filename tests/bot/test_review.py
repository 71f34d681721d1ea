"""The yearly review's numbers on a small known dataset, fiscal years, the privacy rule for
breakdowns, the files, and the Home tab's data at scale (200 sessions, 500 registrations)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.review.blocks import build_home_tab
from bot.local.slack.blockkit import validate_view
from bot.review import service as review
from bot.people.results import Actor
from storage.models import (
    Case,
    CaseSession,
    Delivery,
    Registration,
    StudyGroup,
    StudyGroupMember,
    SurveyInvite,
    SurveyResponse,
    SurveyRun,
)
from storage.uow import UnitOfWork

JST = ZoneInfo("Asia/Tokyo")
CREATED = datetime(2027, 3, 1, tzinfo=JST)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def meeting(bureau: str, start: datetime, status: str, *, kind: str = "official", case_id: int | None = 1,
            theme: str | None = None, capacity: int = 30, study_group_id: int | None = None) -> CaseSession:
    return CaseSession(kind=kind, case_id=case_id, theme=theme, bureau=bureau, starts_at=start, minutes=120,
                       study_group_id=study_group_id,
                       capacity=capacity, min_participants=5, deadline_at=start - timedelta(days=14),
                       release_at=start - timedelta(days=7), status=status, created_by="UADMIN", created_at=CREATED)


async def add_session(uow: UnitOfWork, item: CaseSession, **registrations: int) -> CaseSession:
    """The session with `status=count` registrations (users U<session>_<status>_<n>)."""
    await uow.sessions.add(item)
    for status, count in registrations.items():
        for n in range(count):
            uow.session.add(Registration(session_id=item.id, user_id=f"U{item.id}{status[:3].upper()}{n}",
                                         status=status, registered_at=CREATED, updated_at=CREATED))
    await uow.flush()
    return item


async def known_year(uow: UnitOfWork) -> None:
    """FY2027 (1 April 2027 – 31 March 2028, Japan time), with one session either side of it."""
    await uow.cases.add(Case(title="受診同行", theme="medical_welfare", created_by="UADMIN", created_at=CREATED))
    at = lambda *args: datetime(*args, tzinfo=JST)  # noqa: E731
    # Tokyo: checked in (4 of 5), no check-in taken (6 seats), and one called off.
    await add_session(uow, meeting("tokyo", at(2027, 5, 15, 14), "held"), attended=4, no_show=1, cancelled=1)
    await add_session(uow, meeting("tokyo", at(2027, 7, 10, 14), "held", case_id=None, theme="education"), confirmed=6)
    await add_session(uow, meeting("tokyo", at(2027, 9, 4, 14), "cancelled"), cancelled=3)
    # Osaka: one checked in late (3 attended + 1 still confirmed), and a substitute exchange held.
    await add_session(uow, meeting("osaka", at(2027, 6, 5, 14), "held"), attended=3, confirmed=1)
    await add_session(uow, meeting("osaka", at(2027, 10, 2, 14), "held", kind="exchange", case_id=None,
                                   theme="medical_welfare"), confirmed=2)
    # Sapporo: the last evening of the fiscal year, still open.
    await add_session(uow, meeting("sapporo", at(2028, 3, 31, 23, 30), "open", case_id=None, theme="labor"))
    # Outside FY2027 on both sides.
    await add_session(uow, meeting("tokyo", at(2027, 3, 31, 23, 59), "held"), attended=9)
    await add_session(uow, meeting("tokyo", at(2028, 4, 1, 0, 0), "open"), confirmed=9)
    # A self-run study session in Tokyo, held without check-in.
    await add_session(uow, meeting("tokyo", at(2027, 8, 1, 10), "held", kind="self_run", case_id=None,
                                   theme="education"), confirmed=3)
    tokyo_group = StudyGroup(bureau="tokyo", themes=["education"], status="active", channel_id="CGT",
                             created_at=at(2027, 6, 1, 9))
    # Osaka: a group the matcher proposed that nobody formed; it is not a group formed this year.
    osaka_group = StudyGroup(bureau="osaka", themes=[], status="forming", created_at=at(2027, 11, 1, 9))
    old_group = StudyGroup(bureau="tokyo", themes=[], status="active", created_at=at(2026, 11, 1, 9))
    # An online group across regions, with an online self-run session: in the total, under no bureau.
    online_group = StudyGroup(bureau=None, themes=[], status="active", channel_id="CGO", created_at=at(2027, 7, 1, 9))
    uow.session.add_all([tokyo_group, osaka_group, old_group, online_group])
    await uow.flush()
    await add_session(uow, meeting("online", at(2027, 8, 20, 19), "held", kind="self_run", case_id=None,
                                   theme="education", study_group_id=online_group.id), confirmed=4)
    uow.session.add_all([StudyGroupMember(group_id=tokyo_group.id, user_id=f"UG{n}", status="accepted") for n in range(3)]
                        + [StudyGroupMember(group_id=tokyo_group.id, user_id="UG9", status="invited")])
    # R1: 10 invited, 6 answered (5 from Tokyo, 1 from Osaka); R2: 3 answers only.
    r1 = SurveyRun(survey_id="post_session", session_id=1, status="closed", opens_at=at(2027, 5, 16, 9),
                   deadline_at=at(2027, 5, 30, 9), created_by="UADMIN", created_at=CREATED)
    r2 = SurveyRun(survey_id="planning", status="open", opens_at=at(2027, 12, 1, 9), deadline_at=at(2027, 12, 20, 9),
                   created_by="UADMIN", created_at=CREATED)
    uow.session.add_all([r1, r2])
    await uow.flush()
    uow.session.add_all([SurveyInvite(run_id=r1.id, user_id=f"UR{n}", completed=n < 6) for n in range(10)]
                        + [SurveyInvite(run_id=r2.id, user_id=f"UR{n}", completed=n < 3) for n in range(4)])
    uow.session.add_all([SurveyResponse(run_id=r1.id, bureau="tokyo", answers_encrypted=b"x") for _ in range(5)]
                        + [SurveyResponse(run_id=r1.id, bureau="osaka", answers_encrypted=b"x")]
                        + [SurveyResponse(run_id=r2.id, bureau="tokyo", answers_encrypted=b"x") for _ in range(3)])


def numbers(tally: review.Tally) -> tuple:
    return (tally.planned, tally.held, tally.cancelled, tally.participants, tally.attended, tally.expected,
            tally.exchanges_held)


async def test_yearly_review_numbers_per_bureau_and_theme(uow_factory):
    async with uow_factory() as uow:
        await known_year(uow)
    async with uow_factory() as uow:
        result = await review.yearly_review(uow, 2027, JST)
    # (planned, held, cancelled, participants, attended, expected, exchanges held)
    assert {t.key: numbers(t) for t in result.by_bureau} == {
        "sapporo": (1, 0, 0, 0, 0, 0, 0),
        "tokyo": (3, 2, 1, 10, 4, 5, 0),
        "osaka": (1, 1, 0, 3, 3, 4, 1),
    }
    assert [t.key for t in result.by_bureau] == ["sapporo", "tokyo", "osaka"]  # the reference order
    by_bureau = {t.key: t for t in result.by_bureau}
    assert by_bureau["tokyo"].attendance_rate == pytest.approx(0.8)
    assert by_bureau["osaka"].attendance_rate == pytest.approx(0.75)
    assert by_bureau["sapporo"].attendance_rate is None
    assert {t.key: numbers(t) for t in result.by_theme} == {
        "medical_welfare": (3, 2, 1, 7, 7, 9, 1),
        "education": (1, 1, 0, 6, 0, 0, 0),
        "labor": (1, 0, 0, 0, 0, 0, 0),
    }
    assert numbers(result.total) == (5, 3, 1, 13, 7, 9, 1)

    surveys = {s.code: s for s in result.surveys}
    assert (surveys["R1"].invited, surveys["R1"].completed, surveys["R1"].responses) == (10, 6, 6)
    assert surveys["R1"].by_bureau == {"tokyo": 5}  # Osaka's single answer is not shown
    assert surveys["R1"].response_rate == pytest.approx(0.6) and surveys["R1"].session_code == "S1"
    assert surveys["R2"].responses == 3 and surveys["R2"].by_bureau is None

    groups = {g.bureau: g for g in result.study_groups}
    assert list(groups) == ["tokyo"]  # no "online" pseudo-bureau; Osaka's proposal was never formed
    assert (groups["tokyo"].groups, groups["tokyo"].active, groups["tokyo"].members) == (1, 1, 3)
    assert (groups["tokyo"].self_run_held, groups["tokyo"].self_run_participants) == (1, 3)
    total = result.study_total
    assert (total.groups, total.active, total.self_run_held, total.self_run_participants) == (2, 2, 2, 7)
    # the substitute exchange meeting is in the review: created, held, and its participants
    osaka = next(t for t in result.by_bureau if t.key == "osaka")
    assert (osaka.exchanges, osaka.exchanges_held, osaka.exchange_participants) == (1, 1, 2)
    assert (result.total.exchanges, result.total.exchange_participants) == (1, 2)


async def test_review_files_open_and_carry_the_numbers(uow_factory):
    async with uow_factory() as uow:
        await known_year(uow)
    async with uow_factory() as uow:
        result = await review.yearly_review(uow, 2027, JST)
    book = load_workbook(io.BytesIO(review.review_workbook(result, "en")))
    assert book.sheetnames == ["By bureau", "By theme", "Surveys", "Study groups"]
    rows = [[c.value for c in row] for row in book["By bureau"].iter_rows()]
    assert rows[0][:4] == ["Bureau", "Planned", "Held", "Cancelled"]
    tokyo = next(r for r in rows if r[0] == "Tokyo")
    assert tokyo[1:11] == [3, 2, 1, 10, 4, 5, 0.8, 0, 0, 0]
    osaka = next(r for r in rows if r[0] == "Osaka")
    assert osaka[8:11] == [1, 1, 2]  # substitute exchanges created, held, their participants
    assert rows[-1][0] == "Total"
    surveys = [[c.value for c in row] for row in book["Surveys"].iter_rows(min_row=2)]
    assert surveys[0][0] == "R1" and surveys[0][4:8] == [10, 6, 0.6, 6]
    assert "fewer than 5" in surveys[1][8]
    ja = load_workbook(io.BytesIO(review.review_workbook(result, "ja")))
    assert ja.sheetnames == ["地方局別", "テーマ別", "アンケート", "自主勉強会"]
    png = review.review_chart_png(result, "ja")
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5000


async def test_an_empty_year_still_renders(uow_factory):
    async with uow_factory() as uow:
        result = await review.yearly_review(uow, 2030, JST)
    assert result.by_bureau == [] and result.total.planned == 0 and result.surveys == []
    assert review.review_chart_png(result, "en").startswith(PNG_SIGNATURE)
    assert load_workbook(io.BytesIO(review.review_workbook(result, "en"))).sheetnames[0] == "By bureau"


@pytest.mark.parametrize(("moment", "year"), [
    (datetime(2027, 4, 1, 0, 0, tzinfo=JST), 2027),
    (datetime(2027, 3, 31, 23, 59, tzinfo=JST), 2026),
    # 31 March 16:00 UTC is already 1 April in Japan.
    (datetime(2027, 3, 31, 15, 0, tzinfo=ZoneInfo("UTC")), 2027),
    (datetime(2028, 1, 15, 12, 0, tzinfo=JST), 2027),
])
def test_fiscal_year_follows_the_japanese_calendar(moment, year):
    assert review.fiscal_year_of(moment, JST) == year


def test_fiscal_year_bounds_are_april_to_april_in_japan():
    start, end = review.fiscal_year_bounds(2027, JST)
    assert (start, end) == (datetime(2027, 4, 1, tzinfo=JST), datetime(2028, 4, 1, tzinfo=JST))


def test_breakdown_hides_small_runs_and_small_cells():
    assert review.bureau_breakdown({"tokyo": 4}) is None
    assert review.bureau_breakdown({"tokyo": 3, "osaka": 3}) == {}
    assert review.bureau_breakdown({"osaka": 5, "tokyo": 7, "sapporo": 2, None: 9}) == {"tokyo": 7, "osaka": 5}


async def test_home_data_at_scale_fits_a_home_tab(uow_factory):
    """200 sessions and 500 registrations; the person is admin, Tokyo staff, lecturer and participant."""
    me = "UEVERY1"
    now = datetime(2027, 6, 1, 9, tzinfo=JST)
    async with uow_factory() as uow:
        await uow.cases.add(Case(title="受診同行", theme="medical_welfare", lecturer_user_id=me, created_by="UADMIN",
                                 created_at=CREATED))
        statuses = ("open", "confirmed", "held", "cancelled")
        for n in range(200):
            item = meeting("tokyo" if n % 2 else "osaka", now + timedelta(days=n - 20), statuses[(n // 2) % 4])
            await add_session(uow, item, confirmed=1)  # 200 registrations of others
            if n < 150:  # and 150 of mine
                uow.session.add(Registration(session_id=item.id, user_id=me, status="confirmed",
                                             registered_at=CREATED, updated_at=CREATED))
        for n in range(150):  # 150 waitlisted, 500 in all
            uow.session.add(Registration(session_id=n + 1, user_id=f"UW{n}", status="waitlisted",
                                         registered_at=CREATED, updated_at=CREATED))
        for n in range(30):
            uow.session.add(Delivery(dedupe_key=f"failed:{n}", kind="session_invitation", recipient=f"U{n:05d}",
                                     due_at=now, status="failed", last_error="user_not_found", attempts=5,
                                     created_at=now))
    actor = Actor(user_id=me, is_admin=True, staff_bureaus=frozenset({"tokyo"}), is_lecturer=True, has_profile=True,
                  pledged=True, bureau="tokyo")
    async with uow_factory() as uow:
        data = await review.home_data(uow, now, JST, actor)
    assert len(data.coordinator.sessions) == 150
    assert data.coordinator.sessions[0].session.ends_at > now  # coming sessions first
    assert len(data.staff.sessions) == sum(1 for n in range(200) if n % 2 and n >= 6)  # Tokyo, last 14 days on
    assert len(data.lecturer.cases[0].sessions) == 200
    assert data.admin.failed_total == 30 and len(data.admin.failed) == review.MAX_FAILED_SHOWN
    tokyo = next(g for g in data.admin.bureaus if g.bureau == "tokyo")
    assert tokyo.by_status == {"open": 25, "confirmed": 25, "held": 25, "cancelled": 25}
    for lang in ("ja", "en"):
        view = build_home_tab(data, lang, JST)
        assert validate_view(view) == [] and len(view["blocks"]) <= 100

"""The Home tab builders stay within Block Kit's limits whatever the amount of data, in both languages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import ids
from bot.review.blocks import build_home_tab, build_year_review, fit, text_sections
from bot.local.slack.blockkit import validate_message_blocks, validate_view
from bot.people.results import Actor
from bot.review.results import (AdminHome, BureauGlance, CoordinatorHome, HomeData, LecturerCase,
                                LecturerHome, MaterialToRead, MaterialVersion, MyStudyGroup, SessionRow,
                                StaffHome, StudyGroupGlance, StudyGroupTally, SurveyRate, SurveySummary,
                                SurveyToAnswer, Tally, YearReview)
from bot.sessions.results import SessionSummary
from config.reference import bureaus, themes
from storage.models import Case, CaseSession, Coordinator, StudyGroup
from storage.outbox_repo import FailedDelivery

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=JST)
LONG_TITLE = "外国籍の方の受診同行と通訳の手配に関する事例" * 5  # 110 characters, more than any real title


def case(number: int) -> Case:
    return Case(id=number, title=f"{LONG_TITLE}{number}", theme="medical_welfare", lecturer_user_id="ULECT",
                created_by="UADMIN", created_at=NOW)


def session(number: int, status: str = "open") -> CaseSession:
    start = NOW + timedelta(days=number)
    return CaseSession(id=number, kind="official", case_id=1, theme="medical_welfare", bureau="tokyo",
                       starts_at=start, minutes=120, capacity=30, min_participants=5,
                       deadline_at=start - timedelta(days=14), release_at=start - timedelta(days=7),
                       format="hybrid", status=status, lottery=False, created_by="UADMIN", created_at=NOW)


def person() -> Coordinator:
    return Coordinator(slack_user_id="UALL", name="全部 できる", prefecture="東京都", bureau="tokyo",
                       affiliation="public", themes=["medical_welfare"], lang="ja", nudges_enabled=True,
                       pledge_accepted_at=NOW, created_at=NOW, updated_at=NOW)


def everything(count: int = 200) -> HomeData:
    """One person holding every role, with `count` of everything (200 sessions, 500 registrations' worth)."""
    statuses = ("open", "confirmed", "held", "cancelled")
    items = [session(n, statuses[n % 4]) for n in range(1, count + 1)]
    the_case = case(1)
    my_statuses = ("confirmed", "waitlisted", "applied", "attended")
    coordinator = CoordinatorHome(
        sessions=[SessionSummary(item, the_case, 25, 3, my_statuses[i % 4]) for i, item in enumerate(items)],
        materials_to_read=[MaterialToRead(item, the_case) for item in items],
        surveys_to_answer=[SurveyToAnswer(f"R{n}", "post_session", NOW + timedelta(days=n)) for n in range(1, count)],
        study_groups=[MyStudyGroup(StudyGroup(id=n, bureau="tokyo", themes=[], channel_id=f"C{n:06d}",
                                              status="active", created_at=NOW), 6) for n in range(1, count)],
    )
    rows = [SessionRow(item, the_case, 25, 2) for item in items]
    staff = StaffHome(("osaka", "tokyo"), rows)
    versions = [MaterialVersion("material", v, v % 3, ("clean", "needs_confirmation", "confirmed", "deleted")[v % 4],
                                NOW + timedelta(minutes=v)) for v in range(1, 30)]
    lecturer = LecturerHome([LecturerCase(case(n), versions, rows) for n in range(1, 40)])
    admin = AdminHome(
        fiscal_year=2027,
        bureaus=[BureauGlance(b.code, {"open": 30, "confirmed": 20, "held": 100, "cancelled": 9}, 500, 2000)
                 for b in bureaus()],
        surveys=[SurveyRate(f"R{n}", "post_session", "open", 500, 321) for n in range(1, count)],
        study_groups=StudyGroupGlance({"forming": 3, "active": 40, "closed": 7}, 300, 12, 55),
        failed=[FailedDelivery(n, "session_invitation", f"U{n:08d}", "user_not_found", 5, NOW, n) for n in range(50)],
        failed_total=500,
    )
    actor = Actor(user_id="UALL", is_admin=True, staff_bureaus=frozenset({"tokyo", "osaka"}), is_lecturer=True,
                  has_profile=True, pledged=True, bureau="tokyo")
    return HomeData(actor, person(), coordinator, staff, lecturer, admin)


def action_ids(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        for element in block.get("elements", []) + [block.get("accessory") or {}]:
            if element.get("action_id"):
                found.append(element["action_id"])
    return found


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_role_at_once_with_large_data_fits_a_home_tab(lang):
    view = build_home_tab(everything(), lang, JST)
    assert validate_view(view) == []
    assert len(view["blocks"]) <= 100
    found = action_ids(view["blocks"])
    # Each role's section is there, truncated rather than dropped.
    for action in (ids.SESSION_LEAVE, ids.HOME_MATERIAL_READ, ids.SESSION_ROSTER, ids.MATERIAL_UPLOAD_OPEN):
        assert action in found
    text = str(view)
    assert ("ほか" in text) if lang == "ja" else ("and" in text and "more" in text)
    assert ("2027年度の概況" if lang == "ja" else "FY2027 at a glance") in text


@pytest.mark.parametrize("role", ["coordinator", "staff", "lecturer", "admin"])
def test_each_role_alone_with_large_data_fits(role):
    data = everything()
    actor_roles = {"coordinator": {}, "staff": {"staff_bureaus": frozenset({"tokyo"})},
                   "lecturer": {"is_lecturer": True}, "admin": {"is_admin": True}}[role]
    data.actor = Actor(user_id="UALL", pledged=True, **actor_roles)
    data.staff = data.staff if role == "staff" else None
    data.lecturer = data.lecturer if role == "lecturer" else None
    data.admin = data.admin if role == "admin" else None
    view = build_home_tab(data, "ja", JST)
    assert validate_view(view) == []


def test_a_newcomer_without_anything_sees_hints_not_errors():
    data = HomeData(Actor(user_id="UNEW"), None, CoordinatorHome([], [], [], []))
    view = build_home_tab(data, "ja", JST)
    assert validate_view(view) == [] and "`/jirei sessions`" in str(view)
    assert ids.SESSION_ROSTER not in action_ids(view["blocks"])


@pytest.mark.parametrize("actor, asked", [
    (Actor(user_id="UC"), True),
    (Actor(user_id="UA", is_admin=True), False),
    (Actor(user_id="US", staff_bureaus=frozenset({"tokyo"})), False),
])
def test_only_those_who_receive_material_are_asked_for_the_pledge(actor, asked):
    view = build_home_tab(HomeData(actor, None, CoordinatorHome([], [], [], [])), "ja", JST)
    assert (ids.ACCEPT_PLEDGE in action_ids(view["blocks"])) is asked


def test_staff_row_shows_status_fill_rate_and_date_in_japan_time():
    item = session(3, "confirmed")
    data = HomeData(Actor(user_id="US", staff_bureaus=frozenset({"tokyo"})), None, CoordinatorHome([], [], [], []),
                    staff=StaffHome(("tokyo",), [SessionRow(item, case(1), 12, 2)]))
    text = str(build_home_tab(data, "en", JST))
    assert "Confirmed 12/30 (40% full), waitlist 2" in text
    assert "Fri" in text and "9:00" in text  # 4 June 2027, 09:00 in Japan
    assert "開催確定" in str(build_home_tab(data, "ja", JST))


def test_lecturer_sees_each_material_state():
    versions = [MaterialVersion("material", 1, 0, "clean", NOW),
                MaterialVersion("material", 2, 3, "needs_confirmation", NOW + timedelta(hours=1))]
    data = HomeData(Actor(user_id="UL", is_lecturer=True), None, CoordinatorHome([], [], [], []),
                    lecturer=LecturerHome([LecturerCase(case(1), versions, [])]))
    text = str(build_home_tab(data, "ja", JST))
    assert "第2版 ⚠️ 要確認（指摘 3 件）" in text and "第1版 ✅ 指摘なし" in text
    assert text.index("第2版") < text.index("第1版")  # the latest version first


def test_user_text_is_escaped():
    item = session(1)
    evil = Case(id=9, title="<!channel> 事例", theme="other", created_by="U", created_at=NOW)
    data = HomeData(Actor(user_id="UL", staff_bureaus=frozenset({"tokyo"})), None, CoordinatorHome([], [], [], []),
                    staff=StaffHome(("tokyo",), [SessionRow(item, evil, 0, 0)]))
    text = str(build_home_tab(data, "ja", JST))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_year_review_message_fits_fifty_blocks_and_hides_small_breakdowns():
    tallies = [Tally(b.code, planned=10, held=8, cancelled=2, participants=80, attended=70, expected=80)
               for b in bureaus()]
    review = YearReview(
        fiscal_year=2027, starts=datetime(2027, 4, 1, tzinfo=JST), ends=datetime(2028, 4, 1, tzinfo=JST),
        by_bureau=tallies, by_theme=[Tally(th.code, planned=3, held=3) for th in themes()],
        total=Tally("total", planned=80, held=64, cancelled=16, participants=640, attended=560, expected=640),
        surveys=[SurveySummary(f"R{n}", "post_session", f"S{n}", "closed", 30, 20, 20, {"tokyo": 12, "osaka": 8})
                 for n in range(1, 200)] + [SurveySummary("R200", "post_session", None, "open", 4, 3, 3, None)],
        study_groups=[StudyGroupTally(b.code, 3, 2, 15, 4, 20) for b in bureaus()],
    )
    for lang in ("ja", "en"):
        blocks = build_year_review(review, lang, JST)
        assert validate_message_blocks(blocks) == [] and len(blocks) <= 50
    text = str(build_year_review(review, "ja", JST))
    assert "2027年4月1日(木) 〜 2028年3月31日(金)" in text
    assert "出席率 88%" in text  # 70 of 80
    assert "回答者が 5 人未満のため内訳は示しません" in text


def test_text_sections_and_fit_respect_limits():
    blocks = text_sections(["あ" * 1000] * 7)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks) and len(blocks) == 4
    cut = fit([{"type": "divider"}] * 120, 100, "en")
    assert len(cut) == 100 and cut[-1]["type"] == "context" and "21 more" in str(cut[-1])

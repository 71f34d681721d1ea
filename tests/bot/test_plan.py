"""Plan loading: YAML, CSV and .xlsx; everything validated first; loading twice adds nothing."""

import io
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from bot.sessions import plan as plans

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
JST = ZoneInfo("Asia/Tokyo")


async def load(uow_factory, now, data: bytes, filename: str) -> plans.PlanResult:
    plan = plans.parse_plan(data, filename, JST)
    async with uow_factory() as uow:
        return await plans.load_plan(uow, now, plan)


async def counts(uow_factory) -> tuple[int, int]:
    async with uow_factory() as uow:
        return len(await uow.cases.all()), len(await uow.sessions.all())


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


CASE_HEADER = ["key", "title", "theme", "lecturer"]
SESSION_HEADER = ["case", "bureau", "start", "minutes", "capacity", "min", "deadline", "release", "format",
                  "facilitator", "url", "lottery"]


def plan_workbook(capacity=30) -> bytes:
    return workbook_bytes({
        "cases": [CASE_HEADER, ["edu1", "日本語教室に通えない子ども", "教育", "U0LECT002"],
                  ["dv1", "DV被害を打ち明けられたとき", "family_dv", None]],
        "sessions": [SESSION_HEADER,
                     ["edu1", "名古屋", datetime(2035, 9, 9, 14, 0), 120, capacity, 5, datetime(2035, 8, 31, 17, 0),
                      datetime(2035, 9, 2, 9, 0), "hybrid", "U0STAFF02", None, False],
                     ["dv1", "sendai", "2035-09-16 13:30", 90, 20, 4, "2035/09/07 17:00", None, "in_person", None,
                      None, None]],
        "notes": [["anything the secretariat keeps here is ignored"]],
    })


async def test_yaml_plan_creates_cases_and_sessions_then_nothing_on_reload(uow_factory, clock):
    data = (FIXTURES / "plan.yaml").read_bytes()
    first = await load(uow_factory, clock.now(), data, "plan.yaml")
    assert (first.cases_new, first.sessions_new) == (2, 3)
    assert first.created == ("C1", "C2", "S1", "S2", "S3")
    second = await load(uow_factory, clock.now(), data, "plan.yaml")
    assert (second.cases_new, second.cases_unchanged, second.sessions_new, second.sessions_unchanged) == (0, 2, 0, 3)
    assert second.summary() == "plan loaded: cases 0 new, 2 unchanged; sessions 0 new, 3 unchanged"
    assert await counts(uow_factory) == (2, 3)
    async with uow_factory() as uow:
        med, imm = await uow.cases.all()
        tokyo, osaka, fukuoka = await uow.sessions.all()
        lecturer_roles = await uow.roles.of("U0LECT001")
        audit = await uow.audit.entries(action="plan.load")
    assert (med.theme, med.lecturer_user_id, imm.theme, imm.lecturer_user_id) == (
        "medical_welfare", "U0LECT001", "immigration", None)
    assert [r.role for r in lecturer_roles] == ["lecturer"]
    assert (tokyo.case_id, tokyo.bureau, tokyo.minutes, tokyo.capacity, tokyo.min_participants) == (med.id, "tokyo", 120, 30, 5)
    # Japan time in the file, UTC in the database.
    assert tokyo.starts_at == datetime(2035, 6, 10, 5, 0, tzinfo=timezone.utc)
    assert tokyo.release_at == datetime(2035, 6, 3, 0, 0, tzinfo=timezone.utc)
    assert (tokyo.facilitator_user_id, tokyo.online_url, tokyo.format) == (
        "U0STAFF01", "https://meet.example.jp/med1-tokyo", "hybrid")
    assert (osaka.bureau, osaka.lottery, osaka.status) == ("osaka", True, "open")
    assert (fukuoka.case_id, fukuoka.release_at, fukuoka.lottery) == (imm.id, None, False)
    assert [e.actor for e in audit] == ["cli", "cli"]
    assert audit[0].detail == {"cases_new": 2, "sessions_new": 3}


async def test_xlsx_plan_with_two_sheets_loads_and_is_idempotent(uow_factory, clock):
    first = await load(uow_factory, clock.now(), plan_workbook(), "plan.xlsx")
    second = await load(uow_factory, clock.now(), plan_workbook(), "plan.xlsx")
    assert (first.cases_new, first.sessions_new) == (2, 2)
    assert (second.cases_new, second.sessions_new, second.sessions_unchanged) == (0, 0, 2)
    async with uow_factory() as uow:
        nagoya, sendai = await uow.sessions.all()
    assert nagoya.bureau == "nagoya" and nagoya.starts_at == datetime(2035, 9, 9, 5, 0, tzinfo=timezone.utc)
    assert (sendai.format, sendai.deadline_at) == ("in_person", datetime(2035, 9, 7, 8, 0, tzinfo=timezone.utc))


async def test_csv_plan_with_a_type_column_loads(uow_factory, clock):
    result = await load(uow_factory, clock.now(), (FIXTURES / "plan.csv").read_bytes(), "plan.csv")
    assert (result.cases_new, result.sessions_new) == (1, 2)
    async with uow_factory() as uow:
        (case,) = await uow.cases.all()
        nagoya, sendai = await uow.sessions.all()
    assert (case.title, case.theme) == ("日本語教室に通えない子ども", "education")
    assert nagoya.starts_at == datetime(2035, 9, 9, 5, 0, tzinfo=timezone.utc)
    assert sendai.starts_at == datetime(2035, 9, 16, 4, 30, tzinfo=timezone.utc) and sendai.release_at is None


async def test_one_invalid_session_writes_nothing_and_names_the_entry(uow_factory, clock):
    text = (FIXTURES / "plan.yaml").read_text(encoding="utf-8").replace(
        'deadline: "2035-06-08 17:00"', 'deadline: "2035-06-18 17:00"')
    with pytest.raises(plans.PlanError) as caught:
        await load(uow_factory, clock.now(), text.encode(), "plan.yaml")
    assert str(caught.value) == "session 2, deadline: the deadline must be before the start"
    assert await counts(uow_factory) == (0, 0)


async def test_a_bad_cell_in_a_sheet_names_sheet_row_and_column(uow_factory, clock):
    with pytest.raises(plans.PlanError) as caught:
        await load(uow_factory, clock.now(), plan_workbook(capacity="many"), "plan.xlsx")
    assert str(caught.value) == 'sheet sessions, row 2, capacity: must be a whole number, not "many"'
    assert await counts(uow_factory) == (0, 0)


async def test_sessions_of_an_existing_case_are_added_by_its_code(uow_factory, clock):
    await load(uow_factory, clock.now(), (FIXTURES / "plan.yaml").read_bytes(), "plan.yaml")
    extra = b"""sessions:
  - {case: C2, bureau: hiroshima, start: "2035-07-15 10:00", minutes: 120, capacity: 20, min: 4,
     deadline: "2035-07-05 17:00"}
"""
    result = await load(uow_factory, clock.now(), extra, "more.yaml")
    assert (result.cases_new, result.sessions_new) == (0, 1)
    with pytest.raises(plans.PlanError, match=r"^session 1, case: no case C9 in the bot$"):
        await load(uow_factory, clock.now(), extra.replace(b"C2", b"C9"), "more.yaml")


async def test_reloading_after_the_sessions_took_place_is_still_unchanged(uow_factory, clock):
    data = (FIXTURES / "plan.yaml").read_bytes()
    await load(uow_factory, clock.now(), data, "plan.yaml")
    # Past sessions already in the bot are matched, not re-validated.
    later = await load(uow_factory, datetime(2036, 1, 1, tzinfo=JST), data, "plan.yaml")
    assert (later.sessions_new, later.sessions_unchanged) == (0, 3)


async def test_a_new_session_in_the_past_is_refused(uow_factory, clock):
    data = (FIXTURES / "plan.csv").read_bytes().replace(b"2035/09/09 14:00", b"2026/09/09 14:00")
    with pytest.raises(plans.PlanError, match=r"^row 3, start: the start is in the past$"):
        await load(uow_factory, clock.now(), data, "plan.csv")
    assert await counts(uow_factory) == (0, 0)


@pytest.mark.parametrize("change, message", [
    (("theme: immigration", "theme: astronomy"), 'case 2, theme: unknown theme "astronomy"'),
    (("capacity: 20", "capacty: 20"), "session 3, capacty: unknown field"),
    (("bureau: fukuoka", "bureau: naha"), 'session 3, bureau: unknown bureau "naha"'),
    (("case: imm1", "case: imm2"), 'session 3, case: "imm2" is neither a case key of this file'),
    (('start: "2035-07-08 10:00"', 'start: "2035-07-08"'), "session 3, start: not a date and time"),
    (("format: hybrid", "format: zoom"), "session 1, format: must be one of hybrid, online, in_person"),
    (("facilitator: U0STAFF01", "facilitator: taro"), 'session 1, facilitator: not a Slack user id: "taro"'),
    (("url: https://", "url: ftp://"), "session 1, url: must be an https:// address"),
    (("minutes: 90", "minutes: 20"), "session 2, minutes: minutes must be between 30 and 480"),
    (("min: 4", "min: 40"), "session 3, capacity: capacity must be at least min"),
    (("key: imm1", "key: med1"), 'case 2, key: "med1" is already used by case 1'),
])
async def test_every_problem_names_entry_field_and_cause(uow_factory, clock, change, message):
    text = (FIXTURES / "plan.yaml").read_text(encoding="utf-8").replace(*change)
    with pytest.raises(plans.PlanError) as caught:
        await load(uow_factory, clock.now(), text.encode(), "plan.yaml")
    assert str(caught.value).startswith(message)
    assert await counts(uow_factory) == (0, 0)


def test_a_single_sheet_without_a_type_column_is_explained():
    with pytest.raises(plans.PlanError, match="needs a 'type' column"):
        plans.parse_plan(b"case,bureau\nmed1,tokyo\n", "plan.csv", JST)


def test_yaml_that_is_not_a_plan_is_refused():
    with pytest.raises(plans.PlanError, match="expected a YAML mapping"):
        plans.parse_plan(b"- just a list\n", "plan.yaml", JST)
    with pytest.raises(plans.PlanError, match="not valid UTF-8 YAML"):
        plans.parse_plan(b"cases: [\n", "plan.yaml", JST)


@pytest.mark.parametrize("text, expected", [
    ("2035-06-10 14:00", datetime(2035, 6, 10, 14, 0, tzinfo=JST)),
    ("2035/6/1 9:05", datetime(2035, 6, 1, 9, 5, tzinfo=JST)),
    ("2035-06-10T14:00:30", datetime(2035, 6, 10, 14, 0, 30, tzinfo=JST)),
    ("2035-06-10T05:00Z", datetime(2035, 6, 10, 14, 0, tzinfo=JST)),
    ("2035-06-10 14:00+09:00", datetime(2035, 6, 10, 14, 0, tzinfo=JST)),
    ("2035-06-10 06:00+0100", datetime(2035, 6, 10, 14, 0, tzinfo=JST)),
    ("2035-06-10", None),
    ("2035-02-30 10:00", None),
    ("next tuesday", None),
])
def test_moments_without_an_offset_are_japan_time(text, expected):
    assert plans.parse_moment(text, JST) == expected

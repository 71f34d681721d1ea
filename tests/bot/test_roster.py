"""Roster import: validate every row first, refuse a bad file whole, upsert without duplicates."""

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.people import roster

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PREFECTURES = ["沖縄県", "東京都", "大阪府", "北海道", "宮城県", "愛知県", "広島県", "香川県", "福岡県"]
HEADER = ["slack_user_id", "name", "prefecture", "affiliation", "themes", "lang"]


def roster_rows(count: int, *, name_suffix: str = "") -> list[list[str]]:
    rows = []
    for i in range(1, count + 1):
        rows.append([f"U{i:08d}", f"認証者 {i}{name_suffix}", PREFECTURES[i % len(PREFECTURES)],
                     ("公的", "民間", "public", "private")[i % 4], ("医療・福祉;教育", "immigration、labor", "")[i % 3],
                     ("ja", "en", "")[i % 3]])
    return rows


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([HEADER] + rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def _import(uow_factory, now, data: bytes, filename: str) -> roster.ImportResult:
    entries = roster.parse_roster(data, filename)
    async with uow_factory() as uow:
        return await roster.import_roster(uow, now, entries)


async def test_importing_the_same_200_rows_twice_leaves_200_coordinators(uow_factory, clock):
    data = csv_bytes(roster_rows(200))
    first = await _import(uow_factory, clock.now(), data, "roster.csv")
    second = await _import(uow_factory, clock.now(), data, "roster.csv")
    assert (first.total, first.created, first.updated) == (200, 200, 0)
    assert (second.total, second.created, second.updated) == (200, 0, 200)
    assert second.summary() == "imported 200 coordinators (0 new, 200 updated)"
    async with uow_factory() as uow:
        assert await uow.coordinators.count() == 200
        okinawa = [p for p in await uow.coordinators.active() if p.prefecture == "沖縄県"]
        audit = await uow.audit.entries(action="roster.import")
    assert okinawa and {p.bureau for p in okinawa} == {"fukuoka"}
    assert [e.detail for e in audit] == [{"total": 200, "created": 200, "updated": 0},
                                         {"total": 200, "created": 0, "updated": 200}]
    assert "認証者" not in repr([e.detail for e in audit])


async def test_reimport_updates_changed_people_and_keeps_what_an_empty_cell_leaves(uow_factory, clock):
    await _import(uow_factory, clock.now(), csv_bytes([["U0PERSON1", "佐藤 花子", "東京", "公的", "教育", "en"]]), "r.csv")
    changed = [["U0PERSON1", "佐藤 花子", "沖縄", "民間", "", ""], ["U0PERSON2", "Maria", "京都", "private", "", ""]]
    result = await _import(uow_factory, clock.now(), csv_bytes(changed), "r.csv")
    assert (result.created, result.updated) == (1, 1)
    async with uow_factory() as uow:
        sato, maria = await uow.coordinators.get("U0PERSON1"), await uow.coordinators.get("U0PERSON2")
    assert (sato.prefecture, sato.bureau, sato.affiliation) == ("沖縄県", "fukuoka", "private")
    assert (sato.themes, sato.lang) == (["education"], "en")  # empty cells left them as they were
    assert (maria.bureau, maria.themes, maria.lang, maria.profile_complete) == ("osaka", [], "ja", True)


async def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(uow_factory, clock):
    rows = roster_rows(30)
    rows[15][2] = "東京都市"  # data row 16 is spreadsheet row 17 (the header is row 1)
    rows[20][0] = "not-an-id"  # a later problem is not the one reported
    with pytest.raises(roster.RosterError) as caught:
        roster.parse_roster(csv_bytes(rows), "roster.csv")
    assert str(caught.value) == 'row 17, column prefecture: unknown prefecture "東京都市"'
    assert (caught.value.row, caught.value.column) == (17, "prefecture")
    async with uow_factory() as uow:
        assert await uow.coordinators.count() == 0


@pytest.mark.parametrize("column, value, problem", [
    (0, "u123", 'not a Slack user id: "u123"'),
    (0, "", "missing"),
    (1, "", "missing"),
    (1, "<@U1>", "give a name"),
    (3, "自営", "affiliation must be public or private"),
    (4, "教育;宇宙", 'unknown theme "宇宙"'),
    (5, "fr", 'lang must be ja or en, not "fr"'),
])
def test_each_column_is_checked(column, value, problem):
    rows = roster_rows(3)
    rows[1][column] = value
    with pytest.raises(roster.RosterError) as caught:
        roster.parse_roster(csv_bytes(rows), "roster.csv")
    assert caught.value.row == 3 and caught.value.column == HEADER[column]
    assert problem in caught.value.problem


def test_a_slack_id_twice_in_the_file_is_refused_at_its_second_row():
    rows = roster_rows(5)
    rows[4][0] = rows[1][0]
    with pytest.raises(roster.RosterError, match=r"^row 6, column slack_user_id: U00000002 is already on row 3$"):
        roster.parse_roster(csv_bytes(rows), "roster.csv")


def test_a_missing_required_column_is_named():
    data = "slack_user_id,name,affiliation\nU0AAA01,佐藤,公的\n".encode()
    with pytest.raises(roster.RosterError, match="row 1, column prefecture: the header has no column 'prefecture'"):
        roster.parse_roster(data, "roster.csv")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
async def test_bom_plain_and_cp932_csv_all_import(uow_factory, clock, encoding):
    rows = roster_rows(12)
    result = await _import(uow_factory, clock.now(), csv_bytes(rows, encoding), "roster.csv")
    assert result.created == 12
    async with uow_factory() as uow:
        person = await uow.coordinators.get("U00000001")
    assert person.name == "認証者 1" and person.prefecture == "東京都"


async def test_an_xlsx_roster_with_japanese_headers_imports(uow_factory, clock):
    data = xlsx_bytes(roster_rows(9), header=["SlackユーザーID", "氏名", "都道府県", "所属", "テーマ", "言語"])
    result = await _import(uow_factory, clock.now(), data, "名簿.xlsx")
    assert result.created == 9
    async with uow_factory() as uow:
        person = await uow.coordinators.get("U00000009")
    assert (person.prefecture, person.bureau, person.affiliation) == ("沖縄県", "fukuoka", "private")


async def test_the_fixture_roster_reads_themes_in_every_separator(uow_factory, clock):
    await _import(uow_factory, clock.now(), (FIXTURES / "roster_sample.csv").read_bytes(), "roster_sample.csv")
    async with uow_factory() as uow:
        people = {p.slack_user_id: p for p in await uow.coordinators.active()}
    assert people["U0SAMPLE01"].themes == ["medical_welfare", "education"]
    assert people["U0SAMPLE01"].bureau == "fukuoka"
    assert people["U0SAMPLE02"].themes == ["immigration", "labor"] and people["U0SAMPLE02"].lang == "en"
    assert people["U0SAMPLE03"].prefecture == "大阪府" and people["U0SAMPLE03"].themes == []
    assert people["U0SAMPLE04"].themes == ["family_dv", "culture_religion"]


async def test_progress_is_reported_for_every_row(uow_factory, clock):
    seen = []
    entries = roster.parse_roster(csv_bytes(roster_rows(5)), "roster.csv")
    async with uow_factory() as uow:
        await roster.import_roster(uow, clock.now(), entries, on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 5) for i in range(1, 6)]

"""The spreadsheet writers and readers: files Japanese Excel opens cleanly, and the files it writes."""

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from openpyxl import Workbook, load_workbook

from bot.core import exports

TABLE = exports.Table(
    columns=("slack_user_id", "name", "themes", "pledge_accepted_at", "group"),
    rows=[
        ("U0AAA01", "佐藤 花子", ["medical_welfare", "education"], datetime(2027, 4, 1, 0, 0, tzinfo=timezone.utc), 1),
        ("U0AAA02", "=HYPERLINK(\"http://evil\")", [], None, None),
    ],
    title="coordinators",
)


def test_json_keeps_japanese_readable():
    data = exports.to_json({"name": "佐藤 花子", "at": datetime(2027, 4, 1, tzinfo=timezone.utc)})
    assert "佐藤 花子".encode() in data
    assert json.loads(data) == {"name": "佐藤 花子", "at": "2027-04-01T00:00:00+00:00"}


def test_csv_starts_with_a_bom_and_reads_back_as_utf8():
    data = exports.to_csv(TABLE)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(TABLE.columns)
    assert rows[1] == ["U0AAA01", "佐藤 花子", "medical_welfare;education", "2027-04-01T00:00:00+00:00", "1"]
    # A formula a person typed as their name stays inert text.
    assert rows[2][1].startswith("'=") and rows[2][2:] == ["", "", ""]
    assert b"\r\n" in data  # Excel's line ends


@pytest.mark.parametrize("typed", ["=1+1", "+1", "-1", "@SUM(A1)", "＝1+1", "＋1", "－1", "＠SUM(A1)",
                                   "\t=1+1", "\r=1+1", "\n=1+1"])
def test_every_formula_start_is_neutralised_full_width_and_whitespace_included(typed):
    assert str(exports.cell_text(typed)).startswith("'")


def test_cells_carry_no_control_characters():
    cell = exports.cell_text("佐藤\x1b[2J\x00\ufeff\u200b\u202e花子\x07")
    assert cell == "佐藤[2J花子"
    assert exports.cell_text("一行目\r\n二行目") == "一行目\n二行目"  # free text keeps its lines


def test_xlsx_opens_with_a_frozen_bold_header_and_sized_columns():
    book = load_workbook(io.BytesIO(exports.to_xlsx(TABLE)))
    sheet = book.active
    assert sheet.title == "coordinators"
    assert [c.value for c in sheet[1]] == list(TABLE.columns)
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet["B2"].value == "佐藤 花子"
    assert sheet["C2"].value == "medical_welfare;education"
    assert sheet["E2"].value == 1
    assert sheet["B3"].data_type == "s" and sheet["B3"].value.startswith("'=")
    widths = {col: sheet.column_dimensions[col].width for col in "ABCDE"}
    assert widths["C"] > widths["E"]  # sized by content, within bounds
    assert all(exports.MIN_COLUMN_WIDTH <= w <= exports.MAX_COLUMN_WIDTH for w in widths.values())


def test_full_width_characters_count_double():
    assert exports.display_width("佐藤") == 4
    assert exports.display_width("Sato") == 4


def test_sheet_titles_are_made_acceptable_to_excel():
    assert exports.sheet_title("S1/registrations: [all]") == "S1registrations all"
    assert len(exports.sheet_title("x" * 50)) == 31


def test_render_dispatches_on_format():
    assert exports.render({"a": 1}, TABLE, "json") == exports.to_json({"a": 1})
    assert exports.render({}, TABLE, "csv").startswith(b"\xef\xbb\xbf")
    assert exports.render({}, TABLE, "xlsx")[:2] == b"PK"
    with pytest.raises(ValueError):
        exports.render({}, TABLE, "pdf")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_csv_is_read_in_every_encoding_excel_writes(encoding):
    text = "Slack_User_ID, 氏名 \r\nU0AAA01,佐藤 花子\r\n,\r\nU0AAA02,高橋 美咲\r\n"
    sheet = exports.read_csv(text.encode(encoding), aliases={"氏名": "name"})
    assert sheet.columns == ("slack_user_id", "name")
    # The blank row is skipped; numbers stay those the spreadsheet shows.
    assert [(r.number, r.values["name"]) for r in sheet.rows] == [(2, "佐藤 花子"), (4, "高橋 美咲")]


def test_bytes_that_are_neither_utf8_nor_cp932_are_refused():
    with pytest.raises(exports.SheetError, match="neither UTF-8 nor Shift_JIS"):
        exports.decode_csv(b"\x81\x20\xff\xfe")


def test_xlsx_sheets_are_read_with_spreadsheet_row_numbers():
    book = Workbook()
    first = book.active
    first.title = "cases"
    first.append(["key", "minutes", "start"])
    first.append([None, None, None])
    first.append(["med1", 120.0, datetime(2035, 6, 10, 14, 0)])
    book.create_sheet("notes")  # empty: ignored
    buffer = io.BytesIO()
    book.save(buffer)
    sheets = exports.read_sheets(buffer.getvalue(), "plan.xlsx")
    assert [s.name for s in sheets] == ["cases"]
    row = sheets[0].rows[0]
    assert row.number == 3
    assert row.values == {"key": "med1", "minutes": "120", "start": "2035-06-10 14:00:00"}


def test_unsupported_files_are_refused_by_name():
    with pytest.raises(exports.SheetError, match="xls"):
        exports.read_sheets(b"", "roster.xls")
    with pytest.raises(exports.SheetError, match="unsupported"):
        exports.read_sheets(b"", "roster.pdf")
    with pytest.raises(exports.SheetError, match="not a readable"):
        exports.read_sheets(b"not a zip", "roster.xlsx")

"""Spreadsheet interop: the writers every export shares, and the readers the imports share.

Writing (JSON, CSV and Excel that open cleanly in Japan):

An export is a JSON document (the contract in DESIGN §3) plus a `Table`, the document's main
list flattened with the same column names, for CSV and .xlsx:

- JSON: UTF-8, `ensure_ascii=False` so Japanese stays readable, indented.
- CSV: UTF-8 **with a BOM** and CRLF line ends. Excel in a Japanese locale assumes Shift_JIS
  for a CSV without a BOM and shows mojibake; with it, Excel reads UTF-8.
- .xlsx: one sheet, a bold header row, the header frozen, an auto-filter, and column widths
  from the content (full-width characters count double).

Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, their full-width forms, or a
tab or line break at the start of text) are neutralised, and control characters a terminal would
act on are dropped: names and titles come from people, and a file the secretariat opens (or an
export printed to a terminal) must not execute them.

Reading (`read_sheets`): the secretariat's CSV (UTF-8 with or without a BOM, or cp932, what
Japanese Excel writes by default) or .xlsx, as `Sheet`s of rows keyed by normalised header,
every cell as stripped text, each row with the number a spreadsheet shows (header = row 1).
"""

from __future__ import annotations

import csv
import io
import json
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Iterable, Mapping, Sequence

from bot.core.text import clean_input

FORMATS = ("json", "csv", "xlsx")
LIST_SEPARATOR = ";"
MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH = 8, 60
# Excel refuses sheet titles over 31 characters or with any of these characters.
_MAX_SHEET_TITLE = 31
_SHEET_TITLE_FORBIDDEN = set("[]:*?/\\")
# Japanese input methods type the full-width forms, which Excel and LibreOffice read as the ASCII ones.
_FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r", "\n")


@dataclass(frozen=True)
class Table:
    """A flat list of records: the columns, in order, and one tuple of cells per row."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    title: str = "export"

    @classmethod
    def from_records(cls, columns: Sequence[str], records: Iterable[Mapping[str, Any]],
                     title: str = "export") -> "Table":
        return cls(tuple(columns), [tuple(record.get(name) for name in columns) for record in records], title)


def local_iso(moment: datetime | None, tz: tzinfo) -> str | None:
    """A stored (UTC) time as people read it: ISO 8601 in Japan time, with its offset (+09:00)."""
    return moment.astimezone(tz).isoformat() if moment else None


def cell_text(value: Any) -> str | int | float:
    """A cell as CSV and Excel show it: None empty, lists joined, times in ISO 8601, text inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = LIST_SEPARATOR.join(str(item) for item in value)
    return inert(str(value))


def inert(text: str) -> str:
    """Text a spreadsheet shows as text and a terminal prints as text: no formula, no control character."""
    text = clean_input(text, multiline=True)
    # Some spreadsheets skip leading blanks before they look for a formula.
    return "'" + text if text.lstrip(" \n\u3000").startswith(_FORMULA_STARTS) else text


def to_json(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2, default=_json_default) + "\n").encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot export a {type(value).__name__} as JSON")


def write_private_file(path: str, data: bytes, *, overwrite: bool) -> None:
    """Write a file readable by its owner only (0600): exports and anonymised proposals may hold
    what people wrote. An existing file is kept (FileExistsError) unless `overwrite`."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, 0o600)  # an overwritten file keeps its old mode otherwise
        file.write(data)


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([cell_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: full-width (Japanese) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("F", "W") else 1 for ch in text)


def column_widths(table: Table) -> list[int]:
    widths = []
    for index, name in enumerate(table.columns):
        longest = max([display_width(name)] + [display_width(str(cell_text(row[index]))) for row in table.rows])
        widths.append(max(MIN_COLUMN_WIDTH, min(MAX_COLUMN_WIDTH, longest + 2)))
    return widths


def sheet_title(title: str) -> str:
    return "".join(ch for ch in title if ch not in _SHEET_TITLE_FORBIDDEN)[:_MAX_SHEET_TITLE] or "Sheet"


def to_xlsx(table: Table) -> bytes:
    # openpyxl is imported where a workbook is made: the bot would otherwise carry it from start-up.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(table.title)
    sheet.append(list(table.columns))
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for row in table.rows:
        sheet.append([cell_text(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # Text stays text: openpyxl would otherwise store "=..." as a formula.
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    for index, width in enumerate(column_widths(table), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(document: Any, table: Table, fmt: str) -> bytes:
    """The export in `fmt`: the JSON document itself, or its table as CSV or .xlsx."""
    if fmt == "json":
        return to_json(document)
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    raise ValueError(f"unknown export format {fmt!r}")


# --- reading ----------------------------------------------------------------------------------


class SheetError(ValueError):
    """A file that cannot be read as a table at all (encoding, format, no header)."""


@dataclass(frozen=True)
class SheetRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[str, ...]
    rows: list[SheetRow]


def normalise_header(text: str, aliases: Mapping[str, str] | None = None) -> str:
    key = text.strip().lstrip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")
    return (aliases or {}).get(key, key)


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM or not) first; then cp932, the encoding Japanese Excel saves CSV in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: Excel's own Japanese encoding is the only other one accepted.
        try:
            return data.decode("cp932")
        except UnicodeDecodeError:
            raise SheetError("the CSV is neither UTF-8 nor Shift_JIS (cp932)") from None


def _cell_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return clean_input(str(value)).strip()


def _sheet(name: str, raw_rows: Iterable[Sequence[Any]], aliases: Mapping[str, str] | None) -> Sheet:
    rows_iter = iter(raw_rows)
    header: tuple[str, ...] = ()
    number = 0
    for raw in rows_iter:
        number += 1
        if any(_cell_str(cell) for cell in raw):
            header = tuple(normalise_header(_cell_str(cell), aliases) for cell in raw)
            break
    if not header:
        raise SheetError(f"sheet {name!r} has no header row" if name else "the file has no header row")
    rows = []
    for raw in rows_iter:
        number += 1
        cells = [_cell_str(cell) for cell in raw]
        if not any(cells):
            continue  # spreadsheets often carry blank rows at the end
        values = {column: cells[i] if i < len(cells) else "" for i, column in enumerate(header) if column}
        rows.append(SheetRow(number, values))
    return Sheet(name, tuple(column for column in header if column), rows)


def read_csv(data: bytes, aliases: Mapping[str, str] | None = None) -> Sheet:
    text = decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _sheet("", reader, aliases)
    except csv.Error as err:
        if "field limit" in str(err):
            raise SheetError(f"line {reader.line_num}: a cell is larger than {csv.field_size_limit() // 1024} KiB") from None
        raise SheetError(f"line {reader.line_num}: {err}") from None


def read_xlsx(data: bytes, aliases: Mapping[str, str] | None = None) -> list[Sheet]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as err:
        raise SheetError(f"not a readable .xlsx workbook ({type(err).__name__})") from None
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            try:
                sheets.append(_sheet(worksheet.title, worksheet.iter_rows(values_only=True), aliases))
            except SheetError:
                continue  # an empty extra sheet (notes, a cover page) is not an error
        if not sheets:
            raise SheetError("the workbook has no sheet with a header row")
        return sheets
    finally:
        workbook.close()


def read_sheets(data: bytes, filename: str, aliases: Mapping[str, str] | None = None) -> list[Sheet]:
    """Every table in a CSV (one) or .xlsx (one per non-empty sheet) file."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix in ("xlsx", "xlsm"):
        return read_xlsx(data, aliases)
    if suffix in ("csv", "txt"):
        return [read_csv(data, aliases)]
    if suffix == "xls":
        raise SheetError("old .xls workbooks are not supported: save as .xlsx or CSV")
    raise SheetError(f"unsupported file type {filename!r}: give a .csv or .xlsx file")

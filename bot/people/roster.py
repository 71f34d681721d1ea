"""Importing coordinators from the secretariat's roster (CSV or .xlsx).

The layout: a header row, then one coordinator per row, with the columns

    slack_user_id, name, prefecture, affiliation, themes, lang

(Japanese headers are accepted too: SlackユーザーID, 氏名, 都道府県, 所属, テーマ, 言語; other
columns are ignored, so a sheet may carry the secretariat's own notes.)

- `slack_user_id` like `U012ABCDEF` (or `W…`), once per file; required.
- `name`, `prefecture` (東京都, 東京, 沖縄 …), `affiliation` (public/private, 公的/民間): required.
  The prefecture decides the bureau (沖縄県 → fukuoka).
- `themes`: codes or Japanese names separated by `;`, `、` or `,`. `lang`: `ja` or `en`. Both
  optional: an empty cell leaves a known person's value as it is (a new person gets no themes, ja).

Every row is validated before anything is written; the first problem refuses the whole file as
`row 17, column prefecture: unknown prefecture "東京都市"` (row numbers as the spreadsheet shows
them, the header being row 1). Then everyone is upserted by Slack user id in one transaction:
re-importing a file updates people, it never duplicates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from bot.core.exports import Sheet, SheetError, read_sheets
from bot.people.service import MAX_NAME, ProfileError, validate_profile
from storage.models import Coordinator
from storage.uow import UnitOfWork

COLUMNS = ("slack_user_id", "name", "prefecture", "affiliation", "themes", "lang")
REQUIRED = ("slack_user_id", "name", "prefecture", "affiliation")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
HEADER_ALIASES = {
    "slack_id": "slack_user_id", "user_id": "slack_user_id", "slackユーザーid": "slack_user_id",
    "slack_user": "slack_user_id", "氏名": "name", "名前": "name", "都道府県": "prefecture",
    "所属": "affiliation", "所属区分": "affiliation", "テーマ": "themes", "関心テーマ": "themes",
    "theme": "themes", "言語": "lang", "language": "lang",
}
# Lookups of known people go in chunks: databases cap the parameters of one statement.
_LOOKUP_CHUNK = 500

# Operators read these in a terminal: English one-liners (not a Slack user's catalog text).
_PROBLEMS = {
    "profile.error.name": f"give a name of 1 to {MAX_NAME} characters, without \"<\" or \"@\"",
    "profile.error.prefecture": 'unknown prefecture "{value}"',
    "profile.error.affiliation": 'affiliation must be public or private (公的/民間), not "{value}"',
    "profile.error.theme": 'unknown theme "{value}"',
    "profile.error.lang": 'lang must be ja or en, not "{value}"',
}


class RosterError(ValueError):
    """The file is refused: `row` and `column` name the first problem (row 0: the file itself)."""

    def __init__(self, row: int, column: str, problem: str) -> None:
        self.row, self.column, self.problem = row, column, problem
        super().__init__(f"row {row}, column {column}: {problem}" if row else problem)


@dataclass(frozen=True)
class RosterEntry:
    """One validated row. `themes`/`lang` are None when the cell was empty (leave as is)."""

    row: int
    slack_user_id: str
    name: str
    prefecture: str
    bureau: str
    affiliation: str
    themes: tuple[str, ...] | None
    lang: str | None


@dataclass(frozen=True)
class ImportResult:
    total: int
    created: int
    updated: int

    def summary(self) -> str:
        return f"imported {self.total} coordinators ({self.created} new, {self.updated} updated)"


def parse_roster(data: bytes, filename: str) -> list[RosterEntry]:
    """Read and validate a whole roster file; raise RosterError for the first bad cell."""
    try:
        sheets = read_sheets(data, filename, HEADER_ALIASES)
    except SheetError as err:
        raise RosterError(0, "", str(err)) from None
    return validate_roster(sheets[0])


def validate_roster(sheet: Sheet) -> list[RosterEntry]:
    missing = [column for column in REQUIRED if column not in sheet.columns]
    if missing:
        raise RosterError(1, missing[0], f"the header has no column {missing[0]!r} (columns: {', '.join(COLUMNS)})")
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    for row in sheet.rows:
        entry = _validate_row(row.number, row.values)
        if entry.slack_user_id in seen:
            raise RosterError(row.number, "slack_user_id",
                              f"{entry.slack_user_id} is already on row {seen[entry.slack_user_id]}")
        seen[entry.slack_user_id] = row.number
        entries.append(entry)
    return entries


def _validate_row(number: int, values: dict[str, str]) -> RosterEntry:
    user_id = values.get("slack_user_id", "").strip()
    if not SLACK_USER_ID.match(user_id):
        raise RosterError(number, "slack_user_id",
                          f'not a Slack user id: "{user_id[:40]}" (like U012ABCDEF)' if user_id else "missing")
    profile: dict[str, object] = {}
    for column in COLUMNS[1:]:
        raw = values.get(column, "").strip()
        if not raw:
            if column in REQUIRED:
                raise RosterError(number, column, "missing")
            continue
        if column == "themes":
            raw = raw.replace(";", ",").replace("；", ",")
        try:
            profile.update(validate_profile({column: raw}).values)
        except ProfileError as err:
            raise RosterError(number, column, _problem(err, raw)) from None
    return RosterEntry(
        row=number, slack_user_id=user_id, name=str(profile["name"]), prefecture=str(profile["prefecture"]),
        bureau=str(profile["bureau"]), affiliation=str(profile["affiliation"]),
        themes=tuple(profile["themes"]) if "themes" in profile else None,
        lang=str(profile["lang"]) if "lang" in profile else None,
    )


def _problem(err: ProfileError, raw: str) -> str:
    value = str(err.params.get("value", raw))[:40]
    template = _PROBLEMS.get(err.key)
    return template.format(value=value) if template else f"invalid value \"{raw[:40]}\""


ProgressCallback = Callable[[int, int], None]


async def import_roster(uow: UnitOfWork, now: datetime, entries: list[RosterEntry], *, actor: str = "cli",
                        on_progress: ProgressCallback | None = None) -> ImportResult:
    """Upsert every entry by Slack user id inside the caller's unit of work (one transaction)."""
    known: dict[str, Coordinator] = {}
    ids = [entry.slack_user_id for entry in entries]
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        known.update(await uow.coordinators.many(ids[start:start + _LOOKUP_CHUNK]))
    created = updated = 0
    total = len(entries)
    for done, entry in enumerate(entries, start=1):
        person = known.get(entry.slack_user_id)
        if person is None:
            person = Coordinator(slack_user_id=entry.slack_user_id, themes=[], lang="ja", created_at=now,
                                 updated_at=now)
            await uow.coordinators.add(person)
            known[entry.slack_user_id] = person
            created += 1
        else:
            updated += 1
        _apply(person, entry, now)
        if on_progress is not None:
            on_progress(done, total)
    await uow.flush()
    # Counts only: the audit log never holds names.
    await uow.audit.record(now, actor, "roster.import", "ok", total=total, created=created, updated=updated)
    return ImportResult(total, created, updated)


def _apply(person: Coordinator, entry: RosterEntry, now: datetime) -> None:
    person.name = entry.name
    person.prefecture = entry.prefecture
    person.bureau = entry.bureau
    person.affiliation = entry.affiliation
    if entry.themes is not None:
        person.themes = list(entry.themes)
    if entry.lang is not None:
        person.lang = entry.lang
    person.updated_at = now

"""Loading a year's plan — its cases and their sessions — from one file, all or nothing.

Three layouts carry the same fields (see tests/fixtures/plan.yaml and plan.csv):

**YAML**: a document with two lists::

    cases:
      - {key: med1, title: 医療通訳が見つからない, theme: medical_welfare, lecturer: U0LECT01}
    sessions:
      - {case: med1, bureau: tokyo, start: "2035-06-10 14:00", minutes: 120, capacity: 30,
         min: 5, deadline: "2035-06-01 17:00", release: "2035-06-03 09:00", format: hybrid,
         facilitator: U0STAF01, url: "https://meet.example/abc", lottery: false}

  An unknown field in an entry is refused (it is usually a typo). Problems are named by entry:
  ``session 3, deadline: …``.

**CSV, or one .xlsx sheet**: one table with a ``type`` column, ``case`` or ``session``; case rows
fill ``key, title, theme, lecturer``, session rows fill ``case, bureau, start, minutes, capacity,
min, deadline, release, format, facilitator, url, lottery, place``. Problems are named by row
as the spreadsheet shows it (header = row 1): ``row 7, start: …``.

**.xlsx with two sheets** named ``cases`` and ``sessions``, the same columns without ``type``
(``sheet sessions, row 4, …``). Other sheets are ignored.

Fields: ``key`` is the file's own name for a case (letters, digits, ``_``, ``-``); a session's
``case`` is such a key or the code of a case already in the bot (``C3``). ``theme`` by code or
Japanese name; ``bureau`` by code or name (or ``online``). Times are ``YYYY-MM-DD HH:MM`` (``/`` or
``T`` also accepted); without an offset they are Japan time (the ``tz`` given, JIREI_TIMEZONE).
``release``, ``format`` (hybrid), ``facilitator``, ``url``, ``lottery`` (false) and ``place`` are
optional; ``lecturer`` is optional.

Loading is idempotent and only ever adds: a case matching an existing one by title and theme,
and a session matching an existing one by case, bureau and start, are left unchanged. Every
entry is validated (with the same rules as ``/jirei admin session new``) before anything is
written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

import yaml

from bot.core.exports import Sheet, SheetError, SheetRow, read_sheets
from bot.people.results import Actor
from bot.core.refusal import Refusal
from bot.sessions.cases import create_case
from bot.sessions.service import create_session
from bot.core.grammar import find_format
from bot.core.session_spec import FORMATS, MAX_CAPACITY, SessionSpec, SpecError
from bot.core.text import clean_input
from config.reference import find_bureau, find_theme
from storage.models import Case
from storage.uow import UnitOfWork

SYSTEM_ACTOR = Actor(user_id="cli", is_admin=True)
CASE_FIELDS = ("key", "title", "theme", "lecturer")
SESSION_FIELDS = ("case", "bureau", "start", "minutes", "capacity", "min", "deadline", "release", "format",
                  "facilitator", "url", "lottery", "place")
MAX_TITLE = 200
HEADER_ALIASES = {"min_participants": "min", "case_key": "case", "lecturer_user_id": "lecturer",
                  "facilitator_user_id": "facilitator", "online_url": "url", "種別": "type"}
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_CASE_CODE = re.compile(r"^[Cc][0-9]+$")
_USER_ID = re.compile(r"^<?@?([UW][A-Z0-9]{2,30})(\|[^>]*)?>?$")
_MOMENT = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
                     r"\s*(Z|[+-]\d{2}:?\d{2})?$")
_TRUE = {"true", "yes", "1", "はい", "あり", "○"}
_FALSE = {"", "false", "no", "0", "いいえ", "なし"}

# Operators read these in a terminal: English one-liners for the rules of SessionSpec, which names
# the field each is about.
_SPEC_PROBLEMS: dict[str, str] = {
    "sessions.error.unknown_bureau": 'unknown bureau "{bureau}"',
    "sessions.error.start_in_past": "the start is in the past",
    "sessions.error.deadline_in_past": "the deadline is in the past",
    "sessions.error.deadline_after_start": "the deadline must be before the start",
    "sessions.error.release_after_start": "the material release must not be after the start",
    "sessions.error.minutes": "minutes must be between {low} and {high}",
    "sessions.error.minimum": "min must be at least 1",
    "sessions.error.capacity_below_minimum": "capacity must be at least min",
    "sessions.error.capacity_too_large": f"capacity must be at most {MAX_CAPACITY}",
    "usage.bad_format": f'must be one of {", ".join(FORMATS)}, not "{{value}}"',
    "usage.bad_url": "must be an https:// address",
}


class PlanError(ValueError):
    """The plan is refused: `where` names the entry or row, `field` the column."""

    def __init__(self, where: str, field_name: str, problem: str) -> None:
        self.where, self.field, self.problem = where, field_name, problem
        super().__init__(", ".join(part for part in (where, field_name) if part) + f": {problem}")


@dataclass(frozen=True)
class PlannedCase:
    where: str
    key: str
    title: str
    theme: str
    lecturer: str | None


@dataclass(frozen=True)
class PlannedSession:
    where: str
    case_ref: str  # a key of this file's cases, or an existing case code
    spec: SessionSpec


@dataclass
class Plan:
    cases: list[PlannedCase] = field(default_factory=list)
    sessions: list[PlannedSession] = field(default_factory=list)


@dataclass(frozen=True)
class PlanResult:
    cases_new: int
    cases_unchanged: int
    sessions_new: int
    sessions_unchanged: int
    created: tuple[str, ...] = ()  # codes of what was created, cases first

    def summary(self) -> str:
        return (f"plan loaded: cases {self.cases_new} new, {self.cases_unchanged} unchanged; "
                f"sessions {self.sessions_new} new, {self.sessions_unchanged} unchanged")


# --- reading -----------------------------------------------------------------------------------


def parse_plan(data: bytes, filename: str, tz: ZoneInfo) -> Plan:
    """Read and check every field of a plan file (YAML, CSV or .xlsx); nothing touches the database."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix in ("yaml", "yml"):
        return plan_from_yaml(data, tz)
    try:
        sheets = read_sheets(data, filename, HEADER_ALIASES)
    except SheetError as err:
        raise PlanError("", "file", str(err)) from None
    return plan_from_sheets(sheets, tz)


def plan_from_yaml(data: bytes, tz: ZoneInfo) -> Plan:
    try:
        document = yaml.safe_load(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise PlanError(where, "file", "not valid UTF-8 YAML") from None
    if not isinstance(document, dict) or not set(document) <= {"cases", "sessions"} or not document:
        raise PlanError("", "file", "expected a YAML mapping with 'cases:' and 'sessions:' lists")
    plan = Plan()
    for list_name, fields, parse in (("cases", CASE_FIELDS, _parse_case), ("sessions", SESSION_FIELDS, _parse_session)):
        entries = document.get(list_name) or []
        if not isinstance(entries, list):
            raise PlanError("", list_name, "must be a list")
        for number, entry in enumerate(entries, start=1):
            where = f"{list_name[:-1]} {number}"
            if not isinstance(entry, dict):
                raise PlanError(where, "", "each entry must be a mapping of field: value")
            unknown = sorted(str(key) for key in entry if key not in fields)
            if unknown:
                raise PlanError(where, unknown[0], f"unknown field (fields: {', '.join(fields)})")
            values = {str(key): _text(value) for key, value in entry.items()}
            _add(plan, parse(where, values, tz))
    _check_duplicates(plan)
    return plan


def plan_from_sheets(sheets: list[Sheet], tz: ZoneInfo) -> Plan:
    by_name = {sheet.name.strip().lower(): sheet for sheet in sheets}
    plan = Plan()
    if "cases" in by_name or "sessions" in by_name:
        for name, parse in (("cases", _parse_case), ("sessions", _parse_session)):
            if name in by_name:
                for row in by_name[name].rows:
                    _add(plan, parse(f"sheet {name}, row {row.number}", row.values, tz))
    else:
        sheet = sheets[0]
        if "type" not in sheet.columns:
            raise PlanError("", "type", "a single-table plan needs a 'type' column (case or session), "
                                        "or give an .xlsx with sheets 'cases' and 'sessions'")
        prefix = f"sheet {sheet.name}, " if len(sheets) > 1 else ""
        for row in sheet.rows:
            _add(plan, _parse_typed_row(prefix, row, tz))
    _check_duplicates(plan)
    return plan


def _parse_typed_row(prefix: str, row: SheetRow, tz: ZoneInfo) -> PlannedCase | PlannedSession:
    where = f"{prefix}row {row.number}"
    kind = row.get("type").strip().lower()
    if kind == "case":
        return _parse_case(where, row.values, tz)
    if kind == "session":
        return _parse_session(where, row.values, tz)
    raise PlanError(where, "type", f'must be case or session, not "{kind[:20]}"')


def _add(plan: Plan, item: PlannedCase | PlannedSession) -> None:
    (plan.cases if isinstance(item, PlannedCase) else plan.sessions).append(item)


def _text(value: Any) -> str:
    """A YAML value as the text a spreadsheet cell would hold, so both go through one parser."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return clean_input(str(value)).strip()


def _parse_case(where: str, values: dict[str, str], tz: ZoneInfo) -> PlannedCase:
    key = values.get("key", "").strip()
    if not _KEY.match(key):
        raise PlanError(where, "key", f'give a short key of letters, digits, "_" or "-" (like med1), not "{key[:40]}"'
                        if key else "missing")
    title = values.get("title", "").strip()
    if not title or len(title) > MAX_TITLE:
        raise PlanError(where, "title", f"give a title of 1 to {MAX_TITLE} characters")
    theme_text = values.get("theme", "").strip()
    theme = find_theme(theme_text) if theme_text else None
    if theme is None:
        raise PlanError(where, "theme", f'unknown theme "{theme_text[:40]}"' if theme_text else "missing")
    return PlannedCase(where, key, title, theme.code, _user(where, "lecturer", values.get("lecturer", "")))


def _parse_session(where: str, values: dict[str, str], tz: ZoneInfo) -> PlannedSession:
    case_ref = values.get("case", "").strip()
    if not case_ref:
        raise PlanError(where, "case", "missing (a case key from this file, or a code like C3)")
    bureau_text = values.get("bureau", "").strip()
    if bureau_text.lower() == "online":
        bureau = "online"
    else:
        found = find_bureau(bureau_text) if bureau_text else None
        if found is None:
            raise PlanError(where, "bureau", f'unknown bureau "{bureau_text[:40]}"' if bureau_text else "missing")
        bureau = found.code
    start = _moment(where, "start", values.get("start", ""), tz, required=True)
    minutes = _whole(where, "minutes", values.get("minutes", ""))
    capacity = _whole(where, "capacity", values.get("capacity", ""))
    minimum = _whole(where, "min", values.get("min", ""))
    deadline = _moment(where, "deadline", values.get("deadline", ""), tz, required=True)
    release = _moment(where, "release", values.get("release", ""), tz, required=False)
    format_text = values.get("format", "").strip()
    session_format = (find_format(format_text) or format_text) if format_text else "hybrid"
    url = values.get("url", "").strip() or None
    lottery_text = values.get("lottery", "").strip().lower()
    if lottery_text not in _TRUE | _FALSE:
        raise PlanError(where, "lottery", f'must be true or false, not "{lottery_text[:20]}"')
    place = values.get("place", "").strip() or None
    facilitator = _user(where, "facilitator", values.get("facilitator", ""))
    try:
        spec = SessionSpec(
            case=case_ref, bureau=bureau, start=start, minutes=minutes, capacity=capacity, min_participants=minimum,
            deadline=deadline, release=release, format=session_format, facilitator=facilitator, url=url,
            lottery=lottery_text in _TRUE, place=place[:200] if place else None,
        )
    except SpecError as err:
        raise _spec_problem(where, err) from None
    return PlannedSession(where, case_ref, spec)


def _user(where: str, field_name: str, text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    match = _USER_ID.match(text)
    if match is None:
        raise PlanError(where, field_name, f'not a Slack user id: "{text[:40]}" (like U012ABCDEF)')
    return match.group(1)


def _whole(where: str, field_name: str, text: str) -> int:
    text = text.strip()
    if not text:
        raise PlanError(where, field_name, "missing")
    if not re.fullmatch(r"[0-9]+", text):
        raise PlanError(where, field_name, f'must be a whole number, not "{text[:20]}"')
    return int(text)


def parse_moment(text: str, tz: ZoneInfo) -> datetime | None:
    """`2035-06-10 14:00` (or with `T`, `/`, seconds, an offset) as an aware time; None if not one.

    Without an offset the time is in `tz` (Japan time). A date alone is not a moment: a plan
    that leaves out the hour is more likely a mistake than midnight.
    """
    match = _MOMENT.match(text.strip())
    if match is None or match.group(4) is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i) or 0) for i in range(1, 7))
    offset = match.group(7)
    if offset is None:
        zone: Any = tz
    elif offset == "Z":
        zone = timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _moment(where: str, field_name: str, text: str, tz: ZoneInfo, *, required: bool) -> datetime | None:
    text = text.strip()
    if not text:
        if required:
            raise PlanError(where, field_name, "missing")
        return None
    moment = parse_moment(text, tz)
    if moment is None:
        raise PlanError(where, field_name, f'not a date and time like 2035-06-10 14:00: "{text[:40]}"')
    return moment


def _check_duplicates(plan: Plan) -> None:
    keys: dict[str, str] = {}
    titles: dict[tuple[str, str], str] = {}
    for case in plan.cases:
        if case.key in keys:
            raise PlanError(case.where, "key", f'"{case.key}" is already used by {keys[case.key]}')
        if (case.title, case.theme) in titles:
            raise PlanError(case.where, "title", f"the same title and theme as {titles[(case.title, case.theme)]}")
        keys[case.key] = case.where
        titles[(case.title, case.theme)] = case.where
    slots: dict[tuple[str, str, datetime], str] = {}
    for item in plan.sessions:
        if item.case_ref not in keys and not _CASE_CODE.match(item.case_ref):
            raise PlanError(item.where, "case", f'"{item.case_ref}" is neither a case key of this file nor a code like C3')
        slot = (item.case_ref.upper() if _CASE_CODE.match(item.case_ref) else item.case_ref, item.spec.bureau,
                item.spec.start)
        if slot in slots:
            raise PlanError(item.where, "start", f"the same case, bureau and start as {slots[slot]}")
        slots[slot] = item.where


# --- loading -------------------------------------------------------------------------------------


def _spec_problem(where: str, err: Refusal) -> PlanError:
    template = _SPEC_PROBLEMS.get(err.key, err.key)
    return PlanError(where, getattr(err, "field", ""), template.format(**err.params) if err.params else template)


async def load_plan(uow: UnitOfWork, now: datetime, plan: Plan, *, actor: Actor = SYSTEM_ACTOR,
                    on_progress: Callable[[int, int], None] | None = None) -> PlanResult:
    """Validate the plan against the database, then add what is new — inside the caller's unit of work.

    Raises PlanError before writing anything when an entry is invalid.
    """
    existing_cases = {(case.title, case.theme): case for case in await uow.cases.all()}
    case_for_key: dict[str, Case | None] = {}  # None: to be created
    for planned in plan.cases:
        case_for_key[planned.key] = existing_cases.get((planned.title, planned.theme))
    existing_slots = {(s.case_id, s.bureau, s.starts_at) for s in await uow.sessions.all() if s.case_id}
    new_sessions: list[PlannedSession] = []
    for item in plan.sessions:
        if item.case_ref in case_for_key:
            case = case_for_key[item.case_ref]
        else:
            case = await uow.cases.by_code(item.case_ref)
            if case is None:
                raise PlanError(item.where, "case", f"no case {item.case_ref.upper()} in the bot")
        if case is not None and (case.id, item.spec.bureau, item.spec.start) in existing_slots:
            continue
        # Only what will be written is held to the rules: a session loaded last year may be past now.
        try:
            item.spec.check(now)
        except Refusal as err:
            raise _spec_problem(item.where, err) from None
        new_sessions.append(item)

    created: list[str] = []
    codes: dict[str, str] = {key: case.code for key, case in case_for_key.items() if case is not None}
    new_cases = [planned for planned in plan.cases if case_for_key[planned.key] is None]
    total = len(new_cases) + len(new_sessions)
    for done, planned in enumerate(new_cases, start=1):
        case = await create_case(uow, now, actor, title=planned.title, theme=planned.theme, lecturer=planned.lecturer)
        codes[planned.key] = case.code
        created.append(case.code)
        if on_progress is not None:
            on_progress(done, total)
    for done, item in enumerate(new_sessions, start=len(new_cases) + 1):
        case_code = codes.get(item.case_ref, item.case_ref.upper())
        spec = item.spec.model_copy(update={"case": case_code})
        try:
            session = await create_session(uow, now, actor, spec)
        except Refusal as err:
            raise _spec_problem(item.where, err) from None
        created.append(session.code)
        if on_progress is not None:
            on_progress(done, total)
    await uow.audit.record(now, actor.user_id, "plan.load", "ok", cases_new=len(new_cases),
                           sessions_new=len(new_sessions))
    return PlanResult(len(new_cases), len(plan.cases) - len(new_cases), len(new_sessions),
                      len(plan.sessions) - len(new_sessions), tuple(created))

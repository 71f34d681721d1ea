"""The `/jirei` grammar (DESIGN §3): text in, a typed command out. Pure; no Slack, no database.

    parse("join S3")                       -> Join(code="S3")
    parse('admin case new title="…" theme=教育') -> CaseNew(title="…", theme="education", …)

Anything malformed raises `CommandError(usage_key)`; the handler shows that usage line in the
user's language. Values are validated here only as far as their shape goes (a code looks like
S12, a user like U123); whether S12 exists is the service's business.
"""

from __future__ import annotations

import re
import shlex
from datetime import datetime
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from bot.core.i18n import LANGUAGES, t
from bot.core.session_spec import FORMATS, HTTPS_URL, SessionSpec, SpecError
from bot.core.text import escape, normalise, same_words
from config.reference import find_bureau, find_theme

MAX_TEXT = 2000

_USER = re.compile(r"^<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,30})$")
_CODE = {"case": re.compile(r"^C[1-9][0-9]{0,8}$"), "session": re.compile(r"^S[1-9][0-9]{0,8}$"),
         "run": re.compile(r"^R[1-9][0-9]{0,8}$"), "group": re.compile(r"^G[1-9][0-9]{0,8}$"),
         "request": re.compile(r"^Q[1-9][0-9]{0,8}$")}
_EXAMPLE = {"case": "C1", "session": "S1", "run": "R1", "group": "G1", "request": "Q1"}


class CommandError(ValueError):
    """`key` is a catalog key (a usage line or a specific problem); `params` fill it in."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        # Values echo what the person typed: make them inert in mrkdwn (no <!channel>, no links).
        self.params = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)
    admin: ClassVar[bool] = False
    # Admin commands a lecturer may also use (for their own cases; the service checks which).
    lecturer_ok: ClassVar[bool] = False
    # Admin commands a session's facilitator may use for that session (self-run sessions are
    # facilitated by coordinators); the service checks that they facilitate it.
    facilitator_ok: ClassVar[bool] = False
    name: ClassVar[str] = ""


class Help(Command):
    name: ClassVar[str] = "help"


class ProfileOpen(Command):
    name: ClassVar[str] = "profile"


class ProfileSet(Command):
    name: ClassVar[str] = "profile set"
    values: dict[str, str]


class PledgeShow(Command):
    name: ClassVar[str] = "pledge"


class PledgeAccept(Command):
    name: ClassVar[str] = "pledge accept"


class SessionsList(Command):
    name: ClassVar[str] = "sessions"


class Join(Command):
    name: ClassVar[str] = "join"
    code: str
    elsewhere_ok: bool = False  # `join S1 confirm`: yes, in another region


class Leave(Command):
    name: ClassVar[str] = "leave"
    code: str


class Mine(Command):
    name: ClassVar[str] = "my"


class Groups(Command):
    name: ClassVar[str] = "groups"


class Propose(Command):
    name: ClassVar[str] = "propose"


class PollOpen(Command):
    """`poll`: the date-poll form (日程調整) for one of the person's study groups."""

    name: ClassVar[str] = "poll"


class Check(Command):
    """`/jirei check`: the personal-data check in a modal, answered to the asker alone."""
    name: ClassVar[str] = "check"
    modal: ClassVar[bool] = True


class GuardSet(Command):
    """`/jirei guard on|off` in a study group's channel: its personal-data guard."""
    name: ClassVar[str] = "guard"
    on: bool


class ForgetMe(Command):
    name: ClassVar[str] = "forget-me"
    confirmed: bool = False


class CasesSearch(Command):
    """`cases [words] [theme=…] [bureau=…] [year=…]`: the case library."""

    name: ClassVar[str] = "cases"
    words: tuple[str, ...] = ()
    theme: str | None = None
    bureau: str | None = None
    fiscal_year: int | None = None


class CaseNew(Command):
    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin case new"
    title: str
    theme: str
    lecturer: str | None = None
    summary: str | None = None  # for the portal post


class SessionNew(Command):
    """The session as typed; SessionSpec (bot/core/session_spec.py) owns the rules of its fields."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin session new"
    spec: SessionSpec
    allow_duplicate: bool = False  # `duplicate=ok`: create it even if an identical session exists


class SessionEdit(Command):
    """`admin session edit S1 key=value…`: `changes` under SessionSpec's field names."""

    admin: ClassVar[bool] = True
    facilitator_ok: ClassVar[bool] = True  # a self-run session's proposer (the service checks)
    name: ClassVar[str] = "admin session edit"
    code: str
    changes: dict[str, Any]


class SessionCancel(Command):
    admin: ClassVar[bool] = True
    facilitator_ok: ClassVar[bool] = True  # a self-run session's proposer (the service checks)
    name: ClassVar[str] = "admin session cancel"
    code: str
    reason: str | None = None


class CaseEdit(Command):
    """`admin case edit C1 title=… theme=… lecturer=@U`."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin case edit"
    code: str
    changes: dict[str, Any]


class SessionNewForm(Command):
    """`admin session new` with nothing after it: the same, as a form."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin session new"


class Announce(Command):
    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin announce"
    code: str


class Roster(Command):
    admin: ClassVar[bool] = True
    facilitator_ok: ClassVar[bool] = True
    name: ClassVar[str] = "admin roster"
    code: str


class Attend(Command):
    admin: ClassVar[bool] = True
    facilitator_ok: ClassVar[bool] = True
    name: ClassVar[str] = "admin attend"
    code: str
    users: tuple[str, ...]


class MaterialAdd(Command):
    """With a url: a link. Without: the upload form (files are checked on upload)."""

    admin: ClassVar[bool] = True
    lecturer_ok: ClassVar[bool] = True
    facilitator_ok: ClassVar[bool] = True  # a self-run session's proposer, for its case (the service checks)
    name: ClassVar[str] = "admin material add"
    case: str
    url: str | None = None
    kind: Literal["material", "commentary"] = "material"


class SurveySend(Command):
    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin survey send"
    code: str


class SurveyPlanning(Command):
    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin survey planning"


class SurveySummary(Command):
    """`admin survey summary [year]`: the post-session survey across the fiscal year's sessions."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin survey summary"
    fiscal_year: int | None = None


class SurveyClose(Command):
    """`admin survey close R1` (or a session's S1): stop taking answers now, as at the deadline."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin survey close"
    code: str


class Report(Command):
    """`admin report R1`: a survey run's report (a session's S1 names its post-session survey)."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin report"
    code: str


class YearReport(Command):
    """`admin report year [FY2027]`: the yearly review (the current fiscal year when none is given)."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin report"
    fiscal_year: int | None = None


class Publish(Command):
    """`admin publish C1`: publish if every bureau has held the case, else show which have not;
    `admin publish C1 confirm` (or the button) publishes before they have."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin publish"
    case: str
    confirmed: bool = False


class NudgeNow(Command):
    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin nudge"


class RoleGrantCmd(Command):
    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin role"
    user: str
    role: Literal["admin", "bureau_staff", "lecturer", "coordinator"]
    bureau: str | None = None


class SessionMessage(Command):
    """`admin message S1 text…`: to every registrant of a session. The text is taken as typed
    (line breaks and quotes kept), not split into words."""

    admin: ClassVar[bool] = True
    facilitator_ok: ClassVar[bool] = True  # a self-run session's proposer (the service checks)
    name: ClassVar[str] = "admin message"
    code: str
    text: str


class RequestOpen(Command):
    """`admin request`: the form asking a lecturer for a case (the service checks the admin)."""

    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin request"


class RequestWithdraw(Command):
    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin request withdraw"
    code: str


class AdminHelp(Command):
    admin: ClassVar[bool] = True
    name: ClassVar[str] = "admin"


# --- parsing helpers -----------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    text = normalise(text).strip()
    if len(text) > MAX_TEXT:
        raise CommandError("usage.too_long")
    try:
        return shlex.split(text)
    except ValueError:
        raise CommandError("usage.unbalanced_quotes") from None


def parse_user(token: str) -> str | None:
    match = _USER.match(token.strip())
    if not match:
        return None
    return match.group(1) or match.group(2)


def parse_code(token: str, kind: str | tuple[str, ...]) -> str | None:
    """The code in canonical form if it is of `kind` (or one of several kinds), else None."""
    token = token.strip().upper()
    kinds = (kind,) if isinstance(kind, str) else kind
    return token if any(_CODE[k].match(token) for k in kinds) else None


def split_pairs(tokens: list[str], usage: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise CommandError(usage)
        pairs[key.strip().lower()] = value.strip()
    return pairs


def _require_code(tokens: list[str], kind: str | tuple[str, ...], usage: str) -> str:
    if len(tokens) != 1:
        raise CommandError(usage)
    code = parse_code(tokens[0], kind)
    if code is None:
        kinds = (kind,) if isinstance(kind, str) else kind
        raise CommandError("usage.bad_code", code=tokens[0][:20], expected=" / ".join(_EXAMPLE[k] for k in kinds),
                           usage_key=usage)
    return code


def parse_time(value: str, tz) -> datetime:
    """ISO 8601; without an offset it is Japan time (the configured zone)."""
    try:
        moment = datetime.fromisoformat(value.replace("/", "-"))
    except ValueError:
        raise CommandError("usage.bad_time", value=value[:40]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def _int(value: str, field: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CommandError("usage.bad_number", field=field, value=value[:20]) from None
    if number < 0 or number > 100_000:
        raise CommandError("usage.bad_number", field=field, value=value[:20])
    return number


def _user(value: str, field: str) -> str:
    user = parse_user(value)
    if user is None:
        raise CommandError("usage.bad_user", field=field, value=value[:40])
    return user


ROLES = ("admin", "bureau_staff", "lecturer", "coordinator")
# Besides the codes and the names the catalogs show (事務局（管理者）, 地方局担当者, …), the words
# people use for them.
_ROLE_WORDS = {"事務局": "admin", "管理者": "admin", "secretariat": "admin", "地方局": "bureau_staff",
               "地方局職員": "bureau_staff", "staff": "bureau_staff", "コーディネーター": "coordinator",
               "外国人支援コーディネーター": "coordinator"}


def _find_code(text: str, codes: tuple[str, ...], catalog_prefix: str, words: dict[str, str]) -> str | None:
    """One of `codes` by itself, by its name in either catalog (`{catalog_prefix}.{code}`), or by a
    common word for it."""
    key = normalise(text).strip().lower()
    if key in codes:
        return key
    for code in codes:
        if any(same_words(key, t(f"{catalog_prefix}.{code}", lang)) for lang in LANGUAGES):
            return code
    return words.get(key)


def find_role(text: str) -> str | None:
    """A role by its code, its name in either catalog, or a common word for it."""
    return _find_code(text, ROLES, "role", _ROLE_WORDS)


# Words people type for a session's format besides its code and its catalog names.
_FORMAT_WORDS = {"ハイブリッド": "hybrid", "オンライン": "online", "対面": "in_person", "会場": "in_person",
                 "in-person": "in_person", "onsite": "in_person", "on-site": "in_person"}


def find_format(text: str) -> str | None:
    """A session format by its code (`online`), its name in either catalog (オンライン, 会場のみ) or a
    common word for it (対面)."""
    return _find_code(text, FORMATS, "sessions.format", _FORMAT_WORDS)


MATERIAL_KINDS = ("material", "commentary")
_MATERIAL_KIND_WORDS = {"資料": "material", "解説": "commentary"}


def find_material_kind(text: str) -> str | None:
    """A material's kind by its code (`commentary`), its name in either catalog (解説資料) or a short word."""
    return _find_code(text, MATERIAL_KINDS, "materials.kind", _MATERIAL_KIND_WORDS)


# 令和 began on 2019-05-01: 令和N's fiscal year starts in April of 2018 + N.
_REIWA = re.compile(r"^(?:令和|R)(\d{1,2})(?:年度?)?$", re.IGNORECASE)
_WESTERN_YEAR = re.compile(r"^(?:FY)?(\d{4})(?:年度?)?$", re.IGNORECASE)


def parse_fiscal_year(text: str) -> int:
    """A fiscal year as people write it: 2027, FY2027, 2027年度, 令和9, 令和9年度, R9 (→ 2027)."""
    key = normalise(text).strip()
    if match := _REIWA.match(key):
        return 2018 + int(match.group(1))
    if match := _WESTERN_YEAR.match(key):
        return int(match.group(1))
    raise CommandError("usage.bad_fiscal_year", value=text[:20])


def _summary_year(token: str) -> int:
    """`year=令和8`, `year=2026` or the year alone."""
    key, _, value = token.partition("=")
    return parse_fiscal_year(value if _ and key.lower() == "year" else token)


PROFILE_KEYS = ("bureau", "prefecture", "affiliation", "themes", "lang", "name", "nudges", "online")


_ADMIN_MESSAGE = re.compile(r"\s*admin\s+message(?:\s+(\S+))?(?:\s+(.*))?\s*$", re.IGNORECASE | re.DOTALL)


# A parser takes the words after its command word (and the time zone) and returns the command.
Parser = Callable[[list[str], Any], Command]


def _alone(make: Callable[[], Command], usage: str, **params: object) -> Parser:
    """A word that takes nothing after it; anything more is refused with `usage`."""
    def parse_alone(rest: list[str], tz) -> Command:
        if rest:
            raise CommandError(usage, **params)
        return make()
    return parse_alone


ALONE = None  # the key, in a table of sub-words, of the command word typed alone


def _verbs(table: dict[str | None, Parser], usage: str) -> Parser:
    """A word followed by a sub-word (or `ALONE`): the sub-word's parser takes the words after it."""
    def parse_verb(rest: list[str], tz) -> Command:
        parser = table.get(rest[0].lower() if rest else ALONE)
        if parser is None:
            raise CommandError(usage)
        return parser(rest[1:], tz)
    return parse_verb


def _confirmed(make: Callable[..., Command], kind: str, usage: str, flag: str) -> Parser:
    """`<code>` or `<code> confirm`: `make(code, **{flag: confirmed})`."""
    def parse_confirmed(rest: list[str], tz) -> Command:
        confirmed = len(rest) == 2 and rest[1].lower() == "confirm"
        return make(_require_code(rest[:1] if confirmed else rest, kind, usage), **{flag: confirmed})
    return parse_confirmed


def _coded(make: Callable[[str], Command], kind: str | tuple[str, ...], usage: str) -> Parser:
    """`<code>` alone."""
    return lambda rest, tz: make(_require_code(rest, kind, usage))


def _parse_profile_set(rest: list[str], tz) -> ProfileSet:
    if not rest:
        raise CommandError("usage.profile")
    values = split_pairs(rest, "usage.profile")
    unknown = [key for key in values if key not in PROFILE_KEYS]
    if unknown:
        raise CommandError("usage.profile_unknown_key", field=unknown[0][:20])
    return ProfileSet(values=values)


# The `/jirei` command words (DESIGN §3). Words not here are refused as unknown.
COMMANDS: dict[str, Parser] = {
    **{word: (lambda rest, tz: Help()) for word in ("help", "ヘルプ", "?")},
    "profile": _verbs({ALONE: lambda rest, tz: ProfileOpen(), "set": _parse_profile_set}, "usage.profile"),
    "pledge": _verbs({ALONE: lambda rest, tz: PledgeShow(), "accept": _alone(PledgeAccept, "usage.pledge")},
                     "usage.pledge"),
    "sessions": _alone(SessionsList, "usage.unknown", word="sessions"),
    "join": _confirmed(lambda code, elsewhere_ok: Join(code=code, elsewhere_ok=elsewhere_ok), "session", "usage.join",
                       "elsewhere_ok"),
    "leave": _coded(lambda code: Leave(code=code), "session", "usage.leave"),
    "my": _alone(Mine, "usage.unknown", word="my"),
    "groups": _alone(Groups, "usage.unknown", word="groups"),
    "propose": _alone(Propose, "usage.unknown", word="propose"),
    "poll": _alone(PollOpen, "usage.unknown", word="poll"),
    "check": _alone(Check, "usage.unknown", word="check"),
    "guard": _verbs({"on": _alone(lambda: GuardSet(on=True), "usage.guard"),
                     "off": _alone(lambda: GuardSet(on=False), "usage.guard")}, "usage.guard"),
    "forget-me": _verbs({ALONE: lambda rest, tz: ForgetMe(),
                         "confirm": _alone(lambda: ForgetMe(confirmed=True), "usage.forget_me")}, "usage.forget_me"),
    "cases": lambda rest, tz: _parse_cases(rest),
    "admin": lambda rest, tz: _parse_admin(rest, tz),
}


def parse(text: str, tz) -> Command:
    message = _ADMIN_MESSAGE.match(text or "")  # the message as typed (full-width forms kept)
    if message:
        return _parse_session_message(message.group(1) or "", message.group(2) or "")
    tokens = tokenize(text or "")
    if not tokens:
        return Help()
    head = tokens[0].lower()
    parser = COMMANDS.get(head)
    if parser is None:
        raise CommandError("usage.unknown", word=head[:30])
    return parser(tokens[1:], tz)


CASES_FILTERS = ("theme", "bureau", "year")
MAX_SEARCH_WORDS = 8
MAX_SEARCH_WORD_CHARS = 50


def _parse_cases(tokens: list[str]) -> CasesSearch:
    """Words, and filters as `key=value` (theme and bureau by code or name, year as 2027, 令和9…)."""
    words: list[str] = []
    filters: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key.strip().lower() in CASES_FILTERS:
            if not value.strip():
                raise CommandError("usage.cases")
            filters[key.strip().lower()] = value.strip()
        elif sep and key and key.isascii() and key.isalpha():
            raise CommandError("usage.cases_unknown_filter", field=key[:20])
        else:
            words.append(token)
    if len(words) > MAX_SEARCH_WORDS or any(len(w) > MAX_SEARCH_WORD_CHARS for w in words):
        raise CommandError("usage.cases_too_many_words", count=MAX_SEARCH_WORDS, chars=MAX_SEARCH_WORD_CHARS)
    theme = bureau = None
    if "theme" in filters:
        found = find_theme(filters["theme"])
        if found is None:
            raise CommandError("usage.bad_theme", value=filters["theme"][:40])
        theme = found.code
    if "bureau" in filters:
        found_bureau = find_bureau(filters["bureau"])
        if found_bureau is None:
            raise CommandError("usage.bad_bureau", value=filters["bureau"][:30])
        bureau = found_bureau.code
    year = parse_fiscal_year(filters["year"]) if "year" in filters else None
    return CasesSearch(words=tuple(words), theme=theme, bureau=bureau, fiscal_year=year)


def _parse_case_new(rest: list[str], tz) -> CaseNew:
    pairs = split_pairs(rest, "usage.case_new")
    title, theme_text = pairs.get("title", "").strip(), pairs.get("theme", "")
    if not title or not theme_text or set(pairs) - {"title", "theme", "lecturer", "summary"}:
        raise CommandError("usage.case_new")
    if len(title) > 200:
        raise CommandError("usage.title_too_long")
    theme = find_theme(theme_text)
    if theme is None:
        raise CommandError("usage.bad_theme", value=theme_text[:40])
    lecturer = _user(pairs["lecturer"], "lecturer") if "lecturer" in pairs else None
    return CaseNew(title=title, theme=theme.code, lecturer=lecturer, summary=_summary(pairs))


def _parse_session_cancel(rest: list[str], tz) -> SessionCancel:
    if not rest:
        raise CommandError("usage.session_cancel")
    reason = " ".join(rest[1:]).strip()
    if len(reason) > 500:
        raise CommandError("usage.too_long")
    return SessionCancel(code=_require_code(rest[:1], "session", "usage.session_cancel"), reason=reason or None)


def _parse_session_new_words(rest: list[str], tz) -> Command:
    if not rest:
        return SessionNewForm()
    return _parse_session_new(split_pairs(rest, "usage.session_new"), tz)


def _parse_attend(rest: list[str], tz) -> Attend:
    if len(rest) < 2:
        raise CommandError("usage.attend")
    code = _require_code(rest[:1], "session", "usage.attend")
    return Attend(code=code, users=tuple(_user(token, "user") for token in rest[1:]))


def _parse_material_add(rest: list[str], tz) -> MaterialAdd:
    if not rest:
        raise CommandError("usage.material_add")
    case = _require_code(rest[:1], "case", "usage.material_add")
    if len(rest) == 1:
        return MaterialAdd(case=case)
    pairs = split_pairs(rest[1:], "usage.material_add")
    url = pairs.get("url", "")
    if not re.match(r"^https://[^\s<>|]{3,1990}$", url) or set(pairs) - {"url", "kind"}:
        raise CommandError("usage.material_add")
    kind = find_material_kind(pairs.get("kind", "material"))
    if kind is None:
        raise CommandError("usage.material_add")
    return MaterialAdd(case=case, url=url, kind=kind)


def _parse_survey_summary(rest: list[str], tz) -> SurveySummary:
    if len(rest) > 1:
        raise CommandError("usage.survey")
    return SurveySummary(fiscal_year=_summary_year(rest[0]) if rest else None)


def _parse_report(rest: list[str], tz) -> Report | YearReport:
    if rest and rest[0].lower() == "year":
        if len(rest) > 2:
            raise CommandError("usage.report")
        year = parse_fiscal_year(rest[1]) if len(rest) == 2 else None
        return YearReport(fiscal_year=year)
    # A session's code names its post-session survey (the service finds the run).
    return Report(code=_require_code(rest, ("run", "session"), "usage.report"))


def _parse_role(rest: list[str], tz) -> RoleGrantCmd:
    if len(rest) != 2:
        raise CommandError("usage.role")
    user = _user(rest[0], "user")
    role_text, _, bureau_text = rest[1].partition(":")
    role = find_role(role_text)
    if role is None:
        raise CommandError("usage.role")
    bureau = None
    if role == "bureau_staff":
        found = find_bureau(bureau_text) if bureau_text else None
        if found is None:
            raise CommandError("usage.bad_bureau", value=bureau_text[:30])
        bureau = found.code
    elif bureau_text:
        raise CommandError("usage.role")
    return RoleGrantCmd(user=user, role=role, bureau=bureau)


# The words after `/jirei admin`. Words not here are refused as unknown admin commands.
ADMIN_COMMANDS: dict[str, Parser] = {
    "case": _verbs({"new": _parse_case_new, "edit": lambda rest, tz: _parse_case_edit(rest)}, "usage.case_new"),
    "session": _verbs({"new": _parse_session_new_words, "edit": lambda rest, tz: _parse_session_edit(rest, tz),
                       "cancel": _parse_session_cancel}, "usage.session_new"),
    # `message` typed with full-width letters reaches here: the words as split.
    "message": lambda rest, tz: _parse_session_message(rest[0] if rest else "", " ".join(rest[1:])),
    "announce": _coded(lambda code: Announce(code=code), "session", "usage.announce"),
    "roster": _coded(lambda code: Roster(code=code), "session", "usage.roster"),
    "attend": _parse_attend,
    "material": _verbs({"add": _parse_material_add}, "usage.material_add"),
    "survey": _verbs({"send": _coded(lambda code: SurveySend(code=code), "session", "usage.survey"),
                      "planning": _alone(SurveyPlanning, "usage.survey"),
                      "summary": _parse_survey_summary,
                      "close": _coded(lambda code: SurveyClose(code=code), ("run", "session"), "usage.survey")},
                     "usage.survey"),
    "report": _parse_report,
    "publish": _confirmed(lambda case, confirmed: Publish(case=case, confirmed=confirmed), "case", "usage.publish",
                          "confirmed"),
    "nudge": _alone(NudgeNow, "usage.admin_unknown", word="nudge"),
    "request": _verbs({ALONE: lambda rest, tz: RequestOpen(),
                       "withdraw": _coded(lambda code: RequestWithdraw(code=code), "request", "usage.request")},
                      "usage.request"),
    "role": _parse_role,
}


def _parse_admin(tokens: list[str], tz) -> Command:
    if not tokens:
        return AdminHelp()
    head = tokens[0].lower()
    parser = ADMIN_COMMANDS.get(head)
    if parser is None:
        raise CommandError("usage.admin_unknown", word=head[:30])
    return parser(tokens[1:], tz)


_SESSION_KEYS = {"case", "bureau", "start", "minutes", "capacity", "min", "deadline", "release",
                 "format", "facilitator", "url", "lottery", "place", "duplicate"}
# What `admin session edit` may change; the case and the bureau make it another session.
EDITABLE_SESSION_KEYS = ("start", "minutes", "capacity", "min", "deadline", "release", "format", "facilitator",
                         "url", "place")


def _session_values(pairs: dict[str, str], tz, usage: str) -> dict[str, object]:
    """The given `key=value` pairs of a session, typed, under SessionSpec's field names."""
    values: dict[str, object] = {}
    if "case" in pairs:
        case = parse_code(pairs["case"], "case")
        if case is None:
            raise CommandError("usage.bad_code", code=pairs["case"][:20], expected=_EXAMPLE["case"], usage_key=usage)
        values["case"] = case
    if "bureau" in pairs:
        bureau = find_bureau(pairs["bureau"])
        if bureau is None:
            raise CommandError("usage.bad_bureau", value=pairs["bureau"][:30])
        values["bureau"] = bureau.code
    for key in ("start", "deadline", "release"):
        if key in pairs:
            values[key] = parse_time(pairs[key], tz)
    for key, field in (("minutes", "minutes"), ("capacity", "capacity"), ("min", "min_participants")):
        if key in pairs:
            values[field] = _int(pairs[key], key)
    if "format" in pairs:
        fmt = find_format(pairs["format"])
        if fmt is None:
            raise CommandError("usage.bad_format", value=pairs["format"][:20])
        values["format"] = fmt
    if pairs.get("facilitator"):
        values["facilitator"] = _user(pairs["facilitator"], "facilitator")
    if "url" in pairs:
        url = pairs["url"].strip("<>")
        if url and not HTTPS_URL.match(url):
            raise CommandError("usage.bad_url")
        values["url"] = url or None
    if "place" in pairs:
        if len(pairs["place"]) > 200:
            raise CommandError("usage.place_too_long")
        values["place"] = pairs["place"].strip() or None
    if "lottery" in pairs:
        lottery = pairs["lottery"].lower()
        if lottery not in ("yes", "no"):
            raise CommandError(usage)
        values["lottery"] = lottery == "yes"
    return values


def _parse_session_new(pairs: dict[str, str], tz) -> SessionNew:
    missing = [k for k in ("case", "bureau", "start", "minutes", "capacity", "min", "deadline", "release")
               if not pairs.get(k)]
    if missing or set(pairs) - _SESSION_KEYS or pairs.get("duplicate", "ok").lower() != "ok":
        raise CommandError("usage.session_new")
    try:
        spec = SessionSpec(**_session_values(pairs, tz, "usage.session_new"))
    except SpecError as err:  # a field's own rule, told like any typing mistake (its values already inert)
        refused = CommandError(err.key)
        refused.params = err.params
        raise refused from None
    return SessionNew(spec=spec, allow_duplicate="duplicate" in pairs)


def _parse_session_message(code_text: str, body: str) -> SessionMessage:
    code = parse_code(normalise(code_text), "session")
    body = body.strip()
    if code is None or not body:
        raise CommandError("usage.message")
    if len(body) > MAX_TEXT:
        raise CommandError("usage.too_long")
    return SessionMessage(code=code, text=body)


def _parse_session_edit(tokens: list[str], tz) -> SessionEdit:
    if len(tokens) < 2:
        raise CommandError("usage.session_edit")
    code = _require_code(tokens[:1], "session", "usage.session_edit")
    pairs = split_pairs(tokens[1:], "usage.session_edit")
    unknown = sorted(set(pairs) - set(EDITABLE_SESSION_KEYS))
    if unknown:
        raise CommandError("usage.session_edit_key", field=unknown[0][:20])
    return SessionEdit(code=code, changes=_session_values(pairs, tz, "usage.session_edit"))


def _parse_case_edit(tokens: list[str]) -> CaseEdit:
    if len(tokens) < 2:
        raise CommandError("usage.case_edit")
    code = _require_code(tokens[:1], "case", "usage.case_edit")
    pairs = split_pairs(tokens[1:], "usage.case_edit")
    if set(pairs) - {"title", "theme", "lecturer", "summary"}:
        raise CommandError("usage.case_edit")
    changes: dict[str, object] = {}
    if "title" in pairs:
        title = pairs["title"].strip()
        if not title:
            raise CommandError("usage.case_edit")
        if len(title) > 200:
            raise CommandError("usage.title_too_long")
        changes["title"] = title
    if "theme" in pairs:
        theme = find_theme(pairs["theme"])
        if theme is None:
            raise CommandError("usage.bad_theme", value=pairs["theme"][:40])
        changes["theme"] = theme.code
    if "lecturer" in pairs:
        changes["lecturer"] = _user(pairs["lecturer"], "lecturer") if pairs["lecturer"] else None
    if "summary" in pairs:
        changes["summary"] = _summary(pairs)  # summary="" clears it
    return CaseEdit(code=code, changes=changes)


MAX_SUMMARY_CHARS = 500


def _summary(pairs: dict[str, str]) -> str | None:
    summary = pairs.get("summary", "").strip()
    if len(summary) > MAX_SUMMARY_CHARS:
        raise CommandError("usage.summary_too_long", limit=MAX_SUMMARY_CHARS)
    return summary or None

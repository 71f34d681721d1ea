"""The operators' commands: migrate, import-roster, load-plan, add-material, export, rotate-key.

Each works on the bot's own database with the bot's settings. Results go to stdout (an export,
or a one-line summary); progress goes to stderr only when it is a terminal; every refusal is a
CliError, which run_bot.py prints as one line `jirei: …` with a non-zero exit code. Messages are
English one-liners for operators; nothing here is shown to Slack users.

Exit codes: 0 done; 2 the input was refused (bad file, unknown code, missing option); 1 the
database or the file system failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, TextIO, TypeVar
from zoneinfo import ZoneInfo

from cryptography.fernet import InvalidToken
from sqlalchemy.exc import SQLAlchemyError

from bot.core import documents
from bot.core import exports
from bot.startup import CliError, cipher_for
from bot.core.clock import Clock, SystemClock
from bot.deps import Deps, build_deps
from bot.core.i18n import CatalogError, t
from bot.sessions import plan as plans
from bot.people import roster
from bot.core.refusal import Refusal
from config.reference import find_bureau, find_theme
from config.settings import Settings
from storage.crypto import EncryptionKeyError
from storage.db import make_engine, migrate
from storage.models import CaseRequest, Material, SurveyProgress, SurveyResponse
from storage.uow import UnitOfWork
from bot.materials import service as materials
from bot.sessions.service import export_session as session_document
from bot.surveys.service import export_run
from bot.surveys.exports import report_csv, report_xlsx

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
MAX_INPUT_BYTES = 20 * 1024 * 1024  # rosters and plans; material has its own limit (the same today)
T = TypeVar("T")
PROGRESS_FROM_ROWS = 100  # smaller files finish before a counter would be read
ROTATE_BATCH = 200

COORDINATOR_COLUMNS = ("slack_user_id", "name", "prefecture", "bureau", "affiliation", "themes", "lang",
                       "pledge_accepted_at", "role", "bureau_name", "affiliation_name", "theme_names", "role_name")
# Exports are read by the secretariat: each code has its Japanese display name beside it (the codes stay
# for machines and for DESIGN §3's JSON).
EXPORT_LANG = "ja"
# A person's role in the export: the first of these they hold (everyone else is a coordinator).
ROLE_ORDER = ("admin", "bureau_staff", "lecturer")
REGISTRATION_COLUMNS = ("user_id", "status", "group", "registered_at", "status_name")
CASE_SESSION_COLUMNS = ("code", "status", "bureau", "starts_at", "confirmed", "attended", "bureau_name",
                        "status_name")
# Statuses of someone who held a seat: confirmed before the day, then attended or not.
SEATED_STATUSES = ("confirmed", "attended", "no_show")


async def run(settings: Settings, args: argparse.Namespace, *, clock: Clock | None = None,
              stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one maintenance mode; raise CliError (one line) for anything the operator must fix."""
    console = Console(stdout or sys.stdout, stderr or sys.stderr)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # Alembic narrates every startup check at INFO; an operator's command should print its result.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    command = _COMMANDS.get(args.mode)
    if command is None:
        raise CliError(f"unknown mode {args.mode!r}")
    try:
        return await command(settings, args, clock or SystemClock(), console)
    except (roster.RosterError, plans.PlanError) as err:
        raise CliError(str(err), EXIT_REFUSED) from None
    except Refusal as err:
        raise CliError(describe_refusal(err), EXIT_REFUSED) from None
    except SQLAlchemyError as err:
        # The first line only: later lines of a driver's message can quote row values.
        detail = str(getattr(err, "orig", None) or err).strip().splitlines()[0][:200]
        raise CliError(f"database error ({type(err).__name__}): {detail}", EXIT_FAILED) from None
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        raise CliError(f"{where}{err.strerror or err}", EXIT_FAILED) from None


class Console:
    """Where a command writes: results on stdout, notes and progress on stderr."""

    def __init__(self, stdout: TextIO, stderr: TextIO) -> None:
        self.stdout, self.stderr = stdout, stderr

    def say(self, line: str) -> None:
        print(line, file=self.stdout)

    def note(self, line: str) -> None:
        print(line, file=self.stderr)

    def write_bytes(self, data: bytes) -> None:
        self.stdout.flush()
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:  # a text-only stream (a StringIO in tests)
            self.stdout.write(data.decode("utf-8"))


class ProgressCounter:
    """`\\rimporting 150/200` on a terminal; silent when stderr is a file or a pipe, or the job small."""

    def __init__(self, stream: TextIO, label: str, *, minimum: int = PROGRESS_FROM_ROWS, step: int = 25) -> None:
        self.stream, self.label, self.minimum, self.step = stream, label, minimum, step
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.minimum or (done % self.step and done != total):
            return
        self.stream.write(f"\r{self.label} {done}/{total}")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def describe_refusal(err: Refusal) -> str:
    """A service's refusal in English; its catalog text is written for Slack users but reads fine."""
    try:
        return t(err.key, "en", **err.params).replace("`", "")
    except (CatalogError, KeyError):
        return f"{err.key} {err.params}" if err.params else err.key


def read_input(path: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """A regular file of at most `limit` bytes, or a one-line refusal."""
    try:
        return documents.read_regular_file(path, limit)
    except (FileNotFoundError, NotADirectoryError):
        raise CliError(f"{path}: no such file", EXIT_REFUSED) from None
    except documents.NotRegularFile:
        raise CliError(f"{path}: not a regular file", EXIT_REFUSED) from None
    except documents.FileTooLarge as err:
        raise CliError(f"{path}: larger than {err.limit // (1024 * 1024)} MB", EXIT_REFUSED) from None


async def open_deps(settings: Settings, clock: Clock, console: Console) -> Deps:
    cipher, note = cipher_for(settings, allow_local=False)
    if note:
        console.note(note)
    return await build_deps(settings, cipher=cipher, clock=clock)


async def with_progress(settings: Settings, clock: Clock, console: Console, progress: ProgressCounter,
                        work: Callable[[UnitOfWork, datetime, ProgressCounter], Awaitable[T]]) -> T:
    """`work` in one unit of work, counting its rows on the terminal; the counter's line is ended
    however it goes."""
    deps = await open_deps(settings, clock, console)
    try:
        async with deps.uow() as uow:
            return await work(uow, clock.now(), progress)
    finally:
        progress.finish()
        await deps.close()


# --- migrate -------------------------------------------------------------------------------------


async def cmd_migrate(settings: Settings, args: argparse.Namespace, clock: Clock, console: Console) -> int:
    engine = make_engine(settings.database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    console.say("database schema is up to date")
    return EXIT_OK


# --- import-roster ---------------------------------------------------------------------------------


async def cmd_import_roster(settings: Settings, args: argparse.Namespace, clock: Clock, console: Console) -> int:
    entries = roster.parse_roster(read_input(args.file), Path(args.file).name)
    if not entries:
        raise CliError(f"{args.file}: no coordinators in the file", EXIT_REFUSED)
    result = await with_progress(settings, clock, console, ProgressCounter(console.stderr, "importing"),
                                 lambda uow, now, progress: roster.import_roster(uow, now, entries,
                                                                                 on_progress=progress))
    console.say(result.summary())
    return EXIT_OK


# --- load-plan ---------------------------------------------------------------------------------------


async def cmd_load_plan(settings: Settings, args: argparse.Namespace, clock: Clock, console: Console) -> int:
    plan = plans.parse_plan(read_input(args.file), Path(args.file).name, ZoneInfo(settings.timezone))
    if not plan.cases and not plan.sessions:
        raise CliError(f"{args.file}: no cases or sessions in the file", EXIT_REFUSED)
    result = await with_progress(settings, clock, console, ProgressCounter(console.stderr, "loading", minimum=50),
                                 lambda uow, now, progress: plans.load_plan(uow, now, plan, on_progress=progress))
    console.say(result.summary())
    if result.created:
        console.say("created: " + " ".join(result.created))
    return EXIT_OK


# --- add-material --------------------------------------------------------------------------------------


async def cmd_add_material(settings: Settings, args: argparse.Namespace, clock: Clock, console: Console) -> int:
    data = read_input(args.file, materials.MAX_FILE_BYTES)
    deps = await open_deps(settings, clock, console)
    try:
        async with deps.uow() as uow:  # an unknown case is refused before the file is checked
            await materials.case_for_upload(uow, clock.now(), plans.SYSTEM_ACTOR, args.case)
        checked = await materials.check_file(data, Path(args.file).name, "en")
        async with deps.uow() as uow:
            result = await materials.add_material_file(uow, clock.now(), plans.SYSTEM_ACTOR, args.case, checked,
                                                       args.kind, args.confirm)
    finally:
        await deps.close()
    material = result.material
    places = [(f.kind, "file name") for f in result.name_findings] + [
        (f.kind, f"line {f.line}" if f.part == "body" else f.part.replace("_", " ")) for f in result.findings]
    console.say(f"added {material.kind} version {material.version} to {result.case.code} "
                f"({len(data)} bytes, encrypted)")
    if not places:
        console.say("anonymisation check: nothing found")
        return EXIT_OK
    # Kinds and lines only: the found text is the personal data itself.
    where = ", ".join(f"{kind} ({place})" for kind, place in places[:10])
    more = f" and {len(places) - 10} more" if len(places) > 10 else ""
    console.say(f"anonymisation check: {len(places)} possible personal data: {where}{more}")
    if args.confirm:
        console.say("findings confirmed: the material can be released")
    else:
        console.say("not releasable until confirmed: check the file, then add it again with --confirm")
    return EXIT_OK


# --- export -------------------------------------------------------------------------------------------------


def _bureau_name(code: str | None) -> str | None:
    """A bureau's official name (東京出入国在留管理局); sessions held online belong to none (オンライン)."""
    if code == "online":
        return t("sessions.bureau_online", EXPORT_LANG)
    bureau = find_bureau(code) if code else None
    return t("operators.bureau_full_name", EXPORT_LANG, bureau=bureau.name(EXPORT_LANG)) if bureau else code


def _theme_name(code: str | None) -> str | None:
    theme = find_theme(code) if code else None
    return theme.name(EXPORT_LANG) if theme else code


def _status_name(kind: str, code: str | None) -> str | None:
    """A session's (`sessions.status`) or a registration's (`sessions.reg_status`) status by name."""
    return t(f"sessions.{kind}.{code}", EXPORT_LANG) if code else None


async def export_coordinators(uow: UnitOfWork, tz: ZoneInfo,
                              admins: frozenset[str] = frozenset()) -> tuple[dict, exports.Table]:
    """DESIGN §3's coordinator fields, and `role`: staff and admins are people the bot knows too,
    so each row says which they are (admin | bureau_staff | lecturer | coordinator)."""
    people = await uow.coordinators.active()
    held: dict[str, set[str]] = {}
    for role in ROLE_ORDER:
        for user in await uow.roles.holders(role):
            held.setdefault(user, set()).add(role)
    for user in admins:
        held.setdefault(user, set()).add("admin")
    records = []
    for p in people:
        role = next((role for role in ROLE_ORDER if role in held.get(p.slack_user_id, ())), "coordinator")
        records.append({
            "slack_user_id": p.slack_user_id, "name": p.name, "prefecture": p.prefecture, "bureau": p.bureau,
            "affiliation": p.affiliation, "themes": list(p.themes or []), "lang": p.lang,
            "pledge_accepted_at": exports.local_iso(p.pledge_accepted_at, tz), "role": role,
            "bureau_name": _bureau_name(p.bureau),
            "affiliation_name": t(f"profile.affiliation.{p.affiliation}", EXPORT_LANG) if p.affiliation else None,
            "theme_names": [_theme_name(code) for code in p.themes or []],
            "role_name": t(f"role.{role}", EXPORT_LANG),
        })
    return {"coordinators": records}, exports.Table.from_records(COORDINATOR_COLUMNS, records, "coordinators")


async def export_session(uow: UnitOfWork, code: str, tz: ZoneInfo) -> tuple[dict, exports.Table]:
    document = await session_document(uow, code, tz)
    session = document["session"]
    session |= {"bureau_name": _bureau_name(session["bureau"]),
                "status_name": _status_name("status", session["status"])}
    for registration in document["registrations"]:
        registration["status_name"] = _status_name("reg_status", registration["status"])
    table = exports.Table.from_records(REGISTRATION_COLUMNS, document["registrations"],
                                       f"{document['session']['code']} registrations")
    return document, table


async def export_case(uow: UnitOfWork, code: str, tz: ZoneInfo) -> tuple[dict, exports.Table]:
    """The case, its sessions with seat and attendance counts, and its materials (never their content)."""
    case = await uow.cases.by_code(code)
    if case is None:
        raise Refusal("sessions.error.unknown_case", code=code)
    sessions = []
    for item in await uow.sessions.for_case(case.id):
        sessions.append({
            "code": item.code, "status": item.status, "bureau": item.bureau, "bureau_name": _bureau_name(item.bureau),
            "starts_at": exports.local_iso(item.starts_at, tz),
            "confirmed": await uow.registrations.count(item.id, *SEATED_STATUSES),
            "attended": await uow.registrations.count(item.id, "attended"),
            "status_name": _status_name("status", item.status),
        })
    materials = [{"kind": m.kind, "version": m.version, "filename": m.filename,
                  "uploaded_at": exports.local_iso(m.uploaded_at, tz)}
                 for m in await uow.materials.for_case(case.id) if m.deleted_at is None]
    document = {
        "case": {"code": case.code, "title": case.title, "theme": case.theme, "lecturer": case.lecturer_user_id,
                 "published_at": exports.local_iso(case.published_at, tz), "theme_name": _theme_name(case.theme)},
        "sessions": sessions,
        "materials": materials,
    }
    return document, exports.Table.from_records(CASE_SESSION_COLUMNS, sessions, f"{case.code} sessions")


async def _export_survey(uow: UnitOfWork, code: str, fmt: str) -> bytes:
    document, survey, report = await export_run(uow, code)
    if fmt == "csv":
        return report_csv(report, survey)
    if fmt == "xlsx":
        return report_xlsx(report, survey)
    return exports.to_json(document)


_CODE_PREFIX = {"session": "S", "case": "C", "survey": "R"}
NOT_FOUND_KEYS = ("sessions.error.not_found", "sessions.error.unknown_case", "survey_runs.error.unknown_run")


async def cmd_export(settings: Settings, args: argparse.Namespace, clock: Clock, console: Console) -> int:
    what, code, fmt, output = args.what, (args.code or "").strip(), args.format, args.output
    if what == "coordinators" and code:
        raise CliError("export coordinators takes no code", EXIT_REFUSED)
    if what != "coordinators":
        prefix = _CODE_PREFIX[what]
        if not code:
            raise CliError(f"export {what} needs a code, like {prefix}1", EXIT_REFUSED)
        if code[0].upper() != prefix or not code[1:].isdigit():
            raise CliError(f"{code!r} is not a {what} code (like {prefix}1)", EXIT_REFUSED)
        code = code.upper()
    if fmt == "xlsx" and not output:
        raise CliError("an .xlsx export is binary: give --output FILE.xlsx", EXIT_REFUSED)
    deps = await open_deps(settings, clock, console)
    try:
        data = await _export_bytes(deps, what, code, fmt)
    except Refusal as err:
        if err.key in NOT_FOUND_KEYS:
            raise CliError(f"no {what} {code}", EXIT_REFUSED) from None
        raise
    finally:
        await deps.close()
    if output:
        try:
            exports.write_private_file(output, data, overwrite=args.force)
        except FileExistsError:
            raise CliError(f"{output} exists: give --force to overwrite it", EXIT_REFUSED) from None
        console.note(f"wrote {output} ({len(data)} bytes)")
    else:
        console.write_bytes(data)
    return EXIT_OK


async def _export_bytes(deps: Deps, what: str, code: str, fmt: str) -> bytes:
    async with deps.uow() as uow:
        if what == "survey":
            return await _export_survey(uow, code, fmt)
        if what == "coordinators":
            document, table = await export_coordinators(uow, deps.tz, deps.settings.admin_ids)
        elif what == "session":
            document, table = await export_session(uow, code, deps.tz)
        else:
            document, table = await export_case(uow, code, deps.tz)
        return exports.render(document, table, fmt)


# --- rotate-key --------------------------------------------------------------------------------------------

ENCRYPTED_COLUMNS = (
    (Material, "content_encrypted", "materials"),
    (Material, "filename_encrypted", "material file names"),
    (SurveyProgress, "state_encrypted", "survey progress records"),
    (SurveyResponse, "answers_encrypted", "survey responses"),
    (CaseRequest, "note_encrypted", "case request notes"),
    (CaseRequest, "reason_encrypted", "case request decline reasons"),
    (CaseRequest, "review_note_encrypted", "case request return notes"),
)


async def rotate_column(deps: Deps, model: type, column: str, batch_size: int = ROTATE_BATCH) -> int:
    """Re-encrypt one column under the first key, one short transaction per batch.

    Every configured key still reads every value, so a run that stops half way loses nothing:
    run it again.
    """
    rotated = 0
    last_id: Any = None
    while True:
        async with deps.uow() as uow:
            rows = await uow.encrypted.batch(model, column, after_id=last_id, limit=batch_size)
            for row in rows:
                setattr(row, column, uow.cipher.rotate(getattr(row, column)))
        rotated += len(rows)
        if len(rows) < batch_size:
            return rotated
        last_id = rows[-1].id


async def cmd_rotate_key(settings: Settings, args: argparse.Namespace, clock: Clock, console: Console) -> int:
    deps = await open_deps(settings, clock, console)
    counts = []
    try:
        for model, column, label in ENCRYPTED_COLUMNS:
            counts.append(f"{await rotate_column(deps, model, column)} {label}")
    except (InvalidToken, EncryptionKeyError):
        raise CliError("stored data cannot be decrypted with any configured key: put the new key first and "
                       "the old key after it in JIREI_ENCRYPTION_KEY", EXIT_FAILED) from None
    finally:
        await deps.close()
    console.say("re-encrypted under the first key: " + ", ".join(counts))
    return EXIT_OK


Command = Callable[[Settings, argparse.Namespace, Clock, Console], Awaitable[int]]
_COMMANDS: dict[str, Command] = {
    "migrate": cmd_migrate,
    "import-roster": cmd_import_roster,
    "load-plan": cmd_load_plan,
    "add-material": cmd_add_material,
    "export": cmd_export,
    "rotate-key": cmd_rotate_key,
}

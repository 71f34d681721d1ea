"""After a response is complete, nothing stored joins an answer to a user id: every table is read
back (encrypted columns decrypted) after people answered through the real dialog, and so are the
raw database file and its write-ahead log (keys, times, token timestamps, storage order)."""

from __future__ import annotations

import base64
import re
import shutil
import sqlite3
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import LargeBinary, select, text
from sqlalchemy.engine import make_url

from bot import ids
from bot.local import seed
from bot.core.clock import ManualClock
from bot.local.workspace import LocalWorkspace
from bot.surveys import service as surveys
from bot.surveys import views as survey_views
from storage.crypto import Cipher, generate_key
from storage.db import wipe_owed
from storage.models import Base
from tests.handlers.conftest import texts
from tests.handlers.test_survey_dialog import answer_survey, dialog_message, invitation, send_planning

START = datetime(2027, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
COORDINATORS = [c[0] for c in seed.COORDINATORS]
# Words only these answers contain, so finding one anywhere points at an answer.
MARKERS = [f"対面希望の理由その{i}" for i in range(6)]
# Keys of the stored answers: a row holding these holds someone's answers.
ANSWER_KEYS = ('"need"', '"group_size"', '"format_opinion"')


def _row_text(row: dict, cipher: Cipher, binary: set[str]) -> str:
    parts = []
    for name, value in row.items():
        if name in binary and value is not None:
            parts.append(cipher.decrypt(bytes(value)).decode("utf-8", "replace"))
        else:
            parts.append(str(value))
    return " ".join(parts)


async def _every_row(ws, cipher: Cipher) -> dict[str, list[tuple[dict, str]]]:
    tables: dict[str, list[tuple[dict, str]]] = {}
    async with ws.deps.uow() as uow:
        for table in Base.metadata.sorted_tables:
            binary = {c.name for c in table.columns if isinstance(c.type, LargeBinary)}
            rows = [dict(r._mapping) for r in (await uow.session.execute(select(table))).all()]
            tables[table.name] = [(row, _row_text(row, cipher, binary)) for row in rows]
    return tables


def _answer_traces(text: str) -> list[str]:
    found = [m for m in MARKERS if m in text] + [k for k in ANSWER_KEYS if k in text]
    # An option button's action id names the option chosen (processed_requests keys).
    found += [a for a in (f"{ids.SURVEY_CHOOSE}:", ids.SURVEY_MULTI, ids.SURVEY_SKIP) if a in text]
    return found


async def test_no_row_joins_a_completed_answer_to_a_person(db_url):
    cipher = Cipher(generate_key())
    async with LocalWorkspace.open(database_url=db_url, cipher=cipher, clock=ManualClock(START)) as ws:
        code = await send_planning(ws)
        respondents = COORDINATORS[:5]  # one batch: written together
        for index, user in enumerate(respondents):
            answers = {"need": "needed", "group_size": "people_5_6", "duration": "min_120",
                       "themes": ["education", "labor"], "format_opinion": MARKERS[index]}
            await answer_survey(ws, user, code, answers, text_by="modal" if index % 2 else "dm",
                                double_click=index == 0)
        # Someone still answering: their progress is (rightly) tied to them until they finish.
        answering = COORDINATORS[6]
        await ws.driver.press(answering, invitation(ws, answering, code), ids.SURVEY_START)
        await ws.driver.press(answering, dialog_message(ws, answering, code), f"{ids.SURVEY_CHOOSE}:needed")

        tables = await _every_row(ws, cipher)

    everyone = [u for u, _ in seed.STAFF] + COORDINATORS
    # The check can see a link: the unfinished dialog names its person and holds an answer.
    progress = tables["survey_progress"]
    assert len(progress) == 1 and answering in progress[0][1] and _answer_traces(progress[0][1])

    for table, rows in tables.items():
        for row, text in rows:
            for user in respondents:
                if user in text:
                    assert not _answer_traces(text), (table, row)

    responses = tables["survey_responses"]
    assert len(responses) == len(respondents)
    for row, text in responses:
        assert set(row) == {"id", "run_id", "bureau", "answers_encrypted"}  # no user, no time
        assert not [u for u in everyone if u in text]
        assert len(row["id"]) == 32
    assert MARKERS[:5] == sorted(m for _, text in responses for m in MARKERS if m in text)
    # The bureau is inside the ciphertext only: in clear, beside a batch with one person of a
    # bureau, it would name them.
    assert {row["bureau"] for row, _ in responses} == {None}
    assert sorted(text.count('"@bureau":"tokyo"') for _, text in responses) == [1] * len(respondents)

    invites = {row["user_id"]: row for row, _ in tables["survey_invites"]}
    assert set(next(iter(invites.values()))) == {"id", "run_id", "user_id", "completed"}
    assert all(invites[u]["completed"] for u in respondents) and not invites[answering]["completed"]


# --- the database file itself ------------------------------------------------------------------------

# A Fernet token as stored (base64url text): version byte 0x80, then its creation time in clear.
FERNET_TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_\-]{40,}={0,2}")


def _token_time(token: bytes) -> datetime:
    head = base64.urlsafe_b64decode(token[:12])  # the version byte and the 8-byte timestamp
    return datetime.fromtimestamp(struct.unpack(">Q", head[1:9])[0], timezone.utc)


def _raw_bytes(database: Path) -> bytes:
    """The database file and its write-ahead log, as anyone who copies them reads them."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_the_database_file_and_its_log_do_not_tie_a_response_to_its_person(sqlite_url):
    cipher = Cipher(generate_key())
    database = Path(make_url(sqlite_url).database)
    clock = ManualClock(START)
    async with LocalWorkspace.open(database_url=sqlite_url, cipher=cipher, clock=clock) as ws:
        code = await send_planning(ws)
        async with ws.deps.uow() as uow:
            opened = (await uow.surveys.run_by_code(code)).opens_at
        respondents = COORDINATORS[:6]
        finished_at = {}
        for index, user in enumerate(respondents):
            # One after another, each at a time of their own (to the second).
            clock.advance(timedelta(minutes=7, seconds=13))
            finished_at[user] = clock.now()
            answers = {"need": "needed", "group_size": "people_5_6", "duration": "min_120", "themes": ["labor"],
                       "format_opinion": MARKERS[index]}
            await answer_survey(ws, user, code, answers, text_by="modal" if index % 2 else "dm")
        async with ws.deps.uow() as uow:  # before they expire
            keys = list(await uow.session.scalars(text("SELECT key FROM processed_requests")))
        await ws.advance(timedelta(days=15))  # the close writes the sixth, waiting for its batch
        tables = await _every_row(ws, cipher)
        async with ws.deps.uow() as uow:
            # The order a plain scan returns is the order the rows are kept in.
            scan_order = list(await uow.session.scalars(text("SELECT id FROM survey_responses")))
            schema = await uow.session.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'survey_responses'"))
        raw = _raw_bytes(database)

    assert tables["survey_progress"] == []
    responses = tables["survey_responses"]
    assert len(responses) == len(respondents)

    # Keys: no once-only key names a person (nor could one be recomputed: they are keyed hashes).
    assert keys and not [k for k in keys for u in COORDINATORS if u in k]

    # Times: a row that names a respondent holds no time at which they answered, and the
    # responses' tokens all carry the run's opening time, not the time each was completed.
    for table, rows in tables.items():
        for row, text_ in rows:
            for user, moment in finished_at.items():
                if user in text_:
                    assert moment not in row.values(), (table, row)
    assert {_token_time(bytes(row["answers_encrypted"])) for row, _ in responses} == {opened}

    # Storage order: rows are kept in the order of their random ids, not in the order written.
    assert "WITHOUT ROWID" in schema.upper()
    assert scan_order == sorted(scan_order) and len(set(scan_order)) == len(respondents)

    # The raw file and its log: the only tokens left are those of live rows (deleted progress was
    # zeroed, not left in free pages or old log frames), so none carries a respondent's time.
    live = {bytes(row[c]) for rows in tables.values() for row, _ in rows for c in row
            if isinstance(row[c], (bytes, bytearray)) and row[c].startswith(b"gAAAAA")}
    found = set(FERNET_TOKEN.findall(raw))
    assert found and found <= live
    assert not {_token_time(t) for t in found} & set(finished_at.values())
    for user in COORDINATORS:
        assert f"action:{user}".encode() not in raw


async def test_a_wipe_a_reader_prevents_is_owed_and_done_by_the_periodic_clean_up(sqlite_url):
    cipher = Cipher(generate_key())
    database = Path(make_url(sqlite_url).database)
    async with LocalWorkspace.open(database_url=sqlite_url, cipher=cipher, clock=ManualClock(START)) as ws:
        engine = ws.deps.engine
        async with ws.deps.uow() as uow:
            await uow.processed.first_time("event:Ev1", ws.clock.now())
        reader = sqlite3.connect(database)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM processed_requests").fetchall()  # holds a snapshot
        async with ws.deps.uow() as uow:
            await uow.processed.first_time("event:Ev2", ws.clock.now())
            uow.wipe_freed_pages()
        assert wipe_owed(engine)
        reader.rollback()
        reader.close()
        await ws.run_due()
        assert not wipe_owed(engine)


# --- the probe: someone who copies the file and its log after every completion ---------------------------

RESPONSES_ROOT = "SELECT rootpage FROM sqlite_master WHERE name = 'survey_responses'"


@dataclass(frozen=True)
class Cell:
    """A stored response as the copier sees it without the key."""

    position: tuple[int, int]  # SQLite: (page, minus the cell's offset), PostgreSQL: ctid; grows with writing
    bureau: str | None
    length: int
    token_time: datetime


@dataclass(frozen=True)
class Snapshot:
    cells: dict[str, Cell]
    completed: frozenset[str]


def _sqlite_snapshot(database: Path, folder: Path) -> Snapshot:
    """Copy the database file and its log as they are, then read the copy."""
    folder.mkdir()
    copy = folder / database.name
    for suffix in ("", "-wal"):
        source = database.with_name(database.name + suffix)
        if source.exists():
            shutil.copyfile(source, folder / (database.name + suffix))
    raw = sqlite3.connect(copy)
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy's log into the copy's pages
        rows = raw.execute("SELECT id, bureau, answers_encrypted FROM survey_responses").fetchall()
        completed = {u for u, c in raw.execute("SELECT user_id, completed FROM survey_invites") if c}
        root = raw.execute(RESPONSES_ROOT).fetchone()[0]
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    finally:
        raw.close()
    page = copy.read_bytes()[(root - 1) * page_size:root * page_size]
    # One leaf page (an index b-tree leaf, as a WITHOUT ROWID table is stored): cells are placed from
    # the page's end towards its start as they are written, so a smaller offset is a later write.
    assert page[0] == 0x0A, "the responses fit in one leaf page"
    cells = {}
    for response_id, bureau, blob in rows:
        offset = page.find(response_id.encode())
        assert offset > 0 and page.find(response_id.encode(), offset + 1) == -1
        cells[response_id] = Cell((root, -offset), bureau, len(blob), _token_time(bytes(blob)))
    return Snapshot(cells, frozenset(completed))


async def _postgres_snapshot(ws) -> Snapshot:
    """What polling the database shows: the rows with their place in the table's pages (ctid)."""
    async with ws.deps.uow() as uow:
        rows = (await uow.session.execute(text(
            "SELECT ctid::text, id, bureau, answers_encrypted FROM survey_responses"))).all()
        completed = {u for u, c in (await uow.session.execute(
            text("SELECT user_id, completed FROM survey_invites"))).all() if c}
    cells = {}
    for ctid, response_id, bureau, blob in rows:
        block, item = (int(part) for part in ctid.strip("()").split(","))
        cells[response_id] = Cell((block, item), bureau, len(blob), _token_time(bytes(blob)))
    return Snapshot(cells, frozenset(completed))


def _commits(snapshots: list[Snapshot]) -> list[tuple[set[str], set[str]]]:
    """(cells that appeared, invites that flipped) between one copy and the next."""
    return [(set(after.cells) - set(before.cells), set(after.completed - before.completed))
            for before, after in zip(snapshots, snapshots[1:])]


async def test_six_finishing_one_after_another_cannot_be_tied_to_their_responses(db_url, tmp_path):
    """The attack probe's four linkings, against a copy of the file and its log (SQLite) or a poll
    of the table's pages (PostgreSQL) after every completion, the reminder and the close:
    (1) the order of the cells against the order people finished, (2) the bureau beside a response
    against finishing rank, (3) a response appearing with its person's invite flip, (4) the one
    person reminded before finishing against the last-written cell."""
    cipher = Cipher(generate_key())
    clock = ManualClock(START)
    sqlite = db_url.startswith("sqlite")
    database = Path(make_url(db_url).database) if sqlite else None
    copies = iter(range(100))

    async def snapshot() -> Snapshot:
        if sqlite:
            return _sqlite_snapshot(database, tmp_path / f"copy-{next(copies)}")
        return await _postgres_snapshot(ws)

    # Tokyo, Osaka (second to finish), Tokyo…; the last is reminded before finishing.
    order = ["UCOORD01", "UCOORD21", "UCOORD02", "UCOORD03", "UCOORD04", "UCOORD05"]
    reminded = order[-1]
    async with LocalWorkspace.open(database_url=db_url, cipher=cipher, clock=clock) as ws:
        code = await send_planning(ws)
        async with ws.deps.uow() as uow:
            run = await uow.surveys.run_by_code(code)
        snapshots = [await snapshot()]
        for index, user in enumerate(order):
            if user == reminded:
                await ws.advance(run.deadline_at - timedelta(days=3) + timedelta(hours=1) - clock.now())
                assert "回答期限が近づいて" in texts(ws.fake.dm_messages(user))  # reminded, not yet finished
                snapshots.append(await snapshot())
            clock.advance(timedelta(minutes=11, seconds=7))
            answers = {"need": "needed", "group_size": "people_5_6", "duration": "min_120", "themes": ["labor"],
                       "format_opinion": MARKERS[index]}
            await answer_survey(ws, user, code, answers, text_by="modal" if index % 2 else "dm")
            snapshots.append(await snapshot())
        await ws.advance(run.deadline_at + timedelta(minutes=10) - clock.now())  # the close
        snapshots.append(await snapshot())
        async with ws.deps.uow() as uow:
            closed = await uow.surveys.run(run.id)
            report = (await survey_views.tally_run(uow, closed))
        assert closed.status == "closed" and report.report.respondents == len(order)
        # With the key, the breakdown still counts every response by bureau.
        assert {b: r.respondents for b, r in report.by_bureau.items()} == {"tokyo": 5, "osaka": 1}

    final = snapshots[-1]
    assert len(final.cells) == len(order) and final.completed == set(order)
    commits = _commits(snapshots)

    # (3) Responses appear only in batches of at least five, in the very commit that flips the same
    # number of invites; the first four completions, the reminder and the sixth change nothing a
    # copier can see. The close writes every response of the run again, under new ids.
    writes = [(new, flipped) for new, flipped in commits if new or flipped]
    assert [(len(new), len(flipped)) for new, flipped in writes] == [(5, 5), (6, 1)]
    first_batch, close = writes
    assert first_batch[1] == set(order[:5]) and close[1] == {reminded}
    assert not set(final.cells) & set(snapshots[-2].cells), "the close leaves no earlier cell in place"
    for new, flipped in writes:
        assert len(new) >= surveys.BATCH_SIZE
    # Every person's possible responses: the cells that appeared in the commit that flipped them.
    candidates = {user: new for new, flipped in writes for user in flipped}
    assert all(len(candidates[user]) >= surveys.BATCH_SIZE for user in order)

    # (2) Nothing beside a response differs with finishing rank: no bureau in clear, one length,
    # one token time (the run's opening), for every cell of every copy.
    for copy in snapshots:
        assert {(c.bureau, c.length, c.token_time) for c in copy.cells.values()} <= {(None, final.cells[
            next(iter(final.cells))].length, run.opens_at)}

    # (1) Within a commit the cells lie in the order of their random ids (drawn when the batch was
    # written, after all of its people had finished), so their order says nothing about who
    # finished first; between commits it says only which commit, known already.
    batch_cells = {i: snapshots[-2].cells[i] for i in first_batch[0]}
    assert sorted(batch_cells, key=lambda i: batch_cells[i].position) == sorted(batch_cells)
    if not sqlite:
        assert sorted(final.cells, key=lambda i: final.cells[i].position) == sorted(final.cells)

    # (4) The reminded person finished last, yet their response was written with five others in one
    # commit, at a place drawn with the others': the last-written cell is no more theirs than any.
    assert len(candidates[reminded]) == len(order)
    reminder_copy = snapshots[order.index(reminded) + 1]
    assert reminder_copy.cells == snapshots[order.index(reminded)].cells


async def test_sqlite_overwrites_what_it_deletes(sqlite_url):
    """secure_delete is on for every connection the bot opens (writers and readers alike)."""
    async with LocalWorkspace.open(database_url=sqlite_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as ws:
        async with ws.deps.uow() as uow:
            assert await uow.session.scalar(text("PRAGMA secure_delete")) == 1
        for engine in (ws.deps.engine, ws.deps.read_engine):
            async with engine.connect() as conn:
                assert await conn.scalar(text("PRAGMA secure_delete")) == 1

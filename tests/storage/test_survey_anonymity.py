"""After a response is complete, nothing stored joins an answer to a user id: every table is read
back (encrypted columns decrypted) after people answered through the real dialog, and so are the
raw database file and its write-ahead log (keys, times, token timestamps, storage order)."""

from __future__ import annotations

import base64
import re
import sqlite3
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import LargeBinary, select, text
from sqlalchemy.engine import make_url

from bot import ids
from bot.local import seed
from bot.core.clock import ManualClock
from bot.local.workspace import LocalWorkspace
from storage.crypto import Cipher, generate_key
from storage.db import wipe_owed
from storage.models import Base
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
        respondents = COORDINATORS[:6]
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
    assert sorted(MARKERS) == sorted(m for _, text in responses for m in MARKERS if m in text)
    # The bureau is kept only from the fifth completion of a bureau on: with fewer, the completed
    # flags kept for reminders would point at whose response it is.
    bureaus = [row["bureau"] for row, _ in responses]
    assert sorted(b or "" for b in bureaus) == ["", "", "", "", "tokyo", "tokyo"]

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
        await ws.run_due()
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
    keys = [row["key"] for row, _ in tables["processed_requests"]]
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

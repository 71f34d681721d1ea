"""After a response is complete, no stored row joins an answer to a user id: every table is read
back (encrypted columns decrypted) after people answered through the real dialog."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import LargeBinary, select

from bot import ids
from bot import local_seed as seed
from bot.clock import ManualClock
from bot.local import LocalWorkspace
from storage.crypto import Cipher, generate_key
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

"""Logs are JSON with a request id, and never carry a name, a message body or case text.

The full flow runs with logging configured as in production (bot.logs.setup_logging) at DEBUG,
and pytest's caplog sees every record any logger emits.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


from bot import ids
from bot.local import seed
from bot.core.clock import ManualClock
from bot.local.workspace import LocalWorkspace
from bot.logs import JsonFormatter, request_id
from bot.metrics import COMMAND_LATENCY, COMMANDS, render
from storage.crypto import Cipher, generate_key
from tests.handlers.conftest import announced

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
PERSON = "UPRIVATE01"
NAME = "秘密川 太郎"
DM_TEXT = "昨日の相談者は夫からの暴力で避難中です"
MATERIAL = ("相談者: 山田 花子（1985年4月1日生）\n在留カード番号 AB12345678CD\n電話 090-1234-5678\n"
            "住所 東京都新宿区西新宿2-8-1\n")
SECRETS = (NAME, "秘密川", DM_TEXT, "暴力で避難", "山田 花子", "AB12345678CD", "090-1234-5678", "西新宿2-8-1")


# aiosqlite logs every statement with its parameters at DEBUG: production logging quiets it (last test).
KNOWN_LEAKY = ("aiosqlite",)


def everything_logged(caplog) -> str:
    parts = []
    for record in caplog.records:
        if record.name.startswith(KNOWN_LEAKY):
            continue
        parts.append(record.getMessage())
        parts.append(repr(record.__dict__))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


async def test_a_full_flow_logs_no_name_no_dm_text_and_no_case_text(db_url, caplog, production_logging):
    caplog.set_level(logging.DEBUG)
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as ws:
        ws.fake.add_user(PERSON, NAME)
        await ws.driver.command(PERSON, f'profile set name="{NAME}" prefecture=東京都 affiliation=public')
        await ws.driver.command(PERSON, "pledge accept")
        await ws.driver.send_dm(PERSON, DM_TEXT)
        await ws.driver.command(seed.ADMIN, f'admin case new title="受診同行" theme=医療・福祉 lecturer={seed.LECTURER}')
        await ws.driver.command(seed.ADMIN, "admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 "
                                            "capacity=30 min=1 deadline=2027-05-01T17:00 release=2027-05-07T09:00")
        await ws.driver.command(seed.LECTURER, "admin material add C1")
        form = ws.fake.current_view(seed.LECTURER)
        file_id = ws.fake.add_user_file(seed.LECTURER, "case.txt", MATERIAL.encode())
        await ws.driver.submit_view(seed.LECTURER, form, {
            ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
            ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
            ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
        })
        await ws.run_due()
        findings = next(m for m in reversed(ws.fake.dm_messages(seed.LECTURER)) if ids.MATERIAL_CONFIRM in str(m))
        await ws.driver.press(seed.LECTURER, findings, ids.MATERIAL_CONFIRM)
        await announced(ws)
        await ws.driver.command(PERSON, "join S1")
        await ws.advance(timedelta(days=37))  # past the release on 7 May
        await ws.driver.command(PERSON, "forget-me confirm")

        # The flow really happened: the person got the case file, the lecturer saw the findings.
        assert any(c.method == "files.completeUploadExternal" for c in ws.fake.calls)
        assert "AB12345678CD" in str(findings)

    logged = everything_logged(caplog)
    assert caplog.records, "the flow logged nothing at all"
    leaked = [(r.name, r.getMessage()[:200]) for r in caplog.records if not r.name.startswith(KNOWN_LEAKY)
              and any(secret in r.getMessage() or secret in repr(r.__dict__) for secret in SECRETS)]
    assert leaked == []
    assert not [secret for secret in SECRETS if secret in logged]
    lines = [json.loads(line) for line in production_logging.getvalue().splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "request_id", "message"} <= set(line) for line in lines)
    assert any(line["request_id"] != "-" for line in lines if line["logger"] == "jirei.requests")
    json_lines = [line for line in lines if not line["logger"].startswith(KNOWN_LEAKY)]
    assert not [secret for secret in SECRETS if secret in json.dumps(json_lines, ensure_ascii=False)]


async def test_every_request_gets_its_own_request_id(db_url):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())  # formats at emit time, inside the request
    requests_log = logging.getLogger("jirei.requests")
    requests_log.addHandler(handler)
    requests_log.setLevel(logging.INFO)
    try:
        async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()),
                                       clock=ManualClock(START)) as ws:
            for _ in range(3):
                await ws.driver.command(seed.COORDINATORS[0][0], "sessions")
    finally:
        requests_log.removeHandler(handler)
        requests_log.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"].split(":")[0] for line in lines] == ["command sessions"] * 3
    assert len({line["request_id"] for line in lines}) == 3 and "-" not in {line["request_id"] for line in lines}


async def test_commands_are_counted_by_grammar_name_only(db_url):
    def count(command: str, outcome: str) -> float:
        return COMMANDS.labels(command=command, outcome=outcome)._value.get()

    def observed(command: str) -> float:
        return next(s.value for m in COMMAND_LATENCY.collect() for s in m.samples
                    if s.name.endswith("_count") and s.labels.get("command") == command)

    before = (count("sessions", "ok"), count("invalid", "usage"), count("admin announce", "refused"))
    latency_before = observed("sessions") if COMMANDS.labels(command="sessions", outcome="ok") else 0
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as ws:
        user = seed.COORDINATORS[0][0]
        await ws.driver.command(user, "sessions")
        await ws.driver.command(user, f"{NAME} <!channel>")
        await ws.driver.command(user, "admin announce S1")
    after = (count("sessions", "ok"), count("invalid", "usage"), count("admin announce", "refused"))
    assert [a - b for a, b in zip(after, before)] == [1, 1, 1]
    assert observed("sessions") == latency_before + 1
    exposition = render()[0].decode()
    assert "jirei_commands_total" in exposition and NAME not in exposition and "<!channel>" not in exposition


def test_the_json_formatter_keeps_only_the_exception_type_and_place():
    try:
        raise ValueError(f"bad value {NAME}")
    except ValueError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed: %s", ("E1",),
                                                   exc_info=__import__("sys").exc_info())
    token = request_id.set("abc123")
    try:
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert entry["request_id"] == "abc123" and entry["error"] == "ValueError" and entry["message"] == "failed: E1"
    assert NAME not in json.dumps(entry, ensure_ascii=False)


def test_production_logging_quiets_every_library_that_logs_sql_parameters(production_logging):
    assert logging.getLogger("aiosqlite").getEffectiveLevel() >= logging.WARNING

"""The operators' command line end to end: `run_bot.main([...])` in-process on a temporary SQLite
database, asserting exit codes, outputs, and that every error is one line without a traceback."""

import asyncio
import csv
import io
import json
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import run_bot
from bot.maintenance import ProgressCounter
from bot.people import service as people
from bot.sessions import service as sessions
from storage.crypto import Cipher, generate_key
from storage.db import make_engine, make_session_factory
from storage.models import CaseRequest, Material, SurveyProgress, SurveyResponse, SurveyRun
from storage.uow import UnitOfWork
from tests.bot.test_roster import csv_bytes, roster_rows, xlsx_bytes

FIXTURES = Path(__file__).resolve().parent / "fixtures"
JST = ZoneInfo("Asia/Tokyo")
BEFORE_THE_PLAN = datetime(2027, 4, 1, 9, 0, tzinfo=JST)  # the fixture plan's sessions are in 2035


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run `run_bot.py ARGS` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # no .env and no local key file from the developer's tree
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "JIREI_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'jirei.db'}")
    monkeypatch.setenv("JIREI_ENCRYPTION_KEY", generate_key())
    monkeypatch.setenv("JIREI_LOG_LEVEL", "WARNING")
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level

    def run(*argv: str) -> tuple[int, str, str]:
        code = run_bot.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    root.handlers[:] = saved_handlers  # the CLI points logging at a captured stream
    root.setLevel(saved_level)


def assert_one_line_error(err: str, expected: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("jirei: "), err
    assert expected in err, err


def with_uow(tmp_path: Path, key: str, work) -> object:
    """Run `work(uow)` against the CLI's database, as a test's own window into it."""
    async def go():
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'jirei.db'}")
        try:
            async with UnitOfWork(make_session_factory(engine), Cipher(key)) as uow:
                return await work(uow)
        finally:
            await engine.dispose()
    return asyncio.run(go())


def test_migrate(cli):
    code, out, err = cli("migrate")
    assert (code, out) == (0, "database schema is up to date\n")
    assert cli("migrate")[0] == 0


def test_import_roster_twice_keeps_200_and_a_bad_file_imports_nothing(cli, tmp_path):
    good = tmp_path / "roster.csv"
    good.write_bytes(csv_bytes(roster_rows(200)))
    assert cli("import-roster", str(good))[:2] == (0, "imported 200 coordinators (200 new, 0 updated)\n")
    assert cli("import-roster", str(good))[:2] == (0, "imported 200 coordinators (0 new, 200 updated)\n")

    rows = roster_rows(30, name_suffix=" (changed)")
    rows[15][2] = "東京都市"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(rows))
    code, out, err = cli("import-roster", str(bad))
    assert (code, out) == (2, "")
    assert_one_line_error(err, 'row 17, column prefecture: unknown prefecture "東京都市"')

    code, out, _ = cli("export", "coordinators", "--format", "json")
    people_out = json.loads(out)["coordinators"]
    assert code == 0 and len(people_out) == 200
    assert not [p for p in people_out if "(changed)" in p["name"]]
    okinawa = [p for p in people_out if p["prefecture"] == "沖縄県"]
    assert okinawa and {p["bureau"] for p in okinawa} == {"fukuoka"}


def test_import_roster_from_xlsx_and_cp932(cli, tmp_path):
    book = tmp_path / "名簿.xlsx"
    book.write_bytes(xlsx_bytes(roster_rows(10)))
    assert cli("import-roster", str(book))[:2] == (0, "imported 10 coordinators (10 new, 0 updated)\n")
    sjis = tmp_path / "sjis.csv"
    sjis.write_bytes(csv_bytes(roster_rows(12), encoding="cp932"))
    assert cli("import-roster", str(sjis))[:2] == (0, "imported 12 coordinators (2 new, 10 updated)\n")


def test_import_roster_refuses_missing_and_unsupported_files(cli, tmp_path):
    code, _, err = cli("import-roster", "nowhere.csv")
    assert code == 2
    assert_one_line_error(err, "nowhere.csv: no such file")
    (tmp_path / "roster.pdf").write_bytes(b"%PDF-1.4")
    code, _, err = cli("import-roster", str(tmp_path / "roster.pdf"))
    assert code == 2
    assert_one_line_error(err, "unsupported file type")


def test_load_plan_twice_and_a_bad_plan(cli, tmp_path):
    code, out, _ = cli("load-plan", str(FIXTURES / "plan.yaml"))
    assert code == 0
    assert out.splitlines() == ["plan loaded: cases 2 new, 0 unchanged; sessions 3 new, 0 unchanged",
                                "created: C1 C2 S1 S2 S3"]
    code, out, _ = cli("load-plan", str(FIXTURES / "plan.yaml"))
    assert (code, out) == (0, "plan loaded: cases 0 new, 2 unchanged; sessions 0 new, 3 unchanged\n")

    bad = tmp_path / "plan.csv"
    bad.write_bytes((FIXTURES / "plan.csv").read_bytes().replace(b",120,30,5,", b",120,30,50,"))
    code, out, err = cli("load-plan", str(bad))
    assert (code, out) == (2, "")
    assert_one_line_error(err, "row 3, capacity: capacity must be at least min")
    assert cli("export", "case", "C3")[0] == 2  # the refused plan created nothing


def _seed_registrations(tmp_path: Path, key: str) -> None:
    """Three coordinators of Tokyo pledge and join S1 (the plan's Tokyo session)."""
    async def work(uow):
        (await uow.sessions.by_code("S1")).announced_at = BEFORE_THE_PLAN
        for user in ("U00000001", "U00000010", "U00000019"):  # 東京都 in roster_rows
            await people.accept_pledge(uow, BEFORE_THE_PLAN, user)
            await sessions.join(uow, BEFORE_THE_PLAN, people.Actor(user_id=user), "S1")
    with_uow(tmp_path, key, work)


def test_exports_have_the_documented_shapes(cli, tmp_path, monkeypatch):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_bytes(csv_bytes(roster_rows(20)))
    assert cli("import-roster", str(roster_file))[0] == 0
    assert cli("load-plan", str(FIXTURES / "plan.yaml"))[0] == 0
    _seed_registrations(tmp_path, os.environ["JIREI_ENCRYPTION_KEY"])

    code, out, _ = cli("export", "session", "s1")
    document = json.loads(out)
    assert code == 0 and set(document) == {"session", "registrations", "deliveries"}
    assert set(document["session"]) == {"code", "status", "bureau", "case", "capacity", "min_participants",
                                        "starts_at", "substitute", "bureau_name", "status_name"}
    assert document["session"] | {"starts_at": None, "bureau_name": None, "status_name": None} == {
        "code": "S1", "status": "open", "bureau": "tokyo", "case": "C1", "capacity": 30, "min_participants": 5,
        "starts_at": None, "substitute": None, "bureau_name": None, "status_name": None}
    assert [r["user_id"] for r in document["registrations"]] == ["U00000001", "U00000010", "U00000019"]
    assert all(set(r) == {"user_id", "status", "group", "registered_at", "status_name"}
               and (r["status"], r["status_name"]) == ("confirmed", "参加確定") for r in document["registrations"])
    # DESIGN §3's fields, then the names people read beside the codes
    assert (document["session"]["bureau_name"], document["session"]["status_name"]) == ("東京出入国在留管理局", "受付中")
    assert all(set(d) == {"user_id", "kind", "status", "sent_at"} for d in document["deliveries"])

    assert document["session"]["starts_at"].endswith("+09:00")  # Japan time, with its offset
    assert all(r["registered_at"].endswith("+09:00") for r in document["registrations"])

    async def make_staff(uow):
        await uow.roles.grant("U00000002", "bureau_staff", "tokyo", "UADMIN", BEFORE_THE_PLAN)
    with_uow(tmp_path, os.environ["JIREI_ENCRYPTION_KEY"], make_staff)
    code, out, _ = cli("export", "coordinators")
    records = json.loads(out)["coordinators"]
    assert {r["slack_user_id"]: r["role"] for r in records}["U00000002"] == "bureau_staff"
    first = records[0]
    assert list(first) == ["slack_user_id", "name", "prefecture", "bureau", "affiliation", "themes", "lang",
                           "pledge_accepted_at", "role", "bureau_name", "affiliation_name", "theme_names",
                           "role_name"]
    assert first["slack_user_id"] == "U00000001" and first["themes"] == ["immigration", "labor"]
    assert first["pledge_accepted_at"] == "2027-04-01T09:00:00+09:00"  # Japan time, with its offset
    assert first["role"] == "coordinator"
    # People read exports: every code has its display name beside it.
    assert first["bureau_name"] == "東京出入国在留管理局" and first["theme_names"] == ["入管手続", "労働"]
    assert first["role_name"] == "認証者" and first["affiliation_name"] in ("公的機関", "民間団体")
    staff = next(r for r in records if r["slack_user_id"] == "U00000002")
    assert staff["role_name"] == "地方局担当者"

    code, out, _ = cli("export", "case", "C1")
    case_doc = json.loads(out)
    assert code == 0 and set(case_doc) == {"case", "sessions", "materials"}
    assert case_doc["case"] == {"code": "C1", "title": "医療通訳が見つからない妊婦への支援", "theme": "medical_welfare",
                                "lecturer": "U0LECT001", "published_at": None,
                                "theme_name": "医療・福祉"}
    assert [(s["code"], s["bureau"], s["bureau_name"], s["confirmed"], s["attended"])
            for s in case_doc["sessions"]] == [("S1", "tokyo", "東京出入国在留管理局", 3, 0), ("S2", "osaka", "大阪出入国在留管理局", 0, 0)]

    code, out, _ = cli("export", "session", "S1", "--format", "csv")
    assert code == 0 and out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    assert rows[0] == ["user_id", "status", "group", "registered_at", "status_name"] and len(rows) == 4

    code, out, _ = cli("export", "coordinators", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    assert rows[0] == ["slack_user_id", "name", "prefecture", "bureau", "affiliation", "themes", "lang",
                       "pledge_accepted_at", "role", "bureau_name", "affiliation_name", "theme_names", "role_name"]
    assert rows[1][1] == "認証者 1" and rows[1][5] == "immigration;labor" and rows[1][11] == "入管手続;労働"

    target = tmp_path / "case.xlsx"
    code, out, err = cli("export", "case", "C1", "--format", "xlsx", "--output", str(target))
    assert (code, out) == (0, "") and "wrote" in err
    sheet = load_workbook(target).active
    assert [c.value for c in sheet[1]] == ["code", "status", "bureau", "starts_at", "confirmed", "attended",
                                           "bureau_name", "status_name"]
    assert sheet["A2"].value == "S1" and sheet["E2"].value == 3 and sheet.freeze_panes == "A2"

    target_json = tmp_path / "c.json"
    assert cli("export", "coordinators", "--output", str(target_json))[0] == 0
    assert len(json.loads(target_json.read_text(encoding="utf-8"))["coordinators"]) == 20


@pytest.mark.parametrize("argv, code, message", [
    (("export", "session", "S99"), 2, "no session S99"),
    (("export", "case", "C42", "--format", "csv"), 2, "no case C42"),
    (("export", "session"), 2, "export session needs a code, like S1"),
    (("export", "session", "C1"), 2, "'C1' is not a session code"),
    (("export", "coordinators", "--format", "xlsx"), 2, "give --output FILE.xlsx"),
    (("export", "coordinators", "S1"), 2, "export coordinators takes no code"),
])
def test_export_refusals_are_one_line(cli, argv, code, message):
    result, out, err = cli(*argv)
    assert (result, out) == (code, "")
    assert_one_line_error(err, message)


def test_export_survey_uses_the_survey_service_or_says_it_is_missing(cli):
    import importlib.util

    result, out, err = cli("export", "survey", "R1")
    assert out == "" and result in (1, 2)
    if importlib.util.find_spec("bot.surveys.service") is None:
        assert_one_line_error(err, "export survey is not available in this build yet")
    else:
        assert "Traceback" not in err and err.startswith("jirei: ")


def test_add_material_reports_findings_without_their_text(cli, tmp_path):
    assert cli("load-plan", str(FIXTURES / "plan.yaml"))[0] == 0
    material = tmp_path / "case.txt"
    material.write_text("相談者の電話番号は 090-1234-5678 です。\n来日して3年目。\n", encoding="utf-8")
    code, out, err = cli("add-material", "C1", str(material))
    assert code == 0, err
    assert "added material version 1 to C1" in out
    assert "090-1234-5678" not in out + err
    assert "not releasable until confirmed" in out

    code, out, _ = cli("add-material", "C1", str(material), "--kind", "commentary", "--confirm")
    assert code == 0 and "added commentary version 1 to C1" in out and "findings confirmed" in out

    code, out, err = cli("add-material", "C9", str(material))
    assert (code, out) == (2, "")
    assert_one_line_error(err, "C9")


def test_rotate_key_re_encrypts_everything_under_the_new_key(cli, tmp_path, monkeypatch):
    old_key, new_key = generate_key(), generate_key()
    monkeypatch.setenv("JIREI_ENCRYPTION_KEY", old_key)
    assert cli("load-plan", str(FIXTURES / "plan.yaml"))[0] == 0
    material = tmp_path / "case.txt"
    material.write_text("匿名化済みの事例です。\n", encoding="utf-8")
    assert cli("add-material", "C1", str(material))[0] == 0

    async def add_survey_data(uow):
        run = SurveyRun(survey_id="post_session", opens_at=BEFORE_THE_PLAN, deadline_at=BEFORE_THE_PLAN + timedelta(days=7),
                        created_by="cli", created_at=BEFORE_THE_PLAN)
        uow.session.add(run)
        await uow.flush()
        uow.session.add(SurveyProgress(run_id=run.id, user_id="U00000001", state_encrypted=uow.cipher.encrypt_json({"step": 2}),
                                       updated_at=BEFORE_THE_PLAN))
        for answer in ("とても良かった", "また参加したい"):
            uow.session.add(SurveyResponse(run_id=run.id, answers_encrypted=uow.cipher.encrypt_json({"q1": answer})))
        uow.session.add(CaseRequest(theme="education", title="就学支援", lecturer_user_id="U00000002",
                                    requested_by="cli", due_on=BEFORE_THE_PLAN.date(), status="asked",
                                    note_encrypted=uow.cipher.encrypt("外国籍の子どもの就学".encode()),
                                    created_at=BEFORE_THE_PLAN))
    with_uow(tmp_path, old_key, add_survey_data)

    monkeypatch.setenv("JIREI_ENCRYPTION_KEY", new_key)  # the old key forgotten: nothing can be read
    code, out, err = cli("rotate-key")
    assert code == 1
    assert_one_line_error(err, "cannot be decrypted with any configured key")

    monkeypatch.setenv("JIREI_ENCRYPTION_KEY", f"{new_key},{old_key}")
    code, out, err = cli("rotate-key")
    assert code == 0
    assert out == ("re-encrypted under the first key: 1 materials, 1 material file names, 1 survey progress records, "
                   "2 survey responses, 1 case request notes, 0 case request decline reasons, "
                   "0 case request return notes\n")

    async def read_all(uow):
        materials = list(await uow.session.scalars(select(Material)))
        progress = list(await uow.session.scalars(select(SurveyProgress)))
        responses = list(await uow.session.scalars(select(SurveyResponse)))
        notes = [uow.cipher.decrypt(r.note_encrypted).decode() for r in await uow.session.scalars(select(CaseRequest))]
        return ([(uow.cipher.decrypt(m.content_encrypted), uow.cipher.decrypt(m.filename_encrypted)) for m in materials],
                [uow.cipher.decrypt_json(p.state_encrypted) for p in progress],
                sorted(uow.cipher.decrypt_json(r.answers_encrypted)["q1"] for r in responses), notes)
    # Only the new key now: everything reads.
    contents, progress, answers, notes = with_uow(tmp_path, new_key, read_all)
    assert notes == ["外国籍の子どもの就学"]
    assert contents == [("匿名化済みの事例です。\n".encode(), b"case.txt")]
    assert progress == [{"step": 2}] and set(answers) == {"また参加したい", "とても良かった"}


def test_a_missing_encryption_key_is_one_line(cli, monkeypatch):
    monkeypatch.delenv("JIREI_ENCRYPTION_KEY")
    code, out, err = cli("export", "coordinators")
    assert (code, out) == (2, "")
    assert_one_line_error(err, "JIREI_ENCRYPTION_KEY is not set")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counter_only_on_a_terminal_and_for_large_jobs():
    terminal = FakeTerminal()
    counter = ProgressCounter(terminal, "importing", minimum=100, step=50)
    for done in range(1, 121):
        counter(done, 120)
    counter.finish()
    assert terminal.getvalue() == "\rimporting 50/120\rimporting 100/120\rimporting 120/120\n"

    small, piped = FakeTerminal(), io.StringIO()
    for stream, total in ((small, 10), (piped, 500)):
        counter = ProgressCounter(stream, "importing", minimum=100)
        for done in range(1, total + 1):
            counter(done, total)
        counter.finish()
    assert small.getvalue() == "" and piped.getvalue() == ""


# --- what the command line refuses, in one line (issue 14, item 12) ----------------------------------


def test_a_roster_cell_over_the_csv_field_limit_is_one_line(cli, tmp_path):
    rows = roster_rows(3)
    rows[1][1] = "長" * (130 * 1024)
    roster = tmp_path / "roster.csv"
    roster.write_bytes(csv_bytes(rows))
    code, out, err = cli("import-roster", str(roster))
    assert (code, out) == (2, "")
    assert_one_line_error(err, "line 3: a cell is larger than 128 KiB")


def test_devices_pipes_and_oversized_files_are_refused_before_they_are_read(cli, tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        code, out, err = cli("check-anonymisation", path, "--lang", "en")
        assert (code, out, err) == (2, "", f"Not a regular file (a device, a pipe or a directory): {path}\n")
        code, out, err = cli("import-roster", path)
        assert (code, out) == (2, "")
        assert_one_line_error(err, f"{path}: not a regular file")
    large = tmp_path / "large.txt"
    with large.open("wb") as file:
        file.truncate(21 * 1024 * 1024)  # sparse: nothing is written
    code, out, err = cli("check-anonymisation", str(large), "--lang", "en")
    assert (code, out, err) == (2, "", f"The file is too large (at most 20 MB): {large}\n")
    code, out, err = cli("add-material", "C1", str(large))
    assert (code, out) == (2, "")
    assert_one_line_error(err, "larger than 20 MB")


@pytest.mark.parametrize("argv, expected", [
    (["export", "session", "--format", "yaml"], "jirei: export: argument --format: invalid choice: 'yaml'"),
    (["check-anonymisation"], "jirei: check-anonymisation: the following arguments are required: file"),
    (["no-such-mode"], "jirei: argument mode: invalid choice: 'no-such-mode'"),
])
def test_usage_mistakes_are_one_line_and_exit_2(cli, argv, expected):
    code, out, err = cli(*argv)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(expected), err


def test_a_corrupt_pdf_is_one_line(cli, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstartxref\n999\n%%EOF\n")
    code, out, err = cli("check-anonymisation", str(broken), "--lang", "en")
    assert (code, out) == (2, "")
    assert err == f"Cannot read the file (damaged or password-protected): {broken}\n"


def test_an_export_file_is_private_and_never_silently_replaced(cli, tmp_path):
    assert cli("load-plan", str(FIXTURES / "plan.yaml"))[0] == 0
    target = tmp_path / "coordinators.csv"
    code, _, err = cli("export", "coordinators", "--format", "csv", "--output", str(target))
    assert code == 0 and "wrote" in err
    assert os.stat(target).st_mode & 0o777 == 0o600
    first = target.read_bytes()

    target.write_bytes(b"keep me")
    os.chmod(target, 0o644)
    code, out, err = cli("export", "coordinators", "--format", "csv", "--output", str(target))
    assert (code, out) == (2, "")
    assert_one_line_error(err, "exists: give --force to overwrite it")
    assert target.read_bytes() == b"keep me"

    code, _, _ = cli("export", "coordinators", "--format", "csv", "--output", str(target), "--force")
    assert code == 0 and target.read_bytes() == first and os.stat(target).st_mode & 0o777 == 0o600

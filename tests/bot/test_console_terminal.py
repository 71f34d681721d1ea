"""The console in a real terminal (a pseudo-terminal): a form filled keeping the values it shows
with Enter and a start typed as an ISO time, a restart that carries on from the clock the
database left, and Ctrl-C that ends it at once."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from storage.crypto import generate_key

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "] > "


class Terminal:
    """`run_bot.py console` on a pseudo-terminal, read and typed into as a person would."""

    def __init__(self, tmp_path: Path, *, umask: int | None = None) -> None:
        """With a file `key` in tmp_path, JIREI_ENCRYPTION_KEY is set from it; without one, the
        console uses (or creates) its local key file."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JIREI_", "DATABASE_URL"))}
        env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}", COLUMNS="100", TERM="dumb")
        if (tmp_path / "key").exists():
            env.update(JIREI_ENCRYPTION_KEY=(tmp_path / "key").read_text())
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the console, with the pseudo-terminal as its terminal
            os.chdir(tmp_path)
            if umask is not None:
                os.umask(umask)
            os.execve(sys.executable, [sys.executable, str(ROOT / "run_bot.py"), "console"], env)
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 90) -> str:
        """Read until `pattern` (a regex) shows; what was read up to it."""
        while True:
            match = re.search(pattern, self.seen)
            if match:
                before, self.seen = self.seen[:match.end()], self.seen[match.end():]
                return before
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                raise AssertionError(f"{pattern!r} never showed; last output:\n{self.seen[-2000:]}")
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the console has exited
                chunk = b""
            if not chunk:
                raise AssertionError(f"the console ended before {pattern!r}; last output:\n{self.seen[-2000:]}")
            self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def command(self, line: str) -> str:
        self.type(line)
        return self.expect(re.escape(PROMPT))

    def exit_status(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


@pytest.fixture
def key(tmp_path):
    (tmp_path / "key").write_text(generate_key())


def _fill_new_session_form(console: Terminal) -> None:
    console.type("/jirei admin session new")
    console.expect("番号を選んでください: ")  # the case
    console.type("1")
    console.expect("番号を選んでください: ")  # the bureau: 札幌, 仙台, 東京 …
    console.type("3")
    console.expect(r"● 開始日時 \[\d{4}-\d\d-\d\dT\d\d:\d\d\]: ")
    console.type("来週の土曜")  # not a time: asked again, no error
    console.expect("日時として読めません")
    console.expect(r"● 開始日時 \[[^\]]+\]: ")
    console.type("2027-05-15T13:00")
    for field in ("時間（分）", "定員", "最少催行人数", "申込締切", "資料配布日時"):
        console.expect(rf"● {field}[^\n]*\[[^\]]+\]: ")
        console.type("")  # Enter: the value shown is kept
    console.expect("（Enter で「ハイブリッド[^」]*」のまま）")
    console.type("")
    console.expect("● 進行役: ")
    console.type("")
    console.expect("● 会議URL（講師・オンライン参加者用）: ")
    console.type("")
    console.expect("番号を選んでください")  # lottery
    console.type("")
    console.expect(r"送信しますか？ \[Y/n\] ")
    console.type("y")
    console.expect(re.escape(PROMPT))


@pytest.mark.slow
def test_a_form_keeps_shown_values_and_takes_an_iso_time_and_a_restart_keeps_the_clock(tmp_path, key):
    console = Terminal(tmp_path)
    console.expect(re.escape(PROMPT))
    console.command(":user UADMIN01")
    console.command('/jirei admin case new title="受診同行の事例" theme=医療・福祉')
    _fill_new_session_form(console)
    roster = console.command("/jirei admin roster S1")
    assert "2027年5月15日(土) 13:00（120分）" in roster and "Traceback" not in roster
    console.command(":time 2027-06-01T09:00")
    console.type(":quit")
    assert console.exit_status() == 0
    with sqlite3.connect(tmp_path / "console.db") as db:
        kept = db.execute("SELECT bureau, minutes, capacity, min_participants, format FROM case_sessions"
                          " WHERE kind = 'official'").fetchall()
    assert kept == [("tokyo", 120, 30, 5, "hybrid")]  # what the form showed, kept with Enter

    again = Terminal(tmp_path)
    banner = again.expect(re.escape(PROMPT))
    assert "現在時刻: 2027年6月1日(火) 9:00" in banner
    again.command(":user UADMIN01")
    assert "2027年5月15日(土) 13:00（120分）" in again.command("/jirei admin roster S1")
    again.type(":quit")
    assert again.exit_status() == 0
    assert "Traceback" not in (tmp_path / "jirei-console.log").read_text()


@pytest.mark.slow
def test_ctrl_c_ends_the_console_at_once(tmp_path, key):
    console = Terminal(tmp_path)
    console.expect(re.escape(PROMPT))
    os.write(console.fd, b"\x03")  # Ctrl-C at the prompt, with no Enter after it
    status = console.exit_status()
    assert status in (130, -signal.SIGINT)


@pytest.mark.slow
def test_the_local_key_and_the_database_are_private_from_the_first_byte_and_an_exposed_key_is_warned_about(tmp_path):
    """With a permissive umask, the key file and the database (with its -wal and -shm) are created
    0600; a key file others can read is used with one log line and a short message in the
    console's language."""
    console = Terminal(tmp_path, umask=0o022)
    opening = console.expect(re.escape(PROMPT))
    assert "created now" in opening and "他のユーザーも読めます" not in opening
    console.command("/jirei profile set nudges=off")  # a write: the -wal and -shm files exist now
    modes = {name: os.stat(tmp_path / name).st_mode & 0o777
             for name in (".jirei-local.key", "console.db", "console.db-wal", "console.db-shm")}
    console.type(":quit")
    assert console.exit_status() == 0
    assert modes == dict.fromkeys(modes, 0o600)

    os.chmod(tmp_path / ".jirei-local.key", 0o644)
    again = Terminal(tmp_path)
    opening = again.expect(re.escape(PROMPT))
    assert "暗号鍵のファイル .jirei-local.key を他のユーザーも読めます" in opening and "chmod 600" in opening
    again.type(":quit")
    assert again.exit_status() == 0
    warnings = [line for line in (tmp_path / "jirei-console.log").read_text().splitlines()
                if "can be read by other users" in line]
    assert len(warnings) == 1 and '"WARNING"' in warnings[0], warnings

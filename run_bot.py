"""Jirei's composition root: read Settings, build Deps, pick the mode, run.

    python run_bot.py [console|demo|http|socket|migrate|import-roster|load-plan|add-material|
                       check-anonymisation|export] ...

With no mode: Socket Mode if SLACK_APP_TOKEN is set, else HTTP if SLACK_BOT_TOKEN and
SLACK_SIGNING_SECRET are set, else the local console. Every failure is one line and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli import CliError, run_command


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes are one line (`jirei: …`) and exit code 2, like every other refusal; --help stays."""

    def error(self, message: str):
        mode = self.prog.removeprefix("run_bot.py").strip()
        self.exit(2, f"jirei: {mode + ': ' if mode else ''}{message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="run_bot.py", description="Jirei, the case study meeting bot")
    modes = parser.add_subparsers(dest="mode")
    modes.add_parser("console", help="local workspace in this terminal (no Slack, SQLite)")
    demo = modes.add_parser("demo", help="the whole lifecycle, scripted, on the local Slack")
    demo.add_argument("--lang", choices=("ja", "en"), default="ja")
    http = modes.add_parser("http", help="serve POST /slack/events, GET /healthz, GET /metrics")
    http.add_argument("--port", type=int, default=3000)
    http.add_argument("--host", default="0.0.0.0")
    modes.add_parser("socket", help="Socket Mode")
    modes.add_parser("migrate", help="bring the database schema up to date")
    roster = modes.add_parser("import-roster", help="import coordinators from CSV or Excel")
    roster.add_argument("file")
    plan = modes.add_parser("load-plan", help="load a year's cases and sessions (YAML, CSV or Excel)")
    plan.add_argument("file")
    material = modes.add_parser("add-material", help="add a case's material from a file")
    material.add_argument("case")
    material.add_argument("file")
    material.add_argument("--kind", choices=("material", "commentary"), default="material")
    material.add_argument("--confirm", action="store_true", help="accept the anonymisation findings")
    check = modes.add_parser("check-anonymisation", help="look for personal data in a file (exit 1 if found)")
    check.add_argument("file")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--lang", choices=("ja", "en"), default="ja")
    check.add_argument("--propose", action="store_true", help="also write the proposed anonymised version")
    check.add_argument("--output", help="with --propose: the file to write, mode 0600 (.docx keeps a Word file's layout)")
    check.add_argument("--force", action="store_true", help="overwrite the --output file if it exists")
    check.add_argument("--include-checks", action="store_true",
                       help="with --propose: also replace the 要確認 (please check) findings")
    export = modes.add_parser("export", help="export a session, case, survey or the coordinators")
    export.add_argument("what", choices=("session", "case", "survey", "coordinators"))
    export.add_argument("code", nargs="?")
    export.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    export.add_argument("--output", help="write to this file (mode 0600) instead of stdout")
    export.add_argument("--force", action="store_true", help="overwrite the --output file if it exists")
    modes.add_parser("rotate-key", help="re-encrypt stored data under the first JIREI_ENCRYPTION_KEY")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return asyncio.run(run_command(args))
    except CliError as err:
        print(f"jirei: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

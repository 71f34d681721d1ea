"""`run_bot.py check-anonymisation FILE`: the personal-data checker on one file, from a terminal;
with --propose, a copy with each finding replaced (bot/core/pseudonymisation.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from bot.core.anonymisation import Finding, TextTooLong, check_text, findings_as_json, format_finding
from bot.core.clock import Clock, SystemClock
from bot.core.documents import (MAX_DOCX_BYTES, MAX_FILE_BYTES, MAX_PDF_PAGES, DocumentTooLarge, FileTooLarge,
                                NotRegularFile, UnreadableDocument, UnsupportedDocument, read_document,
                                read_regular_file)
from bot.core.exports import write_private_file
from bot.core.i18n import t
from bot.core.pseudonymisation import propose_document


# What a file that cannot be checked raises; each gets one line on the error stream and exit status 2.
CANNOT_CHECK = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError, NotRegularFile, FileTooLarge,
                UnsupportedDocument, UnreadableDocument, TextTooLong)


def main_check_anonymisation(path: str, fmt: str = "text", lang: str = "ja", out: TextIO | None = None,
                             err: TextIO | None = None, propose: bool = False, output: str | None = None,
                             force: bool = False, clock: Clock | None = None, include_checks: bool = False) -> int:
    """`run_bot.py check-anonymisation FILE [--format json] [--propose [--output FILE [--force]] [--include-checks]]`:
    要確認 findings are marked as such (the JSON "tier" is "check") and the proposal replaces them only
    with ``include_checks``.
    1 if anything found, 0 if clean, 2 (one line on ``err``) if the file is missing, unreadable, too
    long or of an unsupported type. With ``propose`` the anonymised version is written to
    ``output`` (a .docx stays a .docx; mode 0600, an existing file only with ``force``) or printed."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    file = Path(path)
    try:
        data = read_regular_file(file, MAX_FILE_BYTES)
        document = read_document(data, file.name)
        findings = document.locate(check_text(document.text, lang=lang))
    except CANNOT_CHECK as error:
        print(_cannot_check(error, path, lang), file=err)
        return 2
    if fmt == "json":
        print(json.dumps(findings_as_json(findings), ensure_ascii=False, indent=2), file=out)
    elif findings:
        for finding in findings:
            print(format_finding(finding, lang), file=out)
        print(t("anonymisation.cli.summary", lang, count=len(findings)), file=out)
    else:
        print(t("anonymisation.cli.clean", lang), file=out)
    if propose:
        return _write_proposal(data, file.name, document, findings, lang, out, err, output, force, include_checks,
                               clock or SystemClock()) or (1 if findings else 0)
    return 1 if findings else 0


def _cannot_check(error: Exception, path: str, lang: str) -> str:
    """The line for one of CANNOT_CHECK (a DocumentTooLarge is an UnreadableDocument: it is asked first)."""
    if isinstance(error, (FileNotFoundError, IsADirectoryError, NotADirectoryError)):
        return t("anonymisation.cli.missing", lang, path=path)
    if isinstance(error, NotRegularFile):
        return t("anonymisation.cli.not_a_file", lang, path=path)
    if isinstance(error, FileTooLarge):
        return t("anonymisation.cli.too_large", lang, path=path, mb=error.limit // (1024 * 1024))
    if isinstance(error, DocumentTooLarge):
        return t("anonymisation.cli.too_big_to_read", lang, path=path, pages=MAX_PDF_PAGES,
                 mb=MAX_DOCX_BYTES // (1024 * 1024))
    if isinstance(error, UnsupportedDocument):
        return t("anonymisation.cli.unsupported", lang, path=path, kind=error.kind)
    if isinstance(error, TextTooLong):
        return t("anonymisation.cli.too_long", lang, path=path, limit=error.limit)
    return t("anonymisation.cli.unreadable", lang, path=path)  # PermissionError, UnreadableDocument


def _write_proposal(data: bytes, filename: str, document, findings: list[Finding], lang: str, out: TextIO,
                    err: TextIO, output: str | None, force: bool, include_checks: bool, clock: Clock) -> int:
    proposed = propose_document(data, filename, document.text, findings, clock.now().date(), lang, document=document,
                                include_checks=include_checks)
    if proposed.proposal.to_check:
        print(t("anonymisation.cli.checks_left", lang, count=len(proposed.proposal.to_check)), file=out)
    if proposed.layout_lost:
        print(t("anonymisation.cli.layout_lost", lang), file=out)
    if output is None:
        print(t("anonymisation.cli.proposal_follows", lang), file=out)
        print(proposed.proposal.text, file=out)
        return 0
    as_docx = proposed.docx is not None and Path(output).suffix.lower() == ".docx"
    try:
        write_private_file(output, proposed.docx if as_docx else proposed.proposal.text.encode("utf-8"),
                           overwrite=force)
    except FileExistsError:
        print(t("anonymisation.cli.exists", lang, path=output), file=err)
        return 2
    except OSError:
        print(t("anonymisation.cli.cannot_write", lang, path=output), file=err)
        return 2
    print(t("anonymisation.cli.proposal_written", lang, path=output, count=len(proposed.proposal.replacements)),
          file=out)
    return 0

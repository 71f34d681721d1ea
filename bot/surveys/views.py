"""What surveys show, read at send time and for reports: whether a person still owes an answer,
and a run's figures (read only: the rules that decide and write are in service.py, which reads
through these too)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.timefmt import JST, fiscal_year_bounds, fiscal_year_of
from bot.surveys.definitions import load_survey
from bot.surveys.dialog import Progress
from bot.surveys.report import (MIN_CELL, RESPONSE_BUREAU_KEY, SessionAnswers, YearSummary, breakdown, response_bureau,
                                summarise_year, tally)
from bot.surveys.results import POST_SESSION_SURVEY, RunReport, SessionMerge
from config.reference import bureaus
from storage.models import SurveyRun
from storage.uow import UnitOfWork


def decode_progress(uow: UnitOfWork, row) -> Progress:
    return Progress.model_validate(uow.cipher.decrypt_json(row.state_encrypted))


async def answered(uow: UnitOfWork, run_id: int, user_id: str) -> bool:
    """The person finished this run: their response is written, or waits for its batch."""
    invite = await uow.surveys.invite(run_id, user_id)
    if invite is not None and invite.completed:
        return True
    row = await uow.surveys.progress(run_id, user_id)
    return row is not None and decode_progress(uow, row).done


async def tally_run(uow: UnitOfWork, run: SurveyRun) -> RunReport:
    """Decrypt and count every response of the run (one pass each)."""
    survey = load_survey(run.survey_id)
    rows = await uow.surveys.responses(run.id)
    decrypt = uow.cipher.decrypt_json
    answers = []
    groups: dict[str, list[dict]] = {}
    for stored_bureau, blob in rows:
        answer = decrypt(blob)
        bureau = answer.pop(RESPONSE_BUREAU_KEY, None) or stored_bureau  # see report.response_bureau
        answers.append(answer)
        if bureau:
            groups.setdefault(bureau, []).append(answer)
    report = tally(survey, answers, await uow.surveys.count_invites(run.id))
    return RunReport(run, survey, report, breakdown(survey, groups))


async def closed_report(uow: UnitOfWork, run_id: int,
                        tz: ZoneInfo = JST) -> tuple[RunReport, str | None, str | None] | None:
    """A closed run's figures for the secretariat's notice: (report, session code, its bureau)."""
    run = await uow.surveys.run(run_id)
    if run is None or run.status != "closed":
        return None
    result = await tally_run(uow, run)
    item = await uow.sessions.get(run.session_id) if run.session_id is not None else None
    if item is not None and 0 < result.report.respondents < MIN_CELL:
        result = await with_merge(uow, result, tz)
    return result, item.code if item else None, item.bureau if item else None


async def with_merge(uow: UnitOfWork, result: RunReport, tz: ZoneInfo = JST) -> RunReport:
    """A small session's report says where its answers are counted instead."""
    year = fiscal_year_of(result.run.opens_at, tz)
    summary = await summarise(uow, year, tz)
    line = next((line for line in summary.sessions if line.run_code == result.run.code), None)
    if line is None:
        return result
    return RunReport(result.run, result.survey, result.report, result.by_bureau,
                     merge=SessionMerge(year, line.shown, line.bureau))


async def summarise(uow: UnitOfWork, fiscal_year: int, tz: ZoneInfo) -> YearSummary:
    start, end = fiscal_year_bounds(fiscal_year, tz)
    runs = await uow.surveys.runs_opening_between(POST_SESSION_SURVEY, start, end)
    run_ids = [run.id for run in runs]
    items = await uow.sessions.many([run.session_id for run in runs if run.session_id is not None])
    invited = await uow.surveys.count_invites_of_runs(run_ids)
    answers: dict[int, list[dict]] = {}
    for run_id, stored_bureau, blob in await uow.surveys.responses_of_runs(run_ids):
        answer, _ = response_bureau(uow.cipher.decrypt_json(blob), stored_bureau)
        answers.setdefault(run_id, []).append(answer)
    known = {bureau.code for bureau in bureaus()}
    sessions = []
    # In the sessions' order (S1, S2…), whenever each survey was sent.
    for run in sorted(runs, key=lambda run: (run.session_id or 0, run.id)):
        item = items.get(run.session_id) if run.session_id is not None else None
        bureau = item.bureau if item is not None and item.bureau in known else None
        sessions.append(SessionAnswers(run.code, item.code if item is not None else None, bureau,
                                       invited.get(run.id, 0), tuple(answers.get(run.id, ()))))
    return summarise_year(load_survey(POST_SESSION_SURVEY), fiscal_year, sessions)

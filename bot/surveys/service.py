"""Survey runs (R1…): sending, the DM dialog's storage, completion, reminders, closing, reports.

The anonymity promise, in storage terms, against whoever holds the database file and its
write-ahead log, and can copy them after every commit:
- while someone answers, `survey_progress` ties their encrypted Progress to them;
- a finished dialog stays there, encrypted and marked done inside the ciphertext only, until a
  batch is due: at least BATCH_SIZE finished dialogs of the run, or the run's close. One
  transaction then flips those people's invites to completed, deletes their dialogs and inserts
  their responses under fresh random ids, in the order of those ids (a shuffle drawn after
  everyone in the batch finished), so neither the commit nor the cells' order within it tells
  which response is whose. At the close every response of the run is written again the same
  way, so the file's final layout keeps no trace of the batches either;
- a response carries its random id, the run and its answers with the respondent's bureau, all
  encrypted, padded to a band of lengths and stamped with the run's opening time (a Fernet
  token's timestamp is readable without the key); nothing in clear beside it: no user id, no
  time, no bureau (a plain bureau next to a batch with one person of that bureau names them);
- the once-only keys of survey buttons are keyed hashes (no user id, no action id), and nothing
  about answering goes to the audit log;
- after a batch the database's freed pages are zeroed (SQLite secure_delete) and its
  write-ahead log is checkpointed and truncated (`uow.wipe_freed_pages()`), so the deleted
  dialogs and the order of the writes are not left on disk.

No Slack and no SQL here: a unit of work, `now` and plain values in, dataclasses out.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from bot.sessions import service as sessions
from bot.people.results import Actor
from bot.people.service import require_admin
from bot.core.pseudonymisation import Proposal, propose_text
from bot.core.refusal import Refusal
from bot.surveys import dialog
from bot.surveys.definitions import Survey, load_survey
from bot.surveys.dialog import Outcome, Progress
from bot.surveys.exports import report_json
from bot.surveys.report import MIN_CELL, RESPONSE_BUREAU_KEY, SurveyReport, YearSummary, response_bureau
from bot.core.timefmt import JST, fiscal_year_of, format_datetime
from bot.surveys.results import POST_SESSION_SURVEY, RunStarted, DialogStatus, Step, DialogState, RunReport
from bot.surveys.views import decode_progress, summarise, tally_run, with_merge
from storage.models import CaseSession, FanoutBatch, SurveyRun
from storage.uow import UnitOfWork

PLANNING_SURVEY = "planning"
PLANNING_OPEN_FOR = timedelta(days=14)
POST_SESSION_OPEN_FOR = timedelta(days=7)
# Responses are written this many at a time at least (the run's close writes what is left).
BATCH_SIZE = MIN_CELL
# Stored responses are padded to a multiple of this many bytes before encryption.
RESPONSE_PAD_BYTES = 256
# To the secretariat when a run closes: its headline figures.


class SurveyError(Refusal):
    """A refusal the user can act on (a Refusal, so the operators' CLI handles it too)."""


# --- sending -------------------------------------------------------------------------------------


async def start_planning_survey(uow: UnitOfWork, now: datetime, actor: Actor,
                                open_for: timedelta = PLANNING_OPEN_FOR) -> RunStarted:
    """`admin survey planning`: the planning survey to every active coordinator with a profile."""
    await require_admin(uow, now, actor, "survey.planning", refusal=SurveyError)
    already = await uow.surveys.open_runs(PLANNING_SURVEY)
    if already:
        # A second planning run while one is open would ask everyone twice.
        raise SurveyError("survey_runs.error.planning_open", code=already[0].code,
                          deadline=format_datetime(already[0].deadline_at, actor.lang))
    people = [p.slack_user_id for p in await uow.coordinators.active() if p.profile_complete]
    if not people:
        raise SurveyError("survey_runs.error.no_recipients")
    started = await _open_run(uow, now, PLANNING_SURVEY, people, created_by=actor.user_id, session_id=None,
                              deadline=now + open_for, batch_admin=actor.user_id)
    await uow.audit.record(now, actor.user_id, "survey.send", "ok", target=started.run.code,
                           survey=PLANNING_SURVEY, invited=started.invited)
    return started


async def send_post_session_survey(uow: UnitOfWork, now: datetime, actor: Actor, session_code: str,
                                   open_for: timedelta = POST_SESSION_OPEN_FOR) -> RunStarted:
    """`admin survey send S1`: the post-session survey to a held session's attendees."""
    item = await sessions.managed_session(uow, now, actor, session_code, "survey.send")
    if item.status != "held":
        raise SurveyError("survey_runs.error.not_held", code=item.code)
    existing = await uow.surveys.runs_for_session(item.id, POST_SESSION_SURVEY)
    if existing:
        raise SurveyError("survey_runs.error.already_sent", session=item.code, code=existing[0].code)
    people = [reg.user_id for reg in await sessions.attendees(uow, item)]
    if not people:
        raise SurveyError("survey_runs.error.no_attendees", code=item.code)
    started = await _open_run(uow, now, POST_SESSION_SURVEY, people, created_by=actor.user_id, session_id=item.id,
                              deadline=now + open_for, batch_admin=actor.user_id)
    await uow.audit.record(now, actor.user_id, "survey.send", "ok", target=started.run.code,
                           survey=POST_SESSION_SURVEY, session=item.code, invited=started.invited)
    return started


async def start_post_session_survey(uow: UnitOfWork, now: datetime, session: CaseSession) -> None:
    """Follow-up of a held session (bot/features.py AFTER_HELD): its attendees get the post-session survey."""
    if await uow.surveys.runs_for_session(session.id, POST_SESSION_SURVEY):
        return
    people = [reg.user_id for reg in await sessions.attendees(uow, session)]
    if not people:
        return
    started = await _open_run(uow, now, POST_SESSION_SURVEY, people, created_by="system", session_id=session.id,
                              deadline=now + POST_SESSION_OPEN_FOR, batch_admin=None)
    await uow.audit.record(now, "system", "survey.send", "ok", target=started.run.code, survey=POST_SESSION_SURVEY,
                           session=session.code, invited=started.invited)


async def _open_run(uow: UnitOfWork, now: datetime, survey_id: str, user_ids: list[str], *, created_by: str,
                    session_id: int | None, deadline: datetime, batch_admin: str | None) -> RunStarted:
    load_survey(survey_id)  # a broken definition fails here, before anyone is invited
    people = list(dict.fromkeys(user_ids))
    run = await uow.surveys.add_run(SurveyRun(survey_id=survey_id, session_id=session_id, status="open", opens_at=now,
                                              deadline_at=deadline, created_by=created_by, created_at=now))
    await uow.surveys.add_invites(run.id, people)
    batch_id = None
    if batch_admin is not None:
        batch = FanoutBatch(kind=DeliveryKind.SURVEY_INVITATION, total=len(people), admin_user_id=batch_admin,
                            created_at=now)
        batch_id = (await uow.outbox.add_batch(batch)).id
    until_deadline = int((deadline - now).total_seconds())
    for user in people:
        await outbox.enqueue(uow, kind=DeliveryKind.SURVEY_INVITATION, recipient=user, due_at=now,
                             dedupe_key=f"{DeliveryKind.SURVEY_INVITATION}:{run.code}:{user}", now=now,
                             payload={"run_id": run.id}, batch_id=batch_id, grace_seconds=until_deadline)
        for offset in run.reminder_offsets_minutes or []:
            due = deadline - timedelta(minutes=int(offset))
            if due <= now:
                continue  # a short run has no room for its earliest reminders
            await outbox.enqueue(uow, kind=DeliveryKind.SURVEY_REMINDER, recipient=user, due_at=due,
                                 dedupe_key=f"{DeliveryKind.SURVEY_REMINDER}:{run.code}:{user}:{int(offset)}", now=now,
                                 payload={"run_id": run.id}, grace_seconds=int(offset) * 60)
    return RunStarted(run, len(people), batch_id)


# --- the dialog ------------------------------------------------------------------------------------


async def begin(uow: UnitOfWork, now: datetime, user_id: str, run_code: str) -> DialogState:
    """回答を始める / 回答を続ける: where this person is (a fresh start, or where they left off)."""
    run, survey, status = await _checked(uow, now, user_id, run_code)
    if status is not DialogStatus.ANSWERING:
        return DialogState(run.code, survey, status)
    progress = await _load_progress(uow, now, run, user_id, create=True)
    if progress.paused:
        progress = progress.model_copy(update={"paused": False})
        await _save_progress(uow, now, run, user_id, progress)
    return DialogState(run.code, survey, status, progress)


async def current(uow: UnitOfWork, now: datetime, user_id: str, run_code: str) -> DialogState:
    run, survey, status = await _checked(uow, now, user_id, run_code)
    if status is not DialogStatus.ANSWERING:
        return DialogState(run.code, survey, status)
    return DialogState(run.code, survey, status, await _load_progress(uow, now, run, user_id, create=True))


async def act(uow: UnitOfWork, now: datetime, user_id: str, run_code: str, step: Step,
              *, interaction: str | None = None) -> DialogState:
    """Apply one answer, skip, back or next. `interaction` is Slack's action_ts: a request seen
    before (a retry) changes nothing. Stale input is IGNORED by the dialog itself."""
    run, survey, status = await _checked(uow, now, user_id, run_code)
    if status is not DialogStatus.ANSWERING:
        return DialogState(run.code, survey, status, outcome=Outcome.IGNORED)
    progress = await _load_progress(uow, now, run, user_id, create=True, lock=True)
    if interaction and not await uow.processed.first_time(_interaction_key(uow, user_id, interaction), now):
        return DialogState(run.code, survey, status, progress, Outcome.IGNORED)
    transition = _apply(survey, progress, step)
    if not transition.changed:
        return DialogState(run.code, survey, status, progress, transition.outcome, transition.error_key)
    if transition.outcome is Outcome.DONE:
        await _complete(uow, now, run, user_id, transition.progress)
        return DialogState(run.code, survey, DialogStatus.COMPLETED, transition.progress, Outcome.DONE)
    progress = transition.progress.model_copy(update={"paused": False})  # answering again resumes
    await _save_progress(uow, now, run, user_id, progress)
    return DialogState(run.code, survey, status, progress, transition.outcome)


async def pause(uow: UnitOfWork, now: datetime, user_id: str, run_code: str) -> DialogState:
    """The dialog's cancel button: answers kept, DMs no longer taken as answers until resumed."""
    run, survey, status = await _checked(uow, now, user_id, run_code)
    if status is not DialogStatus.ANSWERING:
        return DialogState(run.code, survey, status, outcome=Outcome.IGNORED)
    progress = await _load_progress(uow, now, run, user_id, create=True, lock=True)
    progress = progress.model_copy(update={"paused": True})
    await _save_progress(uow, now, run, user_id, progress)
    return DialogState(run.code, survey, status, progress)


async def remember_message(uow: UnitOfWork, now: datetime, user_id: str, run_code: str, channel: str,
                           ts: str) -> None:
    """The dialog message just posted (after the post, in a transaction of its own): the one the
    dialog updates from now on. Nothing when the dialog has ended meanwhile."""
    run = await uow.surveys.run_by_code(run_code)
    row = await uow.surveys.progress(run.id, user_id, lock=True) if run else None
    if row is None:
        return
    progress = Progress.model_validate(uow.cipher.decrypt_json(row.state_encrypted))
    await _save_progress(uow, now, run, user_id, progress.model_copy(update={"channel": channel, "message_ts": ts}))


async def waiting_for_text(uow: UnitOfWork, now: datetime, user_id: str) -> tuple[SurveyRun, Survey, Progress] | None:
    """The person's dialog whose open free-text question a DM would answer (the most recently
    touched), or None."""
    for row in await uow.surveys.progress_of_user(user_id):
        run = await uow.surveys.run(row.run_id)
        if run is None or run.deadline_at <= now:
            continue
        survey = load_survey(run.survey_id)
        progress = Progress.model_validate(uow.cipher.decrypt_json(row.state_encrypted))
        question = dialog.current_question(survey, progress)
        if question is not None and question.kind == "text" and not progress.paused:
            return run, survey, progress
    return None


async def active_dialog(uow: UnitOfWork, now: datetime,
                        user_id: str) -> tuple[SurveyRun, Survey, Progress] | None:
    """The person's dialog waiting for an answer of any kind (the most recently touched, not
    paused), or None."""
    for row in await uow.surveys.progress_of_user(user_id):
        run = await uow.surveys.run(row.run_id)
        if run is None or run.deadline_at <= now:
            continue
        progress = decode_progress(uow, row)
        survey = load_survey(run.survey_id)
        if dialog.current_question(survey, progress) is not None and not progress.paused:
            return run, survey, progress
    return None


async def pause_waiting(uow: UnitOfWork, now: datetime, user_id: str) -> DialogState | None:
    """「キャンセル」 typed in the DM: pause the dialog waiting for an answer (a choice or a text),
    if there is one."""
    waiting = await active_dialog(uow, now, user_id)
    return await pause(uow, now, user_id, waiting[0].code) if waiting else None


async def dialog_started(uow: UnitOfWork, run_id: int, user_id: str) -> bool:
    """The person has begun this run's dialog (answered something, or paused it): the Home tab
    offers to go on rather than to start."""
    row = await uow.surveys.progress(run_id, user_id)
    if row is None:
        return False
    progress = decode_progress(uow, row)
    return progress.step > 0 or bool(progress.answers) or progress.paused


def screen_answer(text: str, today: date, lang: str) -> Proposal | None:
    """The personal-data check of a free-text answer, before anything of it is stored: the
    pseudonymised proposal when the checker finds something (every finding replaced, 要確認 ones
    too), None when it finds nothing, or when the dialog will refuse the text anyway (empty, too
    long). CPU work: run it off the loop and outside any transaction. Nothing of it is logged."""
    trimmed = text.strip()
    if not trimmed or len(trimmed) > dialog.MAX_TEXT_LENGTH:
        return None
    proposal = propose_text(trimmed, today, lang, include_checks=True)
    return proposal if proposal.changed else None


def _apply(survey: Survey, progress: Progress, step: Step) -> dialog.Transition:
    if step.kind == "choose":
        return dialog.choose(survey, progress, step.question_id, step.option_id)
    if step.kind == "multi":
        return dialog.set_multi(survey, progress, step.question_id, list(step.option_ids or ()))
    if step.kind == "toggle":
        return dialog.toggle(survey, progress, step.question_id, step.option_id)
    if step.kind == "next":
        if step.option_ids is not None:
            # Slack sends the checkboxes' state with the Next click: take it, in case a
            # checkbox event was lost on the way.
            selected = dialog.set_multi(survey, progress, step.question_id, list(step.option_ids))
            if selected.outcome is Outcome.RECORDED:
                progress = selected.progress
        return dialog.next_(survey, progress, step.question_id)
    if step.kind == "skip":
        return dialog.skip(survey, progress, step.question_id)
    if step.kind == "back":
        return dialog.back(survey, progress, step.question_id)
    return dialog.answer_text(survey, progress, step.question_id, step.text)


def _interaction_key(uow: UnitOfWork, user_id: str, action_ts: str) -> str:
    # A keyed hash, so processed_requests holds no user id (a plain hash of a user id and a
    # Slack timestamp is found by trying the few of each); the action id (which names the
    # option) is deliberately not part of it.
    return f"survey-action:{uow.cipher.keyed_digest(f'{user_id}|{action_ts}')}"


async def _checked(uow: UnitOfWork, now: datetime, user_id: str,
                   run_code: str) -> tuple[SurveyRun, Survey, DialogStatus]:
    run = await uow.surveys.run_by_code(run_code)
    if run is None:
        raise SurveyError("survey_runs.error.unknown_run", code=run_code)
    # Lock before reading the invite: a click that waited here for another one that completed
    # the survey must see it completed, not recreate the progress that was just deleted.
    row = await uow.surveys.progress(run.id, user_id, lock=True)
    invite = await uow.surveys.invite(run.id, user_id)
    if invite is None:
        raise SurveyError("survey_runs.error.not_invited", code=run.code)
    survey = load_survey(run.survey_id)
    if invite.completed or (row is not None and decode_progress(uow, row).done):
        return run, survey, DialogStatus.COMPLETED  # written, or waiting for its batch
    if run.status != "open" or run.deadline_at <= now:
        return run, survey, DialogStatus.CLOSED
    return run, survey, DialogStatus.ANSWERING


async def _load_progress(uow: UnitOfWork, now: datetime, run: SurveyRun, user_id: str, *, create: bool,
                         lock: bool = False) -> Progress:
    row = await uow.surveys.progress(run.id, user_id, lock=lock)
    if row is None and create:
        await uow.surveys.create_progress(run.id, user_id, uow.cipher.encrypt_json(Progress().model_dump()), now)
        row = await uow.surveys.progress(run.id, user_id, lock=lock)
    if row is None:
        return Progress()
    return Progress.model_validate(uow.cipher.decrypt_json(row.state_encrypted))


async def _save_progress(uow: UnitOfWork, now: datetime, run: SurveyRun, user_id: str, progress: Progress) -> None:
    row = await uow.surveys.progress(run.id, user_id)
    row.state_encrypted = uow.cipher.encrypt_json(progress.model_dump())
    row.updated_at = now
    await uow.flush()


async def _complete(uow: UnitOfWork, now: datetime, run: SurveyRun, user_id: str, progress: Progress) -> None:
    """The dialog is finished: it waits, encrypted and still the person's own, for its batch.
    The invite stays as it was until the batch is written, so nothing in the file changes but
    this person's encrypted state (as at every other step)."""
    await _save_progress(uow, now, run, user_id, progress)
    await write_due_batch(uow, run.id)
    # Deliberately not logged or audited: a timed line per completion would order the responses.


async def write_due_batch(uow: UnitOfWork, run_id: int) -> int:
    """Write the run's finished dialogs as responses once there are BATCH_SIZE of them, or any
    number once the run is closed (then every earlier response of the run is written again with
    them). Returns the number of responses written."""
    run = await uow.surveys.run(run_id, lock=True)  # one batch writer at a time per run
    if run is None:
        return 0
    closing = run.status == "closed"
    finished = [(row.user_id, progress) for row in await uow.surveys.run_progress(run.id)
                if (progress := decode_progress(uow, row)).done]
    if not finished or (len(finished) < BATCH_SIZE and not closing):
        return 0
    survey = load_survey(run.survey_id)
    people = await uow.coordinators.many([user for user, _ in finished])
    documents = []
    for user, progress in finished:
        person = people.get(user)
        documents.append({**dialog.final_answers(survey, progress),
                          RESPONSE_BUREAU_KEY: person.bureau if person is not None else None})
    if closing:
        for stored_bureau, blob in await uow.surveys.take_responses(run.id):
            answers, bureau = response_bureau(uow.cipher.decrypt_json(blob), stored_bureau)
            documents.append({**answers, RESPONSE_BUREAU_KEY: bureau})
    # Fresh random ids, inserted in their own order: a shuffle drawn now, after all of these people
    # finished. Every token carries the run's opening time, and the same band of lengths for like
    # answers.
    rows = sorted((secrets.token_hex(16), uow.cipher.encrypt_json(document, at=run.opens_at,
                                                                  pad_to=RESPONSE_PAD_BYTES))
                  for document in documents)
    await uow.surveys.write_batch(run.id, sorted(user for user, _ in finished), rows)
    uow.wipe_freed_pages()
    return len(rows)


# --- closing -------------------------------------------------------------------------------------


async def close_run(uow: UnitOfWork, now: datetime, run_id: int, secretariat: frozenset[str] = frozenset(),
                    *, by: str = "system") -> bool:
    """At the deadline: no more answers, unfinished progress deleted, pending reminders dropped; the
    secretariat (`secretariat`: JIREI_ADMINS, and whoever holds the admin role) is sent the run's
    headline figures through the outbox."""
    run = await uow.surveys.run(run_id, lock=True)
    if run is None or run.status != "open" or run.deadline_at > now:
        return False
    run.status = "closed"
    await uow.flush()
    # What waits for a batch is written now, and every earlier response of the run again with it.
    await write_due_batch(uow, run.id)
    dropped = await uow.surveys.delete_run_progress(run.id)
    for kind in (DeliveryKind.SURVEY_INVITATION, DeliveryKind.SURVEY_REMINDER):
        await uow.outbox.cancel_pending(kinds=(kind,), key_prefix=f"{kind}:{run.code}:")
    for user in sorted(set(secretariat) | set(await uow.roles.holders("admin"))):
        await outbox.enqueue(uow, kind=DeliveryKind.SURVEY_CLOSED, recipient=user, due_at=now,
                             dedupe_key=f"{DeliveryKind.SURVEY_CLOSED}:{run.code}:{user}", now=now,
                             payload={"run_id": run.id, "by": None if by == "system" else by})
    await uow.audit.record(now, by, "survey.close", "ok", target=run.code, unfinished=dropped)
    return True


async def close_now(uow: UnitOfWork, now: datetime, actor: Actor, code: str,
                    secretariat: frozenset[str] = frozenset()) -> RunReport:
    """`admin survey close R1` (or a session's S1): the run stops taking answers now, as at its
    deadline; the figures as they stand after the close."""
    await require_admin(uow, now, actor, "survey.close", code, refusal=SurveyError)
    run = await _run_named(uow, code)
    if run.status != "open":
        raise SurveyError("survey_runs.error.already_closed", code=run.code)
    run.deadline_at = min(run.deadline_at, now)
    await uow.flush()
    await close_run(uow, now, run.id, secretariat, by=actor.user_id)
    return await tally_run(uow, run)


async def next_survey_deadline(uow: UnitOfWork, now: datetime) -> datetime | None:
    return await uow.surveys.next_deadline(now)


# --- reports and exports -----------------------------------------------------------------------------


async def run_report(uow: UnitOfWork, now: datetime, actor: Actor, code: str) -> RunReport:
    """`admin report R1` (or `S1`, its session's post-session survey): admins; bureau staff for
    runs of their own bureau's sessions."""
    run = await _run_named(uow, code)
    allowed = actor.is_admin
    if not allowed and run.session_id is not None:
        item = await uow.sessions.get(run.session_id)
        allowed = item is not None and actor.can_manage_bureau(item.bureau)
    if not allowed:
        await uow.audit.record(now, actor.user_id, "survey.report", "refused", target=run.code)
        raise SurveyError("survey_runs.error.not_yours", code=run.code)
    result = await tally_run(uow, run)
    if run.survey_id == POST_SESSION_SURVEY and 0 < result.report.respondents < MIN_CELL:
        result = await with_merge(uow, result)
    await uow.audit.record(now, actor.user_id, "survey.report", "ok", target=run.code,
                           respondents=result.report.respondents)
    return result


# --- the yearly summary --------------------------------------------------------------------------------


async def year_summary(uow: UnitOfWork, now: datetime, actor: Actor, fiscal_year: int | None,
                       tz: ZoneInfo = JST) -> YearSummary:
    """`admin survey summary [year]`: the post-session survey across every session of the fiscal
    year (the current one by default), per bureau where 5 or more answered; small sessions merged."""
    await require_admin(uow, now, actor, "survey.summary", refusal=SurveyError)
    year = fiscal_year if fiscal_year is not None else fiscal_year_of(now, tz)
    summary = await summarise(uow, year, tz)
    await uow.audit.record(now, actor.user_id, "survey.summary", "ok", target=f"FY{year}",
                           respondents=summary.total.respondents)
    return summary


async def _run_named(uow: UnitOfWork, code: str) -> SurveyRun:
    """A run by its own code, or a session's post-session run by the session's code."""
    if code.startswith("S"):
        item = await uow.sessions.by_code(code)
        if item is None:
            raise SurveyError("sessions.error.not_found", code=code)
        runs = await uow.surveys.runs_for_session(item.id, POST_SESSION_SURVEY)
        if not runs:
            raise SurveyError("survey_runs.error.no_run_for_session", code=item.code)
        return runs[-1]
    run = await uow.surveys.run_by_code(code)
    if run is None:
        raise SurveyError("survey_runs.error.unknown_run", code=code)
    return run


async def export_run(uow: UnitOfWork, code: str) -> tuple[dict, Survey, SurveyReport]:
    """For `run_bot.py export survey R1`: DESIGN §3's JSON, plus what the CSV/xlsx exports need."""
    run = await uow.surveys.run_by_code(code)
    if run is None:
        raise SurveyError("survey_runs.error.unknown_run", code=code)
    result = await tally_run(uow, run)
    return report_json(result.report, result.survey, run.code), result.survey, result.report

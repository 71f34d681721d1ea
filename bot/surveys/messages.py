"""Surveys' messages: the invitation and its reminders, rendered at send time (only while an answer is owed)."""

from __future__ import annotations

from bot.surveys.blocks import build_closed_notice, build_invitation, build_merge_note, build_reminder
from bot.delivery.renderers import Message, RenderContext
from bot.core.i18n import t
from bot.surveys.definitions import Survey, load_survey
from bot.surveys.views import answered, closed_report
from bot.core.timefmt import format_datetime
from storage.models import SurveyRun


async def _owed(ctx: RenderContext) -> tuple[SurveyRun, Survey, str] | None:
    """The run, survey and language, if this person still owes an answer; None otherwise."""
    run = await ctx.uow.surveys.run(int(ctx.payload.get("run_id", 0)))
    now = ctx.deps.clock.now()
    if run is None or run.status != "open" or run.deadline_at <= now:
        return None
    invite = await ctx.uow.surveys.invite(run.id, ctx.delivery.recipient)
    if invite is None or await answered(ctx.uow, run.id, ctx.delivery.recipient):
        return None  # finished: written, or waiting for its batch
    person = await ctx.uow.coordinators.get(ctx.delivery.recipient)
    return run, load_survey(run.survey_id), person.lang if person else "ja"


async def _owed_message(ctx: RenderContext, text_key: str, build) -> Message | None:
    """The invitation or the reminder: the same facts, another wording and layout."""
    owed = await _owed(ctx)
    if owed is None:
        return None
    run, survey, lang = owed
    deadline = format_datetime(run.deadline_at, lang, ctx.deps.tz)
    return Message(text=t(text_key, lang, title=survey.title.get(lang), code=run.code),
                   blocks=build(survey, run.code, deadline, lang))


async def render_invitation(ctx: RenderContext) -> Message | None:
    return await _owed_message(ctx, "survey_runs.invitation_text", build_invitation)


async def render_reminder(ctx: RenderContext) -> Message | None:
    return await _owed_message(ctx, "survey_runs.reminder_text", build_reminder)


async def render_closed(ctx: RenderContext) -> Message | None:
    """For one of the secretariat: a survey run closed (at its deadline, or by an admin), with its
    figures as written at the close."""
    found = await closed_report(ctx.uow, int(ctx.payload.get("run_id", 0)), ctx.deps.tz)
    if found is None:
        return None
    result, session_code, bureau = found
    lang = await ctx.uow.coordinators.lang_of(ctx.delivery.recipient)
    by = ctx.payload.get("by")
    blocks = build_closed_notice(result.report, result.survey, result.run.code, session_code, bureau,
                                 str(by) if by else None, lang)
    if result.merge is not None:
        blocks += build_merge_note(result.merge.fiscal_year, result.merge.shown, result.merge.bureau, lang)
    return Message(text=t("surveys.closed.text", lang, code=result.run.code, respondents=result.report.respondents,
                          invited=result.report.invited), blocks=blocks)

"""`admin survey planning`, `admin survey send S1`, `admin survey close R1`, `admin survey summary [year]` and
`admin report R1`."""

from __future__ import annotations

import asyncio
import logging

from bot.core import grammar
from bot.kit import section
from bot.surveys.blocks import build_merge_note, build_year_summary, render_blocks
from bot.core.i18n import t
from bot.surveys import service as surveys
from bot.delivery.progress import attach_progress_message
from bot.surveys.chart import render_chart_png
from bot.surveys.definitions import load_survey
from bot.core.timefmt import format_datetime
from handlers.commands.request import CommandRequest

log = logging.getLogger(__name__)


async def _announce_sent(request: CommandRequest, started: surveys.RunStarted) -> None:
    lang = request.lang
    text = t("survey_runs.sent", lang, code=started.run.code, count=started.invited,
             deadline=format_datetime(started.run.deadline_at, lang, request.deps.tz))
    await request.reply([section(text)], text)
    await attach_progress_message(request.deps, started.batch_id, request.actor.user_id, lang)
    request.deps.wake_dispatcher()


async def send_planning(cmd: grammar.SurveyPlanning, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        started = await surveys.start_planning_survey(uow, request.deps.clock.now(), request.actor)
    await _announce_sent(request, started)


async def send_post_session(cmd: grammar.SurveySend, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        started = await surveys.send_post_session_survey(uow, request.deps.clock.now(), request.actor, cmd.code)
    await _announce_sent(request, started)


async def report(cmd: grammar.Report, request: CommandRequest) -> None:
    """The tables in the reply; the bar chart uploaded to the asker's DM."""
    lang = request.lang
    async with request.deps.uow() as uow:
        result = await surveys.run_report(uow, request.deps.clock.now(), request.actor, cmd.code)
    code = result.run.code
    blocks = render_blocks(result.report, result.survey, lang)
    if result.merge is not None:
        blocks += build_merge_note(result.merge.fiscal_year, result.merge.shown, result.merge.bureau, lang)
    await request.reply(blocks,
                        t("survey_runs.report_text", lang, code=code))
    # Drawing takes about a second of CPU: off the event loop.
    png = await asyncio.get_running_loop().run_in_executor(None, render_chart_png, result.report, result.survey, lang)
    opened = await request.client.conversations_open(users=request.actor.user_id)
    await request.client.files_upload_v2(channel=opened["channel"]["id"], content=png, filename=f"{code}.png",
                                         title=t("survey_runs.chart_title", lang, code=code),
                                         initial_comment=t("survey_runs.chart_comment", lang, code=code))
    log.info("survey report shown", extra={"run": code})


async def summary(cmd: grammar.SurveySummary, request: CommandRequest) -> None:
    """The fiscal year's participant surveys in one reply: totals, bureaus, sessions, merged comments."""
    async with request.deps.uow() as uow:
        result = await surveys.year_summary(uow, request.deps.clock.now(), request.actor, cmd.fiscal_year,
                                            request.deps.tz)
    survey = load_survey(result.survey_id)
    await request.reply(build_year_summary(result, survey, request.lang),
                        t("surveys.summary.text", request.lang, year=result.fiscal_year))


async def close(cmd: grammar.SurveyClose, request: CommandRequest) -> None:
    """The run stops taking answers now; the secretariat's notice goes through the outbox."""
    deps = request.deps
    async with deps.uow() as uow:
        result = await surveys.close_now(uow, deps.clock.now(), request.actor, cmd.code, deps.settings.admin_ids)
    await request.reply_text("survey_runs.closed_now", code=result.run.code, respondents=result.report.respondents,
                             invited=result.report.invited)
    deps.wake_dispatcher()

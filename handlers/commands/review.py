"""`admin report year [FY]`: the secretariat's yearly review as a message, an .xlsx and a chart.
(`admin report R1`, a survey run's report, is handlers/commands/surveys.py.)
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError

from bot.core import grammar
from bot.review.blocks import build_year_review
from bot.core.i18n import t
from bot.review import service as review
from handlers.commands.request import CommandRequest

log = logging.getLogger(__name__)

FIRST_YEAR, LAST_YEAR = 2000, 2100


async def year_report(cmd: grammar.YearReport, request: CommandRequest) -> None:
    deps, actor, lang = request.deps, request.actor, request.lang
    now = deps.clock.now()
    if not actor.is_admin:
        async with deps.uow() as uow:
            await uow.audit.record(now, actor.user_id, "review.year", "refused")
        await request.reply_text("auth.admin_only")
        return
    year = cmd.fiscal_year if cmd.fiscal_year is not None else review.fiscal_year_of(now, deps.tz)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        await request.reply_text("home_tab.review.bad_year")
        return
    async with deps.uow() as uow:
        result = await review.yearly_review(uow, year, deps.tz)
        await uow.audit.record(now, actor.user_id, "review.year", "ok", target=f"FY{year}")
    await request.reply(build_year_review(result, lang, deps.tz), t("home_tab.review.title", lang, year=year))
    # Drawing the chart and writing the workbook take a noticeable moment of CPU: keep the loop free.
    workbook, chart = await asyncio.gather(asyncio.to_thread(review.review_workbook, result, lang),
                                           asyncio.to_thread(review.review_chart_png, result, lang))
    title = t("home_tab.review.files_comment", lang, year=year)
    try:
        opened = await request.client.conversations_open(users=actor.user_id)
        # Each file once, each with its own title, so the two are told apart at a glance.
        await request.client.files_upload_v2(
            channel=opened["channel"]["id"], initial_comment=title,
            file_uploads=[{"content": workbook, "filename": f"jirei-review-FY{year}.xlsx",
                           "title": t("home_tab.review.file_workbook", lang, year=year)},
                          {"content": chart, "filename": f"jirei-review-FY{year}.png",
                           "title": t("home_tab.review.file_chart", lang, year=year)}])
    except SlackApiError as exc:
        log.warning("yearly review upload failed: %s", exc.response.get("error"))
        await request.reply_text("home_tab.review.upload_failed")

"""What each person's Home tab shows, and the secretariat's yearly review (DESIGN §2 item 11).

No Slack: a unit of work, `now` and plain values in; dataclasses out. The review's numbers are
computed once (`yearly_review`) and rendered three ways: Block Kit (bot/review/blocks.py), an .xlsx
workbook and a PNG chart (`review_workbook`, `review_chart_png` below, pure functions of the review).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.i18n import t
from bot.core.timefmt import fiscal_year_bounds, fiscal_year_of
from bot.library.service import shelf as library_shelf
from bot.people.results import Actor
from bot.requests.service import requests_overview
from bot.core.bureaus import bureau_label
from bot.sessions.service import waitlist_position
from bot.sessions.results import SessionSummary
from bot.surveys.definitions import survey_title
from bot.surveys.report import MIN_CELL, response_bureau
from bot.surveys.views import answered as surveys_answered
from bot.surveys.service import dialog_started as surveys_started
from bot.review.results import (breakdown_text, SessionRow, MaterialToRead, SurveyToAnswer, MyStudyGroup, CoordinatorHome,
                                StaffHome, MaterialVersion, LecturerCase, LecturerHome, BureauGlance,
                                SurveyRate, StudyGroupGlance, AdminHome, HomeData, Tally, SurveySummary,
                                StudyGroupTally, YearReview)
from config.reference import bureaus, find_theme, themes
from storage.models import Case, CaseSession, Material, SurveyRun
from storage.uow import UnitOfWork
from bot.materials.results import RELEASE_STATUSES
from bot.materials.views import bureaus_done, releasable_material
from bot.surveys.chart import japanese_font

SEAT_STATUSES = ("confirmed", "attended")
QUEUE_STATUSES = ("waitlisted", "applied")
LIVE_STATUSES = ("open", "confirmed")
# Staff still need a held session on their Home tab for a while: late check-ins, the roster.
STAFF_LOOKBACK = timedelta(days=14)
MAX_FAILED_SHOWN = 10


# --- fiscal years ------------------------------------------------------------------------------


# fiscal_year_of, fiscal_year_bounds: bot/core/timefmt.py (materials reads them too)


# --- shared shapes ---------------------------------------------------------------------------


def _rows(items: Iterable[CaseSession], counts: dict[int, dict[str, int]], cases: dict[int, Case]) -> list[SessionRow]:
    rows = []
    for item in items:
        by_status = counts.get(item.id, {})
        rows.append(SessionRow(item, cases.get(item.case_id) if item.case_id else None,
                               sum(by_status.get(s, 0) for s in SEAT_STATUSES),
                               sum(by_status.get(s, 0) for s in QUEUE_STATUSES)))
    return rows


async def _cases_by_id(uow: UnitOfWork) -> dict[int, Case]:
    return {case.id: case for case in await uow.cases.all()}


# --- the Home tab ------------------------------------------------------------------------------


async def home_data(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor) -> HomeData:
    """Everything the person's Home tab shows, one section per role they hold."""
    cases = await _cases_by_id(uow)
    data = HomeData(actor, await uow.coordinators.get(actor.user_id),
                    await coordinator_home(uow, now, actor, cases))
    data.library = await library_shelf(uow, actor.user_id)
    if actor.staff_bureaus:
        data.staff = await staff_home(uow, now, actor.staff_bureaus, cases)
    lectured = [case for case in cases.values() if case.lecturer_user_id == actor.user_id]
    asked = await requests_overview(uow, lecturer=actor.user_id)
    if actor.is_lecturer or lectured or asked:
        data.lecturer = await lecturer_home(uow, lectured)
        data.lecturer.requests = asked
    if actor.is_admin:
        data.admin = await admin_home(uow, now, tz)
    return data


async def coordinator_home(uow: UnitOfWork, now: datetime, actor: Actor, cases: dict[int, Case]) -> CoordinatorHome:
    repo = uow.review
    mine = [(reg, item) for reg, item in await repo.registrations_of(actor.user_id) if reg.status != "cancelled"]
    # Coming sessions first (soonest on top), then the past ones, most recent first.
    coming = [pair for pair in mine if pair[1].ends_at > now]
    past = sorted((pair for pair in mine if pair[1].ends_at <= now), key=lambda p: p[1].starts_at, reverse=True)
    ordered = coming + past
    counts = await repo.registration_counts(item.id for _, item in ordered)
    summaries = []
    for reg, item in ordered:
        by_status = counts.get(item.id, {})
        summaries.append(SessionSummary(
            session=item, case=cases.get(item.case_id) if item.case_id else None,
            confirmed=sum(by_status.get(s, 0) for s in SEAT_STATUSES),
            waitlisted=sum(by_status.get(s, 0) for s in QUEUE_STATUSES), my_status=reg.status,
            my_position=await waitlist_position(uow, item, reg) if reg.status == "waitlisted" else None))
    return CoordinatorHome(
        sessions=summaries,
        materials_to_read=await _materials_to_read(uow, now, actor, mine, cases),
        surveys_to_answer=[SurveyToAnswer(run.code, run.survey_id, run.deadline_at,
                                          await surveys_started(uow, run.id, actor.user_id))
                           for run in await repo.open_runs_awaiting(actor.user_id, now)
                           if not await surveys_answered(uow, run.id, actor.user_id)],
        study_groups=await _my_groups(uow, actor.user_id),
    )


async def _materials_to_read(uow: UnitOfWork, now: datetime, actor: Actor, mine, cases: dict[int, Case]) -> list[MaterialToRead]:
    """Material released to the person (seat held, pledge accepted, release time passed) and not yet read."""
    if not actor.pledged:
        return []
    read = await uow.review.sessions_read_by(actor.user_id)
    result = []
    for reg, item in mine:
        if (reg.status in SEAT_STATUSES and item.status in RELEASE_STATUSES and item.case_id in cases
                and item.release_at is not None and item.release_at <= now and item.id not in read
                and await releasable_material(uow, item.case_id) is not None):
            result.append(MaterialToRead(item, cases[item.case_id]))
    return result


async def _my_groups(uow: UnitOfWork, user_id: str) -> list[MyStudyGroup]:
    groups = [group for group, _ in await uow.study_groups.of_user(user_id, "accepted") if group.status != "closed"]
    members = await uow.review.accepted_members(g.id for g in groups)
    return [MyStudyGroup(group, members.get(group.id, 0)) for group in groups]


async def staff_home(uow: UnitOfWork, now: datetime, staff_bureaus: Iterable[str], cases: dict[int, Case]) -> StaffHome:
    repo = uow.review
    items = await repo.sessions_of_bureaus(staff_bureaus, not_before=now - STAFF_LOOKBACK)
    counts = await repo.registration_counts(item.id for item in items)
    return StaffHome(tuple(sorted(staff_bureaus)), _rows(items, counts, cases))


def material_state(material: Material) -> str:
    if material.deleted_at is not None:
        return "deleted"
    if material.url is not None:
        return "link_confirmed" if material.confirmed_at is not None else "link_unchecked"
    if not material.findings:
        return "clean"
    return "confirmed" if material.confirmed_at is not None else "needs_confirmation"


async def lecturer_home(uow: UnitOfWork, lectured: list[Case]) -> LecturerHome:
    repo = uow.review
    result = []
    for case in sorted(lectured, key=lambda c: c.id, reverse=True):
        items = await uow.sessions.for_case(case.id)
        counts = await repo.registration_counts(item.id for item in items)
        versions = [MaterialVersion(m.kind, m.version, len(m.findings or []), material_state(m), m.uploaded_at)
                    for m in await uow.materials.for_case(case.id)]
        result.append(LecturerCase(case, versions, _rows(items, counts, {case.id: case})))
    return LecturerHome(result)


async def admin_home(uow: UnitOfWork, now: datetime, tz: ZoneInfo) -> AdminHome:
    repo = uow.review
    year = fiscal_year_of(now, tz)
    start, end = fiscal_year_bounds(year, tz)
    items = [s for s in await repo.sessions_starting_between(start, end) if s.kind != "self_run"]
    counts = await repo.registration_counts(item.id for item in items)
    by_bureau: dict[str, dict] = {}
    for item in items:
        entry = by_bureau.setdefault(item.bureau, {"status": {}, "taken": 0, "capacity": 0})
        entry["status"][item.status] = entry["status"].get(item.status, 0) + 1
        if item.status != "cancelled":
            entry["taken"] += sum(counts.get(item.id, {}).get(s, 0) for s in SEAT_STATUSES)
            entry["capacity"] += item.capacity
    glances = [BureauGlance(code, entry["status"], entry["taken"], entry["capacity"])
               for code, entry in sorted(by_bureau.items(), key=lambda kv: _bureau_order(kv[0]))]
    runs = await repo.runs_opening_between(start, end)
    invites = await repo.invite_counts(run.id for run in runs)
    surveys = [SurveyRate(run.code, run.survey_id, run.status, *invites.get(run.id, (0, 0))) for run in runs]

    standing = [check for check in [await bureaus_done(uow, case, now, tz) for case in await uow.cases.unpublished()]
                if not check.self_run]
    return AdminHome(year, glances, surveys, await _study_group_glance(uow, start, end),
                     await uow.outbox.failed_deliveries(limit=MAX_FAILED_SHOWN), await uow.outbox.count_failed(), standing,
                     requests=await requests_overview(uow))


async def _study_group_glance(uow: UnitOfWork, start: datetime, end: datetime) -> StudyGroupGlance:
    repo = uow.review
    groups = await repo.groups_created_between(start, end)
    by_status: dict[str, int] = {}
    for group in groups:
        by_status[group.status] = by_status.get(group.status, 0) + 1
    members = await repo.accepted_members(g.id for g in groups)
    self_run = [s for s in await repo.sessions_starting_between(start, end) if s.kind == "self_run"]
    return StudyGroupGlance(by_status, sum(members.values()),
                            sum(1 for s in self_run if s.status in LIVE_STATUSES),
                            sum(1 for s in self_run if s.status == "held"))


def _bureau_order(code: str | None) -> tuple[int, str]:
    order = [b.code for b in bureaus()]
    return (order.index(code), "") if code in order else (len(order), code or "")


def _theme_order(code: str | None) -> tuple[int, str]:
    order = [th.code for th in themes()]
    return (order.index(code), "") if code in order else (len(order), code or "")


# --- the yearly review ---------------------------------------------------------------------------


NO_THEME = "none"


async def yearly_review(uow: UnitOfWork, fiscal_year: int, tz: ZoneInfo) -> YearReview:
    """The year's numbers per bureau and theme; sessions count in the year they (were to) start."""
    repo = uow.review
    start, end = fiscal_year_bounds(fiscal_year, tz)
    items = await repo.sessions_starting_between(start, end)
    counts = await repo.registration_counts(item.id for item in items)
    cases = await _cases_by_id(uow)
    by_bureau: dict[str, Tally] = {}
    by_theme: dict[str, Tally] = {}
    total = Tally("total")
    groups_by_bureau: dict[str, StudyGroupTally] = {}
    study_total = StudyGroupTally("total")
    # Formed groups only: a group the matcher proposed is not formed until its members accepted.
    groups = [g for g in await repo.groups_created_between(start, end) if g.channel_id or g.status == "active"]
    group_bureaus = {g.id: g.bureau for g in groups}
    bureau_codes = {b.code for b in bureaus()}

    def study_rows(bureau: str | None) -> list[StudyGroupTally]:
        """The bureau's row and the total; an online group or session with no bureau counts in the total only."""
        if bureau not in bureau_codes:
            return [study_total]
        return [groups_by_bureau.setdefault(bureau, StudyGroupTally(bureau)), study_total]

    for item in items:
        by_status = counts.get(item.id, {})
        if item.kind == "self_run":
            if item.status == "held":
                bureau = item.bureau if item.bureau in bureau_codes else group_bureaus.get(item.study_group_id)
                for entry in study_rows(bureau):
                    entry.self_run_held += 1
                    entry.self_run_participants += by_status.get("attended", 0) or by_status.get("confirmed", 0)
            continue
        case = cases.get(item.case_id) if item.case_id else None
        theme = item.theme or (case.theme if case else None) or NO_THEME
        for tally in (by_bureau.setdefault(item.bureau, Tally(item.bureau)),
                      by_theme.setdefault(theme, Tally(theme)), total):
            tally.add(item, by_status)
    members = await repo.accepted_members(g.id for g in groups)
    for group in groups:
        for entry in study_rows(group.bureau):
            entry.groups += 1
            entry.active += int(group.status == "active")
            entry.members += members.get(group.id, 0)
    return YearReview(
        fiscal_year=fiscal_year, starts=start, ends=end,
        by_bureau=sorted(by_bureau.values(), key=lambda tally: _bureau_order(tally.key)),
        by_theme=sorted(by_theme.values(), key=lambda tally: _theme_order(tally.key)),
        total=total, surveys=await _survey_summaries(uow, start, end),
        study_groups=sorted(groups_by_bureau.values(), key=lambda tally: _bureau_order(tally.bureau)),
        study_total=study_total,
    )


def bureau_breakdown(responses: dict[str | None, int]) -> dict[str, int] | None:
    """Responses per bureau, without cells that could point at a person (fewer than MIN_CELL)."""
    if sum(responses.values()) < MIN_CELL:
        return None
    return {bureau: n for bureau, n in sorted(responses.items(), key=lambda kv: _bureau_order(kv[0]))
            if bureau is not None and n >= MIN_CELL}


async def _survey_summaries(uow: UnitOfWork, start: datetime, end: datetime) -> list[SurveySummary]:
    repo = uow.review
    runs: list[SurveyRun] = await repo.runs_opening_between(start, end)
    invites = await repo.invite_counts(run.id for run in runs)
    responses: dict[int, dict[str | None, int]] = {}
    for run_id, stored_bureau, blob in await repo.responses_of_runs(run.id for run in runs):
        bureau = stored_bureau or response_bureau(uow.cipher.decrypt_json(blob), None)[1]
        per_run = responses.setdefault(run_id, {})
        per_run[bureau] = per_run.get(bureau, 0) + 1
    summaries = []
    for run in runs:
        invited, completed = invites.get(run.id, (0, 0))
        per_bureau = responses.get(run.id, {})
        summaries.append(SurveySummary(run.code, run.survey_id, f"S{run.session_id}" if run.session_id else None,
                                       run.status, invited, completed, sum(per_bureau.values()),
                                       bureau_breakdown(per_bureau)))
    return summaries


# --- the review as files ---------------------------------------------------------------------------


def _bureau_name(code: str, lang: str) -> str:
    return bureau_label(code, lang)


def _theme_name(code: str, lang: str) -> str:
    theme = find_theme(code) if code != NO_THEME else None
    return theme.name(lang) if theme else t("home_tab.review.no_theme", lang)


def review_workbook(review: YearReview, lang: str) -> bytes:
    """The review as an .xlsx: one sheet per table, headers in the reader's language."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def tally_rows(tallies: list[Tally], name) -> list[list]:
        return [[name(tl.key), tl.planned, tl.held, tl.cancelled, tl.participants, tl.attended, tl.expected,
                 round(tl.attendance_rate, 4) if tl.attendance_rate is not None else None, tl.exchanges,
                 tl.exchanges_held, tl.exchange_participants]
                for tl in tallies]

    tally_header = [t(f"home_tab.review.column.{c}", lang) for c in
                    ("planned", "held", "cancelled", "participants", "attended", "expected", "attendance_rate",
                     "exchanges", "exchanges_held", "exchange_participants")]
    total_name = t("home_tab.review.total", lang)
    sheets = [
        (t("home_tab.review.sheet.bureau", lang), [t("home_tab.review.column.bureau", lang)] + tally_header,
         tally_rows(review.by_bureau, lambda k: _bureau_name(k, lang)) + tally_rows([review.total], lambda k: total_name)),
        (t("home_tab.review.sheet.theme", lang), [t("home_tab.review.column.theme", lang)] + tally_header,
         tally_rows(review.by_theme, lambda k: _theme_name(k, lang)) + tally_rows([review.total], lambda k: total_name)),
        (t("home_tab.review.sheet.surveys", lang),
         [t(f"home_tab.review.column.{c}", lang) for c in
          ("run", "survey", "session", "status", "invited", "completed", "response_rate", "responses", "by_bureau")],
         [[s.code, survey_title(s.survey_id, lang), s.session_code or "", t(f"home_tab.survey_status.{s.status}", lang),
           s.invited, s.completed, round(s.response_rate, 4) if s.response_rate is not None else None, s.responses,
           breakdown_text(s, lang)] for s in review.surveys]),
        (t("home_tab.review.sheet.study_groups", lang),
         [t(f"home_tab.review.column.{c}", lang) for c in
          ("bureau", "groups", "active", "members", "self_run_held", "self_run_participants")],
         [[_bureau_name(g.bureau, lang) if g.bureau != "total" else total_name, g.groups, g.active, g.members,
           g.self_run_held, g.self_run_participants] for g in review.study_groups + [review.study_total]]),
    ]
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for column, rate_header in enumerate(header, start=1):
            if rate_header in (t("home_tab.review.column.attendance_rate", lang),
                               t("home_tab.review.column.response_rate", lang)):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                    cell.number_format = "0%"
        sheet.freeze_panes = "B2"
        for column_cells in sheet.columns:
            width = max(len(str(c.value or "")) for c in column_cells)
            sheet.column_dimensions[column_cells[0].column_letter].width = min(max(10, width * 2 + 2), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def review_chart_png(review: YearReview, lang: str) -> bytes:
    """Held and cancelled sessions per bureau and per theme, as horizontal bars with Japanese labels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure


    font = japanese_font()
    panels = [(t("home_tab.review.chart.by_bureau", lang), [(_bureau_name(x.key, lang), x) for x in review.by_bureau]),
              (t("home_tab.review.chart.by_theme", lang), [(_theme_name(x.key, lang), x) for x in review.by_theme])]
    heights = [max(len(rows), 1) * 0.45 + 0.8 for _, rows in panels]
    figure = Figure(figsize=(8.0, sum(heights) + 0.8), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(t("home_tab.review.chart.title", lang, year=review.fiscal_year), fontproperties=font, fontsize=13)
    grid = figure.add_gridspec(len(panels), 1, height_ratios=heights)
    held_label, cancelled_label = t("home_tab.review.column.held", lang), t("home_tab.review.column.cancelled", lang)
    for index, (title, rows) in enumerate(panels):
        axes = figure.add_subplot(grid[index])
        axes.set_title(title, fontproperties=font, fontsize=10, loc="left")
        if not rows:
            axes.axis("off")
            axes.text(0.5, 0.5, t("home_tab.review.chart.empty", lang), ha="center", va="center",
                      fontproperties=font, color="#666666", transform=axes.transAxes)
            continue
        positions = list(range(len(rows)))
        held = [tally.held for _, tally in rows]
        cancelled = [tally.cancelled for _, tally in rows]
        bars_held = axes.barh([p - 0.2 for p in positions], held, height=0.4, color="#2f6f9f", label=held_label)
        bars_cancelled = axes.barh([p + 0.2 for p in positions], cancelled, height=0.4, color="#c8553d",
                                   label=cancelled_label)
        axes.set_yticks(positions, [name for name, _ in rows])
        for label in axes.get_yticklabels():
            label.set_fontproperties(font)
        axes.invert_yaxis()
        for bars in (bars_held, bars_cancelled):
            axes.bar_label(bars, padding=3, fontsize=8)
        axes.set_xlim(0, max(held + cancelled + [1]) * 1.2)
        axes.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            axes.spines[side].set_visible(False)
        axes.legend(prop=font, loc="lower right", frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

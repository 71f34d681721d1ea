"""The Home tab per role, and the yearly review as a message. Pure builders: service results in,
Block Kit out.

Slack refuses a Home tab of more than 100 blocks (and a message of more than 50), so every list
is cut to a fixed number of entries with "…and N more", and each role's section has a budget;
`fit` is the last guard.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot import ids
from bot.kit import actions, button, channel, context, divider, escape, header, mention, section
from bot.library.blocks import build_home_section
from bot.materials.blocks import stalled_names
from bot.people.blocks import build_home
from bot.requests.blocks import lecturer_request_blocks, request_lines_blocks, review_buttons
from bot.sessions.blocks import build_session_card, session_title
from bot.core.i18n import catalog, t
from bot.review.results import breakdown_text
from bot.surveys.definitions import survey_title
from bot.surveys.blocks import survey_value
from bot.review.results import (AdminHome, CoordinatorHome, HomeData, LecturerHome, SessionRow, StaffHome,
                                Tally, YearReview)
from bot.core.bureaus import bureau_label
from bot.core.timefmt import format_date, format_datetime
from config.reference import find_theme

MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_MY_SESSIONS = 6
MAX_MATERIALS = 5
MAX_SURVEYS = 8
MAX_GROUPS = 8
MAX_STAFF_SESSIONS = 12
MAX_LECTURER_CASES = 6
MAX_LINES_PER_CASE = 5
MAX_FAILED = 10
MAX_CASES = 8

def percent(rate: float | None, lang: str) -> str:
    return t("home_tab.percent_unknown", lang) if rate is None else f"{rate * 100:.0f}%"


def _more(hidden: int, lang: str) -> list[dict]:
    return [context(t("home_tab.more", lang, count=hidden))] if hidden > 0 else []


def text_sections(lines: list[str]) -> list[dict]:
    """Lines packed into as few sections as Slack's 3000-character limit allows."""
    blocks: list[dict] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = line[:MAX_SECTION_TEXT]
        if chunk and size + len(line) + 1 > MAX_SECTION_TEXT:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def fit(blocks: list[dict], limit: int, lang: str) -> list[dict]:
    """At most `limit` blocks; what does not fit is summarised in a last context line."""
    if len(blocks) <= limit:
        return blocks
    return blocks[:limit - 1] + [context(t("home_tab.more", lang, count=len(blocks) - limit + 1))]


# --- the Home tab --------------------------------------------------------------------------


def build_home_tab(data: HomeData, lang: str, tz: ZoneInfo) -> dict:
    """Profile and pledge, then one section per role: coordinator, bureau staff, lecturer, admin."""
    person = data.person
    pledged = format_date(person.pledge_accepted_at, lang, tz) if person and person.pledge_accepted_at else None
    blocks = build_home(person, data.actor, lang, pledged)["blocks"]
    blocks += [divider()] + coordinator_blocks(data.coordinator, lang, tz)
    if data.library is not None:
        blocks += [divider()] + build_home_section(data.library, lang)
    if data.staff is not None:
        blocks += [divider()] + staff_blocks(data.staff, lang, tz)
    if data.lecturer is not None:
        blocks += [divider()] + lecturer_blocks(data.lecturer, lang, tz)
    if data.admin is not None:
        blocks += [divider()] + admin_blocks(data.admin, lang, tz)
    return {"type": "home", "blocks": fit(blocks, MAX_VIEW_BLOCKS, lang)}


def coordinator_blocks(home: CoordinatorHome, lang: str, tz: ZoneInfo) -> list[dict]:
    blocks = [section(t("home_tab.coordinator.heading", lang))]
    if not home.sessions:
        blocks.append(context(t("home_tab.coordinator.none", lang)))
    for summary in home.sessions[:MAX_MY_SESSIONS]:
        blocks += build_session_card(summary, lang, tz)
    blocks += _more(len(home.sessions) - MAX_MY_SESSIONS, lang)
    if home.materials_to_read:
        blocks.append(section(t("home_tab.coordinator.materials_heading", lang)))
        for item in home.materials_to_read[:MAX_MATERIALS]:
            text = t("home_tab.coordinator.material_line", lang, code=item.session.code,
                     title=session_title(item.session, item.case, lang),
                     when=format_datetime(item.session.starts_at, lang, tz))
            blocks.append(section(text, accessory=button(t("home_tab.coordinator.read_button", lang),
                                                         ids.HOME_MATERIAL_READ, item.session.code)))
        blocks += _more(len(home.materials_to_read) - MAX_MATERIALS, lang)
    if home.surveys_to_answer:
        blocks.append(section(t("home_tab.coordinator.surveys_heading", lang)))
        for s in home.surveys_to_answer[:MAX_SURVEYS]:
            # One button per survey: start it, or go on where the person stopped (paused or not).
            label = t("surveys.home.resume" if s.started else "surveys.home.start", lang)
            blocks.append(section(t("home_tab.coordinator.survey_line", lang, code=s.code,
                                    title=escape(survey_title(s.survey_id, lang)),
                                    deadline=format_datetime(s.deadline_at, lang, tz)),
                                  accessory=button(label, ids.SURVEY_START, survey_value(s.code),
                                                   style=None if s.started else "primary")))
        blocks += _more(len(home.surveys_to_answer) - MAX_SURVEYS, lang)
        blocks.append(context(t("home_tab.coordinator.surveys_hint", lang)))
    if home.study_groups:
        lines = []
        for mine in home.study_groups[:MAX_GROUPS]:
            line = t("home_tab.coordinator.group_line", lang, code=mine.group.code, members=mine.members,
                     status=t(f"home_tab.group_status.{mine.group.status}", lang))
            if mine.group.channel_id:
                line += " " + channel(mine.group.channel_id)
            lines.append(line)
        blocks.append(section(t("home_tab.coordinator.groups_heading", lang)))
        blocks += text_sections(lines)
        blocks += _more(len(home.study_groups) - MAX_GROUPS, lang)
    return blocks


def _staff_row(row: SessionRow, lang: str, tz: ZoneInfo) -> dict:
    item = row.session
    text = t("home_tab.staff.row", lang, code=item.code, title=session_title(item, row.case, lang),
             status=t(f"sessions.status.{item.status}", lang), when=format_datetime(item.starts_at, lang, tz),
             taken=row.seats_taken, capacity=item.capacity, rate=percent(row.fill_rate, lang), queued=row.queued)
    return section(text, accessory=button(t("home_tab.staff.roster_button", lang), ids.SESSION_ROSTER, item.code))


def staff_blocks(home: StaffHome, lang: str, tz: ZoneInfo) -> list[dict]:
    names = ", ".join(bureau_label(code, lang) for code in home.bureaus)
    blocks = [header(t("home_tab.staff.heading", lang, bureaus=names))]
    if not home.sessions:
        return blocks + [context(t("home_tab.staff.none", lang))]
    blocks += [_staff_row(row, lang, tz) for row in home.sessions[:MAX_STAFF_SESSIONS]]
    blocks += _more(len(home.sessions) - MAX_STAFF_SESSIONS, lang)
    blocks.append(context(t("home_tab.staff.checkin_hint", lang)))
    return blocks


def _theme_name(code: str | None, lang: str) -> str:
    theme = find_theme(code) if code else None
    return theme.name(lang) if theme else t("home_tab.review.no_theme", lang)


def _limited(parts: list[str], lang: str, limit: int = MAX_LINES_PER_CASE) -> str:
    shown = parts[:limit]
    if len(parts) > limit:
        shown.append(t("home_tab.more", lang, count=len(parts) - limit))
    return " / ".join(shown)


def lecturer_blocks(home: LecturerHome, lang: str, tz: ZoneInfo) -> list[dict]:
    blocks = [header(t("home_tab.lecturer.heading", lang))]
    if not home.cases:
        blocks.append(context(t("home_tab.lecturer.none", lang)))
    for entry in home.cases[:MAX_LECTURER_CASES]:
        lines = [t("home_tab.lecturer.case_line", lang, code=entry.case.code, title=escape(entry.case.title),
                   theme=_theme_name(entry.case.theme, lang))]
        # Newest versions first: the one that matters is the latest.
        versions = [t("home_tab.lecturer.version", lang, kind=t(f"home_tab.material_kind.{v.kind}", lang),
                      version=v.version, state=t(f"home_tab.material_state.{v.state}", lang, findings=v.findings))
                    for v in sorted(entry.materials, key=lambda v: v.uploaded_at, reverse=True)]
        lines.append(t("home_tab.lecturer.materials", lang, versions=_limited(versions, lang)) if versions
                     else t("home_tab.lecturer.no_materials", lang))
        sessions = [t("home_tab.lecturer.session_line", lang, code=row.session.code,
                      bureau=bureau_label(row.session.bureau, lang),
                      when=format_datetime(row.session.starts_at, lang, tz),
                      status=t(f"sessions.status.{row.session.status}", lang),
                      taken=row.seats_taken, capacity=row.session.capacity) for row in entry.sessions]
        lines.append(t("home_tab.lecturer.sessions", lang, sessions=_limited(sessions, lang)) if sessions
                     else t("home_tab.lecturer.no_sessions", lang))
        blocks.append(section("\n".join(lines)))
    blocks += _more(len(home.cases) - MAX_LECTURER_CASES, lang)
    blocks.append(actions(button(t("home_tab.lecturer.upload_button", lang), ids.MATERIAL_UPLOAD_OPEN,
                                 style="primary")))
    if home.requests:
        blocks += lecturer_request_blocks(home.requests, lang, tz)
    return blocks


def admin_blocks(home: AdminHome, lang: str, tz: ZoneInfo) -> list[dict]:
    blocks = [header(t("home_tab.admin.heading", lang, year=home.fiscal_year)),
              section(t("home_tab.admin.bureaus_heading", lang))]
    if home.bureaus:
        lines = []
        for glance in home.bureaus:
            statuses = "・".join(t("home_tab.admin.status_count", lang, status=t(f"sessions.status.{status}", lang),
                                   count=n) for status, n in sorted(glance.by_status.items()))
            lines.append(t("home_tab.admin.bureau_line", lang, bureau=bureau_label(glance.bureau, lang),
                           statuses=statuses, rate=percent(glance.fill_rate, lang), cancelled=glance.cancelled))
        blocks += text_sections(lines)
    else:
        blocks.append(context(t("home_tab.admin.no_sessions", lang)))
    blocks.append(section(t("home_tab.admin.surveys_heading", lang)))
    if home.surveys:
        lines = [t("home_tab.admin.survey_line", lang, code=s.code, title=escape(survey_title(s.survey_id, lang)),
                   status=t(f"home_tab.survey_status.{s.status}", lang), completed=s.completed, invited=s.invited,
                   rate=percent(s.rate, lang)) for s in home.surveys[-MAX_SURVEYS:]]
        blocks += text_sections(lines)
        blocks += _more(len(home.surveys) - MAX_SURVEYS, lang)
    else:
        blocks.append(context(t("home_tab.admin.no_surveys", lang)))
    blocks += publication_standing(home.cases, lang)
    blocks += request_lines_blocks(home.requests, lang, tz) + review_buttons(home.requests, lang)
    groups = home.study_groups
    statuses = "・".join(f"{t(f'home_tab.group_status.{status}', lang)} {n}"
                         for status, n in sorted(groups.groups_by_status.items())) or "—"
    blocks += [section(t("home_tab.admin.groups_heading", lang)),
               section(t("home_tab.admin.groups_line", lang, groups=sum(groups.groups_by_status.values()),
                         statuses=statuses, members=groups.members, planned=groups.self_run_planned,
                         held=groups.self_run_held))]
    if home.failed_total:
        lines = [t("home_tab.admin.failed_line", lang, id=f.id, kind=delivery_kind_name(f.kind, lang),
                   recipient=_recipient(f.recipient),
                   error=f.last_error or "—", attempts=f.attempts, when=format_datetime(f.due_at, lang, tz))
                 for f in home.failed[:MAX_FAILED]]
        blocks.append(section(t("home_tab.admin.failed_heading", lang, count=home.failed_total)))
        blocks += text_sections(lines)
        blocks += _more(home.failed_total - min(len(home.failed), MAX_FAILED), lang)
    else:
        blocks.append(context(t("home_tab.admin.failed_none", lang)))
    blocks.append(context(t("home_tab.admin.report_hint", lang)))
    return blocks


def publication_standing(cases: list, lang: str) -> list[dict]:
    """Each case not yet on the portal: how many of the eight bureaus have held it, and which not."""
    blocks = [section(t("home_tab.admin.cases_heading", lang))]
    if not cases:
        return blocks + [context(t("home_tab.admin.no_cases", lang))]
    lines = []
    for check in cases[:MAX_CASES]:
        to_go = ("、" if lang == "ja" else ", ").join(bureau_label(code, lang) for code in check.to_go)
        key = "home_tab.admin.case_ready" if check.ready else "home_tab.admin.case_line"
        if check.stalled:  # it will not get there by itself: say so, and what can be done
            key, to_go = "home_tab.admin.case_stalled", stalled_names(check, lang)
        lines.append(t(key, lang, code=check.case.code, title=escape(check.case.title), done=len(check.done),
                       total=len(check.done) + len(check.to_go), to_go=to_go))
    return blocks + text_sections(lines) + _more(len(cases) - MAX_CASES, lang)


def delivery_kind_name(kind: str, lang: str) -> str:
    """What an undelivered message was (リマインダー, 事例資料…), not its outbox kind; a kind a later
    version renders that this catalog does not name yet is shown as it is."""
    key = f"home_tab.delivery_kind.{kind}"
    return t(key, lang) if key in catalog(lang) else escape(kind)


def _recipient(recipient: str) -> str:
    # Ids only, shown as Slack renders them; no names are stored with a delivery.
    if recipient[:1] in ("U", "W"):
        return mention(recipient)
    if recipient[:1] in ("C", "G"):
        return channel(recipient)
    return escape(recipient)


# --- the yearly review as a message -------------------------------------------------------------


def _tally_line(name: str, tally: Tally, lang: str) -> str:
    exchanges = t("home_tab.review.exchanges", lang, held=tally.exchanges_held, count=tally.exchanges,
                  participants=tally.exchange_participants) if tally.exchanges else ""
    return t("home_tab.review.tally_line", lang, name=name, held=tally.held, cancelled=tally.cancelled,
             planned=tally.planned, participants=tally.participants, rate=percent(tally.attendance_rate, lang),
             exchanges=exchanges)


def build_year_review(review: YearReview, lang: str, tz: ZoneInfo) -> list[dict]:
    """The review as one message (at most 50 blocks); the full tables go out as an .xlsx."""
    last_day = review.ends - timedelta(days=1)
    blocks = [header(t("home_tab.review.title", lang, year=review.fiscal_year)),
              context(t("home_tab.review.period", lang, start=format_date(review.starts, lang, tz),
                        end=format_date(last_day, lang, tz)))]
    total_name = t("home_tab.review.total", lang)
    blocks.append(section(t("home_tab.review.bureau_heading", lang)))
    if review.by_bureau:
        blocks += text_sections([_tally_line(bureau_label(x.key, lang), x, lang) for x in review.by_bureau]
                                + [_tally_line(total_name, review.total, lang)])
        blocks.append(section(t("home_tab.review.theme_heading", lang)))
        blocks += text_sections([_tally_line(_theme_name(x.key, lang), x, lang) for x in review.by_theme])
    else:
        blocks.append(context(t("home_tab.review.no_sessions", lang)))
    blocks += [divider(), section(t("home_tab.review.surveys_heading", lang))]
    if review.surveys:
        lines = []
        for s in review.surveys:
            session = t("home_tab.review.survey_session", lang, code=s.session_code) if s.session_code else ""
            lines.append(t("home_tab.review.survey_line", lang, code=s.code, title=escape(survey_title(s.survey_id, lang)),
                           session=session, responses=s.responses, rate=percent(s.response_rate, lang),
                           completed=s.completed, invited=s.invited, breakdown=breakdown_text(s, lang)))
        blocks += text_sections(lines)
    else:
        blocks.append(context(t("home_tab.review.no_surveys", lang)))
    blocks += [divider(), section(t("home_tab.review.groups_heading", lang))]
    if review.study_groups:
        rows = review.study_groups + [review.study_total]
        blocks += text_sections([t("home_tab.review.group_line", lang,
                                   bureau=total_name if g.bureau == "total" else bureau_label(g.bureau, lang),
                                   groups=g.groups, active=g.active, members=g.members, held=g.self_run_held,
                                   participants=g.self_run_participants) for g in rows])
    else:
        blocks.append(context(t("home_tab.review.no_groups", lang)))
    blocks.append(context(t("home_tab.review.files_note", lang)))
    return fit(blocks, MAX_MESSAGE_BLOCKS, lang)

"""Block Kit for self-organised study groups: nudges, the starter kit, introductions, the propose
modal, the groups overview and self-run session cards. Pure builders: plain values in, blocks out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import ids
from bot.kit import (actions, button, channel as channel_link, context, divider, escape, header, modal, option, person,
                     plain, section)
from bot.core.i18n import t
from bot.core.timefmt import format_datetime
from config.reference import bureaus, find_theme, themes
from storage.models import Case, CaseSession

from bot.study_groups.results import PLACE_MAX, TITLE_MAX

if TYPE_CHECKING:
    from bot.study_groups.results import GroupsOverview, MatchingReport

ONLINE = "online"
MAX_LISTED = 8


def _join(items: Iterable[str], lang: str) -> str:
    return ("、" if lang == "ja" else ", ").join(items)


def theme_names(codes: Iterable[str], lang: str) -> str:
    names = []
    for code in codes:
        theme = find_theme(code)
        names.append(theme.name(lang) if theme else code)
    return _join(names, lang) or "—"


def where_label(bureau: str | None, lang: str) -> str:
    if bureau == ONLINE or not bureau:
        return t("groups.where.online", lang)
    found = next((b for b in bureaus() if b.code == bureau), None)
    return t("groups.where.region", lang, bureau=found.name(lang) if found else bureau)


def mentions(user_ids: Iterable[str], lang: str) -> str:
    return _join((person(u, lang) for u in user_ids), lang)


def nudge_value(nudge_id: int) -> str:
    return f"N{nudge_id}"


# --- nudges ---------------------------------------------------------------------------------


def build_nudge(nudge_id: int, others: int, bureau: str | None, theme_codes: Sequence[str], lang: str) -> list[dict]:
    value = nudge_value(nudge_id)
    stop_confirm = {
        "title": plain(t("groups.nudge.stop_confirm_title", lang)),
        "text": plain(t("groups.nudge.stop_confirm_text", lang)),
        "confirm": plain(t("groups.nudge.stop_button", lang)),
        "deny": plain(t("common.cancel", lang)),
    }
    return [
        header(t("groups.nudge.title", lang)),
        section(t("groups.nudge.body", lang, others=others, where=where_label(bureau, lang),
                  themes=theme_names(theme_codes, lang))),
        context(t("groups.nudge.how", lang)),
        actions(
            button(t("groups.nudge.accept_button", lang), ids.NUDGE_ACCEPT, value, style="primary"),
            button(t("groups.nudge.later_button", lang), ids.NUDGE_LATER, value),
            button(t("groups.nudge.stop_button", lang), ids.NUDGE_STOP, value, style="danger", confirm=stop_confirm),
            block_id=f"nudge_{value}",
        ),
        context(t("groups.nudge.footer", lang)),
    ]


def build_nudge_answered(outcome: str, lang: str, *, code: str, accepted: int = 0, needed: int = 3) -> list[dict]:
    """What replaces the nudge once answered, so its buttons cannot be pressed twice."""
    if outcome == "accepted":
        text = t("groups.answer.accepted_ready" if accepted >= needed else "groups.answer.accepted_waiting", lang,
                 code=code, accepted=accepted, needed=needed)
    else:
        text = t(f"groups.answer.{outcome}", lang, code=code)
    return [section(text)]


def build_unmatched(reason: str, lang: str) -> list[dict]:
    return [
        header(t("groups.nudge.title", lang)),
        section(t(f"groups.unmatched.{reason}", lang)),
        context(t("groups.unmatched.footer", lang)),
    ]


# --- the group's space ----------------------------------------------------------------------


def build_kit(code: str, bureau: str | None, theme_codes: Sequence[str], members: Sequence[str], lang: str) -> list[dict]:
    """The starter kit: who is here, the guideline for self-run meetings, and how to propose one."""
    return [
        header(t("groups.kit.title", lang, code=code)),
        section(t("groups.kit.welcome", lang, members=mentions(members, lang), where=where_label(bureau, lang),
                  themes=theme_names(theme_codes, lang))),
        divider(),
        section(t("groups.kit.guideline_title", lang)),
        section(t("groups.kit.anonymise", lang)),
        section(t("groups.kit.pledge", lang)),
        section(t("groups.kit.format", lang)),
        section(t("groups.kit.roles", lang)),
        section(t("groups.kit.share", lang)),
        divider(),
        section(t("groups.kit.propose", lang, code=code)),
        context(t("groups.kit.footer", lang)),
    ]


def build_welcome(code: str, newcomers: Sequence[str], lang: str) -> list[dict]:
    return [section(t("groups.kit.newcomer", lang, code=code, members=mentions(newcomers, lang)))]


def build_introduction(session_code: str, title: str, held_on: str, group_no: int, members: Sequence[str],
                       lang: str) -> list[dict]:
    return [
        section(t("groups.intro.body", lang, code=session_code, title=title, date=held_on, group=group_no,
                  members=mentions(members, lang))),
        section(t("groups.intro.keep_in_touch", lang)),
        context(t("groups.intro.footer", lang)),
    ]


# --- self-run sessions -----------------------------------------------------------------------


def self_run_facts(item: CaseSession, lang: str, tz: ZoneInfo, *, confirmed: int | None = None) -> str:
    where = t("groups.where.online", lang) if item.format == "online" or not item.place else escape(item.place)
    lines = [
        t("groups.card.when", lang, when=format_datetime(item.starts_at, lang, tz), minutes=item.minutes),
        t("groups.card.where", lang, where=where),
        t("groups.card.theme", lang, theme=theme_names([item.theme] if item.theme else [], lang)),
        t("groups.card.deadline", lang, when=format_datetime(item.deadline_at, lang, tz)),
    ]
    if item.facilitator_user_id:
        lines.append(t("groups.card.facilitator", lang, user=person(item.facilitator_user_id, lang)))
    if confirmed is not None:
        lines.append(t("groups.card.seats", lang, taken=confirmed, capacity=item.capacity))
    return "\n".join(lines)


def self_run_card(item: CaseSession, lang: str, tz: ZoneInfo, *, confirmed: int | None = None,
                  my_status: str | None = None, with_join: bool = True) -> list[dict]:
    title = escape(item.title or item.code)
    blocks = [section(f"*{item.code}　{title}*\n" + self_run_facts(item, lang, tz, confirmed=confirmed))]
    if my_status not in (None, "cancelled"):
        blocks.append(context(t("groups.card.registered", lang)))
    elif with_join and item.status in ("open", "confirmed"):
        blocks.append(actions(button(t("groups.card.join_button", lang), ids.SESSION_JOIN, item.code,
                                     style="primary"), block_id=f"session_{item.code}"))
    return blocks


def build_self_run_invitation(item: CaseSession, group_code: str | None, lang: str, tz: ZoneInfo) -> list[dict]:
    intro = (t("groups.proposal.invitation_group", lang, group=group_code) if group_code
             else t("groups.proposal.invitation", lang))
    return [section(intro), *self_run_card(item, lang, tz), context(t("groups.proposal.footer", lang))]


def build_self_run_announcement(item: CaseSession, lang: str, tz: ZoneInfo) -> list[dict]:
    return [header(t("groups.proposal.announcement_title", lang)), *self_run_card(item, lang, tz),
            context(t("groups.proposal.footer", lang))]


def build_propose_modal(lang: str, now: datetime, tz: ZoneInfo, group_code: str | None) -> dict:
    """Title, theme, place (empty = online), start, capacity."""
    theme_options = [option(theme.name(lang), theme.code) for theme in themes()]
    default_start = int(now.timestamp()) + 14 * 24 * 3600
    intro = (t("groups.modal.intro_group", lang, code=group_code) if group_code else t("groups.modal.intro", lang))
    return modal(ids.PROPOSE_VIEW, t("groups.modal.title", lang), [
            section(intro),
            {"type": "input", "block_id": ids.PROPOSE_TITLE_BLOCK, "label": plain(t("groups.modal.title_label", lang)),
             "element": {"type": "plain_text_input", "action_id": ids.PROPOSE_TITLE_INPUT, "max_length": TITLE_MAX}},
            {"type": "input", "block_id": ids.PROPOSE_THEME_BLOCK, "label": plain(t("groups.modal.theme_label", lang)),
             "element": {"type": "static_select", "action_id": ids.PROPOSE_THEME_INPUT, "options": theme_options}},
            {"type": "input", "block_id": ids.PROPOSE_PLACE_BLOCK, "optional": True,
             "label": plain(t("groups.modal.place_label", lang)), "hint": plain(t("groups.modal.place_hint", lang)),
             "element": {"type": "plain_text_input", "action_id": ids.PROPOSE_PLACE_INPUT, "max_length": PLACE_MAX}},
            {"type": "input", "block_id": ids.PROPOSE_START_BLOCK, "label": plain(t("groups.modal.start_label", lang)),
             "hint": plain(t("groups.modal.start_hint", lang)),
             "element": {"type": "datetimepicker", "action_id": ids.PROPOSE_START_INPUT,
                         "initial_date_time": default_start}},
            {"type": "input", "block_id": ids.PROPOSE_CAPACITY_BLOCK,
             "label": plain(t("groups.modal.capacity_label", lang)), "hint": plain(t("groups.modal.capacity_hint", lang)),
             "element": {"type": "number_input", "action_id": ids.PROPOSE_CAPACITY_INPUT, "is_decimal_allowed": False,
                         "initial_value": "6", "min_value": "3", "max_value": "30"}},
            {"type": "input", "block_id": ids.PROPOSE_URL_BLOCK, "optional": True,
             "label": plain(t("groups.modal.url_label", lang)), "hint": plain(t("groups.modal.url_hint", lang)),
             "element": {"type": "url_text_input", "action_id": ids.PROPOSE_URL_INPUT}},
        ], submit=t("common.submit", lang), close=t("common.cancel", lang))


def build_proposed(item: CaseSession, case: Case, invited: int, channel_id: str | None, lang: str, tz: ZoneInfo,
                   now: datetime) -> list[dict]:
    """The proposer's confirmation: what was done, and how to attach the case material. It promises
    only what will happen: the material goes out at the release time, or at once if that has passed."""
    blocks = [section(t("groups.proposal.created", lang, code=item.code, invited=invited)),
              *self_run_card(item, lang, tz, with_join=False)]
    if channel_id:
        blocks.append(context(t("groups.proposal.posted_to_group", lang, channel=channel_link(channel_id))))
    if item.release_at is not None and item.release_at > now:
        when = t("groups.proposal.material_at", lang, when=format_datetime(item.release_at, lang, tz))
    else:
        when = t("groups.proposal.material_now", lang)
    blocks += [section(t("groups.proposal.material", lang, code=case.code, when=when)),
               actions(button(t("groups.proposal.material_button", lang), ids.MATERIAL_UPLOAD_OPEN, case.code))]
    return blocks


# --- /jirei groups and admin nudge --------------------------------------------------------------


def build_groups_overview(overview: "GroupsOverview", lang: str, tz: ZoneInfo) -> list[dict]:
    blocks = [header(t("groups.overview.title", lang))]
    if not overview.groups:
        blocks.append(section(t("groups.overview.no_groups", lang)))
    for line in overview.groups[:MAX_LISTED]:
        group = line.group
        text = t("groups.overview.group", lang, code=group.code, where=where_label(group.bureau, lang),
                 themes=theme_names(group.themes or [], lang), accepted=line.accepted)
        if group.channel_id:
            text += "\n" + t("groups.overview.space", lang, channel=channel_link(group.channel_id))
        else:
            text += "\n" + t("groups.overview.forming", lang, accepted=line.accepted, needed=line.needed)
        blocks.append(section(text))
    blocks += [divider(), header(t("groups.overview.proposals_title", lang))]
    if not overview.proposals:
        blocks.append(section(t("groups.overview.no_proposals", lang)))
    for proposal in overview.proposals[:MAX_LISTED]:
        blocks += self_run_card(proposal.session, lang, tz, confirmed=proposal.confirmed,
                                my_status=proposal.my_status)
    if len(overview.proposals) > MAX_LISTED:
        blocks.append(context(t("groups.overview.more", lang, count=len(overview.proposals) - MAX_LISTED)))
    blocks.append(context(t("groups.overview.footer", lang)))
    return blocks


def build_matching_report(report: "MatchingReport", lang: str, tz: ZoneInfo) -> list[dict]:
    lines = [t("groups.matching.summary", lang, eligible=report.eligible, groups=len(report.group_codes),
               nudged=report.nudged)]
    if report.nudged:
        lines.append(t("groups.matching.when", lang, when=format_datetime(report.nudges_due_at, lang, tz)))
    for reason, count in sorted(report.unmatched.items()):
        lines.append(t("groups.matching.unmatched", lang, reason=t(f"groups.reason.{reason}", lang), count=count))
    if report.told:
        lines.append(t("groups.matching.told", lang, count=report.told))
    if report.closed_groups:
        lines.append(t("groups.matching.closed", lang, count=report.closed_groups))
    return [section("\n".join(lines))]

"""Block Kit for sessions: cards, lists, join results, rosters, group messages. Pure builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import ids
from bot.kit import actions, button, context, divider, escape, header, link, mention, modal, section, option, plain
from bot.core.i18n import t
from bot.core.bureaus import bureau_label
from bot.sessions.results import AttendResult, Roster, SessionPage, SessionSummary
from bot.core.timefmt import format_datetime
from config.reference import find_bureau, find_theme
from storage.models import Case, CaseSession

MAX_LISTED = 10
MAX_CHECKIN_ROWS = 40  # one section each; a message holds 50 blocks


def session_title(item: CaseSession, case: Case | None, lang: str) -> str:
    if item.kind == "exchange":
        return t("sessions.exchange_title", lang, bureau=bureau_label(item.bureau, lang))
    if case is not None:
        return escape(case.title)
    return escape(item.title or item.code)


def _theme(item: CaseSession, lang: str) -> str:
    theme = find_theme(item.theme) if item.theme else None
    return theme.name(lang) if theme else "—"


def _where(item: CaseSession, lang: str) -> str:
    """Bureau and format; a session held online has no bureau to name, only its format."""
    fmt = t(f"sessions.format.{item.format}", lang)
    if find_bureau(item.bureau) is None:
        return t("sessions.card.where_online", lang, format=fmt)
    return t("sessions.card.where", lang, bureau=bureau_label(item.bureau, lang), format=fmt)


def session_facts(item: CaseSession, case: Case | None, lang: str, tz: ZoneInfo, *,
                  confirmed: int | None = None) -> str:
    lines = [
        t("sessions.card.when", lang, when=format_datetime(item.starts_at, lang, tz), minutes=item.minutes),
        _where(item, lang),
        t("sessions.card.place", lang, place=escape(item.place)) if item.place else None,
        t("sessions.card.theme", lang, theme=_theme(item, lang)),
        t("sessions.card.deadline", lang, when=format_datetime(item.deadline_at, lang, tz)),
    ]
    if confirmed is not None:
        # Before the deadline's decision a seat is held, not yet a confirmed place at a held session.
        seats = "sessions.card.seats_held" if item.status == "open" else "sessions.card.seats"
        lines.append(t(seats, lang, taken=confirmed, capacity=item.capacity))
    if item.lottery and item.status == "open":
        lines.append(t("sessions.card.lottery", lang))
    return "\n".join(line for line in lines if line)


def build_session_card(summary: SessionSummary, lang: str, tz: ZoneInfo, *, with_buttons: bool = True) -> list[dict]:
    item = summary.session
    text = f"*{item.code}　{session_title(item, summary.case, lang)}*\n" + session_facts(
        item, summary.case, lang, tz, confirmed=summary.confirmed)
    blocks = [section(text)]
    if summary.my_status == "waitlisted" and summary.my_position:
        blocks.append(context(t("sessions.my_waitlist_position", lang, position=summary.my_position)))
    elif summary.my_status == "confirmed" and item.status == "open":
        blocks.append(context(t("sessions.my_status.seat_held", lang)))
    elif summary.my_status:
        blocks.append(context(t(f"sessions.my_status.{summary.my_status}", lang)))
    if with_buttons and item.status in ("open", "confirmed"):
        if summary.my_status in (None, "cancelled"):
            blocks.append(actions(button(t("sessions.join_button", lang), ids.SESSION_JOIN, item.code, style="primary"),
                                  block_id=f"session_{item.code}"))
        elif summary.my_status in ("confirmed", "waitlisted", "applied"):
            blocks.append(actions(button(t("sessions.leave_button", lang), ids.SESSION_LEAVE, item.code),
                                  block_id=f"session_{item.code}"))
    return blocks


def build_sessions_list(page: SessionPage, lang: str, tz: ZoneInfo) -> list[dict]:
    if not page.summaries:
        return [section(t("sessions.none_open", lang))]
    blocks = [header(t("sessions.list_title", lang))]
    shown = page.summaries[:MAX_LISTED]
    for summary in shown:
        blocks += build_session_card(summary, lang, tz) + [divider()]
    if page.total > len(shown):
        blocks.append(context(t("sessions.more", lang, count=page.total - len(shown))))
    return blocks


def build_my_list(summaries: list[SessionSummary], lang: str, tz: ZoneInfo) -> list[dict]:
    if not summaries:
        return [section(t("sessions.my_none", lang))]
    blocks = [header(t("sessions.my_title", lang))]
    for summary in summaries[:MAX_LISTED]:
        blocks += build_session_card(summary, lang, tz) + [divider()]
    return blocks


def build_join_result(outcome: str, item: CaseSession, lang: str, position: int | None = None,
                      status: str | None = None, *, home_bureau: str | None = None) -> list[dict]:
    if outcome == "elsewhere":
        return [section(t("sessions.join.elsewhere", lang, code=item.code, bureau=bureau_label(item.bureau, lang),
                          home=bureau_label(home_bureau or "", lang))),
                actions(button(t("sessions.join.elsewhere_button", lang), ids.SESSION_JOIN_ELSEWHERE, item.code,
                               style="primary"), block_id=f"elsewhere_{item.code}"),
                context(t("sessions.join.elsewhere_hint", lang, code=item.code))]
    if outcome == "already":
        key = f"sessions.join.already_{status}" if status in ("confirmed", "waitlisted", "applied", "attended") else "sessions.join.already_confirmed"
    else:
        key = f"sessions.join.{outcome}"
    return [section(t(key, lang, code=item.code, position=position or 0))]


def _join_or_status(item: CaseSession, lang: str) -> dict:
    """The join button while the session takes registrations; once it does not, why."""
    if item.status == "cancelled":
        return section(t("sessions.announcement_cancelled", lang))
    if item.status != "open":
        return context(t("sessions.announcement_closed", lang))
    return actions(button(t("sessions.join_button", lang), ids.SESSION_JOIN, item.code, style="primary"),
                   block_id=f"session_{item.code}")


def seats_left(item: CaseSession, confirmed: int, lang: str) -> str:
    left = item.capacity - confirmed
    return t("sessions.card.seats_left", lang, left=left, capacity=item.capacity) if left > 0 else \
        t("sessions.card.full", lang)


def build_invitation(item: CaseSession, case: Case | None, lang: str, tz: ZoneInfo) -> list[dict]:
    """Sent once, and updated in place when the session changes or is called off. A substitute says
    why it is there: the case meeting was called off, the exchange keeps people in touch."""
    intro = "sessions.substitute_invitation_intro" if item.substitute_of_id is not None else "sessions.invitation_intro"
    blocks = [
        section(t(intro, lang)),
        section(f"*{item.code}　{session_title(item, case, lang)}*\n" + session_facts(item, case, lang, tz)),
        _join_or_status(item, lang),
    ]
    return blocks + ([context(t("sessions.invitation_footer", lang))] if item.status == "open" else [])


def build_announcement(item: CaseSession, case: Case | None, lang: str, tz: ZoneInfo,
                       confirmed: int | None = None) -> list[dict]:
    """The channel's post: updated in place after an edit, a cancellation, and joins (seats left)."""
    why = [section(t("sessions.substitute_invitation_intro", lang))] if item.substitute_of_id is not None else []
    facts = session_facts(item, case, lang, tz)
    if confirmed is not None and item.status == "open" and not item.lottery:
        facts += "\n" + seats_left(item, confirmed, lang)
    return [
        header(t("sessions.announcement_title", lang)),
        *why,
        section(f"*{item.code}　{session_title(item, case, lang)}*\n" + facts),
        _join_or_status(item, lang),
    ]


def build_confirmed(item: CaseSession, case: Case | None, lang: str, tz: ZoneInfo, group_no: int | None,
                    members: list[str], now: datetime | None = None) -> list[dict]:
    """The seat confirmed at the deadline. The material's release time is promised only while it is
    still ahead (`now`); past it, the material has already gone out to those it is for."""
    blocks = [section(t("sessions.confirmed_intro", lang, code=item.code)),
              section(f"*{session_title(item, case, lang)}*\n" + session_facts(item, case, lang, tz))]
    if group_no is not None:
        blocks.append(section(t("sessions.your_group", lang, group=group_no,
                                members="、".join(escape(m) for m in members) if lang == "ja"
                                else ", ".join(escape(m) for m in members))))
    if item.release_at and case is not None and (now is None or item.release_at > now):
        blocks.append(context(t("sessions.material_when", lang, when=format_datetime(item.release_at, lang, tz))))
    return blocks


def build_promoted(item: CaseSession, case: Case | None, lang: str, tz: ZoneInfo) -> list[dict]:
    return [section(t("sessions.promoted", lang, code=item.code)),
            section(f"*{session_title(item, case, lang)}*\n" + session_facts(item, case, lang, tz))]


def build_lottery_waitlisted(item: CaseSession, lang: str) -> list[dict]:
    return [section(t("sessions.lottery_waitlisted", lang, code=item.code))]


def build_cancelled(item: CaseSession, case: Case | None, substitute: CaseSession | None, lang: str,
                    tz: ZoneInfo) -> list[dict]:
    intro = section(t("sessions.cancelled_intro", lang, code=item.code, title=session_title(item, case, lang)))
    if substitute is None:
        return [intro, context(t("sessions.cancelled_no_substitute", lang))]
    return [
        intro,
        section(t("sessions.substitute_offer", lang)),
        section(f"*{substitute.code}　{session_title(substitute, None, lang)}*\n" + session_facts(substitute, None, lang, tz)),
        actions(button(t("sessions.join_button", lang), ids.SESSION_JOIN, substitute.code, style="primary"),
                block_id=f"session_{substitute.code}"),
    ]


def build_cancelled_by_staff(item: CaseSession, case: Case | None, reason: str, lang: str, tz: ZoneInfo) -> list[dict]:
    blocks = [section(t("sessions.cancelled_by_staff", lang, code=item.code, title=session_title(item, case, lang)))]
    if reason:
        blocks.append(section(t("sessions.staff.reason", lang, reason=escape(reason))))
    blocks.append(section(session_facts(item, case, lang, tz)))
    return blocks + [context(t("sessions.cancelled_no_substitute", lang))]


CHANGE_LABELS = ("start", "minutes", "capacity", "min_participants", "deadline", "release", "format", "facilitator",
                 "url", "place")


def changed_names(changed: list[str], lang: str) -> str:
    return ("・" if lang == "ja" else ", ").join(t(f"sessions.changed_field.{name}", lang) for name in changed) or "—"


def build_duplicate_warning(existing: str, command_text: str, lang: str) -> list[dict]:
    """`admin session new` for a session that already exists: say so, and offer to go on."""
    again = f"{command_text.strip()} duplicate=ok"
    blocks = [section(t("sessions.duplicate_warning", lang, code=existing))]
    if len(again) <= 2000:  # a button's value holds at most 2,000 characters
        blocks.append(actions(button(t("sessions.duplicate_create", lang), ids.SESSION_NEW_DUPLICATE, again)))
    return blocks + [context(t("sessions.duplicate_hint", lang))]


def change_value(name: str, value: object, lang: str, tz: ZoneInfo) -> str:
    """One side of a before → after, as people read it (times in Japan time, formats by name)."""
    if value is None or value == "":
        return t("sessions.changed_unset", lang)
    if name in ("start", "deadline", "release"):
        return format_datetime(datetime.fromisoformat(str(value)), lang, tz)
    if name == "minutes":
        return t("sessions.changed_minutes", lang, minutes=value)
    if name in ("capacity", "min_participants"):
        return t("sessions.changed_people", lang, count=value)
    if name == "format":
        return t(f"sessions.format.{value}", lang)
    if name == "facilitator":
        return mention(str(value))
    if name == "url":
        return link(str(value))
    return escape(str(value))


def build_changed(item: CaseSession, case: Case | None, changed: list[str], lang: str, tz: ZoneInfo,
                  before_after: dict[str, tuple[object, object]] | None = None) -> list[dict]:
    """The change notice: what changed, before → after, then the session as it is now."""
    blocks = [section(t("sessions.changed_intro", lang, code=item.code, what=changed_names(changed, lang)))]
    pairs = before_after or {}
    lines = [t("sessions.changed_line", lang, field=t(f"sessions.changed_field.{name}", lang),
               before=change_value(name, pairs[name][0], lang, tz), after=change_value(name, pairs[name][1], lang, tz))
             for name in changed if name in pairs]
    if lines:
        blocks.append(section("\n".join(lines)))
    blocks.append(section(f"*{session_title(item, case, lang)}*\n" + session_facts(item, case, lang, tz)))
    if item.online_url and ("url" in changed or item.format == "online"):
        blocks.append(section(t("delivery.reminder.online_url", lang, url=link(item.online_url))))
    return blocks


def build_waitlist_confirmed(item: CaseSession, case: Case | None, position: int, lang: str,
                             tz: ZoneInfo) -> list[dict]:
    return [section(t("sessions.waitlist_confirmed", lang, code=item.code, position=position)),
            section(f"*{session_title(item, case, lang)}*\n" + session_facts(item, case, lang, tz))]


STAFF_OUTCOMES = ("confirmed", "called_off", "cancelled")


@dataclass(frozen=True)
class StaffNotice:
    outcome: str  # one of STAFF_OUTCOMES
    participants: int = 0
    groups: int = 0
    waitlisted: int = 0
    registrants: int = 0
    reason: str = ""
    invited: int = 0  # coordinators a substitute was announced to, beyond the registrants
    nationwide: bool = False  # the substitute's region had too few coordinators: offered to everyone


def build_staff_notice(item: CaseSession, case: Case | None, substitute: CaseSession | None, notice: StaffNotice,
                       lang: str, tz: ZoneInfo) -> list[dict]:
    """For the secretariat and the bureau's staff: what became of a session, and what to do next."""
    title = session_title(item, case, lang)
    if notice.outcome == "confirmed":
        lines = [t("sessions.staff.confirmed", lang, code=item.code, title=title, participants=notice.participants,
                   groups=notice.groups, waitlisted=notice.waitlisted)]
    elif notice.outcome == "called_off":
        lines = [t("sessions.staff.called_off", lang, code=item.code, title=title, registrants=notice.registrants,
                   minimum=item.min_participants)]
    else:
        lines = [t("sessions.staff.cancelled", lang, code=item.code, title=title, registrants=notice.registrants)]
        if notice.reason:
            lines.append(t("sessions.staff.reason", lang, reason=escape(notice.reason)))
    blocks = [section("\n".join(lines)), section(session_facts(item, case, lang, tz))]
    if substitute is not None:
        reach = t("sessions.staff.substitute_nationwide" if notice.nationwide else "sessions.staff.substitute_region",
                  lang, invited=notice.invited, bureau=bureau_label(item.bureau, lang))
        blocks.append(section(t("sessions.staff.substitute", lang, code=substitute.code,
                                registrants=notice.registrants) + reach + "\n"
                              + session_facts(substitute, None, lang, tz)))
        blocks.append(context(t("sessions.staff.meeting_url", lang, url=link(substitute.online_url))
                              if substitute.online_url else
                              t("sessions.staff.meeting_url_missing", lang, code=substitute.code)))
    elif notice.outcome != "confirmed":
        blocks.append(context(t("sessions.staff.registrants_told", lang, count=notice.registrants)))
    return blocks


def build_facilitator_groups(item: CaseSession, case: Case | None, groups: dict[int, list[str]], lang: str,
                             tz: ZoneInfo) -> list[dict]:
    blocks = [section(t("sessions.facilitator_intro", lang, code=item.code, title=session_title(item, case, lang))),
              section(session_facts(item, case, lang, tz))]
    for number in sorted(groups)[:39]:
        blocks.append(section(t("sessions.group_line", lang, group=number,
                                members=", ".join(escape(m) for m in groups[number]))))
    # The check-in sheet (the roster with a button per participant) is one press away.
    blocks.append(actions(button(t("sessions.checkin_sheet_button", lang), ids.SESSION_ROSTER, item.code,
                                 style="primary"), block_id=f"checkin_{item.code}"))
    blocks.append(context(t("sessions.checkin_hint", lang, code=item.code)))
    return blocks


def build_roster(roster: Roster, lang: str, tz: ZoneInfo) -> list[dict]:
    item = roster.session
    blocks = [header(t("sessions.roster_title", lang, code=item.code)),
              section(f"*{session_title(item, roster.case, lang)}*\n" + session_facts(item, roster.case, lang, tz)),
              context(t(f"sessions.status.{item.status}", lang))]
    counts: dict[str, int] = {}
    for line in roster.lines:
        counts[line.status] = counts.get(line.status, 0) + 1
    blocks.append(section(" / ".join(t("sessions.count_line", lang, status=t(f"sessions.reg_status.{status}", lang), count=n)
                                     for status, n in sorted(counts.items())) or t("sessions.roster_empty", lang)))
    present = [line for line in roster.lines if line.status != "cancelled"]
    if item.status in ("confirmed", "held") and len(present) <= MAX_CHECKIN_ROWS:
        # A check-in sheet, updated in place after each press: one row per participant, with 出席
        # until they are checked in, then ✅ and 取消.
        for line in present:
            name = escape(line.name) if line.name else line.user_id
            group = t("sessions.group_short", lang, group=line.group_no) if line.group_no else "—"
            status = t(f"sessions.my_status.{line.status}", lang) if line.status == "attended" else \
                t(f"sessions.reg_status.{line.status}", lang)
            text = f"{'📖' if line.read_material else '・'} {name}　{status}　{group}"
            value = f"{item.code}|{line.user_id}"
            if line.status == "attended":
                accessory = button(t("sessions.checkin_undo_button", lang), ids.SESSION_CHECKIN_UNDO, value)
            else:  # a waitlisted person who came is checked in too
                accessory = button(t("sessions.checkin_button", lang), ids.SESSION_CHECKIN, value, style="primary")
            blocks.append(section(text, block_id=f"checkin_{line.user_id}", accessory=accessory))
        blocks.append(context(t("sessions.roster_legend", lang)))
        return blocks[:50]
    rows = []
    for line in roster.lines:
        if line.status == "cancelled":
            continue
        name = escape(line.name) if line.name else line.user_id
        group = t("sessions.group_short", lang, group=line.group_no) if line.group_no else "—"
        read = "📖" if line.read_material else "・"
        rows.append(f"{read} {mention(line.user_id)} {name}　{t(f'sessions.reg_status.{line.status}', lang)}　{group}")
    chunk: list[str] = []
    for row in rows:
        if sum(len(r) + 1 for r in chunk) + len(row) > 2800:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(row)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    blocks.append(context(t("sessions.roster_legend", lang)))
    return blocks[:50]


def build_session_modal(case_codes: list[tuple[str, str]], bureau_codes: list[tuple[str, str]], lang: str,
                        defaults: dict[str, int]) -> dict:
    """The new-session form. `defaults` holds epoch seconds for the three times."""
    def field(name: str, label: str, element: dict, optional: bool = False) -> dict:
        block_id, action_id = ids.SESSION_FIELD_BLOCKS[name]
        element["action_id"] = action_id
        return {"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": optional}

    def select(choices: list[tuple[str, str]], initial: str | None = None) -> dict:
        element = {"type": "static_select", "options": [option(label[:75], value) for value, label in choices[:100]]}
        chosen = next((c for c in choices if c[0] == initial), None)
        if chosen:
            element["initial_option"] = option(chosen[1][:75], chosen[0])
        return element

    def number(initial: int, low: int, high: int) -> dict:
        return {"type": "number_input", "is_decimal_allowed": False, "initial_value": str(initial),
                "min_value": str(low), "max_value": str(high)}

    formats = [(f, t(f"sessions.format.{f}", lang)) for f in ("hybrid", "online", "in_person")]
    return modal(ids.SESSION_NEW_VIEW, t("sessions.modal.title", lang), [
            section(t("sessions.modal.intro", lang)),
            field("case", t("sessions.modal.case", lang), select(case_codes)),
            field("bureau", t("sessions.modal.bureau", lang), select(bureau_codes)),
            field("start", t("sessions.modal.start", lang),
                  {"type": "datetimepicker", "initial_date_time": defaults["start"]}),
            field("minutes", t("sessions.modal.minutes", lang), number(120, 30, 480)),
            field("capacity", t("sessions.modal.capacity", lang), number(30, 1, 1000)),
            field("min", t("sessions.modal.minimum", lang), number(5, 1, 1000)),
            field("deadline", t("sessions.modal.deadline", lang),
                  {"type": "datetimepicker", "initial_date_time": defaults["deadline"]}),
            field("release", t("sessions.modal.release", lang),
                  {"type": "datetimepicker", "initial_date_time": defaults["release"]}),
            field("format", t("sessions.modal.format", lang), select(formats, "hybrid")),
            field("facilitator", t("sessions.modal.facilitator", lang), {"type": "users_select"}, optional=True),
            field("url", t("sessions.modal.url", lang), {"type": "url_text_input"}, optional=True),
            field("lottery", t("sessions.modal.lottery", lang),
                  {"type": "checkboxes", "options": [option(t("sessions.modal.lottery_yes", lang), "yes")]},
                  optional=True),
        ], submit=t("common.save", lang), close=t("common.cancel", lang))


def attended_text(result: AttendResult, lang: str) -> str:
    """`admin attend` and the check-in button: how many were recorded, who was already, who came
    unexpected, and who could not be recorded (asked to be forgotten). The count is left out when
    nothing was recorded and a line below says why."""
    lines = []
    if result.marked or not (result.already or result.forgotten):
        lines.append(t("sessions.attended", lang, code=result.session.code, count=len(result.marked)))
    for key, users in (("sessions.attended_already", result.already), ("sessions.attended_walk_ins", result.walk_ins),
                       ("sessions.attended_forgotten", result.forgotten)):
        if users:
            lines.append(t(key, lang, code=result.session.code, users=", ".join(mention(u) for u in users)))
    return "\n".join(lines)


def build_roster_changed(item: CaseSession, case: Case | None, user_id: str, change: str, group_no: int | None,
                         confirmed: int, waitlisted: int, lang: str, tz: ZoneInfo) -> list[dict]:
    """For the facilitator: the roster changed after the deadline (the groups were already sent)."""
    text = t("sessions.roster_changed", lang, code=item.code, user=mention(user_id),
             change=t(f"sessions.roster_change.{change}", lang), confirmed=confirmed, waitlisted=waitlisted)
    if group_no is not None and change in ("joined", "promoted"):
        text += "\n" + t("sessions.roster_changed_group", lang, group=group_no)
    return [section(text), context(session_title(item, case, lang) + "　" + format_datetime(item.starts_at, lang, tz)),
            actions(button(t("sessions.checkin_sheet_button", lang), ids.SESSION_ROSTER, item.code),
                    block_id=f"checkin_{item.code}")]


def build_session_message(item: CaseSession, case: Case | None, sender: str, text: str, lang: str,
                          tz: ZoneInfo) -> list[dict]:
    """`admin message S1 …` as each registrant sees it; the staff's text is escaped here, once."""
    sender_ref = mention(sender)
    return [section(t("sessions.message_intro", lang, code=item.code, title=session_title(item, case, lang),
                      sender=sender_ref)),
            *(section(escape(piece)) for piece in _pieces(text)),
            context(format_datetime(item.starts_at, lang, tz))]


def _pieces(text: str, size: int = 600) -> list[str]:
    """The text in pieces that stay within a section once escaped (an escape is at most 5
    characters), cut at a line break where there is one."""
    pieces = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return pieces + ([text] if text else [])

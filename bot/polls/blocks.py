"""What a date poll looks like in Slack: the create form, the table members answer in, the
organiser's close form, the nudge, the decision and the reminder. Pure builders over results."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import ids
from bot.core.i18n import t
from bot.core.timefmt import format_datetime
from bot.kit import (actions, button, channel as channel_link, context, escape, header, modal, option, person, plain,
                     section)
from bot.polls.results import ANSWERS, MAX_SLOTS, NOTE_MAX, TITLE_MAX, PollTable, SlotLine
from config.reference import find_theme
from storage.models import CaseSession, DatePoll, DatePollSlot, StudyGroup

MARKS = {"yes": "○", "maybe": "△", "no": "×"}


def slot_block(n: int) -> str:
    return ids.POLL_SLOT_BLOCK.format(n=n)


def _group_label(group: StudyGroup, lang: str) -> str:
    names = [theme.name(lang) for code in (group.themes or []) if (theme := find_theme(code)) is not None]
    return t("polls.modal.group_option", lang, code=group.code, themes="・".join(names) or "-")


def build_poll_modal(lang: str, now: datetime, groups: list[StudyGroup], chosen: StudyGroup | None) -> dict:
    """Title, group, up to ten candidate slots (two at least), a note."""
    group_options = [option(_group_label(g, lang), g.code) for g in groups]
    initial = next((o for o, g in zip(group_options, groups) if chosen is not None and g.id == chosen.id),
                   group_options[0])
    blocks = [
        section(t("polls.modal.intro", lang, min=2, max=MAX_SLOTS)),
        {"type": "input", "block_id": ids.POLL_TITLE_BLOCK, "label": plain(t("polls.modal.title_label", lang)),
         "hint": plain(t("polls.modal.title_hint", lang, max=TITLE_MAX)),
         "element": {"type": "plain_text_input", "action_id": ids.POLL_TITLE_INPUT, "max_length": TITLE_MAX}},
        {"type": "input", "block_id": ids.POLL_GROUP_BLOCK, "label": plain(t("polls.modal.group_label", lang)),
         "element": {"type": "static_select", "action_id": ids.POLL_GROUP_INPUT, "options": group_options,
                     "initial_option": initial}},
    ]
    for n in range(1, MAX_SLOTS + 1):
        blocks.append({"type": "input", "block_id": slot_block(n), "optional": True,
                       "label": plain(t("polls.modal.slot_label", lang, n=n)),
                       "element": {"type": "datetimepicker", "action_id": ids.POLL_SLOT_INPUT}})
    blocks.append({"type": "input", "block_id": ids.POLL_NOTE_BLOCK, "optional": True,
                   "label": plain(t("polls.modal.note_label", lang)),
                   "element": {"type": "plain_text_input", "action_id": ids.POLL_NOTE_INPUT, "multiline": True,
                               "max_length": NOTE_MAX}})
    return modal(ids.POLL_VIEW, t("polls.modal.title", lang), blocks, submit=t("common.submit", lang),
                 close=t("common.cancel", lang))


def answer_value(poll_id: int, slot_id: int, choice: str) -> str:
    return f"{poll_id}:{slot_id}:{choice}"


def parse_answer_value(value: str) -> tuple[int, int, str] | None:
    parts = value.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or parts[2] not in ANSWERS:
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def _slot_text(line: SlotLine, best: bool, chosen: bool, lang: str, tz: ZoneInfo) -> str:
    when = format_datetime(line.slot.starts_at, lang, tz)
    mark = t("polls.table.chosen", lang) if chosen else t("polls.table.best", lang) if best else ""
    counts = t("polls.table.counts", lang, yes=len(line.yes), maybe=len(line.maybe), no=len(line.no))
    text = f"*{when}*{mark}\n{counts}"
    if line.yes:
        text += "\n" + t("polls.table.can_come", lang, people=" ".join(person(u, lang) for u in line.yes))
    if line.maybe:
        text += "\n" + t("polls.table.may_come", lang, people=" ".join(person(u, lang) for u in line.maybe))
    return text


def build_table(table: PollTable, note: str, lang: str, tz: ZoneInfo) -> list[dict]:
    """One section per slot with its ○ △ × counts and who can come, the best slot marked; while the
    poll is open each slot has its ○ △ × select and the organiser's 決定 button closes it."""
    poll = table.poll
    is_open = poll.status == "open"
    blocks = [header(t("polls.table.heading", lang, title=poll.title)),
              context(t("polls.table.by", lang, organiser=person(poll.organiser_user_id, lang)))]
    if note:
        blocks.append(section(escape(note)))
    for line in table.lines:
        accessory = _answer_select(ids.POLL_ANSWER, poll.id, line.slot.id, lang) if is_open else None
        blocks.append(section(_slot_text(line, line.slot.id == table.best_slot_id and is_open,
                                         line.slot.id == poll.chosen_slot_id, lang, tz),
                              block_id=ids.POLL_ANSWER_BLOCK.format(slot=line.slot.id), accessory=accessory))
    if is_open:
        blocks.append(context(t("polls.table.unanswered", lang, count=len(table.unanswered))))
        blocks.append(actions(button(t("polls.table.close_button", lang), ids.POLL_CLOSE, str(poll.id),
                                     style="primary")))
    else:
        blocks.append(context(t("polls.table.closed", lang)))
    return blocks


def _answer_select(action_id: str, poll_id: int, slot_id: int, lang: str, chosen: str | None = None) -> dict:
    options = [option(t(f"polls.answer.{choice}", lang), answer_value(poll_id, slot_id, choice)) for choice in ANSWERS]
    select = {"type": "static_select", "action_id": action_id,
              "placeholder": plain(t("polls.table.answer_placeholder", lang)), "options": options}
    initial = next((o for o, choice in zip(options, ANSWERS) if choice == chosen), None)
    if initial is not None:
        select["initial_option"] = initial
    return select


def build_ballot(table: PollTable, user_id: str, note: str, lang: str, tz: ZoneInfo) -> list[dict]:
    """A member's DM: the poll's slots with the same ○ △ × selects as the table, each showing what
    this member answered (here or in the channel); once closed, the slots without selects and the
    chosen one marked."""
    poll = table.poll
    is_open = poll.status == "open"
    channel_id = table.group.channel_id if table.group is not None else None
    by = t("polls.ballot.by", lang, organiser=person(poll.organiser_user_id, lang),
           channel=channel_link(channel_id) if channel_id else t("polls.ballot.no_channel", lang))
    blocks = [header(t("polls.table.heading", lang, title=poll.title)), context(by)]
    if note:
        blocks.append(section(escape(note)))
    mine = table.answers_of(user_id)
    for line in table.lines:
        text = f"*{format_datetime(line.slot.starts_at, lang, tz)}*"
        if line.slot.id == poll.chosen_slot_id:
            text += t("polls.table.chosen", lang)
        elif not is_open and line.slot.id in mine:
            text += "　" + t(f"polls.answer.{mine[line.slot.id]}", lang)
        accessory = (_answer_select(ids.POLL_DM_ANSWER, poll.id, line.slot.id, lang, mine.get(line.slot.id))
                     if is_open else None)
        blocks.append(section(text, block_id=ids.POLL_ANSWER_BLOCK.format(slot=line.slot.id), accessory=accessory))
    blocks.append(context(t("polls.ballot.open" if is_open else "polls.table.closed", lang)))
    return blocks


def build_close_modal(table: PollTable, lang: str, tz: ZoneInfo) -> dict:
    """The organiser's decision: which slot (the best one preselected), and a session or a reminder."""
    slot_options = []
    for line in table.lines:
        label = t("polls.close.slot_option", lang, when=format_datetime(line.slot.starts_at, lang, tz),
                  yes=len(line.yes), maybe=len(line.maybe), no=len(line.no))
        slot_options.append(option(label, str(line.slot.id)))
    best = next((o for o, line in zip(slot_options, table.lines) if line.slot.id == table.best_slot_id),
                slot_options[0])
    outcomes = [option(t("polls.close.outcome_session", lang), "session"),
                option(t("polls.close.outcome_reminder", lang), "reminder")]
    return modal(ids.POLL_CLOSE_VIEW, t("polls.close.title", lang), [
            section(t("polls.close.intro", lang, title=escape(table.poll.title))),
            {"type": "input", "block_id": ids.POLL_CLOSE_SLOT_BLOCK, "label": plain(t("polls.close.slot_label", lang)),
             "element": {"type": "static_select", "action_id": ids.POLL_CLOSE_SLOT_INPUT, "options": slot_options,
                         "initial_option": best}},
            {"type": "input", "block_id": ids.POLL_CLOSE_OUTCOME_BLOCK,
             "label": plain(t("polls.close.outcome_label", lang)),
             "element": {"type": "radio_buttons", "action_id": ids.POLL_CLOSE_OUTCOME_INPUT, "options": outcomes,
                         "initial_option": outcomes[0]}},
        ], submit=t("polls.close.submit", lang), close=t("common.cancel", lang), private_metadata=str(table.poll.id))


def build_created(poll: DatePoll, channel_id: str, slots: int, lang: str) -> list[dict]:
    return [section(t("polls.created", lang, title=escape(poll.title), slots=slots, channel=channel_link(channel_id)))]


def build_nudge(poll: DatePoll, channel_id: str, lang: str) -> list[dict]:
    return [section(t("polls.nudge", lang, title=escape(poll.title), organiser=person(poll.organiser_user_id, lang),
                      channel=channel_link(channel_id)))]


def build_decided(poll: DatePoll, slot: DatePollSlot, line: SlotLine | None, session: CaseSession | None,
                  lang: str, tz: ZoneInfo) -> list[dict]:
    when = format_datetime(slot.starts_at, lang, tz)
    blocks = [section(t("polls.decided.heading", lang, title=escape(poll.title), when=when))]
    if session is not None:
        blocks.append(section(t("polls.decided.session", lang, code=session.code)))
    else:
        blocks.append(section(t("polls.decided.reminder", lang)))
    people = [*(line.yes if line else []), *(line.maybe if line else [])]
    if people:
        blocks.append(context(t("polls.decided.people", lang, people=" ".join(person(u, lang) for u in people))))
    return blocks


def build_reminder(poll: DatePoll, slot: DatePollSlot, lang: str, tz: ZoneInfo) -> list[dict]:
    return [section(t("polls.reminder", lang, title=escape(poll.title), when=format_datetime(slot.starts_at, lang, tz)))]

"""Block Kit for what the delivery engine itself shows: session reminders and fan-out progress.

Pure builders: plain values in, `(fallback text, blocks)` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.kit import Block, context, escape, header, link, mention, section
from bot.core.i18n import t
from bot.core.timefmt import JST, format_datetime

ROLES = ("participant", "facilitator", "lecturer")


@dataclass(frozen=True)
class ReminderView:
    """What a reminder shows, read from the database at send time."""

    session_code: str
    title: str
    starts_at: datetime
    minutes: int
    format: str  # hybrid | online | in_person
    place: str | None
    online_url: str | None
    role: str  # participant | facilitator | lecturer
    offset_minutes: int
    contact: str | None = None  # who runs it, for a self-run session: its proposer (not the secretariat)


def time_until(offset_minutes: int, lang: str) -> str:
    """'明日' / '7日後' / 'in an hour': the largest whole unit of the reminder offset, in the words
    people use for one day, one week and one hour."""
    if offset_minutes >= 24 * 60 and offset_minutes % (24 * 60) == 0:
        days = offset_minutes // (24 * 60)
        if days in (1, 7):
            return t("delivery.reminder.until.tomorrow" if days == 1 else "delivery.reminder.until.week", lang)
        return t("delivery.reminder.until.days", lang, count=days)
    if offset_minutes >= 60 and offset_minutes % 60 == 0:
        hours = offset_minutes // 60
        if hours == 1:
            return t("delivery.reminder.until.hour", lang)
        return t("delivery.reminder.until.hours", lang, count=hours)
    return t("delivery.reminder.until.minutes", lang, count=offset_minutes)


def shows_online_url(view: ReminderView) -> bool:
    # In a hybrid session only the lecturer (and the facilitator who connects them) join online.
    return bool(view.online_url) and (view.format == "online" or view.role in ("lecturer", "facilitator"))


def build_reminder(view: ReminderView, lang: str, tz: ZoneInfo = JST) -> tuple[str, list[Block]]:
    role = view.role if view.role in ROLES else "participant"
    when = format_datetime(view.starts_at, lang, tz)
    title = t("delivery.reminder.title", lang, code=view.session_code, title=escape(view.title))
    lead = t(f"delivery.reminder.lead.{role}", lang, until=time_until(view.offset_minutes, lang))
    details = [
        t("delivery.reminder.when", lang, when=when, minutes=view.minutes),
        t("delivery.reminder.format_line", lang, format=t(f"sessions.format.{view.format}", lang))
        if view.format in ("hybrid", "online", "in_person") else None,
        t("delivery.reminder.place", lang, place=escape(view.place))
        if view.place and view.format != "online" else None,
        t("delivery.reminder.online_url", lang, url=link(view.online_url or ""))
        if shows_online_url(view) else None,
    ]
    body = "\n".join(line for line in details if line)
    if view.contact and role == "participant":
        footer = (t("delivery.reminder.footer.participant", lang, code=view.session_code) + "\n"
                  + t("delivery.reminder.footer.contact", lang, user=mention(view.contact)))
    elif view.contact:
        footer = t("delivery.reminder.footer.self_run_facilitator", lang, code=view.session_code)
    else:
        key = "delivery.reminder.footer.participant" if role == "participant" else "delivery.reminder.footer.staff"
        footer = t(key, lang, code=view.session_code)
    blocks = [header(title), section(lead), section(body), context(footer)]
    text = t("delivery.reminder.fallback", lang, code=view.session_code, title=escape(view.title), when=when)
    return text, blocks

"""An .ics calendar invite for a session, attached to the confirmation message.

One VEVENT per session. Its UID depends only on the session, so a second invite for the same
session (a moved time, a cancellation) updates the entry in the person's calendar instead of
adding another. Times are written in UTC (every calendar converts); the description repeats
the time in Japan time with the weekday, as every date the bot shows.

The online URL goes into the invite only for online sessions: at a hybrid session the URL is
the lecturer's, and participants meet at the bureau.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.core.i18n import t
from bot.core.timefmt import format_datetime
from config.reference import find_bureau
from storage.models import CaseSession

PRODID = "-//Jirei//Case study meetings//JA"
UID_DOMAIN = "jirei"
_STATUS = {"confirmed": "CONFIRMED", "held": "CONFIRMED", "closed": "CONFIRMED", "cancelled": "CANCELLED"}


def session_uid(session: CaseSession) -> str:
    return f"session-{session.id}@{UID_DOMAIN}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def _stamp(session: CaseSession) -> datetime:
    # The latest change the session records: a deterministic DTSTAMP without reading a clock.
    moments = [m for m in (session.created_at, session.announced_at, session.decided_at, session.held_at) if m]
    return _utc(max(moments, key=_utc))


def _summary(session: CaseSession, case_title: str | None, lang: str) -> str:
    kind = t(f"operators.ics.kind.{session.kind}", lang) if session.kind in ("official", "exchange", "self_run") \
        else t("operators.ics.kind.official", lang)
    title = case_title or session.title
    return t("operators.ics.summary", lang, kind=kind, title=title) if title else kind


def _location(session: CaseSession, lang: str) -> str:
    bureau = find_bureau(session.bureau) if session.bureau != "online" else None
    if session.format == "online" or bureau is None:
        return t("operators.ics.location_online", lang)
    if session.place:
        return t("operators.ics.location_place", lang, place=session.place, bureau=bureau.name(lang))
    return t("operators.ics.location_bureau", lang, bureau=bureau.name(lang))


def _description(session: CaseSession, lang: str, tz: ZoneInfo) -> str:
    lines = []
    if session.status == "cancelled":
        lines.append(t("operators.ics.cancelled", lang))
    lines += [
        t("operators.ics.when", lang, when=format_datetime(session.starts_at, lang, tz), minutes=session.minutes),
        t("operators.ics.format", lang, format=t(f"sessions.format.{session.format}", lang)),
        t("operators.ics.code", lang, code=session.code),
    ]
    if session.format == "online" and session.online_url:
        lines.append(t("operators.ics.url", lang, url=session.online_url))
    lines += [t("operators.ics.confidential", lang), t("operators.ics.leave_hint", lang, code=session.code)]
    return "\n".join(lines)


def session_ics(session: CaseSession, case_title: str | None, lang: str, tz: ZoneInfo) -> bytes:
    """The session as an iCalendar file (METHOD:PUBLISH, one VEVENT), text in `lang`."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", _stamp(session))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("summary", _summary(session, case_title, lang))
    event.add("location", _location(session, lang))
    event.add("description", _description(session, lang, tz))
    event.add("status", _STATUS.get(session.status, "TENTATIVE"))
    # A cancellation must win over the invite it replaces.
    event.add("sequence", 1 if session.status == "cancelled" else 0)
    if session.format == "online" and session.online_url:
        event.add("url", session.online_url)
    calendar.add_component(event)
    return calendar.to_ical()

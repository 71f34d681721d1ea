"""Dates as people read them: Japan time, with the weekday, in either language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.i18n import t

JST = ZoneInfo("Asia/Tokyo")


def format_datetime(moment: datetime, lang: str, tz: ZoneInfo = JST) -> str:
    local = moment.astimezone(tz)
    weekday = t(f"time.weekday.{local.weekday()}", lang)
    month = t(f"time.month.{local.month}", lang)
    return t("time.datetime", lang, year=local.year, month=local.month, month_name=month, day=local.day,
             weekday=weekday, hour=local.hour, minute=f"{local.minute:02d}", zone=local.tzname() or "")


def format_date(moment: datetime, lang: str, tz: ZoneInfo = JST) -> str:
    local = moment.astimezone(tz)
    weekday = t(f"time.weekday.{local.weekday()}", lang)
    month = t(f"time.month.{local.month}", lang)
    return t("time.date", lang, year=local.year, month=local.month, month_name=month, day=local.day,
             weekday=weekday)

"""Dates as people read them: Japan time, with the weekday, in either language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.i18n import t

JST = ZoneInfo("Asia/Tokyo")
FISCAL_YEAR_FIRST_MONTH = 4  # the Japanese fiscal year runs April to March


def fiscal_year_of(moment: datetime, tz: ZoneInfo) -> int:
    """年度 of a moment, by the calendar in Japan: 2027-03-31 is FY2026, 2027-04-01 is FY2027."""
    local = moment.astimezone(tz)
    return local.year if local.month >= FISCAL_YEAR_FIRST_MONTH else local.year - 1


def fiscal_year_bounds(fiscal_year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end): midnight of 1 April of the year to midnight of 1 April of the next, local time."""
    return (datetime(fiscal_year, FISCAL_YEAR_FIRST_MONTH, 1, tzinfo=tz),
            datetime(fiscal_year + 1, FISCAL_YEAR_FIRST_MONTH, 1, tzinfo=tz))


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

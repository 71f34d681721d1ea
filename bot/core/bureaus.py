"""A bureau's name as people read it, in their language."""

from __future__ import annotations

from bot.core.i18n import t
from config.reference import bureaus


def bureau_label(code: str, lang: str) -> str:
    """A bureau's name; sessions held online (substitutes, self-run) belong to none."""
    found = next((b for b in bureaus() if b.code == code), None)
    if found is not None:
        return found.name(lang)
    return t("sessions.bureau_online", lang) if code == "online" else code

"""Tiny Block Kit constructors, so builders read as layout rather than JSON.

mrkdwn is built here in one way: what a person or a file wrote goes through ``escape`` (the one
escaping function, bot.core.text), a link through ``link``, a mention through ``mention`` or
``channel``. Text that may be too long is shortened *before* it is escaped (``fit``, ``code_block``,
``lines_within``), and the builder says so; ``section``, ``context`` and ``fields`` refuse text
over Slack's limits instead of cutting it, because a cut after escaping can split an entity
(``&am``) or drop the closing fence.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from bot.core.i18n import t
from bot.core.text import escape
from bot.privacy.results import TOMBSTONE_PREFIX

__all__ = ["Block", "TextTooLong", "actions", "button", "channel", "code_block", "context", "divider", "escape",
           "fields", "fit", "header", "lines_within", "link", "mention", "mrkdwn", "notification_text", "option", "person", "plain", "section"]

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
CONTEXT_TEXT_MAX = 3000
FENCE = "```"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_LINKABLE = re.compile(r"^(https?|mailto):[^\s]+$", re.IGNORECASE)


class TextTooLong(ValueError):
    """A builder handed a mrkdwn text over Slack's limit: shorten the source before escaping."""


def mention(user_id: str) -> str:
    """``<@U…>`` for a user id the bot holds (stored or parsed from Slack's own mention syntax);
    anything that is not a user id is shown as inert text, never as a mention."""
    return f"<@{user_id}>" if _USER_ID.match(user_id or "") else escape(user_id or "")


def person(user_id: str, lang: str) -> str:
    """A mention, or "a person whose data was deleted" for someone who asked to be forgotten: their id is
    a tombstone of no Slack user, and a mention of it would show as raw text."""
    return t("common.forgotten_person", lang) if user_id.startswith(TOMBSTONE_PREFIX) else mention(user_id)


def channel(channel_id: str) -> str:
    """``<#C…>`` for a channel id the bot holds; anything else as inert text."""
    return f"<#{channel_id}>" if _CHANNEL_ID.match(channel_id or "") else escape(channel_id or "")


def link(url: str, label: str | None = None) -> str:
    """The one way to put a link into mrkdwn: ``<url>`` or ``<url|label>``.

    In the URL ``&``, ``<`` and ``>`` become entities as Slack requires and ``|`` (which would end
    the URL) is percent-encoded; the label is escaped. Something that is not an http(s) or mailto
    address is shown as inert text, not linked."""
    if not _LINKABLE.match(url or ""):
        return escape(url or "")
    target = escape(url.replace("|", "%7C"))
    return f"<{target}|{escape(label)}>" if label else f"<{target}>"


def fit(text: str, limit: int) -> tuple[str, bool]:
    """The longest start of ``text`` (the source, not yet escaped) whose escaped form is at most
    ``limit`` characters, and whether anything was left out. Builders escape what this returns
    and say that the text was cut."""
    if len(escape(text)) <= limit:
        return text, False
    low, high = 0, min(len(text), limit)  # escaping never shortens, so the answer is within `limit`
    while low < high:
        middle = (low + high + 1) // 2
        if len(escape(text[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low], True


def code_block(text: str, limit: int = SECTION_TEXT_MAX) -> tuple[str, bool]:
    """``text`` as a fenced code block of at most ``limit`` characters, fences always closed; the
    source is cut (and True returned) when the escaped whole would not fit."""
    shown, cut = fit(text, limit - 2 * len(FENCE))
    return FENCE + escape(shown) + FENCE, cut


def lines_within(lines: Sequence[str], limit: int, separator: str = "\n") -> tuple[list[str], int]:
    """As many whole lines (already built mrkdwn) as fit in ``limit`` characters joined, and how
    many were left out, so the builder can say so. A line is never cut."""
    kept: list[str] = []
    used = 0
    for line in lines:
        extra = len(line) + (len(separator) if kept else 0)
        if used + extra > limit:
            break
        kept.append(line)
        used += extra
    return kept, len(lines) - len(kept)


def notification_text(text: str, limit: int = 3000) -> str:
    """A message's fallback ``text`` (what notifications show) from already escaped mrkdwn: whole
    lines only, so no entity is split, and a code fence left open by the cut is closed."""
    if len(text) <= limit:
        return text
    kept, _ = lines_within(text.split("\n"), limit - len(FENCE) - 1)
    shown = "\n".join(kept)
    return shown + "\n" + FENCE if shown.count(FENCE) % 2 else shown


def _checked(text: str, limit: int, what: str) -> str:
    if len(text) > limit:
        raise TextTooLong(f"{what} text of {len(text)} characters is over Slack's {limit}: "
                          "shorten the source before escaping it (bot.kit.fit)")
    return text


def plain(text: str, emoji: bool = True) -> dict:
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text[:150])}


def section(text: str, *, block_id: str | None = None, accessory: dict | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(_checked(text, SECTION_TEXT_MAX, "section"))}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: list[tuple[str, str]]) -> Block:
    return {"type": "section", "fields": [mrkdwn(_checked(f"*{k}*\n{v}", FIELD_TEXT_MAX, "field"))
                                          for k, v in pairs[:10]]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(_checked(text, CONTEXT_TEXT_MAX, "context"))]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str | None = None, *, style: str | None = None,
           confirm: dict | None = None) -> dict:
    element: dict = {"type": "button", "text": plain(text[:75]), "action_id": action_id}
    if value is not None:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def actions(*elements: dict, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> dict:
    return {"text": plain(text[:75]), "value": value}




def modal(callback_id: str, title: str, blocks: list[Block], *, close: str, submit: str | None = None,
          private_metadata: str | None = None) -> dict:
    """A modal view: its callback, its title and buttons (plain text), what it carries, its blocks."""
    view: dict = {"type": "modal", "callback_id": callback_id, "title": plain(title), "close": plain(close),
                  "blocks": blocks}
    if submit is not None:
        view["submit"] = plain(submit)
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    return view

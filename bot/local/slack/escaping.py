"""Escaping checks over what a bot sent: pure functions, like ``blockkit.py``.

Slack reads a message's ``text`` (what notifications show), a file's ``initial_comment`` and every
``mrkdwn`` text object as mrkdwn: ``<!channel>`` pings everyone, ``<@U…>`` pings a person,
``<url|label>`` is a link, ``&amp;`` ``&lt;`` ``&gt;`` are the only entities. A bot that escapes
what people wrote (once, where it builds the message) sends none of these unless it built them
itself. The rule checked here:

- ``<@ID>`` (or ``<@ID|label>``) is legitimate only when ID is a user of the workspace: the bot
  builds mentions from user ids it holds (``bot.kit.mention``). Typed text such as ``<@U000>``
  names no user, so a mention that came from text is caught (and escaped text has no ``<`` at all).
- ``<#ID>`` likewise for a channel of the workspace.
- ``<http(s)://…>`` / ``<mailto:…>`` (optionally ``|label``) is a link the bot built (``bot.kit.link``).
- Every other ``<…>`` token, ``<!…>`` above all, and every other ``<`` or ``>`` is a fault.
- Every ``&`` starts ``&amp;``, ``&lt;`` or ``&gt;``: otherwise an entity was cut (``…&am``) or a
  raw ``&`` was left in (in a URL, say).
- Code fences (three backticks) come in pairs in every text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Container, Iterator

FENCE = "```"
_TOKEN = re.compile(r"<([^<>]*)>")
_BAD_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
_LINK = re.compile(r"^(?:https?|mailto):[^\s|]+(?:\|[^\n]*)?$", re.IGNORECASE)
# Top-level keys whose string value Slack reads as mrkdwn (message text, a file's comment).
_MRKDWN_KEYS = ("text", "initial_comment")


@dataclass(frozen=True)
class EscapingFault:
    where: str  # e.g. "chat.postMessage/text", "views.publish/view/blocks/3/text"
    problem: str  # raw_token | stray_bracket | cut_entity | unbalanced_fence
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem} {self.detail}"


def mrkdwn_texts(payload: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every text in ``payload`` (Web API params, a response_url body, an ack) that Slack reads as
    mrkdwn, with a JSON-pointer-like place."""
    if not isinstance(payload, dict):
        return
    if payload.get("mrkdwn") is not False:
        for key in _MRKDWN_KEYS:
            if isinstance(payload.get(key), str):
                yield f"{where}/{key}", payload[key]
    yield from _nested(payload, where)


def _nested(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield f"{where}/text", node["text"]
            return
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from _nested(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nested(value, f"{where}/{index}")


def text_faults(text: str, *, users: Container[str], channels: Container[str]) -> list[tuple[str, str]]:
    """(problem, detail) for each escaping fault in one mrkdwn text."""
    faults: list[tuple[str, str]] = []
    rest: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        rest.append(text[position:match.start()])
        position = match.end()
        if not _legitimate(match.group(1), users, channels):
            faults.append(("raw_token", match.group(0)[:80]))
    rest.append(text[position:])
    outside = "".join(rest)
    for bracket in ("<", ">"):
        if bracket in outside:
            at = outside.index(bracket)
            faults.append(("stray_bracket", outside[max(0, at - 20):at + 20]))
    for match in _BAD_AMPERSAND.finditer(text):
        faults.append(("cut_entity", text[max(0, match.start() - 20):match.start() + 10]))
    if text.count(FENCE) % 2:
        faults.append(("unbalanced_fence", f"{text.count(FENCE)} fences"))
    return faults


def _legitimate(token: str, users: Container[str], channels: Container[str]) -> bool:
    if token.startswith("@"):
        return token[1:].split("|", 1)[0] in users
    if token.startswith("#"):
        return token[1:].split("|", 1)[0] in channels
    if token.startswith("!"):
        return False
    return bool(_LINK.match(token))


def payload_faults(payload: Any, where: str, *, users: Container[str],
                   channels: Container[str]) -> list[EscapingFault]:
    """Every escaping fault in one payload the bot sent."""
    return [EscapingFault(place, problem, detail)
            for place, text in mrkdwn_texts(payload, where)
            for problem, detail in text_faults(text, users=users, channels=channels)]

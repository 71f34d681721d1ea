"""User-supplied text: cleaned where it enters, made inert before it is shown in Slack, and folded
before it is read."""

from __future__ import annotations

import re
import unicodedata

# Slack's clients turn straight quotes into curly ones; people type 「」 as quotes.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"', "」": '"'})
# Line breaks of every kind; in free text they become "\n", elsewhere a space.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_input(text: str, *, multiline: bool = False) -> str:
    """Text as typed by a person, without what a terminal, a spreadsheet or a reader would act on.

    Control characters (NUL, ESC, DEL, C1), format characters (BOM, zero-width, bidirectional
    overrides) and private-use or unassigned code points are dropped. Line breaks are kept as
    "\\n" only in free text (``multiline``); in names, titles and cells they become a space, as
    does a tab. Every place where text enters the bot (Slack commands and forms, roster and plan
    files, survey answers, file names) cleans it with this one function.
    """
    text = _LINE_BREAKS.sub("\n" if multiline else " ", text).replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in _DROPPED)


# Three backticks or more: mrkdwn has no escape for a fence, so a zero-width space splits the run.
_FENCE = re.compile(r"`{3,}")


def escape(text: str) -> str:
    """What a person or a file wrote, made inert in Slack's mrkdwn: the one escaping function.

    Slack's three control characters become entities (no mention, no <!channel>, no link, no
    quote), and a run of backticks is split so a typed ``` never opens a code block that swallows
    the bot's own words. Escape once, where the text is put into a message; never cut the result
    (an entity or a fence would be cut with it): shorten the source first (``bot.kit.fit``).
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _FENCE.sub(lambda run: "\u200b".join(run.group()), text) if "```" in text else text


def unescape(text: str) -> str:
    """The inverse of ``escape`` for what Slack sends: a person's message text arrives with ``&``,
    ``<`` and ``>`` as entities; what they typed is kept as they typed it (and escaped again, once,
    when it is shown)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def normalise(text: str) -> str:
    """Full-width letters, digits and signs as their ASCII forms (ｊｏｉｎ　Ｓ１ → join S1, （）→ ()),
    Slack's curly quotes and 「」 as straight quotes."""
    return unicodedata.normalize("NFKC", text).translate(_QUOTES)


def same_words(typed: str, name: str) -> bool:
    """Whether what someone typed is `name` (a catalog word), whatever its width or case."""
    return normalise(typed).strip().casefold() == normalise(name).strip().casefold()

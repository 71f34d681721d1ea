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


def escape(text: str) -> str:
    """No mentions, no <!channel>, no links: Slack's three control characters, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def normalise(text: str) -> str:
    """Full-width letters, digits and signs as their ASCII forms (ｊｏｉｎ　Ｓ１ → join S1, （）→ ()),
    Slack's curly quotes and 「」 as straight quotes."""
    return unicodedata.normalize("NFKC", text).translate(_QUOTES)


def same_words(typed: str, name: str) -> bool:
    """Whether what someone typed is `name` (a catalog word), whatever its width or case."""
    return normalise(typed).strip().casefold() == normalise(name).strip().casefold()

"""User-supplied text: made inert before it is shown in Slack, and folded before it is read."""

import unicodedata

# Slack's clients turn straight quotes into curly ones; people type 「」 as quotes.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"', "」": '"'})


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

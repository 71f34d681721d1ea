"""A refusal the user can act on, raised by any service: a catalog key and the values that fill it.

The handler catches it and answers in the person's language (handlers/context.py); the CLI prints
it in English (bot/maintenance.py). Features refine it (SurveyError, StudyGroupError, …).
"""

from __future__ import annotations

from bot.core.text import escape


class Refusal(Exception):
    """A refusal the user can act on: `key` is a catalog key, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        # Values echo what the person typed: make them inert in mrkdwn (no <!channel>, no links).
        self.params = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}

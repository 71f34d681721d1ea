"""What the guard tells a poster."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.pseudonymisation import Proposal


@dataclass(frozen=True)
class GuardNote:
    kinds: tuple[str, ...]  # in the order first found, each once
    proposal: Proposal

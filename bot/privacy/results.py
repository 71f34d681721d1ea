"""What forget-me and the retention job return."""

from __future__ import annotations

from dataclasses import dataclass, field

# A forgotten person's user id is replaced by this prefix and random letters (a tombstone).
TOMBSTONE_PREFIX = "UFORGOT"


@dataclass
class ForgetResult:
    sessions_left: list[str] = field(default_factory=list)
    deliveries_cancelled: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)

    @property
    def registrations_kept(self) -> int:
        return self.anonymised.get("registrations.user_id", 0)


@dataclass
class RetentionResult:
    materials: list[int] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)

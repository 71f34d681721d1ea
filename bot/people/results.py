"""Who is asking (Actor, with the role names) and what the people services return."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLE_ADMIN = "admin"
ROLE_BUREAU_STAFF = "bureau_staff"
ROLE_LECTURER = "lecturer"
ROLE_COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Actor:
    """The person behind a request, resolved from the payload's user id (never from a value)."""

    user_id: str
    lang: str = "ja"
    is_admin: bool = False
    staff_bureaus: frozenset[str] = frozenset()
    is_lecturer: bool = False
    has_profile: bool = False
    pledged: bool = False
    bureau: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.is_admin or bool(self.staff_bureaus)

    def can_manage_bureau(self, bureau: str) -> bool:
        return self.is_admin or bureau in self.staff_bureaus

    @property
    def role_names(self) -> tuple[str, ...]:
        roles = []
        if self.is_admin:
            roles.append(ROLE_ADMIN)
        if self.staff_bureaus:
            roles.append(ROLE_BUREAU_STAFF)
        if self.is_lecturer:
            roles.append(ROLE_LECTURER)
        roles.append(ROLE_COORDINATOR)
        return tuple(roles)


@dataclass
class ProfileChange:
    """Validated profile values; only the fields given are set."""

    values: dict[str, object] = field(default_factory=dict)

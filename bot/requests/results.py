"""The lecturer's request's value types (plain values; builders read them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The states a request goes through, in the order the Home tab lists them.
STATES = ("asked", "accepted", "submitted", "approved", "declined", "withdrawn")
OPEN_STATES = ("asked", "accepted")
# The form's limits (the modals set them as max_length too).
TITLE_MAX = 100
NOTE_MAX = 1000
REASON_MAX = 500


@dataclass(frozen=True)
class RequestLine:
    """One request as the secretariat's Home tab shows it."""

    code: str
    title: str
    theme: str
    lecturer: str
    due_on: date
    status: str
    case_code: str | None = None
    material_id: int | None = None


def approval_given(status: str | None, approved_material_id: int | None, material_id: int) -> bool:
    """A material of a requested case is released only once the secretariat approved that very
    version (four eyes); a case nobody requested (status None) needs no approval."""
    return status is None or (status == "approved" and approved_material_id == material_id)

"""What the material services return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bot.core import anonymisation
from storage.crypto import Cipher
from storage.models import Case, Material


@dataclass
class MaterialResult:
    material: Material
    case: Case
    findings: list[anonymisation.Finding]
    name_findings: list[anonymisation.Finding] = field(default_factory=list)


def is_releasable(material: Material) -> bool:
    """Not deleted, and checked: a file with no findings, or confirmed by its uploader (a link
    cannot be checked here, so it always needs the uploader's confirmation)."""
    checked = not material.findings and material.url is None
    return material.deleted_at is None and (checked or material.confirmed_at is not None)


@dataclass
class PublishCheck:
    """Where a case stands against the plan's rule: published once every bureau has held it."""

    case: Case
    done: list[str]  # bureau codes that have held the case (or its substitute 意見交換会)
    to_go: list[str]  # bureau codes that have not, in the reference order
    already: bool
    self_run: bool = False  # the case of a self-run session: its group's, never for the portal
    # Bureaus of to_go that can no longer hold it, and why: "called_off" (its session, and the
    # substitute if any, were called off) or "no_time" (none planned, and the fiscal year ends).
    # Read only when asked with a moment (bureaus_done(..., now=)).
    stalled: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return not self.to_go


def sent_filename(cipher: Cipher, material: Material) -> str:
    """The name the file is sent under: the uploader's own if it passed the check, else the neutral one."""
    if material.filename_encrypted is not None:
        return cipher.decrypt(material.filename_encrypted).decode()
    return material.filename or "case.txt"


# A session's material goes out only while the session is on.
RELEASE_STATUSES = ("open", "confirmed")
# The stage a missing material is at, latest first: past the release time, a day before, a week before.
DUE_STAGES = (("late", timedelta(0)), ("day", timedelta(days=1)), ("week", timedelta(days=7)))


def release_stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%MZ")


def due_stage(release_at: datetime, now: datetime) -> str | None:
    return next((stage for stage, before in DUE_STAGES if now >= release_at - before), None)

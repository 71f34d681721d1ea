"""What the materials' messages read at send time: the version to release, the one it replaces for
a person, and where a case stands against the publication rule (read only: the rules that decide
and write are in service.py, which reads through these too)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.timefmt import JST, fiscal_year_bounds, fiscal_year_of
from bot.materials.results import PublishCheck, is_releasable
from bot.requests.results import approval_given
from config.reference import bureaus
from storage.models import Case, CaseSession, Material
from storage.uow import UnitOfWork


async def releasable_material(uow: UnitOfWork, case_id: int, *, approved: bool = True) -> Material | None:
    """The version to release. A requested case's needs the secretariat's approval of that very
    version (four eyes, bot/requests); `approved=False` asks only whether material has arrived."""
    material = await uow.materials.latest(case_id, "material")
    if material is None or not is_releasable(material):
        return None
    if approved and not await approved_for_release(uow, material):
        return None
    return material


async def approved_for_release(uow: UnitOfWork, material: Material) -> bool:
    """The release gate: see bot/requests/results.approval_given."""
    request = await uow.case_requests.for_case(material.case_id)
    return approval_given(request.status if request else None, request.material_id if request else None, material.id)


def material_key(item: CaseSession, user_id: str, material_id: int) -> str:
    return f"material:{item.code}:{user_id}:M{material_id}"


async def version_replaced(uow: UnitOfWork, item: CaseSession, material: Material, user_id: str) -> int | None:
    """The version `material` replaces for this person: the newest earlier one they were sent."""
    earlier = [m for m in await uow.materials.for_case(material.case_id)
               if m.kind == material.kind and m.version < material.version]
    sent = await uow.outbox.by_dedupe_keys(material_key(item, user_id, m.id) for m in earlier)
    return max((m.version for m in earlier
                if (row := sent.get(material_key(item, user_id, m.id))) is not None and row.status == "sent"),
               default=None)


HELD_STATUSES = ("held", "closed")
LIVE_STATUSES = ("open", "confirmed")
# A session needs about three weeks from its announcement (deadline, then the meeting): a bureau
# with none planned this close to the end of the fiscal year will not hold the case in it.
LAST_CHANCE = timedelta(days=21)


async def bureaus_done(uow: UnitOfWork, case: Case, now: datetime | None = None, tz: ZoneInfo = JST) -> PublishCheck:
    """A bureau has held a case when one of its sessions on the case was held, or when its session
    was called off and the substitute 意見交換会 created for it was held (DESIGN §2 item 9).

    With `now`, also which bureaus still to go can no longer hold it (`stalled`): one whose
    sessions on the case, and their substitutes, are all over without being held; one with none
    planned when the case's fiscal year ends within LAST_CHANCE."""
    everything = await uow.sessions.for_case(case.id)
    sessions = [s for s in everything if s.kind == "official"]
    substitutes = await uow.sessions.substitutes_of([s.id for s in sessions if s.status == "cancelled"])
    held_substitutes = {s.substitute_of_id for s in substitutes if s.status in HELD_STATUSES}
    live_substitutes = {s.substitute_of_id for s in substitutes if s.status in LIVE_STATUSES}
    done = {s.bureau for s in sessions if s.status in HELD_STATUSES or s.id in held_substitutes}
    order = [b.code for b in bureaus()]
    to_go = [code for code in order if code not in done]
    stalled: dict[str, str] = {}
    if now is not None and sessions:
        first = min(s.starts_at for s in sessions)
        year_end = fiscal_year_bounds(fiscal_year_of(first, tz), tz)[1]
        for code in to_go:
            tried = [s for s in sessions if s.bureau == code]
            if any(s.status in LIVE_STATUSES or s.id in live_substitutes for s in tried):
                continue  # still on its way
            if tried:
                stalled[code] = "called_off"
            elif now >= year_end - LAST_CHANCE:
                stalled[code] = "no_time"
    return PublishCheck(case, [code for code in order if code in done], to_go, case.published_at is not None,
                        self_run=bool(everything) and all(s.kind == "self_run" for s in everything),
                        stalled=stalled)

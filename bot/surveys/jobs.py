"""Surveys' periodic job: close the runs whose deadline has passed."""

from __future__ import annotations

from bot.deps import Deps
from bot.surveys.service import close_run


async def close_due_runs(deps: Deps) -> int:
    now = deps.clock.now()
    async with deps.uow() as uow:
        due = await uow.surveys.due_to_close(now)
        # A click racing the close may have saved progress just after it was deleted: it goes
        # on the next tick, so no unfinished answers outlive their run.
        await uow.surveys.delete_progress_of_closed_runs()
    closed = 0
    for run_id in due:
        async with deps.uow() as uow:  # one transaction per run: one failure stops nothing else
            closed += await close_run(uow, now, run_id, deps.settings.admin_ids)
    return closed

"""The one updating message an admin sees during a large fan-out (配信中 120/300)."""

from __future__ import annotations

from bot.deps import Deps
from bot.i18n import t
from storage.models import FanoutBatch


def progress_text(lang: str, done: int, total: int, failed: int = 0) -> str:
    key = "progress.done" if done + failed >= total else "progress.running"
    return t(key, lang, done=done, total=total, failed=failed)


async def attach_progress_message(deps: Deps, batch_id: int | None, admin_user_id: str, lang: str) -> None:
    """Post the progress message in the admin's DM and remember where it is."""
    if batch_id is None:
        return
    async with deps.uow() as uow:
        batch = await uow.session.get(FanoutBatch, batch_id)
        total = batch.total if batch else 0
    response = await deps.client.chat_postMessage(channel=admin_user_id, text=progress_text(lang, 0, total))
    async with deps.uow() as uow:
        batch = await uow.session.get(FanoutBatch, batch_id)
        if batch is not None:
            batch.progress_channel, batch.progress_ts = response["channel"], response["ts"]
            batch.admin_user_id = admin_user_id

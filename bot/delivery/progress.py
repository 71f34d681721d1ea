"""The one updating message an admin sees during a large fan-out (配信中 120/300).

The dispatcher updates it as deliveries complete; this posts it, and builds it for both. The batch may already be
partly or wholly sent by the time the message exists (the dispatcher can run first), so it is
posted with the batch's current state, and marked finished here when that state is final.
"""

from __future__ import annotations

from bot.core.i18n import t
from bot.deps import Deps
from bot.kit import Block, context, section


async def attach_progress_message(deps: Deps, batch_id: int | None, admin_user_id: str, lang: str) -> None:
    if batch_id is None:
        return
    async with deps.uow() as uow:
        progress = await uow.outbox.batch_progress(batch_id)
    if progress is None:
        return
    text, blocks = build_fanout_progress(progress.done, progress.total, progress.failed, lang,
                                         finished=progress.complete)
    response = await deps.client.chat_postMessage(channel=admin_user_id, text=text, blocks=blocks)
    async with deps.uow() as uow:
        batch = await uow.outbox.batch(batch_id)
        if batch is None:
            return
        batch.progress_channel, batch.progress_ts, batch.admin_user_id = response["channel"], response["ts"], admin_user_id
    if progress.complete:
        async with deps.uow() as uow:
            await uow.outbox.finish_batch(batch_id, deps.clock.now())


def build_fanout_progress(done: int, total: int, failed: int, lang: str, *, finished: bool) -> tuple[str, list[Block]]:
    """The admin's one updating message: 配信中 120/300 → 配信完了 300/300 (失敗 n 件)."""
    key = "delivery.progress.finished" if finished else "delivery.progress.running"
    text = t(key, lang, done=done, total=total)
    if failed:
        text += t("delivery.progress.failures", lang, failed=failed)
    blocks = [section(text)]
    if finished and failed:
        blocks.append(context(t("delivery.progress.failures_hint", lang)))
    return text, blocks

"""The profile modal's submission: field errors go back into the modal, nothing is lost."""

from __future__ import annotations

from bot import ids
from bot.people.blocks import build_profile_saved
from bot.core.i18n import t
from bot.people import service as people
from handlers.context import actor_of, deps_of, message
from handlers.home import refresh_home

_BLOCK_FOR_FIELD = {
    "name": ids.PROFILE_NAME_BLOCK,
    "prefecture": ids.PROFILE_PREFECTURE_BLOCK,
    "bureau": ids.PROFILE_PREFECTURE_BLOCK,
    "affiliation": ids.PROFILE_AFFILIATION_BLOCK,
    "themes": ids.PROFILE_THEMES_BLOCK,
    "lang": ids.PROFILE_LANG_BLOCK,
    "nudges": ids.PROFILE_NUDGES_BLOCK,
}


def read_profile_values(state: dict) -> dict[str, str]:
    values = state.get("values", {})

    def selected(block: str, action: str) -> str:
        chosen = (values.get(block, {}).get(action) or {}).get("selected_option") or {}
        return chosen.get("value", "")

    themes = (values.get(ids.PROFILE_THEMES_BLOCK, {}).get(ids.PROFILE_THEMES_INPUT) or {}).get("selected_options") or []
    return {
        "name": (values.get(ids.PROFILE_NAME_BLOCK, {}).get(ids.PROFILE_NAME_INPUT) or {}).get("value") or "",
        "prefecture": selected(ids.PROFILE_PREFECTURE_BLOCK, ids.PROFILE_PREFECTURE_INPUT),
        "affiliation": selected(ids.PROFILE_AFFILIATION_BLOCK, ids.PROFILE_AFFILIATION_INPUT),
        "themes": ",".join(o.get("value", "") for o in themes),
        "lang": selected(ids.PROFILE_LANG_BLOCK, ids.PROFILE_LANG_INPUT) or "ja",
        "nudges": selected(ids.PROFILE_NUDGES_BLOCK, ids.PROFILE_NUDGES_INPUT) or "on",
    }


async def submit_profile(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    values = read_profile_values(body["view"].get("state", {}))
    try:
        change = people.validate_profile(values)
    except people.ProfileError as err:
        block = _BLOCK_FOR_FIELD.get(err.field, ids.PROFILE_NAME_BLOCK)
        await ack(response_action="errors", errors={block: t(err.key, actor.lang, **err.params)[:150]})
        return
    await ack()
    async with deps.uow() as uow:
        person = await people.update_profile(uow, deps.clock.now(), actor.user_id, change)
    await client.chat_postMessage(channel=actor.user_id,
                                  **message(build_profile_saved(person, person.lang), t("profile.saved", person.lang)))
    await refresh_home(deps, client, actor.user_id)

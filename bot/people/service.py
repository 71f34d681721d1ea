"""Who someone is to the bot (their roles), their profile, and the confidentiality pledge."""

from __future__ import annotations

from datetime import datetime

from bot.core.i18n import LANGUAGES, t
from bot.core.refusal import Refusal
from bot.core.text import escape, same_words
from bot.people.results import (ROLE_ADMIN, ROLE_BUREAU_STAFF, ROLE_LECTURER, ROLE_COORDINATOR, Actor,
                                ProfileChange)
from config.reference import bureau_for_prefecture, find_bureau, find_prefecture, find_theme
from storage.models import Coordinator, profile_is_complete
from storage.uow import UnitOfWork

PLEDGE_VERSION = "2026-1"
MAX_NAME = 100


async def require_admin(uow: UnitOfWork, now: datetime, actor: Actor, action: str, target: str | None = None,
                        *, refusal: type[Refusal] = Refusal) -> None:
    """The secretariat's own actions: anyone else is refused (`auth.admin_only`, as the feature's own
    kind of refusal) and the attempt is audited under `action`."""
    if not actor.is_admin:
        await uow.audit.record(now, actor.user_id, action, "refused", target=target)
        raise refusal("auth.admin_only")


async def load_actor(uow: UnitOfWork, admin_ids: frozenset[str], user_id: str) -> Actor:
    found = await uow.coordinators.identity(user_id)
    person, grants = found.person, found.grants
    return Actor(
        user_id=user_id,
        lang=person.lang if person else "ja",
        is_admin=user_id in admin_ids or any(role == ROLE_ADMIN for role, _ in grants),
        staff_bureaus=frozenset(bureau for role, bureau in grants if role == ROLE_BUREAU_STAFF),
        is_lecturer=any(role == ROLE_LECTURER for role, _ in grants),
        has_profile=bool(person and profile_is_complete(person.name, person.prefecture, person.bureau,
                                                       person.affiliation)),
        pledged=bool(person and person.pledged),
        bureau=person.bureau if person else None,
    )


class ProfileError(ValueError):
    def __init__(self, key: str, field: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.field = field
        # Values echo what the person typed: make them inert in mrkdwn (no <!channel>, no links).
        self.params = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}


_ON = {"on", "yes", "true", "1", "オン", "はい"}
_OFF = {"off", "no", "false", "0", "オフ", "いいえ"}
_AFFILIATIONS = {"public": "public", "private": "private", "公的": "public", "行政": "public",
                 "公": "public", "民間": "private", "民": "private"}


def _named(key_prefix: str, codes: tuple[str, ...], value: str) -> str | None:
    """The code whose name in either catalog (`profile.affiliation.public` → 公的機関) is `value`:
    the names the error messages list are accepted as they are shown."""
    for code in codes:
        if any(same_words(value, t(f"{key_prefix}.{code}", lang)) for lang in LANGUAGES):
            return code
    return None


def _switch(value: str, name: str) -> bool:
    value = value.strip().lower()
    named = _named("profile.switch", ("enabled", "disabled"), value)
    if value in _ON or named == "enabled":
        return True
    if value in _OFF or named == "disabled":
        return False
    raise ProfileError("profile.error.switch", name)


def validate_profile(values: dict[str, str]) -> ProfileChange:
    """Turn `key=value` text (or modal input) into profile values, or raise ProfileError."""
    change: dict[str, object] = {}
    for key, raw in values.items():
        value = raw.strip()
        if key == "name":
            if not value or len(value) > MAX_NAME or "<" in value or "@" in value:
                raise ProfileError("profile.error.name", key, max=MAX_NAME)
            change["name"] = value
        elif key == "prefecture":
            pref = find_prefecture(value)
            if pref is None:
                raise ProfileError("profile.error.prefecture", key, value=value[:20])
            change["prefecture"] = pref
            change["bureau"] = bureau_for_prefecture(pref).code
        elif key == "bureau":
            bureau = find_bureau(value)
            if bureau is None:
                raise ProfileError("profile.error.bureau", key, value=value[:20])
            change.setdefault("bureau", bureau.code)
        elif key == "affiliation":
            affiliation = _AFFILIATIONS.get(value.lower()) or _named("profile.affiliation", ("public", "private"),
                                                                      value)
            if affiliation is None:
                raise ProfileError("profile.error.affiliation", key)
            change["affiliation"] = affiliation
        elif key == "themes":
            parts = [p for p in value.replace("、", ",").replace("，", ",").split(",") if p.strip()]
            codes: list[str] = []
            for part in parts:
                theme = find_theme(part)
                if theme is None:
                    raise ProfileError("profile.error.theme", key, value=part.strip()[:20])
                if theme.code not in codes:
                    codes.append(theme.code)
            change["themes"] = codes
        elif key == "lang":
            lang = value.lower() if value.lower() in LANGUAGES else _named("profile.lang", LANGUAGES, value)
            if lang is None:
                raise ProfileError("profile.error.lang", key)
            change["lang"] = lang
        elif key == "nudges":
            change["nudges_enabled"] = _switch(value, key)
        elif key == "online":
            change["online_ok"] = _switch(value, key)
        else:
            raise ProfileError("profile.error.unknown", key, key_name=key[:20])
    if "prefecture" in change and "bureau" in values:
        # Both given: the prefecture decides; a contradicting bureau is a mistake worth saying.
        named = find_bureau(values["bureau"])
        if named is not None and named.code != change["bureau"]:
            raise ProfileError("profile.error.bureau_mismatch", "bureau")
    return ProfileChange(change)


async def update_profile(uow: UnitOfWork, now: datetime, user_id: str, change: ProfileChange) -> Coordinator:
    person = await uow.coordinators.get_or_create(user_id, now)
    for key, value in change.values.items():
        setattr(person, key, value)
    person.updated_at = now
    await uow.audit.record(now, user_id, "profile.update", "ok", fields=sorted(change.values))
    return person


async def accept_pledge(uow: UnitOfWork, now: datetime, user_id: str) -> tuple[Coordinator, bool]:
    """Record the pledge. Returns (person, newly_accepted)."""
    person = await uow.coordinators.get_or_create(user_id, now)
    if person.pledge_accepted_at is not None and person.pledge_version == PLEDGE_VERSION:
        return person, False
    person.pledge_accepted_at = now
    person.pledge_version = PLEDGE_VERSION
    person.updated_at = now
    await uow.audit.record(now, user_id, "pledge.accept", "ok", version=PLEDGE_VERSION)
    return person, True


async def grant_role(
    uow: UnitOfWork, now: datetime, actor: Actor, user_id: str, role: str, bureau: str | None
) -> None:
    """Admins only (the caller checks). `coordinator` removes every other role."""
    if role == ROLE_COORDINATOR:
        await uow.roles.revoke_all(user_id)
    else:
        await uow.roles.grant(user_id, role, bureau or "", actor.user_id, now)
    await uow.coordinators.get_or_create(user_id, now)
    await uow.audit.record(now, actor.user_id, "role.grant", "ok", target=user_id, role=role, bureau=bureau)

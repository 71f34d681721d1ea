"""Help, profile, pledge and Home tab builders. Pure: plain values in, Block Kit out."""

from __future__ import annotations

from bot import ids
from bot.kit import actions, button, context, divider, escape, fields, header, modal, option, plain, section
from bot.core.i18n import t
from bot.people.results import Actor
from config.reference import bureaus, prefectures, themes
from storage.models import Coordinator


def build_help(actor: Actor) -> list[dict]:
    lang = actor.lang
    blocks = [header(t("help.title", lang)), section(t("help.everyone", lang))]
    if actor.is_staff:
        blocks += [divider(), section(t("help.admin", lang))]
        if not actor.is_admin:
            named = [_bureau_name(code, lang) for code in sorted(actor.staff_bureaus)]
            blocks.append(context(t("help.bureau_staff_scope", lang, bureaus=("、" if lang == "ja" else ", ").join(named))))
    if actor.is_lecturer:
        blocks += [divider(), section(t("help.lecturer", lang))]
    blocks.append(context(t("help.footer", lang)))
    return blocks


def build_usage(key: str, lang: str, **params) -> list[dict]:
    return [section(t(key, lang, **params)), context(t("usage.more", lang))]


def _theme_names(codes: list[str], lang: str) -> str:
    names = [th.name(lang) for th in themes() if th.code in codes]
    return "、".join(names) if lang == "ja" else ", ".join(names)


def _bureau_name(code: str | None, lang: str) -> str:
    found = next((b for b in bureaus() if b.code == code), None)
    return found.name(lang) if found else t("profile.unset", lang)


def profile_fields(person: Coordinator | None, lang: str) -> dict:
    unset = t("profile.unset", lang)
    if person is None:
        return fields([(t("profile.field.name", lang), unset)])
    return fields([
        (t("profile.field.name", lang), escape(person.name) if person.name else unset),
        (t("profile.field.prefecture", lang), person.prefecture or unset),
        (t("profile.field.bureau", lang), _bureau_name(person.bureau, lang)),
        (t("profile.field.affiliation", lang),
         t(f"profile.affiliation.{person.affiliation}", lang) if person.affiliation else unset),
        (t("profile.field.themes", lang), _theme_names(person.themes or [], lang) or unset),
        (t("profile.field.lang", lang), t(f"profile.lang.{person.lang}", lang)),
        (t("profile.field.nudges", lang), t("profile.switch.enabled" if person.nudges_enabled else "profile.switch.disabled", lang)),
    ])


def build_profile_saved(person: Coordinator, lang: str) -> list[dict]:
    blocks = [section(t("profile.saved", lang)), profile_fields(person, lang)]
    if not person.profile_complete:
        blocks.append(context(t("profile.incomplete_hint", lang)))
    elif person.pledge_accepted_at is None:
        blocks.append(section(t("pledge.needed", lang)))
        blocks.append(actions(button(t("pledge.accept_button", lang), ids.ACCEPT_PLEDGE, style="primary")))
    return blocks


def build_profile_modal(person: Coordinator | None, lang: str) -> dict:
    def static_select(action_id: str, choices: list[tuple[str, str]], initial: str | None) -> dict:
        element = {"type": "static_select", "action_id": action_id,
                   "options": [option(label, value) for label, value in choices]}
        chosen = next((c for c in choices if c[1] == initial), None)
        if chosen:
            element["initial_option"] = option(*chosen)
        return element

    def input_block(block_id: str, label: str, element: dict, optional: bool = False) -> dict:
        return {"type": "input", "block_id": block_id, "label": plain(label), "element": element,
                "optional": optional}

    name_input = {"type": "plain_text_input", "action_id": ids.PROFILE_NAME_INPUT, "max_length": 100}
    if person and person.name:
        name_input["initial_value"] = person.name
    pref_choices = [(p, p) for p in prefectures()]
    affiliation_choices = [(t("profile.affiliation.public", lang), "public"),
                           (t("profile.affiliation.private", lang), "private")]
    theme_options = [option(th.name(lang), th.code) for th in themes()]
    theme_element = {"type": "checkboxes", "action_id": ids.PROFILE_THEMES_INPUT, "options": theme_options}
    chosen_themes = [o for o in theme_options if person and o["value"] in (person.themes or [])]
    if chosen_themes:
        theme_element["initial_options"] = chosen_themes
    lang_choices = [(t("profile.lang.ja", lang), "ja"), (t("profile.lang.en", lang), "en")]
    nudge_choices = [(t("profile.switch.enabled", lang), "on"), (t("profile.switch.disabled", lang), "off")]
    return modal(ids.PROFILE_VIEW, t("profile.modal_title", lang), [
            section(t("profile.modal_intro", lang)),
            input_block(ids.PROFILE_NAME_BLOCK, t("profile.field.name", lang), name_input),
            input_block(ids.PROFILE_PREFECTURE_BLOCK, t("profile.field.prefecture", lang),
                        static_select(ids.PROFILE_PREFECTURE_INPUT, pref_choices, person.prefecture if person else None)),
            input_block(ids.PROFILE_AFFILIATION_BLOCK, t("profile.field.affiliation", lang),
                        static_select(ids.PROFILE_AFFILIATION_INPUT, affiliation_choices,
                                      person.affiliation if person else None)),
            input_block(ids.PROFILE_THEMES_BLOCK, t("profile.field.themes", lang), theme_element, optional=True),
            input_block(ids.PROFILE_LANG_BLOCK, t("profile.field.lang", lang),
                        static_select(ids.PROFILE_LANG_INPUT, lang_choices, person.lang if person else "ja")),
            input_block(ids.PROFILE_NUDGES_BLOCK, t("profile.field.nudges", lang),
                        static_select(ids.PROFILE_NUDGES_INPUT, nudge_choices,
                                      "off" if person and not person.nudges_enabled else "on")),
        ], submit=t("common.save", lang), close=t("common.cancel", lang))


def build_pledge(person: Coordinator | None, lang: str) -> list[dict]:
    blocks = [header(t("pledge.title", lang)), section(t("pledge.text", lang))]
    if person is not None and person.pledge_accepted_at is not None:
        blocks.append(context(t("pledge.already", lang)))
    else:
        blocks.append(actions(button(t("pledge.accept_button", lang), ids.ACCEPT_PLEDGE, style="primary")))
        blocks.append(context(t("pledge.accept_hint", lang)))
    return blocks


def build_pledge_accepted(lang: str, has_profile: bool) -> list[dict]:
    blocks = [section(t("pledge.accepted", lang))]
    if not has_profile:
        blocks.append(section(t("profile.needed", lang)))
        blocks.append(actions(button(t("profile.open_button", lang), ids.OPEN_PROFILE)))
    return blocks


def build_home(person: Coordinator | None, actor: Actor, lang: str, when_pledged: str | None) -> dict:
    blocks: list[dict] = [header(t("home.title", lang)), section(t("home.intro", lang)), divider(),
                          section(t("home.profile_heading", lang)), profile_fields(person, lang),
                          actions(button(t("profile.open_button", lang), ids.OPEN_PROFILE))]
    blocks.append(divider())
    if when_pledged:
        blocks.append(section(t("home.pledge_done", lang, when=when_pledged)))
    elif not actor.is_staff:  # the secretariat and bureau staff receive no case material to pledge for
        blocks.append(section(t("home.pledge_missing", lang)))
        blocks.append(actions(button(t("pledge.accept_button", lang), ids.ACCEPT_PLEDGE, style="primary")))
    roles = ", ".join(t(f"role.{name}", lang) for name in actor.role_names)
    blocks.append(context(t("home.roles", lang, roles=roles)))
    return {"type": "home", "blocks": blocks}

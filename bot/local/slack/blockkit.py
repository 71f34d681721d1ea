"""Block Kit limits as Slack enforces them, as pure functions.

Builders are unit-tested against these without a server; the fake Slack uses the
same checks to refuse a message or view with ``invalid_blocks``. Each problem is
reported like Slack does: a sentence followed by ``[json-pointer:/blocks/0/...]``.
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ID = 255
MAX_MODAL_TITLE = 24
MAX_MODAL_BUTTON = 24
MAX_INPUT_LABEL = 2000
MAX_HINT = 2000
MAX_PLACEHOLDER = 150
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTION_DESCRIPTION = 75
MAX_PRIVATE_METADATA = 3000
MAX_IMAGE_ALT = 2000

# Slack caps some option lists far below the select menu's 100.
MAX_OPTIONS_BY_ELEMENT = {
    "static_select": 100,
    "multi_static_select": 100,
    "overflow": 5,
    "checkboxes": 10,
    "radio_buttons": 10,
}
MAX_OPTION_GROUPS = 100

BLOCK_TYPES = frozenset(
    {"section", "divider", "image", "actions", "context", "input", "header", "rich_text", "file",
     "video", "markdown", "call"}
)
INTERACTIVE_ELEMENTS = frozenset(
    {"button", "static_select", "multi_static_select", "external_select", "multi_external_select",
     "users_select", "multi_users_select", "conversations_select", "multi_conversations_select",
     "channels_select", "multi_channels_select", "overflow", "datepicker", "timepicker", "datetimepicker",
     "checkboxes", "radio_buttons", "plain_text_input", "number_input", "email_text_input",
     "url_text_input", "rich_text_input", "file_input"}
)


def validate_message_blocks(blocks: Any) -> list[str]:
    """Every Block Kit limit a message's ``blocks`` break; an empty list means Slack would accept them."""
    return _validate_blocks(blocks, MAX_MESSAGE_BLOCKS, "/blocks")


def validate_view(view: Any) -> list[str]:
    """Every limit a modal or home tab view breaks (its blocks included)."""
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    errors: list[str] = []
    view_type = view.get("type")
    if view_type not in ("modal", "home"):
        errors.append("must be one of modal, home [json-pointer:/view/type]")
    if view_type == "modal":
        if not isinstance(view.get("title"), dict):
            errors.append("must provide a title [json-pointer:/view/title]")
        for key, limit in (("title", MAX_MODAL_TITLE), ("submit", MAX_MODAL_BUTTON), ("close", MAX_MODAL_BUTTON)):
            if key in view:
                errors += _plain_text(view[key], limit, f"/view/{key}", required=True)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            errors.append("must provide submit when the view has input blocks [json-pointer:/view/submit]")
    errors += _max_len(view.get("private_metadata"), MAX_PRIVATE_METADATA, "/view/private_metadata")
    errors += _max_len(view.get("callback_id"), MAX_ID, "/view/callback_id")
    errors += _max_len(view.get("external_id"), MAX_ID, "/view/external_id")
    errors += _validate_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS, "/view/blocks")
    return errors


def _validate_blocks(blocks: Any, max_blocks: int, pointer: str) -> list[str]:
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            errors.append(f"must be a known block type [json-pointer:{where}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            errors += _max_len(block_id, MAX_ID, f"{where}/block_id")
            if block_id in seen_block_ids:
                errors.append(f"block_id must be unique, {block_id!r} repeats [json-pointer:{where}/block_id]")
            seen_block_ids.add(block_id)
        errors += _BLOCK_CHECKS.get(block["type"], _no_checks)(block, where)
    return errors


def _no_checks(_block: dict, _where: str) -> list[str]:
    return []


def _section(block: dict, where: str) -> list[str]:
    errors: list[str] = []
    if "text" not in block and "fields" not in block:
        errors.append(f"must provide either text or fields [json-pointer:{where}]")
    if "text" in block:
        errors += _text_object(block["text"], MAX_SECTION_TEXT, f"{where}/text", required=True)
    fields = block.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            errors.append(f"must be an array [json-pointer:{where}/fields]")
        else:
            if len(fields) > MAX_SECTION_FIELDS:
                errors.append(f"no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{where}/fields]")
            for i, field in enumerate(fields):
                errors += _text_object(field, MAX_FIELD_TEXT, f"{where}/fields/{i}", required=True)
    if "accessory" in block:
        errors += _element(block["accessory"], f"{where}/accessory")
    return errors


def _header(block: dict, where: str) -> list[str]:
    return _plain_text(block.get("text"), MAX_HEADER_TEXT, f"{where}/text", required=True)


def _elements(block: dict, where: str, most: int) -> tuple[list, list[str]]:
    """A context or actions block's elements (none when missing), and what Slack says of the list itself."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [], [f"must provide at least one element [json-pointer:{where}/elements]"]
    if len(elements) > most:
        return elements, [f"no more than {most} items allowed [json-pointer:{where}/elements]"]
    return elements, []


def _context(block: dict, where: str) -> list[str]:
    elements, errors = _elements(block, where, MAX_CONTEXT_ELEMENTS)
    for i, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            errors += _max_len(element.get("alt_text"), MAX_IMAGE_ALT, f"{where}/elements/{i}/alt_text")
        else:
            errors += _text_object(element, MAX_SECTION_TEXT, f"{where}/elements/{i}", required=True)
    return errors


def _actions(block: dict, where: str) -> list[str]:
    elements, errors = _elements(block, where, MAX_ACTIONS_ELEMENTS)
    seen_action_ids: set[str] = set()
    for i, element in enumerate(elements):
        errors += _element(element, f"{where}/elements/{i}")
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None:
            if action_id in seen_action_ids:
                errors.append(f"action_id must be unique in a block [json-pointer:{where}/elements/{i}/action_id]")
            seen_action_ids.add(action_id)
    return errors


def _input(block: dict, where: str) -> list[str]:
    errors = _plain_text(block.get("label"), MAX_INPUT_LABEL, f"{where}/label", required=True)
    if "hint" in block:
        errors += _plain_text(block["hint"], MAX_HINT, f"{where}/hint", required=True)
    if not isinstance(block.get("element"), dict):
        errors.append(f"must provide an element [json-pointer:{where}/element]")
    else:
        errors += _element(block["element"], f"{where}/element")
    return errors


def _image(block: dict, where: str) -> list[str]:
    errors = _max_len(block.get("image_url"), MAX_URL, f"{where}/image_url")
    if not block.get("alt_text"):
        errors.append(f"must provide alt_text [json-pointer:{where}/alt_text]")
    errors += _max_len(block.get("alt_text"), MAX_IMAGE_ALT, f"{where}/alt_text")
    return errors


_BLOCK_CHECKS = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image,
}


def _element(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"must be an object [json-pointer:{where}]"]
    kind = element.get("type")
    errors = _max_len(element.get("action_id"), MAX_ID, f"{where}/action_id")
    if "placeholder" in element:
        errors += _plain_text(element["placeholder"], MAX_PLACEHOLDER, f"{where}/placeholder", required=True)
    if kind == "button":
        errors += _plain_text(element.get("text"), MAX_BUTTON_TEXT, f"{where}/text", required=True)
        errors += _max_len(element.get("value"), MAX_BUTTON_VALUE, f"{where}/value")
        errors += _max_len(element.get("url"), MAX_URL, f"{where}/url")
    elif kind == "image":
        errors += _max_len(element.get("image_url"), MAX_URL, f"{where}/image_url")
    if kind in MAX_OPTIONS_BY_ELEMENT:
        errors += _options_of(element, MAX_OPTIONS_BY_ELEMENT[kind], where, plain_only=kind != "checkboxes"
                              and kind != "radio_buttons")
    return errors


def _options_of(element: dict, max_options: int, where: str, *, plain_only: bool) -> list[str]:
    errors: list[str] = []
    options = element.get("options")
    groups = element.get("option_groups")
    if options is None and groups is None:
        return [f"must provide options or option_groups [json-pointer:{where}/options]"]
    if options is not None:
        errors += _option_list(options, max_options, f"{where}/options", plain_only=plain_only)
    if groups is not None:
        if not isinstance(groups, list) or len(groups) > MAX_OPTION_GROUPS:
            errors.append(f"no more than {MAX_OPTION_GROUPS} items allowed [json-pointer:{where}/option_groups]")
        else:
            for g, group in enumerate(groups):
                group_where = f"{where}/option_groups/{g}"
                errors += _plain_text(group.get("label"), MAX_OPTION_TEXT, f"{group_where}/label", required=True)
                errors += _option_list(group.get("options"), max_options, f"{group_where}/options", plain_only=True)
    return errors


def _option_list(options: Any, max_options: int, where: str, *, plain_only: bool) -> list[str]:
    if not isinstance(options, list) or not options:
        return [f"must provide at least one option [json-pointer:{where}]"]
    errors: list[str] = []
    if len(options) > max_options:
        errors.append(f"no more than {max_options} items allowed [json-pointer:{where}]")
    for i, option in enumerate(options):
        option_where = f"{where}/{i}"
        if not isinstance(option, dict):
            errors.append(f"must be an object [json-pointer:{option_where}]")
            continue
        if plain_only:
            errors += _plain_text(option.get("text"), MAX_OPTION_TEXT, f"{option_where}/text", required=True)
        else:
            errors += _text_object(option.get("text"), MAX_OPTION_TEXT, f"{option_where}/text", required=True)
        errors += _max_len(option.get("value"), MAX_OPTION_VALUE, f"{option_where}/value")
        if "description" in option:
            errors += _text_object(option["description"], MAX_OPTION_DESCRIPTION, f"{option_where}/description",
                                   required=True)
    return errors


def _plain_text(obj: Any, limit: int, where: str, *, required: bool) -> list[str]:
    if isinstance(obj, dict) and obj.get("type") != "plain_text":
        return [f"must be a plain_text text object [json-pointer:{where}/type]"]
    return _text_object(obj, limit, where, required=required)


def _text_object(obj: Any, limit: int, where: str, *, required: bool) -> list[str]:
    if obj is None:
        return [f"must provide a text object [json-pointer:{where}]"] if required else []
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"must be a text object [json-pointer:{where}]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{where}/text]"]
    return _max_len(text, limit, f"{where}/text")


def _max_len(value: Any, limit: int, where: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}]"]
    return []

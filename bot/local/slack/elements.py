"""Block Kit's interactive elements as Slack's payloads carry them: finding a button or an input
in blocks, and the `actions` entry (or view state value) a click or a typed value makes."""

from __future__ import annotations

from typing import Any, Iterable

MAX_FILE_INPUT_FILES = 10  # Slack's default and ceiling for a file_input's max_files
_SINGLE_OPTION_ELEMENTS = {"static_select", "external_select", "radio_buttons", "overflow"}
_MULTI_OPTION_ELEMENTS = {"checkboxes", "multi_static_select", "multi_external_select"}
_SELECTED_KEY = {
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
}


def find_element(blocks: Iterable[dict[str, Any]], action_id: str,
                 block_id: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (block, element) with ``action_id`` (in ``block_id`` if given); LookupError if absent."""
    for block, element in _interactive_elements(blocks):
        if element.get("action_id") == action_id and (block_id is None or block.get("block_id") == block_id):
            return block, element
    raise LookupError(f"no element with action_id {action_id!r}" + (f" in block {block_id!r}" if block_id else ""))


def find_button(blocks: Iterable[dict[str, Any]], label_or_action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The button whose visible text or action_id matches; LookupError if there is none."""
    candidates = list(_interactive_elements(blocks))
    for block, element in candidates:
        if element.get("type") == "button" and (element.get("text") or {}).get("text") == label_or_action_id:
            return block, element
    for block, element in candidates:
        if element.get("action_id") == label_or_action_id:
            return block, element
    labels = [(e.get("text") or {}).get("text") for _, e in candidates if e.get("type") == "button"]
    raise LookupError(f"no button {label_or_action_id!r}; buttons here: {labels}")


def build_action(block: dict[str, Any], element: dict[str, Any], value: Any = None, *,
                 selected_option: dict[str, Any] | None = None,
                 selected_options: list[dict[str, Any]] | None = None, action_ts: str = "") -> dict[str, Any]:
    """The entry Slack puts in ``actions`` (or, trimmed, in view state) for one element."""
    kind = element.get("type", "button")
    action: dict[str, Any] = {"action_id": element.get("action_id"), "block_id": block.get("block_id", ""),
                              "type": kind, "action_ts": action_ts}
    if kind == "button":
        action["text"] = element.get("text")
        action["value"] = value if value is not None else element.get("value")
        if "style" in element:
            action["style"] = element["style"]
    elif kind in _SINGLE_OPTION_ELEMENTS:
        action["selected_option"] = selected_option or _option_by_value(element, value)
    elif kind in _MULTI_OPTION_ELEMENTS:
        if selected_options is None:
            wanted = [] if value is None else (value if isinstance(value, (list, tuple)) else [value])
            selected_options = [_option_by_value(element, v) for v in wanted]
        action["selected_options"] = selected_options
    elif kind in _SELECTED_KEY:
        action[_SELECTED_KEY[kind]] = value
    else:
        action["value"] = value
    return action


def _option_by_value(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value or (option.get("text") or {}).get("text") == value:
            return option
    raise LookupError(f"no option {value!r} in {element.get('action_id')!r}")


def _interactive_elements(blocks: Iterable[dict[str, Any]]) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
    for block in blocks:
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                yield block, element
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            yield block, block["accessory"]
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            yield block, block["element"]


def is_view(item: dict[str, Any]) -> bool:
    return item.get("type") in ("modal", "home") and str(item.get("id", "")).startswith("V")

"""Block Kit as terminal text, so the console can show messages, modals and the home tab.

Every interactive element gets a number (``[1] 参加する``) and a ``Control`` describing it, so
the console can "press 1". Widths count East Asian wide characters as two columns, so Japanese
lines wrap and columns line up. ANSI styling is used only when ``color=True``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from bot.core.i18n import t

BOLD, DIM, ITALIC, STRIKE, RESET = "\x1b[1m", "\x1b[2m", "\x1b[3m", "\x1b[9m", "\x1b[0m"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TOKEN = re.compile(r"\x1b\[[0-9;]*m|.", re.DOTALL)
# Characters a Japanese line must not start with (kinsoku shori, the common subset).
_NO_LINE_START = set("、。，．）」』】〕！？ー・：；,.)!?:;")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
# ASCII-only guards: Slack needs a word boundary around *bold*, but Japanese text has no spaces.
_BOLD = re.compile(r"(?<![A-Za-z0-9*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![A-Za-z0-9*])")
_ITALIC = re.compile(r"(?<![A-Za-z0-9_])_(?!\s)([^_\n]+?)(?<!\s)_(?![A-Za-z0-9_])")
_STRIKE = re.compile(r"(?<![A-Za-z0-9~])~(?!\s)([^~\n]+?)(?<!\s)~(?![A-Za-z0-9~])")

_TEXT_INPUTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input", "rich_text_input"}
_SINGLE_SELECTS = {"static_select", "external_select"}
_MULTI_SELECTS = {"multi_static_select", "multi_external_select"}
_PICKER_PLACEHOLDER = {
    "datepicker": "localslack.render.date",
    "timepicker": "localslack.render.time",
    "datetimepicker": "localslack.render.datetime",
    "users_select": "localslack.render.user",
    "multi_users_select": "localslack.render.user",
    "conversations_select": "localslack.render.channel",
    "multi_conversations_select": "localslack.render.channel",
    "channels_select": "localslack.render.channel",
    "multi_channels_select": "localslack.render.channel",
    "file_input": "localslack.render.file",
}
_PICKER_ICON = {"datepicker": "📅", "timepicker": "🕒", "datetimepicker": "📅", "users_select": "@",
                "multi_users_select": "@", "conversations_select": "#", "multi_conversations_select": "#",
                "channels_select": "#", "multi_channels_select": "#", "file_input": "📎"}
_INITIAL_KEYS = ("initial_date", "initial_time", "initial_date_time", "initial_user", "initial_users",
                 "initial_conversation", "initial_conversations", "initial_channel", "initial_channels",
                 "initial_value")

UserNames = Callable[[str], str] | None


@dataclass(frozen=True)
class Option:
    label: str
    value: str | None


@dataclass(frozen=True)
class Control:
    """One numbered thing the console user can act on.

    kind is the element type (button, static_select, checkboxes, plain_text_input …) or
    ``submit`` / ``close`` for a modal's own buttons.
    """

    number: int
    kind: str
    action_id: str | None
    block_id: str | None
    value: Any
    label: str
    options: tuple[Option, ...] = ()


@dataclass
class Rendered:
    text: str
    controls: list[Control] = field(default_factory=list)

    def control(self, number: int) -> Control:
        for control in self.controls:
            if control.number == number:
                return control
        raise LookupError(f"no control numbered {number}")


# ---------------------------------------------------------------------- width


def char_width(char: str) -> int:
    if unicodedata.combining(char) or char in "\u200b\u200d\ufe0f":
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide (CJK) characters count two, ANSI codes none."""
    return sum(char_width(c) for c in _ANSI.sub("", text))


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def wrap(text: str, width: int) -> list[str]:
    """Wrap to ``width`` columns; breaks at spaces for Latin words and anywhere in Japanese."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, max(width, 4)))
    return lines


def _wrap_paragraph(paragraph: str, width: int) -> list[str]:
    tokens = _TOKEN.findall(paragraph)
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for token in tokens:
        cost = 0 if token.startswith("\x1b") else char_width(token)
        if used + cost > width and current and token not in _NO_LINE_START:
            if token == " ":
                lines.append("".join(current).rstrip())
                current, used = [], 0
                continue
            carried = _carry_latin_word(current)
            lines.append("".join(current).rstrip())
            current = carried
            used = sum(0 if c.startswith("\x1b") else char_width(c) for c in current)
        current.append(token)
        used += cost
    lines.append("".join(current).rstrip())
    return lines


def _carry_latin_word(current: list[str]) -> list[str]:
    """Move a half-written Latin word to the next line instead of splitting it."""
    index = len(current)
    while index > 0 and len(current[index - 1]) == 1 and current[index - 1].isascii() \
            and current[index - 1].isalnum():
        index -= 1
    if index == 0 or index == len(current) or current[index - 1] != " ":
        return []
    carried = current[index:]
    del current[index:]
    return carried


# ---------------------------------------------------------------------- mrkdwn


def mrkdwn_to_text(text: str, *, color: bool = False, user_names: UserNames = None) -> str:
    """Slack mrkdwn made readable: links and mentions spelled out, emphasis as ANSI or plain."""

    def link(match: re.Match) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            user_id = target[1:]
            return "@" + (label or (user_names(user_id) if user_names else user_id))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            special = target[1:].split("^")[0]
            return label or ("@" + special)
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target

    text = _LINK.sub(link, text)
    style = (lambda code: (lambda m: f"{code}{m.group(1)}{RESET}")) if color else (lambda code: (lambda m: m.group(1)))
    text = _BOLD.sub(style(BOLD), text)
    text = _ITALIC.sub(style(ITALIC), text)
    text = _STRIKE.sub(style(STRIKE), text)
    return html.unescape(text)


def _text_of(obj: Any, *, color: bool, user_names: UserNames) -> str:
    if not isinstance(obj, dict):
        return "" if obj is None else str(obj)
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(text, color=color, user_names=user_names)
    return text


# ---------------------------------------------------------------------- rendering


class _Renderer:
    def __init__(self, start_number: int, width: int, color: bool, lang: str, user_names: UserNames) -> None:
        self.number = start_number
        self.width = width
        self.color = color
        self.lang = lang
        self.user_names = user_names
        self.lines: list[str] = []
        self.controls: list[Control] = []

    # -- helpers

    def text(self, obj: Any) -> str:
        return _text_of(obj, color=self.color, user_names=self.user_names)

    def styled(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color and text else text

    def emit(self, text: str, indent: int = 0) -> None:
        prefix = " " * indent
        for line in wrap(text, self.width - indent):
            self.lines.append(prefix + line if line else "")

    def add_control(self, kind: str, action_id: str | None, block_id: str | None, value: Any, label: str,
                    options: Iterable[Option] = ()) -> int:
        number = self.number
        self.number += 1
        self.controls.append(Control(number, kind, action_id, block_id, value, label, tuple(options)))
        return number

    def options_of(self, element: dict[str, Any]) -> list[Option]:
        raw = list(element.get("options") or [])
        for group in element.get("option_groups") or []:
            raw.extend(group.get("options") or [])
        return [Option(self.text(o.get("text")), o.get("value")) for o in raw if isinstance(o, dict)]

    # -- blocks

    def blocks(self, blocks: Iterable[dict[str, Any]], state: dict[str, Any] | None = None) -> None:
        for block in blocks:
            if not isinstance(block, dict):
                continue
            handler = getattr(self, "block_" + str(block.get("type")), None)
            if handler is None:
                self.emit(self.styled(DIM, f"[{block.get('type')}]"))
            elif block.get("type") == "input":
                handler(block, state or {})
            else:
                handler(block)

    def block_section(self, block: dict[str, Any]) -> None:
        if "text" in block:
            self.emit(self.text(block["text"]))
        fields = [self.text(f) for f in block.get("fields") or []]
        column = (self.width - 2) // 2
        for left, right in zip(fields[0::2], fields[1::2] + [""] * (len(fields) % 2)):
            left_lines, right_lines = wrap(left, column), wrap(right, column) if right else []
            for i in range(max(len(left_lines), len(right_lines))):
                left_part = left_lines[i] if i < len(left_lines) else ""
                right_part = right_lines[i] if i < len(right_lines) else ""
                self.lines.append((pad(left_part, column) + "  " + right_part).rstrip())
        if isinstance(block.get("accessory"), dict):
            self.element(block["accessory"], block.get("block_id"), indent=2)

    def block_header(self, block: dict[str, Any]) -> None:
        title = self.text(block.get("text"))
        self.emit(self.styled(BOLD, title))
        self.lines.append("━" * min(self.width, max(display_width(title), 4)))

    def block_divider(self, _block: dict[str, Any]) -> None:
        self.lines.append("─" * self.width)

    def block_context(self, block: dict[str, Any]) -> None:
        parts = []
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") == "image":
                parts.append(f"[{t('localslack.render.image', self.lang)}: {element.get('alt_text', '')}]")
            else:
                parts.append(self.text(element))
        self.emit(self.styled(DIM, "┆ " + " · ".join(parts)), indent=0)

    def block_image(self, block: dict[str, Any]) -> None:
        title = self.text(block.get("title")) if block.get("title") else ""
        alt = block.get("alt_text", "")
        self.emit(f"[{t('localslack.render.image', self.lang)}: {title or alt}]")

    def block_actions(self, block: dict[str, Any]) -> None:
        buttons: list[str] = []
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                buttons.append(self.button(element, block.get("block_id")))
                continue
            if buttons:
                self.emit("  ".join(buttons))
                buttons = []
            self.element(element, block.get("block_id"))
        if buttons:
            self.emit("  ".join(buttons))

    def block_input(self, block: dict[str, Any], state: dict[str, Any]) -> None:
        element = block.get("element") or {}
        label = self.text(block.get("label"))
        optional = t("localslack.render.optional", self.lang) if block.get("optional") else ""
        kind = element.get("type", "")
        kind_key = "multiline" if kind == "plain_text_input" and element.get("multiline") else kind
        kind_label = t(f"localslack.render.kind.{kind_key}", self.lang) if kind_key else ""
        options = self.options_of(element)
        current = self._current_value(element, block, state)
        number = self.add_control(kind, element.get("action_id"), block.get("block_id"), current, label, options)
        self.emit(f"[{number}] {self.styled(BOLD, label)}{optional} ({kind_label})")
        if options:
            self.option_lines(element, options, indent=4)
        elif "placeholder" in element and current in (None, "", []):
            self.emit(self.styled(DIM, self.text(element["placeholder"])), indent=4)
        if current not in (None, "", []):
            self.emit(f"{t('localslack.render.value', self.lang)}: {_describe_value(current)}", indent=4)
        if block.get("hint"):
            self.emit(self.styled(DIM, self.text(block["hint"])), indent=4)

    def block_rich_text(self, block: dict[str, Any]) -> None:
        for element in block.get("elements") or []:
            kind = element.get("type")
            if kind == "rich_text_list":
                for item in element.get("elements") or []:
                    self.emit("• " + _rich_inline(item.get("elements") or [], self.user_names), indent=2)
            elif kind == "rich_text_quote":
                self.emit("> " + _rich_inline(element.get("elements") or [], self.user_names))
            else:
                self.emit(_rich_inline(element.get("elements") or [], self.user_names))

    def block_markdown(self, block: dict[str, Any]) -> None:
        self.emit(str(block.get("text", "")))

    def block_file(self, _block: dict[str, Any]) -> None:
        self.emit(f"[{t('localslack.render.file', self.lang)}]")

    def block_video(self, block: dict[str, Any]) -> None:
        self.emit(f"[{t('localslack.render.video', self.lang)}: {self.text(block.get('title'))}]")

    # -- elements

    def button(self, element: dict[str, Any], block_id: str | None) -> str:
        label = self.text(element.get("text"))
        number = self.add_control("button", element.get("action_id"), block_id, element.get("value"), label)
        shown = self.styled(BOLD, label) if element.get("style") == "primary" else label
        suffix = f" ↗ {element['url']}" if element.get("url") else ""
        return f"[{number}] {shown}{suffix}"

    def element(self, element: dict[str, Any], block_id: str | None, indent: int = 0) -> None:
        kind = element.get("type", "")
        if kind == "button":
            self.emit(self.button(element, block_id), indent=indent)
            return
        options = self.options_of(element)
        placeholder = self.text(element.get("placeholder")) if element.get("placeholder") else ""
        if kind in _SINGLE_SELECTS or kind in _MULTI_SELECTS:
            default = "localslack.render.multi_select" if kind in _MULTI_SELECTS else "localslack.render.select"
            label = placeholder or t(default, self.lang)
            number = self.add_control(kind, element.get("action_id"), block_id, None, label, options)
            self.emit(f"[{number}] ▾ {label}", indent=indent)
            self.option_lines(element, options, indent=indent + 4)
        elif kind in ("checkboxes", "radio_buttons", "overflow"):
            label = t(f"localslack.render.kind.{kind}", self.lang)
            number = self.add_control(kind, element.get("action_id"), block_id, None, label, options)
            if kind == "overflow":
                self.emit(f"[{number}] ⋯ " + " / ".join(o.label for o in options), indent=indent)
            else:
                self.emit(f"[{number}]", indent=indent)
                self.option_lines(element, options, indent=indent + 4)
        elif kind in _PICKER_PLACEHOLDER:
            initial = next((element[k] for k in _INITIAL_KEYS if element.get(k)), None)
            label = placeholder or t(_PICKER_PLACEHOLDER[kind], self.lang)
            number = self.add_control(kind, element.get("action_id"), block_id, initial, label)
            shown = f"{label}: {_describe_value(initial)}" if initial else label
            self.emit(f"[{number}] {_PICKER_ICON[kind]} {shown}", indent=indent)
        elif kind in _TEXT_INPUTS:
            label = placeholder or t("localslack.render.input", self.lang)
            number = self.add_control(kind, element.get("action_id"), block_id, element.get("initial_value"), label)
            self.emit(f"[{number}] ✎ {label}", indent=indent)
        elif kind == "image":
            self.emit(f"[{t('localslack.render.image', self.lang)}: {element.get('alt_text', '')}]", indent=indent)
        else:
            number = self.add_control(kind, element.get("action_id"), block_id, None, kind)
            self.emit(f"[{number}] {kind}", indent=indent)

    def option_lines(self, element: dict[str, Any], options: list[Option], indent: int) -> None:
        kind = element.get("type")
        chosen = _initial_values(element)
        for option in options:
            selected = option.value in chosen
            if kind == "checkboxes":
                mark = "☑" if selected else "☐"
            elif kind == "radio_buttons":
                mark = "◉" if selected else "○"
            else:
                mark = "●" if selected else "·"
            self.emit(f"{mark} {option.label}", indent=indent)

    def _current_value(self, element: dict[str, Any], block: dict[str, Any], state: dict[str, Any]) -> Any:
        entry = (state.get("values", {}).get(block.get("block_id"), {}) or {}).get(element.get("action_id"))
        if isinstance(entry, dict):
            for key, item in entry.items():
                if key != "type" and item not in (None, "", []):
                    return item
        for key in _INITIAL_KEYS:
            if element.get(key):
                return element[key]
        if element.get("initial_option"):
            return element["initial_option"]
        if element.get("initial_options"):
            return element["initial_options"]
        return None


def _initial_values(element: dict[str, Any]) -> set[Any]:
    values = set()
    if isinstance(element.get("initial_option"), dict):
        values.add(element["initial_option"].get("value"))
    for option in element.get("initial_options") or []:
        values.add(option.get("value"))
    return values


def _describe_value(value: Any) -> str:
    if isinstance(value, dict):
        return str((value.get("text") or {}).get("text", value.get("value", "")))
    if isinstance(value, list):
        return ", ".join(_describe_value(v) for v in value)
    return str(value)


def _rich_inline(elements: Iterable[dict[str, Any]], user_names: UserNames) -> str:
    parts = []
    for element in elements:
        kind = element.get("type")
        if kind == "text":
            parts.append(element.get("text", ""))
        elif kind == "link":
            parts.append(element.get("text") or element.get("url", ""))
        elif kind == "user":
            user_id = element.get("user_id", "")
            parts.append("@" + (user_names(user_id) if user_names else user_id))
        elif kind == "channel":
            parts.append("#" + element.get("channel_id", ""))
        elif kind == "emoji":
            code_points = element.get("unicode")
            parts.append("".join(chr(int(p, 16)) for p in code_points.split("-")) if code_points
                         else f":{element.get('name', '')}:")
        elif kind == "date":
            parts.append(element.get("fallback", ""))
        elif kind == "broadcast":
            parts.append("@" + element.get("range", "here"))
        elif "elements" in element:
            parts.append(_rich_inline(element["elements"], user_names))
    return "".join(parts)


# ---------------------------------------------------------------------- entry points


def render_blocks(blocks: Iterable[dict[str, Any]], start_number: int = 1, *, width: int = 72, color: bool = False,
                  lang: str | None = None, user_names: UserNames = None) -> Rendered:
    """Blocks as text; each interactive element numbered from ``start_number``."""
    renderer = _Renderer(start_number, width, color, lang or "ja", user_names)
    renderer.blocks(blocks)
    return Rendered("\n".join(renderer.lines), renderer.controls)


def render_message(message: dict[str, Any], start_number: int = 1, *, width: int = 72, color: bool = False,
                   lang: str | None = None, user_names: UserNames = None) -> Rendered:
    """A stored message: its blocks if any, else its mrkdwn text; attached files listed."""
    renderer = _Renderer(start_number, width, color, lang or "ja", user_names)
    if message.get("blocks"):
        renderer.blocks(message["blocks"])
    elif message.get("text"):
        renderer.emit(mrkdwn_to_text(message["text"], color=color, user_names=user_names))
    for file in message.get("files") or []:
        renderer.emit(f"📎 {file.get('title') or file.get('name', '')}")
    if message.get("edited"):
        renderer.emit(renderer.styled(DIM, t("localslack.render.edited", renderer.lang)))
    return Rendered("\n".join(renderer.lines), renderer.controls)


def render_view(view: dict[str, Any], start_number: int = 1, *, width: int = 72, color: bool = False,
                lang: str | None = None, user_names: UserNames = None) -> Rendered:
    """A modal (title, numbered fields, submit and close) or the home tab, as text."""
    renderer = _Renderer(start_number, width, color, lang or "ja", user_names)
    if view.get("type") == "home":
        title = t("localslack.render.home", renderer.lang)
    else:
        title = renderer.text(view.get("title"))
    renderer.lines.append(f"┏━ {renderer.styled(BOLD, title)} " + "━" * max(0, width - display_width(title) - 4))
    renderer.blocks(view.get("blocks") or [], view.get("state") or {})
    if view.get("type") == "modal":
        buttons = []
        if view.get("submit"):
            label = renderer.text(view["submit"]) or t("localslack.render.submit", renderer.lang)
            buttons.append(f"[{renderer.add_control('submit', None, None, None, label)}] {label}")
        close_label = renderer.text(view["close"]) if view.get("close") else t("localslack.render.close",
                                                                                 renderer.lang)
        buttons.append(f"[{renderer.add_control('close', None, None, None, close_label)}] {close_label}")
        renderer.lines.append("┗" + "━" * (width - 1))
        renderer.emit("  ".join(buttons))
    else:
        renderer.lines.append("┗" + "━" * (width - 1))
    return Rendered("\n".join(renderer.lines), renderer.controls)

"""The local console: a Slack workspace in the terminal, driven through the real AsyncApp.

Everything typed goes through the same path as Slack: the driver signs a request, the app
handles it, and what the bot does through the Web API lands in the fake Slack, which the
console renders as text. Words shown to the person are in the locale catalogs.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.local import seed
from bot.core.i18n import t
from bot.local.workspace import LocalWorkspace
from bot.logs import setup_logging
from bot.startup import LOCAL_KEY_FILE, cipher_for, local_key_exposed
from config.settings import Settings
from bot.local.slack.render import Control, render_message, render_view
from bot.local.slack.server import Activity
from bot.core.bureaus import bureau_label
from bot.core.timefmt import format_datetime

CONSOLE_LOG = "jirei-console.log"  # the bot's own logs while the console runs

_DELTA = re.compile(r"^\+(\d+)([dhm])$")


EXIT_INTERRUPTED = 130  # what a shell reports for a program ended by Ctrl-C


@dataclass
class Shown:
    """A numbered control and the message or view it belongs to."""

    control: Control
    source: dict[str, Any]
    is_view: bool


class Console:
    def __init__(self, workspace: LocalWorkspace, *, out=None, lang: str = "ja") -> None:
        self.ws = workspace
        self.out = out or sys.stdout
        self.lang = lang
        self.user = seed.COORDINATORS[0][0]
        self.activities: list[Activity] = []
        self.controls: dict[int, Shown] = {}
        self.next_number = 1
        workspace.fake.on_record = self.activities.append

    # ------------------------------------------------------------------ the loop

    async def run(self) -> int:
        self.say(t("console.banner", self.lang))
        self.say(t("console.you_are", self.lang, user=self._label(self.user)))
        self.say(t("console.now", self.lang, now=format_datetime(self.ws.clock.now(), self.lang, self.ws.deps.tz)))
        # Ctrl-C may reach the thread reading the terminal instead of the loop's: a handler on the
        # loop (asyncio's wake-up fd) wakes it whichever thread the signal reached, and ends the console.
        loop, console = asyncio.get_running_loop(), asyncio.current_task()
        loop.add_signal_handler(signal.SIGINT, console.cancel)
        try:
            while True:
                try:
                    line = await self.ask(f"[{self._label(self.user)}] > ")
                except EOFError:
                    self.say("")
                    return 0
                if not await self.handle(line.strip()):
                    return 0
        except asyncio.CancelledError:
            console.uncancel()
            self.say("")
            return EXIT_INTERRUPTED
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    async def ask(self, prompt: str) -> str:
        """One line from the terminal. The read blocks in a daemon thread of its own (not the
        loop's executor, which is joined on exit), so Ctrl-C ends the console at once."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str] = loop.create_future()

        def settle(line: str | None, error: BaseException | None) -> None:
            if not answer.done():
                answer.set_exception(error) if error is not None else answer.set_result(line or "")

        def read() -> None:
            try:
                line, error = input(prompt), None
            except BaseException as exc:  # EOFError (end of input) travels to the loop as it is
                line, error = None, exc
            try:
                loop.call_soon_threadsafe(settle, line, error)
            except RuntimeError:
                pass  # the console has already ended

        threading.Thread(target=read, name="console-input", daemon=True).start()
        return await answer

    async def handle(self, line: str) -> bool:
        """One line of input; False means quit."""
        if not line:
            return True
        try:
            if line in (":quit", ":q", ":exit"):
                return False
            if line.startswith(":"):
                await self._meta(line)
            elif line.isdigit():
                await self._press(int(line))
            elif line.startswith("/"):
                command, _, text = line.partition(" ")
                await self._act(self.ws.driver.command(self.user, text, command=command))
            else:
                await self._act(self.ws.driver.send_dm(self.user, line))
        except (KeyError, LookupError, ValueError) as err:
            self.say(t("console.error", self.lang, error=str(err)[:200]))
        return True

    async def _act(self, interaction) -> None:
        self.activities.clear()
        await interaction
        await self.ws.run_due()
        await self._show_activity()

    # ------------------------------------------------------------------ meta commands

    async def _meta(self, line: str) -> None:
        parts = shlex.split(line)
        name, args = parts[0], parts[1:]
        if name == ":help":
            self.say(t("console.help", self.lang))
        elif name == ":users":
            for user_id, label in self._people():
                marker = "→" if user_id == self.user else " "
                self.say(f"{marker} {user_id:<11} {label}")
        elif name == ":user" and args:
            wanted = args[0].upper()
            known = dict(self._people())
            if wanted not in known:
                self.say(t("console.no_such_user", self.lang, user=args[0]))
                return
            self.user = wanted
            self.say(t("console.you_are", self.lang, user=self._label(self.user)))
        elif name == ":time":
            await self._time(args)
        elif name == ":home":
            await self._act(self.ws.driver.open_home(self.user))
        elif name == ":dm":
            self._show_history(self.ws.fake.dm_channel_id(self.user), limit=int(args[0]) if args else 5)
        elif name == ":channel" and args:
            self._show_history(self.ws.fake.channel_id(args[0]), limit=int(args[1]) if len(args) > 1 else 5)
        elif name == ":fill":
            view = self.ws.fake.current_view(self.user)
            if view is None:
                self.say(t("console.no_modal", self.lang))
            else:
                await self._fill(view)
        else:
            self.say(t("console.unknown_meta", self.lang))

    async def _time(self, args: list[str]) -> None:
        if not args:
            self.say(t("console.now", self.lang, now=format_datetime(self.ws.clock.now(), self.lang, self.ws.deps.tz)))
            return
        match = _DELTA.match(args[0])
        if match:
            amount, unit = int(match.group(1)), match.group(2)
            delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "m": timedelta(minutes=amount)}[unit]
        else:
            epoch = _read_time("datetimepicker", args[0], self.ws.deps.tz)
            if epoch is None:
                self.say(t("console.bad_datetime", self.lang, value=args[0][:40]))
                return
            delta = datetime.fromtimestamp(epoch, self.ws.deps.tz) - self.ws.clock.now()
            if delta < timedelta(0):
                self.say(t("console.time_backwards", self.lang))
                return
        self.activities.clear()
        await self.ws.advance(delta)
        await self.ws.remember_clock()
        self.say(t("console.now", self.lang, now=format_datetime(self.ws.clock.now(), self.lang, self.ws.deps.tz)))
        await self._show_activity()

    # ------------------------------------------------------------------ showing things

    async def _show_activity(self) -> None:
        self.controls.clear()
        self.next_number = 1
        others: dict[str, int] = {}
        opened_view: dict | None = None
        for activity in list(self.activities):
            mine = activity.user_id == self.user or self._visible_to_me(activity)
            if activity.kind in ("view_opened", "view_updated", "view_pushed") and activity.user_id == self.user:
                opened_view = activity.item
                continue
            if activity.kind == "home_published" and activity.user_id == self.user:
                self._render(activity.item, is_view=True, heading=t("console.home", self.lang))
                continue
            if activity.kind in ("message", "ephemeral", "message_changed") and mine:
                where = self._where(activity)
                self._render(activity.item, is_view=False, heading=where)
            elif activity.kind in ("message",) and activity.conversation_id:
                others[activity.conversation_id] = others.get(activity.conversation_id, 0) + 1
        if others:
            self.say(t("console.others", self.lang, messages=sum(others.values()), conversations=len(others)))
        self.activities.clear()
        if opened_view is not None:
            await self._fill(opened_view)

    def _visible_to_me(self, activity: Activity) -> bool:
        conversation = self.ws.fake.conversations.get(activity.conversation_id or "")
        if conversation is None or activity.kind == "ephemeral":
            return False
        if conversation.id == self.ws.fake.dm_channel_id(self.user):
            return True
        return not conversation.id.startswith("D") and self.user in conversation.members

    def _where(self, activity: Activity) -> str:
        conversation = self.ws.fake.conversations.get(activity.conversation_id or "")
        if activity.kind == "ephemeral":
            return t("console.only_you", self.lang)
        if conversation is None or conversation.id.startswith("D"):
            return t("console.dm", self.lang)
        return f"#{conversation.name}" if conversation.name else conversation.id

    def _render(self, item: dict, *, is_view: bool, heading: str) -> None:
        rendered = (render_view(item, self.next_number, lang=self.lang) if is_view
                    else render_message(item, self.next_number, lang=self.lang))
        self.say(f"── {heading} " + "─" * 40)
        self.say(rendered.text)
        for control in rendered.controls:
            self.controls[control.number] = Shown(control, item, is_view)
        if rendered.controls:
            self.next_number = max(self.controls) + 1

    def _show_history(self, channel_id: str, limit: int) -> None:
        self.controls.clear()
        self.next_number = 1
        for message in self.ws.fake.messages(channel_id)[-limit:]:
            self._render(message, is_view=False, heading=self._where(Activity("message", channel_id, None, message)))

    # ------------------------------------------------------------------ pressing and filling

    async def _press(self, number: int) -> None:
        shown = self.controls.get(number)
        if shown is None:
            self.say(t("console.no_such_button", self.lang, number=number))
            return
        control = shown.control
        target = {"view": shown.source} if shown.is_view else {"message": shown.source}
        if control.kind == "button":
            await self._act(self.ws.driver.click(self.user, control.action_id, control.value,
                                                 block_id=control.block_id, **target))
            return
        if control.options:
            choice = await self._choose(control)
            if choice is None:
                return
            await self._act(self.ws.driver.click(self.user, control.action_id, choice, block_id=control.block_id,
                                                 **target))
            return
        self.say(t("console.cannot_press", self.lang))

    async def _choose(self, control: Control, current: Any = None) -> Any:
        """The options' values picked by number; Enter keeps `current` (None: nothing chosen)."""
        for index, option in enumerate(control.options, 1):
            self.say(f"   {index}) {option.label}")
        multi = control.kind in ("checkboxes", "multi_static_select")
        prompt = t("console.choose_many" if multi else "console.choose_one", self.lang)
        if current:
            kept = [option.label for option in control.options
                    if option.value in (current if isinstance(current, list) else [current])]
            prompt = t("console.keep", self.lang, value=", ".join(kept) or _describe(current)) + prompt
        answer = (await self.ask(prompt)).strip()
        if not answer:
            return current
        picks = [int(p) for p in re.split(r"[ ,]+", answer) if p.isdigit()]
        values = [control.options[p - 1].value for p in picks if 1 <= p <= len(control.options)]
        if not values:
            return [] if multi else None
        return values if multi else values[0]

    async def _fill(self, view: dict, typed: dict[str, dict[str, Any]] | None = None,
                    errors: dict[str, str] | None = None) -> None:
        """Walk the modal's inputs one by one, then submit (or close). Enter keeps the value a
        field already shows, as Slack submits it untouched. When the form answers with errors, it
        stays open as in Slack: each field's error is shown under its label and what was typed is kept."""
        rendered = render_view(view, 1, lang=self.lang)
        if errors is None:
            self.say(rendered.text)
        values: dict[str, dict[str, Any]] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block.get("element", {})
            label = (block.get("label") or {}).get("text", "")
            if errors and block.get("block_id") in errors:
                self.say(t("console.field_error", self.lang, field=label, error=errors[block["block_id"]]))
            control = next((c for c in rendered.controls if c.action_id == element.get("action_id")), None)
            current = (typed or {}).get(block.get("block_id"), {}).get(element.get("action_id"))
            if current is None:
                current = _current_value(element)
            if control is not None and control.options:
                self.say(f"● {label}")
                choice = await self._choose(control, current)
            elif element.get("type") == "file_input":
                self.say(t("console.file_input", self.lang, label=label))
                continue
            else:
                choice = await self._typed_value(element, label, current)
            if choice in (None, [], ""):
                continue
            values.setdefault(block["block_id"], {})[element["action_id"]] = choice
        answer = (await self.ask(t("console.submit_prompt", self.lang))).strip().lower()
        if answer in ("n", "no", "いいえ"):
            await self._act(self.ws.driver.close_view(self.user, view))
            return
        self.activities.clear()
        reply = await self.ws.driver.submit_view(self.user, view, values)
        if reply.ack and reply.ack.get("response_action") == "errors":
            await self._fill(view, values, reply.ack.get("errors", {}))
            return
        await self.ws.run_due()
        await self._show_activity()

    async def _typed_value(self, element: dict, label: str, current: Any) -> Any:
        """A typed field; dates and times as people write them (Japan time), asked again until
        they read as one."""
        kind = element.get("type", "")
        shown = _show_time(kind, current, self.ws.deps.tz) if kind in _TIME_PICKERS else current
        prompt = f"● {label}" + (f" [{shown}]" if shown not in (None, "") else "") + ": "
        while True:
            answer = (await self.ask(prompt)).strip()
            if not answer:
                return current
            if kind not in _TIME_PICKERS:
                return answer
            value = _read_time(kind, answer, self.ws.deps.tz)
            if value is not None:
                return value
            self.say(t(f"console.bad_{_TIME_PICKERS[kind]}", self.lang, value=answer[:40]))

    # ------------------------------------------------------------------ helpers

    def _people(self) -> list[tuple[str, str]]:
        staff = {seed.STAFF_TOKYO: "tokyo", seed.STAFF_OSAKA: "osaka"}
        roles = {user_id: t("role.with_bureau", self.lang, role=t("role.bureau_staff", self.lang),
                            bureau=bureau_label(bureau, self.lang)) for user_id, bureau in staff.items()}
        roles |= {seed.ADMIN: t("role.admin", self.lang), seed.LECTURER: t("role.lecturer", self.lang)}
        listed = [(user_id, f"{name}（{roles[user_id]}）") for user_id, name in seed.STAFF]
        listed += [(user_id, f"{name}（{prefecture}）") for user_id, name, prefecture, *_ in seed.COORDINATORS]
        return listed

    def _label(self, user_id: str) -> str:
        user = self.ws.fake.users.get(user_id)
        return f"{user.real_name if user else user_id} {user_id}"

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


# Slack's date and time pickers, and what the console asks for in each.
_TIME_PICKERS = {"datetimepicker": "datetime", "datepicker": "date", "timepicker": "time"}


def _current_value(element: dict) -> Any:
    """What the field shows before anyone touches it, in the form a submission carries."""
    if isinstance(element.get("initial_option"), dict):
        return element["initial_option"].get("value")
    if element.get("initial_options"):
        return [option.get("value") for option in element["initial_options"]]
    for key in ("initial_date_time", "initial_date", "initial_time", "initial_user", "initial_users",
                "initial_conversation", "initial_channel", "initial_value"):
        if element.get(key) not in (None, "", []):
            return element[key]
    return None


def _describe(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _show_time(kind: str, value: Any, tz) -> Any:
    if kind == "datetimepicker" and isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz).strftime("%Y-%m-%dT%H:%M")
    return value


def _read_time(kind: str, text: str, tz) -> Any:
    """`2027-05-15T13:00` (Japan time unless an offset is given), or epoch seconds, for a date
    and time; `2027-05-15` for a date; `13:00` for a time. None if it is none of these."""
    text = text.replace("/", "-").replace(" ", "T", 1) if kind == "datetimepicker" else text.replace("/", "-")
    try:
        if kind == "datetimepicker":
            if text.isdigit():
                return int(text)
            moment = datetime.fromisoformat(text)
            return int((moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp())
        if kind == "datepicker":
            return date.fromisoformat(text).isoformat()
        return time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        return None


async def run_console(settings: Settings) -> int:
    # The terminal is the workspace: the bot's own (JSON, name-free) logs go to a file beside it.
    log_file = open(CONSOLE_LOG, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole session
    setup_logging(settings.log_level, stream=log_file)
    cipher, note = cipher_for(settings, allow_local=True)
    if note:
        print(f"[jirei] {note}", file=sys.stderr)
    console_lang = "ja"
    if note and local_key_exposed():
        print(t("console.key_exposed", console_lang, path=LOCAL_KEY_FILE), file=sys.stderr)
    print(f"[jirei] logs: {CONSOLE_LOG}", file=sys.stderr)
    async with LocalWorkspace.open(database_url=settings.database_url, cipher=cipher, resume_clock=True) as workspace:
        return await Console(workspace, lang=console_lang).run()

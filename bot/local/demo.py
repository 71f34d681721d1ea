"""`run_bot.py demo`: the lifecycle of DESIGN §2, scripted on the local Slack.

Every step is something a person does in Slack (a command, a button, a modal, a DM) or the
clock moving; every step states what must follow, and the demo exits non-zero when anything
did not. The transcript shows what people saw, as the console would.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from bot.local import seed
from bot.local.seed import START
from bot.core.clock import ManualClock
from bot.core.i18n import t
from bot.local.demo_steps import STEPS
from bot.local.workspace import LocalWorkspace
from bot.logs import setup_logging
from config.settings import Settings
from bot.local.slack.render import render_message, render_view
from bot.local.slack.server import Activity
from storage.crypto import Cipher, generate_key



@dataclass(frozen=True)
class Typed:
    """What the demo's people type or upload: names, titles, places, links, free text, a reason, a
    file name. The defaults are the demo's own; a test replays the whole year with hostile values
    in every one of them (tests/bot/test_escaping.py)."""

    case_title: str = "外国人患者の受診同行と医療通訳の手配"
    proposal_title: str = "在留資格変更の相談を受けたとき"
    place: str = "東京出入国在留管理局 5階 研修室"
    proposal_place: str = ""
    meeting_url: str = "https://meet.example.jp/jirei-s1"
    commentary_url: str = "https://example.jp/jirei/c1-commentary.pdf"
    material_filename: str = "case.txt"
    free_text: str | None = None  # survey answers; None: the catalog's sample answers
    cancel_reason: str | None = None  # None: the catalog's
    request_note: str | None = None  # the secretariat's note asking for a case; None: the catalog's
    name_suffix: str = ""  # added to every person's name (Slack's and the profile's)

    def name(self, name: str) -> str:
        return name + self.name_suffix


@dataclass
class Demo:
    lang: str = "ja"
    out: Any = None
    typed: Typed = field(default_factory=Typed)
    failures: list[str] = field(default_factory=list)
    checks: int = 0
    sent: int = 0  # payloads the bot sent (Web API calls, response_url posts, acks)
    escaping_faults: list = field(default_factory=list)

    async def run(self) -> int:
        self.out = self.out or sys.stdout
        with tempfile.TemporaryDirectory(prefix="jirei-demo-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
            english = tuple(u for u, *_ in seed.STAFF) + tuple(u for u, *_ in seed.COORDINATORS) if self.lang == "en" else ()
            async with LocalWorkspace.open(database_url=url, cipher=Cipher(generate_key()),
                                           clock=ManualClock(START), english=english,
                                           display_name=self.typed.name) as ws:
                self.ws = ws
                self.activities: list[Activity] = []
                ws.fake.on_record = self.activities.append
                self.say(t("demo.intro", self.lang))
                self.say(t("demo.key_note", self.lang))
                for step in self.steps():
                    await step()
                self.sent = len(ws.fake.sent_payloads())
                self.escaping_faults = ws.fake.escaping_faults()
                self.say("")
                self.expect(not self.escaping_faults, t("demo.check.escaped", self.lang, payloads=self.sent))
                for fault in self.escaping_faults[:10]:
                    self.say(f"    {fault}")
        self.say("")
        self.say(t("demo.summary", self.lang, checks=self.checks, failures=len(self.failures)))
        for failure in self.failures:
            self.say(f"  ✗ {failure}")
        return 1 if self.failures else 0

    def steps(self) -> list[Callable]:
        return [lambda step=step: step(self) for step in STEPS]

    # ------------------------------------------------------------------ helpers for steps

    def heading(self, key: str, **params) -> None:
        self.say("")
        self.say("━" * 72)
        self.say(t(key, self.lang, **params))
        self.say("━" * 72)

    def expect(self, condition: bool, description: str) -> bool:
        self.checks += 1
        mark = "✓" if condition else "✗"
        self.say(f"  {mark} {description}")
        if not condition:
            self.failures.append(description)
        return condition

    async def command(self, user: str, text: str, show: bool = True):
        self.activities.clear()
        self.say(f"\n👤 {self.name(user)}: /jirei {text}")
        reply = await self.ws.driver.command(user, text)
        await self.ws.run_due()
        if show:
            self.show_for(user)
        return reply

    async def press(self, user: str, message: dict, label_or_action: str, show: bool = True):
        self.activities.clear()
        self.say(f"\n👤 {self.name(user)}: [{self._button_label(message, label_or_action)}]")
        reply = await self.ws.driver.press(user, message, label_or_action)
        await self.ws.run_due()
        if show:
            self.show_for(user)
        return reply

    async def advance(self, delta: timedelta, label: str) -> None:
        self.activities.clear()
        self.say(f"\n⏩ {label}")
        await self.ws.advance(delta)

    async def advance_to(self, moment: datetime, label: str) -> None:
        await self.advance(moment - self.ws.clock.now(), label)

    @staticmethod
    def _button_label(message: dict, label_or_action: str) -> str:
        for block in message.get("blocks") or []:
            for element in [*(block.get("elements") or []), *([block["accessory"]] if block.get("accessory") else [])]:
                if element.get("action_id") == label_or_action:
                    return element.get("text", {}).get("text", label_or_action)
        return label_or_action

    def show_for(self, user: str, limit: int = 3) -> None:
        shown = 0
        for activity in self.activities:
            if shown >= limit:
                break
            if activity.kind in ("ephemeral", "message") and self._to(activity, user):
                self.say(self.render(activity.item))
                shown += 1
            elif activity.kind in ("view_opened", "home_published") and activity.user_id == user:
                self.say(render_view(activity.item, lang=self.lang).text)
                shown += 1

    def _to(self, activity: Activity, user: str) -> bool:
        if activity.kind == "ephemeral":
            return activity.user_id == user
        return activity.conversation_id == self.ws.fake.dm_channel_id(user)

    def render(self, message: dict) -> str:
        text = render_message(message, lang=self.lang).text
        return "\n".join("    │ " + line for line in text.splitlines())

    def dms(self, user: str) -> list[dict]:
        return self.ws.fake.dm_messages(user)

    def last_dm(self, user: str) -> dict | None:
        messages = [m for m in self.dms(user) if m.get("user") == self.ws.fake.bot_user_id and m.get("blocks")]
        return messages[-1] if messages else None

    def dm_with_action(self, user: str, action_id: str) -> dict | None:
        for message in reversed(self.dms(user)):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    if element.get("action_id", "").startswith(action_id):
                        return message
        return None

    def name(self, user: str) -> str:
        found = self.ws.fake.users.get(user)
        return found.real_name if found else user

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


async def run_demo(settings: Settings, lang: str = "ja") -> int:
    setup_logging("WARNING")  # the transcript is the output; only problems are logged (JSON, stderr)
    return await Demo(lang=lang).run()

"""views.*: modals (a stack of at most three per person, opened with a fresh trigger) and Home
tabs, checked against Block Kit's limits; and what Slack does with a view_submission's ack."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass
from typing import Any

from bot.local.slack.blockkit import validate_view
from bot.local.slack.state import SlackError

TRIGGER_LIFETIME_SECONDS = 3.0
MAX_MODAL_STACK = 3


@dataclass
class Trigger:
    user_id: str
    issued_at: float
    used: bool = False


class ViewMethods:
    """views.open, push, update, publish; the modal stacks the driver submits and closes."""

    def issue_trigger(self, user_id: str) -> str:
        trigger_id = f"{next(self._ids)}.{secrets.randbelow(10**10)}.{secrets.token_hex(8)}"
        self._triggers[trigger_id] = Trigger(user_id, self._monotonic())
        return trigger_id

    def current_view(self, user_id: str) -> dict[str, Any] | None:
        """The modal on top of the user's stack, or None."""
        stack = self._modal_stacks.get(user_id)
        return copy.deepcopy(self._views[stack[-1]]) if stack else None

    def modal_stack(self, user_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(self._views[v]) for v in self._modal_stacks.get(user_id, [])]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        view_id = self._home_views.get(user_id)
        return copy.deepcopy(self._views[view_id]) if view_id else None

    def view(self, view_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._views[view_id])

    def record_view_state(self, view_id: str, state: dict[str, Any]) -> None:
        if view_id in self._views:
            self._views[view_id]["state"] = copy.deepcopy(state)

    def apply_submission_ack(self, user_id: str, view_id: str, ack: dict[str, Any] | None) -> None:
        """What Slack does with a view_submission ack: close, update, push, clear or show errors."""
        self.record_ack(ack)
        action = (ack or {}).get("response_action")
        if action == "errors":
            known = {b.get("block_id") for b in self._views.get(view_id, {}).get("blocks", [])}
            for block_id in (ack or {}).get("errors", {}):
                if block_id not in known:
                    self.violations.append(f"view_submission errors name an unknown block_id {block_id!r}")
            return
        if action in ("update", "push"):
            new_view = (ack or {}).get("view")
            problems = validate_view(new_view)
            if problems:
                self.violations.extend(f"response_action {action}: {p}" for p in problems)
                return
            if action == "update":
                self._replace_view(view_id, new_view, kind="view_updated")
            else:
                self._push_modal(user_id, new_view)
            return
        if action == "clear":
            for stacked in list(self._modal_stacks.get(user_id, [])):
                self.close_view(user_id, stacked)
            return
        self.close_view(user_id, view_id)

    def close_view(self, user_id: str, view_id: str) -> None:
        stack = self._modal_stacks.get(user_id, [])
        if view_id in stack:
            stack.remove(view_id)
            self._emit("view_closed", None, user_id, self._views[view_id])

    # ------------------------------------------------------------------ Web API

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = self._exchange_trigger(params.get("trigger_id"))
        view = self._checked_view(params.get("view"), expected_type="modal")
        if self._modal_stacks.get(user_id):
            # Opening a new modal over an open one replaces the whole stack, as Slack does.
            for stacked in list(self._modal_stacks[user_id]):
                self.close_view(user_id, stacked)
        stored = self._push_modal(user_id, view)
        return {"view": copy.deepcopy(stored)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger_id = params.get("trigger_id")
        user_id = self._exchange_trigger(trigger_id)
        view = self._checked_view(params.get("view"), expected_type="modal")
        if not self._modal_stacks.get(user_id):
            raise SlackError("not_found")
        if len(self._modal_stacks[user_id]) >= MAX_MODAL_STACK:
            raise SlackError("push_limit_reached")
        stored = self._push_modal(user_id, view)
        return {"view": copy.deepcopy(stored)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next((v["id"] for v in self._views.values()
                            if v.get("external_id") == params["external_id"]), None)
        if not view_id or view_id not in self._views:
            raise SlackError("not_found")
        existing = self._views[view_id]
        if params.get("hash") and params["hash"] != existing["hash"]:
            raise SlackError("hash_conflict")
        view = self._checked_view(params.get("view"), expected_type=existing["type"])
        stored = self._replace_view(view_id, view, kind="view_updated")
        return {"view": copy.deepcopy(stored)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id") or ""
        user = self.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("account_inactive")
        view = self._checked_view(params.get("view"), expected_type="home")
        existing_id = self._home_views.get(user_id)
        if existing_id:
            if params.get("hash") and params["hash"] != self._views[existing_id]["hash"]:
                raise SlackError("hash_conflict")
            stored = self._replace_view(existing_id, view, kind="home_published")
        else:
            stored = self._new_view(user_id, view)
            self._home_views[user_id] = stored["id"]
            self._emit("home_published", None, user_id, stored)
        return {"view": copy.deepcopy(stored)}

    # ------------------------------------------------------------------ views kept

    def _checked_view(self, view: Any, *, expected_type: str) -> dict[str, Any]:
        problems = validate_view(view)
        if not problems and view.get("type") != expected_type:
            problems = [f"must be {expected_type} here [json-pointer:/view/type]"]
        if problems:
            self.violations.extend(problems)
            raise SlackError("invalid_arguments", errors=problems,
                             response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
        return view

    def _exchange_trigger(self, trigger_id: Any) -> str:
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self._monotonic() - trigger.issued_at >= TRIGGER_LIFETIME_SECONDS:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user_id

    def _new_view(self, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
        view_id = f"V{next(self._ids):08d}"
        stored = self._view_record(view_id, view, root_view_id=view_id, previous_view_id=None)
        self._views[view_id] = stored
        self._view_owner[view_id] = user_id
        return stored

    def _view_record(self, view_id: str, view: dict[str, Any], *, root_view_id: str,
                     previous_view_id: str | None) -> dict[str, Any]:
        record = copy.deepcopy(view)
        record.update({
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "hash": f"{int(self._wall_seconds())}.{secrets.token_hex(4)}",
            "state": {"values": {}},
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "root_view_id": root_view_id,
            "previous_view_id": previous_view_id,
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "clear_on_close": bool(view.get("clear_on_close", False)),
        })
        return record

    def _push_modal(self, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
        stack = self._modal_stacks.setdefault(user_id, [])
        stored = self._new_view(user_id, view)
        if stack:
            stored["root_view_id"] = self._views[stack[0]]["id"]
            stored["previous_view_id"] = stack[-1]
        stack.append(stored["id"])
        self._emit("view_pushed" if len(stack) > 1 else "view_opened", None, user_id, stored)
        return stored

    def _replace_view(self, view_id: str, view: dict[str, Any], *, kind: str) -> dict[str, Any]:
        old = self._views[view_id]
        stored = self._view_record(view_id, view, root_view_id=old["root_view_id"],
                                   previous_view_id=old["previous_view_id"])
        self._views[view_id] = stored
        self._emit(kind, None, self._view_owner.get(view_id), stored)
        return stored

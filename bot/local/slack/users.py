"""users.*: the people of the fake workspace, as the Web API shows them."""

from __future__ import annotations

from typing import Any

from bot.local.slack.state import FakeUser, SlackError, paginate, truthy


class UserMethods:
    """users.info, users.list, users.lookupByEmail; people added by tests."""

    def add_user(self, user_id: str, name: str, real_name: str | None = None, locale: str = "ja-JP",
                 deleted: bool = False, email: str | None = None, tz: str = "Asia/Tokyo") -> FakeUser:
        user = FakeUser(user_id, name, real_name or name, locale=locale, deleted=deleted, email=email, tz=tz)
        self.users[user_id] = user
        return user

    def deactivate_user(self, user_id: str) -> None:
        self.users[user_id].deleted = True

    # ------------------------------------------------------------------ Web API

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(params.get("user") or "")
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api(self.team_id, include_locale=truthy(params.get("include_locale")))}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        page, next_cursor = paginate(list(self.users.values()), params)
        include_locale = truthy(params.get("include_locale"))
        return {"members": [u.to_api(self.team_id, include_locale=include_locale) for u in page],
                "response_metadata": {"next_cursor": next_cursor}}

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = (params.get("email") or "").lower()
        for user in self.users.values():
            if user.email and user.email.lower() == email:
                return {"user": user.to_api(self.team_id, include_locale=False)}
        raise SlackError("users_not_found")

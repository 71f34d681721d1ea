"""conversations.*: channels, DMs and group DMs, their members, and their messages read back
(history and replies, paged as Slack pages them)."""

from __future__ import annotations

import bisect
import copy
import re
from typing import Any, Iterable

from bot.local.slack.state import (Conversation, SlackError, as_int, decode_cursor, encode_cursor, is_top_level,
                                   paginate, public_message, split_ids, truthy, ts_micros)

_CHANNEL_NAME = re.compile(r"^[^\sA-Z.,#@]{1,80}$")


class ConversationMethods:
    """conversations.open, create, invite, join, history, replies, info, list, members, archive."""

    def add_channel(self, name: str, is_private: bool = False, members: Iterable[str] = (),
                    bot_member: bool = True) -> str:
        conversation = self._new_channel(name, is_private=is_private, creator=self.bot_user_id)
        if bot_member:
            conversation.members[self.bot_user_id] = None
        for user_id in members:
            conversation.members[user_id] = None
        return conversation.id

    def add_member(self, channel_id: str, user_id: str) -> None:
        self.conversations[channel_id].members[user_id] = None

    def channel_id(self, name: str) -> str:
        for conversation in self.conversations.values():
            if conversation.name == name.lstrip("#"):
                return conversation.id
        raise KeyError(name)

    def dm_channel_id(self, user_id: str) -> str:
        """The DM between the bot and ``user_id``, opened if it does not exist yet."""
        return self._open_dm(user_id).id

    def messages(self, channel_id: str, *, include_replies: bool = True) -> list[dict[str, Any]]:
        """Copies of the conversation's messages, oldest first."""
        conversation = self.conversations.get(channel_id)
        if conversation is None:
            return []
        return [copy.deepcopy(m) for m in conversation.messages if include_replies or is_top_level(m)]

    def dm_messages(self, user_id: str) -> list[dict[str, Any]]:
        return self.messages("D" + user_id)

    def message(self, channel_id: str, ts: str) -> dict[str, Any]:
        return copy.deepcopy(self.conversations[channel_id].by_ts[ts])

    # ------------------------------------------------------------------ Web API

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            conversation = self._conversation(params["channel"])
            return {"channel": conversation.to_api(self.bot_user_id)}
        user_ids = split_ids(params.get("users"))
        if not user_ids:
            raise SlackError("users_list_not_supplied")
        for user_id in user_ids:
            if user_id not in self.users:
                raise SlackError("user_not_found")
        if len(user_ids) == 1:
            conversation = self._open_dm(user_ids[0])
        else:
            conversation = self._open_mpim(user_ids)
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("name") or ""
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if any(c.name == name for c in self.conversations.values()):
            raise SlackError("name_taken")
        conversation = self._new_channel(name, is_private=truthy(params.get("is_private")),
                                         creator=self.bot_user_id)
        conversation.members[self.bot_user_id] = None
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _open_channel(self, params: dict[str, Any], *, archived: str) -> Conversation:
        """The channel named in `params`, not a DM and not archived (the error `archived` if it is)."""
        conversation = self._conversation(params.get("channel"))
        if conversation.kind in ("im", "mpim"):
            raise SlackError("method_not_supported_for_channel_type")
        if conversation.is_archived:
            raise SlackError(archived)
        return conversation

    def _conversations_invite(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._open_channel(params, archived="is_archived")
        user_ids = split_ids(params.get("users"))
        if not user_ids:
            raise SlackError("no_user")
        for user_id in user_ids:
            user = self.users.get(user_id)
            if user is None:
                raise SlackError("user_not_found")
            if user_id == self.bot_user_id:
                raise SlackError("cant_invite_self")
            if user.deleted:
                raise SlackError("cant_invite")
        if not truthy(params.get("force")) and any(u in conversation.members for u in user_ids):
            raise SlackError("already_in_channel")
        for user_id in user_ids:
            conversation.members[user_id] = None
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(params.get("channel"))
        if conversation.kind != "public":
            raise SlackError("method_not_supported_for_channel_type")
        if conversation.is_archived:
            raise SlackError("is_archived")
        conversation.members[self.bot_user_id] = None
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._readable(params.get("channel"))
        include_metadata = truthy(params.get("include_all_metadata"))
        return self._page_of_messages(conversation.messages, conversation.ts_keys, params, include_metadata,
                                      top_level_only=True)

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._readable(params.get("channel"))
        parent_ts = params.get("ts") or ""
        if parent_ts not in conversation.by_ts:
            raise SlackError("thread_not_found")
        thread = [m for m in conversation.messages if m["ts"] == parent_ts or m.get("thread_ts") == parent_ts]
        keys = [ts_micros(m["ts"]) for m in thread]
        page = self._page_of_messages(thread, keys, params, truthy(params.get("include_all_metadata")),
                                      top_level_only=False)
        page["messages"].reverse()  # replies read oldest first, unlike history
        return page

    def _page_of_messages(self, messages: list[dict], keys: list[int], params: dict[str, Any],
                          include_metadata: bool, *, top_level_only: bool) -> dict[str, Any]:
        inclusive = truthy(params.get("inclusive"))
        limit = as_int(params.get("limit"), 100)
        limit = max(1, min(limit, 999))
        oldest = params.get("oldest")
        latest = params.get("latest")
        cursor = params.get("cursor")
        if cursor:
            latest, inclusive_latest = decode_cursor(cursor), False
        else:
            inclusive_latest = inclusive
        low = 0
        if oldest:
            oldest_key = ts_micros(str(oldest))
            low = bisect.bisect_left(keys, oldest_key) if inclusive else bisect.bisect_right(keys, oldest_key)
        high = len(keys)
        if latest:
            latest_key = ts_micros(str(latest))
            high = bisect.bisect_right(keys, latest_key) if inclusive_latest else bisect.bisect_left(keys,
                                                                                                    latest_key)
        page: list[dict[str, Any]] = []
        index = high - 1
        while index >= low and len(page) < limit:
            message = messages[index]
            if not top_level_only or is_top_level(message):
                page.append(public_message(message, include_metadata=include_metadata))
            index -= 1
        has_more = any(not top_level_only or is_top_level(messages[i])
                       for i in range(index, low - 1, -1)) if index >= low else False
        result: dict[str, Any] = {"messages": page, "has_more": has_more, "pin_count": 0}
        if has_more and page:
            result["response_metadata"] = {"next_cursor": encode_cursor(page[-1]["ts"])}
        else:
            result["response_metadata"] = {"next_cursor": ""}
        return result

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._readable(params.get("channel"))
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = set(split_ids(params.get("types")) or ["public_channel"])
        kinds = {"public_channel": "public", "private_channel": "private", "im": "im", "mpim": "mpim"}
        exclude_archived = truthy(params.get("exclude_archived"))
        matching = [
            c for c in self.conversations.values()
            if any(kinds.get(w) == c.kind for w in wanted)
            and (c.kind == "public" or self.bot_user_id in c.members)
            and not (exclude_archived and c.is_archived)
        ]
        page, next_cursor = paginate(matching, params)
        return {"channels": [c.to_api(self.bot_user_id) for c in page],
                "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._readable(params.get("channel"))
        page, next_cursor = paginate(list(conversation.members), params)
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_archive(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._open_channel(params, archived="already_archived")
        conversation.is_archived = True
        return {}

    # ------------------------------------------------------------------ the conversation a call names

    def _new_channel(self, name: str, *, is_private: bool, creator: str) -> Conversation:
        channel_id = f"C{next(self._ids):04d}"
        conversation = Conversation(channel_id, "private" if is_private else "public", name,
                                    int(self._wall_seconds()), creator)
        self.conversations[channel_id] = conversation
        return conversation

    def _open_dm(self, user_id: str) -> Conversation:
        channel_id = "D" + user_id
        conversation = self.conversations.get(channel_id)
        if conversation is None:
            if user_id not in self.users:
                raise SlackError("user_not_found")
            conversation = Conversation(channel_id, "im", None, int(self._wall_seconds()), self.bot_user_id,
                                        user=user_id)
            conversation.members.update({self.bot_user_id: None, user_id: None})
            self.conversations[channel_id] = conversation
        return conversation

    def _open_mpim(self, user_ids: list[str]) -> Conversation:
        key = frozenset([*user_ids, self.bot_user_id])
        channel_id = self._mpim_ids.get(key)
        if channel_id is None:
            channel_id = f"G{next(self._ids):04d}"
            name = "mpdm-" + "--".join(self.users[u].name for u in user_ids) + "-1"
            conversation = Conversation(channel_id, "mpim", name, int(self._wall_seconds()), self.bot_user_id)
            conversation.members.update(dict.fromkeys([self.bot_user_id, *user_ids]))
            self.conversations[channel_id] = conversation
            self._mpim_ids[key] = channel_id
        return self.conversations[channel_id]

    def _conversation(self, channel: Any) -> Conversation:
        conversation = self.conversations.get(channel or "")
        if conversation is None and isinstance(channel, str) and channel.startswith("D") and channel[1:] in self.users:
            # The ids are derived from the user, so a DM the bot names is one it could have opened.
            conversation = self._open_dm(channel[1:])
        if conversation is None or (conversation.kind != "public" and self.bot_user_id not in conversation.members):
            raise SlackError("channel_not_found")
        return conversation

    def _readable(self, channel: Any) -> Conversation:
        return self._conversation(channel)

    def _postable(self, channel: Any) -> Conversation:
        """The conversation a post lands in; a user id means that user's DM, as in Slack."""
        channel = channel or ""
        if channel in self.users:
            conversation = self._open_dm(channel)
        else:
            conversation = self._conversation(channel)
        if conversation.is_archived:
            raise SlackError("is_archived")
        if conversation.kind == "im" and self.users[conversation.user or ""].deleted:
            raise SlackError("account_inactive")
        return conversation

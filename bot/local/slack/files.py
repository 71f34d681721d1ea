"""files.*: the bot's uploads in Slack's three steps (an upload URL, the bytes, completion into
conversations), people's files submitted in a modal, and downloads with the bot token."""

from __future__ import annotations

import asyncio
import copy
import mimetypes
from typing import Any

from aiohttp import web

from bot.local.slack.state import Call, Conversation, SlackError, as_int, split_ids


class FileMethods:
    """files.getUploadURLExternal, completeUploadExternal, info; uploads and downloads."""

    def add_user_file(self, user_id: str, filename: str, content: bytes, filetype: str | None = None) -> str:
        """A file ``user_id`` uploaded into a modal's file_input; returns its id.

        It is shared nowhere and private to the person, yet the bot may read it (``files.info``,
        then ``GET url_private`` with the bot token), as Slack allows for files submitted in a modal.
        ``filetype`` is Slack's short type (``pdf``, ``text``…); guessed from the name when omitted.
        """
        if user_id not in self.users:
            raise KeyError(user_id)
        file_id = f"F{next(self._ids):08d}"
        record = self._file_record(file_id, filename, owner=user_id, size=len(content), filetype=filetype)
        record.update(uploaded=True, completed=True)
        self._files[file_id] = record
        self._file_content[file_id] = bytes(content)
        return file_id

    def file_content(self, file_id: str) -> bytes:
        return self._file_content[file_id]

    def file(self, file_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._files[file_id])

    def public_file(self, file_id: str) -> dict[str, Any]:
        """The file object as the Web API and interaction payloads show it; KeyError if unknown."""
        return copy.deepcopy(_file_as_shown(self._files[file_id]))

    # ------------------------------------------------------------------ Web API

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        length = as_int(params.get("length"), -1)
        if not filename or length < 0:
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        record = self._file_record(file_id, filename, owner=self.bot_user_id, size=length)
        record["alt_txt"] = params.get("alt_txt")
        self._files[file_id] = record
        return {"upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        targets: list[Conversation] = []
        channel_ids = split_ids(params.get("channels")) or split_ids(params.get("channel_id"))
        for channel_id in channel_ids:
            targets.append(self._postable(channel_id))
        thread_ts = None
        if params.get("thread_ts"):
            if len(targets) != 1:
                # Slack's docs: a thread belongs to one conversation, so name exactly one.
                raise SlackError("invalid_arguments")
            thread_ts = self._thread_root(targets[0], params["thread_ts"])
        completed = []
        for entry in entries:
            file = self._files.get(entry.get("id", "")) if isinstance(entry, dict) else None
            if file is None or file["user"] != self.bot_user_id:
                # A person's upload is theirs to share; the bot can only complete its own.
                raise SlackError("file_not_found")
            if not file["uploaded"]:
                raise SlackError("file_upload_not_complete")  # Slack: the bytes never arrived
            completed.append((file, entry))
        shared = []
        for file, entry in completed:
            if entry.get("title"):
                file["title"] = entry["title"]
            file["completed"] = True
            for conversation in targets:
                bucket = "ims" if conversation.kind == "im" else "channels"
                file[bucket].append(conversation.id)
            shared.append(file)
        for conversation in targets:
            message = self._bot_message(params.get("initial_comment") or "", params.get("blocks"), None)
            message["files"] = [_file_as_shown(f) for f in shared]
            message["upload"] = True
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
            stored = self._store_message(conversation, message)
            for file in shared:
                self._record_share(file, conversation, stored)
        return {"files": [_file_as_shown(f) for f in shared]}

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        file = self._files.get(params.get("file") or "")
        if file is None or not file["completed"]:
            raise SlackError("file_not_found")
        return {"file": _file_as_shown(file)}

    # ------------------------------------------------------------------ upload and download

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        file = self._files.get(file_id)
        if file is None:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        data = await _read_upload(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        self._file_content[file_id] = data
        file["size"] = len(data)
        file["uploaded"] = True
        self.calls.append(Call("upload", {"file_id": file_id, "size": len(data)}, {"ok": True}, 200))
        return web.Response(status=200, text=f"OK - {len(data)}", content_type="text/plain")

    async def _handle_download(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization", "") != f"Bearer {self.bot_token}":
            return web.Response(status=403, text="forbidden", content_type="text/plain")
        file_id = request.match_info["file_id"]
        if file_id not in self._file_content:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        content = self._file_content[file_id]
        self.calls.append(Call("download", {"file_id": file_id}, {"ok": True, "size": len(content)}, 200))
        mimetype = self._files[file_id].get("mimetype", "application/octet-stream")
        if self._downloads_stall is not None:
            stalled = web.StreamResponse(status=200, headers={"Content-Type": mimetype})
            stalled.content_length = len(content)
            await stalled.prepare(request)
            await stalled.write(content[:4])
            await self._downloads_stall.wait()
            return stalled
        return web.Response(status=200, body=content, content_type=mimetype)

    # ------------------------------------------------------------------ files kept

    def _file_record(self, file_id: str, filename: str, *, owner: str, size: int,
                     filetype: str | None = None) -> dict[str, Any]:
        created = int(self._wall_seconds())
        return {
            "id": file_id, "created": created, "timestamp": created, "name": filename, "title": filename,
            "mimetype": _guess_mimetype(filename), "filetype": filetype or _slack_filetype(filename),
            "size": size, "user": owner, "user_team": self.team_id, "mode": "hosted", "is_external": False,
            "is_public": False, "channels": [], "groups": [], "ims": [], "shares": {},
            "url_private": f"{self.root_url}/files/{file_id}",
            "url_private_download": f"{self.root_url}/files/{file_id}",
            "permalink": f"https://local.slack/files/{owner}/{file_id}/{filename}",
            "uploaded": False, "completed": False,
        }

    def _record_share(self, file: dict[str, Any], conversation: Conversation, message: dict[str, Any]) -> None:
        # files.info's ``shares`` is how a bot finds the message (and thread) its upload landed in.
        visibility = "public" if conversation.kind == "public" else "private"
        share: dict[str, Any] = {"ts": message["ts"], "team_id": self.team_id}
        if conversation.name is not None:
            share["channel_name"] = conversation.name
        if message.get("thread_ts") not in (None, message["ts"]):
            share["thread_ts"] = message["thread_ts"]
        file["shares"].setdefault(visibility, {}).setdefault(conversation.id, []).append(share)
        file["is_public"] = file["is_public"] or conversation.kind == "public"


async def _read_upload(request: web.Request) -> bytes:
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.filename is not None or part.name == "file":
                return bytes(await part.read())
        return b""
    return await request.read()


def _file_as_shown(file: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in file.items() if key not in ("uploaded", "completed")}


def _guess_mimetype(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


# Where Slack's short filetype differs from the file's extension.
_FILETYPE_BY_EXTENSION = {"txt": "text", "jpeg": "jpg", "md": "markdown", "yml": "yaml", "htm": "html",
                          "gz": "gzip", "tgz": "gzip", "py": "python", "js": "javascript", "sh": "shell"}


def _slack_filetype(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem or not extension:
        return "binary"
    extension = extension.lower()
    return _FILETYPE_BY_EXTENSION.get(extension, extension)

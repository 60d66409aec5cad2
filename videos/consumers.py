"""Websockets: live progress of one summary, and of the queue as a whole.

Both send a snapshot first (read from the database, so a browser that
reconnects never misses the final state), then relay the channel layer's
events. Close codes: 4401 not logged in (or logged out since the socket opened),
4403 no permission, 4404 no such summary or no such route; the browser stops
reconnecting on those.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied

from . import progress
from .services import jobs, summaries
from .models import Summary

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
MAX_MESSAGE_BYTES = 4096
# What the socket's lifetime needs no logged-in user for: its opening and its end.
_UNCHECKED_MESSAGES = ("websocket.connect", "websocket.disconnect")


async def session_user_alive(scope) -> bool:
    """Is the session the socket opened with still there, for the same user?

    The scope's session and user were read once, at the handshake. Logging out deletes
    the session; a password change no longer matches its hash; an expired session does
    not load; a deactivated user is not returned by the backend. So a fresh read of the
    session answers for all four.
    """
    user = scope.get("user")
    key = getattr(scope.get("session"), "session_key", None)
    if user is None or not user.is_authenticated or not key:
        return False
    fresh = await get_user({"session": import_module(settings.SESSION_ENGINE).SessionStore(key)})
    return fresh.is_authenticated and fresh.pk == user.pk


class _ProgressConsumer(AsyncWebsocketConsumer):
    groups: list[str] = []
    # Set once the socket is accepted for a user; from then on every event and message
    # first checks that the user is still logged in.
    watching: bool = False
    ended: bool = False

    async def dispatch(self, message: dict) -> None:
        """Relay nothing to, and take nothing from, a user who has logged out: the
        socket closes with 4401 at its next event or message instead."""
        if self.watching and message["type"] not in _UNCHECKED_MESSAGES:
            if self.ended:
                return
            if not await session_user_alive(self.scope):
                self.ended = True
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
        await super().dispatch(message)

    async def _refuse(self, code: int) -> None:
        # Accept first so the browser sees our close code (a refused handshake is a bare 403).
        await self.accept()
        await self.close(code=code)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def _user_ok(self) -> bool:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return False
        if not await database_sync_to_async(user.has_perm)("videos.view_summary"):
            await self._refuse(CLOSE_FORBIDDEN)
            return False
        return True

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            await self.send_error("bad_message", "send a JSON object as text, e.g. {\"action\": \"cancel\"}")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_json", "the message is not JSON")
            return
        except RecursionError:  # e.g. thousands of nested lists: the decoder gives up, so do we
            await self.send_error("bad_json", "the message nests too deeply")
            return
        action = message.get("action") if isinstance(message, dict) else None
        handler = getattr(self, f"action_{action}", None) if isinstance(action, str) and action.isidentifier() else None
        if handler is None:
            await self.send_error("unknown_action", f"unknown action {action!r}")
            return
        await handler(message)

    async def action_ping(self, message: dict) -> None:
        await self.send_json({"type": "pong"})


class SummaryProgressConsumer(_ProgressConsumer):
    """ws/summaries/<id>/: snapshot, then every event of that summary; accepts {"action": "cancel"}."""

    async def connect(self):
        if not await self._user_ok():
            return
        self.summary_id = int(self.scope["url_route"]["kwargs"]["summary_id"])
        # Join before reading the snapshot so no event falls in between; an
        # event older than the snapshot is recognised by its "ts" in the browser.
        self.group = progress.summary_group(self.summary_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        snapshot = await self._snapshot()
        if snapshot is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self._refuse(CLOSE_NOT_FOUND)
            return
        await self.accept()
        self.watching = True
        await self.send_json({"type": "snapshot", **snapshot})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @database_sync_to_async
    def _snapshot(self) -> dict | None:
        summary = Summary.objects.filter(pk=self.summary_id).first()
        return None if summary is None else progress.summary_snapshot(summary)

    async def progress_event(self, message: dict) -> None:
        await self.send_json({"type": "progress", **message["event"]})

    async def action_cancel(self, message: dict) -> None:
        result = await self._cancel()
        if isinstance(result, tuple):
            await self.send_error(*result)
        else:
            await self.send_json({"type": "cancel_accepted", "summary_id": self.summary_id, "status": result})

    @database_sync_to_async
    def _cancel(self):
        try:
            summary = jobs.summary_cancel(summary_id=self.summary_id, user=self.scope["user"])
        except PermissionDenied as exc:
            return ("forbidden", str(exc))
        except summaries.IllegalTransition as exc:
            return ("not_cancellable", str(exc))
        except Summary.DoesNotExist:
            return ("not_found", f"summary {self.summary_id} no longer exists")
        return summary.status


class QueueConsumer(_ProgressConsumer):
    """ws/queue/: the list of queued and running summaries, then its changes."""

    async def connect(self):
        if not await self._user_ok():
            return
        self.group = progress.QUEUE_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        items = await database_sync_to_async(progress.queue_snapshot)()
        await self.accept()
        self.watching = True
        await self.send_json({"type": "snapshot", "items": items})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def queue_event(self, message: dict) -> None:
        await self.send_json({"type": "queue", **message["event"]})


class UnknownRouteConsumer(AsyncWebsocketConsumer):
    """Every websocket path no route matches: accepted only to close with 4404, so a
    mistyped or probing URL ends cleanly instead of raising in the router."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)

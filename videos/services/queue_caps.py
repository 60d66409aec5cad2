"""Caps on the generation queue: how many summaries one user, and everyone together,
may have queued or running at once (SUMMARY_QUEUE_PER_USER, SUMMARY_QUEUE_MAX; 0 is
no cap).

One paste may add 500 videos, each of which queues a summary when its transcript
arrives: without a cap one person fills the GPU queue for days, and the broker holds
every message meanwhile. Staff are not held to the per-user cap (curators regenerate a
template's worth of summaries at once, from the admin); nobody passes the global cap,
which protects the queue itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from ..models import Summary, Video


class QueueFull(Exception):
    """A cap is reached: the summary is not queued. The message says which cap."""


@dataclass(frozen=True)
class QueueRoom:
    left: int | None  # how many more summaries may be queued now; None: no cap applies
    reason: str  # what a user is told about the summaries past it


def _held_to_user_cap(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and not user.is_staff


def queue_room(*, user=None, count_fetching: bool = False) -> QueueRoom:
    """The tighter of the two caps for `user` (None: the site itself, held to the global
    cap only). With `count_fetching`, videos whose transcript is still being fetched count
    as summaries already: each queues one when its transcript arrives, so a second paste
    made meanwhile is told the truth about its own."""
    active = Summary.objects.filter(status__in=Summary.ACTIVE_STATUSES)
    fetching = Video.objects.filter(transcript_state=Video.TranscriptState.FETCHING, summaries__isnull=True)
    rooms = []
    if settings.SUMMARY_QUEUE_MAX > 0:
        used = active.count() + (fetching.count() if count_fetching else 0)
        rooms.append(QueueRoom(
            settings.SUMMARY_QUEUE_MAX - used,
            f"the queue already holds {settings.SUMMARY_QUEUE_MAX} summaries, the most it takes",
        ))
    if settings.SUMMARY_QUEUE_PER_USER > 0 and _held_to_user_cap(user):
        used = active.filter(requested_by=user).count()
        used += fetching.filter(added_by=user).count() if count_fetching else 0
        rooms.append(QueueRoom(
            settings.SUMMARY_QUEUE_PER_USER - used,
            f"you already have {settings.SUMMARY_QUEUE_PER_USER} summaries queued, running or waiting for "
            "their transcript, the most one person may have at once",
        ))
    return min(rooms, key=lambda room: room.left, default=QueueRoom(None, ""))


def queue_admit(*, user=None) -> None:
    """Refuse (QueueFull) a summary past a cap. Called inside the transaction that wrote
    the new summary's row, so the row counts itself and a refusal rolls it back."""
    room = queue_room(user=user)
    if room.left is not None and room.left < 0:
        raise QueueFull(room.reason)

"""Summaries of the seed videos, queued in one go.

A fresh install has the seed's videos and transcript excerpts (`manage.py load_seed`)
but no summary, so the catalogue is empty. Its empty page offers whoever may queue
summaries one button that queues a summary of each seed video that has none, through
the same job service and queue caps as any other summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from ..models import Summary, Transcript, Video
from .jobs import QueueUnavailable, SubmitRefused, summary_submit
from .queue_caps import QueueFull, queue_room


@dataclass
class SeedQueueReport:
    queued: list[Summary] = field(default_factory=list)
    left: int = 0  # seed videos still without a summary when it stopped
    reason: str = ""  # why they were left, for the user


def seed_videos_unsummarized() -> QuerySet[Video]:
    """The seed videos (their transcript is the seed's excerpt) with no summary done,
    queued or running. One that failed or was cancelled may be tried again."""
    taken = Summary.objects.filter(video=OuterRef("pk"), status__in=(*Summary.ACTIVE_STATUSES, Summary.Status.DONE))
    return Video.objects.filter(transcript__source=Transcript.Source.SEED).exclude(Exists(taken)).order_by("id")


def seed_summaries_queue(*, user) -> SeedQueueReport:
    """Queue a summary of each seed video that has none (seed_videos_unsummarized), as
    `user`, in the seed's order. It stops at a queue cap (queue_caps) or when the queue
    cannot be reached, and says how many were left and why; each summary is its own
    transaction, so those queued before the stop stay queued."""
    videos = list(seed_videos_unsummarized())
    report = SeedQueueReport()
    room = queue_room(user=user)
    if room.left is not None and room.left < len(videos):
        report.left, report.reason = len(videos) - max(room.left, 0), room.reason
        videos = videos[: max(room.left, 0)]
    for i, video in enumerate(videos):
        try:
            report.queued.append(summary_submit(video=video, user=user))
        except SubmitRefused:  # its transcript was deleted meanwhile: nothing to summarize
            continue
        except (QueueFull, QueueUnavailable) as exc:  # the next one would fail the same way
            report.left += len(videos) - i
            report.reason = str(exc)
            break
    return report

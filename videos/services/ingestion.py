"""Services that bring videos and transcripts in: pasted URLs, YouTube captions
and uploaded subtitle files. Each is keyword-only and transactional; nothing
already stored is lost when an input turns out to be bad."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from .. import tasks
from ..ingest.fetch import FetchSettings, fetch_transcript
from ..ingest.fetch_errors import FetchError
from ..ingest.subtitles import SubtitleError, parse_subtitle_file
from ..ingest.urls import canonical_url, parse_lines
from ..models import Transcript, Video
from . import jobs
from .queue_caps import QueueFull, queue_room

log = logging.getLogger(__name__)


class TranscriptExists(Exception):
    """The video has a transcript already; replacing it must be asked for."""


@dataclass
class SubmitOutcome:
    """One line of a paste, and what became of it."""

    line: int
    input: str
    status: str  # "added" | "exists" | "duplicate" | "invalid"
    message: str
    video: Video | None = None
    # False for a video added past a queue cap: its transcript is fetched, no summary queued.
    summary_queued: bool = True


@dataclass
class SubmitReport:
    outcomes: list[SubmitOutcome] = field(default_factory=list)
    # Why the videos in not_queued get no summary (queue_caps), when some do not.
    queue_reason: str = ""

    def by_status(self, status: str) -> list[SubmitOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def added(self) -> list[SubmitOutcome]:
        return self.by_status("added")

    @property
    def not_queued(self) -> list[SubmitOutcome]:
        return [o for o in self.added if not o.summary_queued]


def fetch_settings() -> FetchSettings:
    return FetchSettings(
        languages=tuple(settings.YOUTUBE_LANGUAGES),
        timeout=settings.YOUTUBE_TIMEOUT,
        proxy_http=settings.YOUTUBE_PROXY_HTTP or None,
        proxy_https=settings.YOUTUBE_PROXY_HTTPS or None,
    )


def _enqueue_fetch(video_id: int, queue_summary: bool = True) -> None:
    tasks.fetch_transcript_task.delay(video_id, queue_summary=queue_summary)


def transcript_fetch_enqueue(*, video_id: int, queue_summary: bool = True) -> str | None:
    """Mark the video as fetching and send its fetch task (which queues a summary
    once the transcript is stored, when `queue_summary`). When the queue cannot
    be reached the video is marked failed with that reason (never left
    "fetching" with no task behind it) and the reason is returned."""
    Video.objects.filter(pk=video_id).update(
        transcript_state=Video.TranscriptState.FETCHING, transcript_error_code="", transcript_error=""
    )
    try:
        _enqueue_fetch(video_id, queue_summary=queue_summary)
    except Exception as exc:  # kombu and redis raise several kinds
        reason = f"Could not reach the queue: {str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__}"
        Video.objects.filter(pk=video_id).update(
            transcript_state=Video.TranscriptState.FAILED, transcript_error_code="queue_unreachable", transcript_error=reason
        )
        log.warning("video %s: %s", video_id, reason)
        return reason
    return None


@transaction.atomic
def videos_submit(*, text: str, user=None) -> SubmitReport:
    """Add every new video of a paste (one URL or id per line) and queue its
    transcript, then its summary. Duplicates in the paste or in the catalogue
    are reported, never added twice; every line gets one outcome. Videos past a
    queue cap (queue_caps) are added and get their transcript, not a summary,
    and their lines say so."""
    parsed = parse_lines(text)
    # Counted before this paste's videos exist: they would count themselves.
    room = queue_room(user=user, count_fetching=True)
    with_summaries = 0
    outcomes: list[SubmitOutcome] = []
    for err in parsed.errors:
        outcomes.append(SubmitOutcome(err.line, err.input, "invalid", err.message))
    for dup in parsed.duplicates:
        outcomes.append(
            SubmitOutcome(
                dup.line, dup.input, "duplicate",
                f"line {dup.line}: {dup.video_id} repeats line {dup.first_line}; added once",
            )
        )
    # parsed.ok holds each id once (its first line); later lines are in duplicates.
    existing = {v.youtube_id: v for v in Video.objects.filter(youtube_id__in=[p.video_id for p in parsed.ok])}
    for p in parsed.ok:
        if p.video_id in existing:
            video = existing[p.video_id]
            outcomes.append(
                SubmitOutcome(p.line, p.input, "exists", f"line {p.line}: {p.video_id} is already in the catalogue", video)
            )
            continue
        video = Video.objects.create(
            youtube_id=p.video_id, url=canonical_url(p.video_id), added_by=user, transcript_state=Video.TranscriptState.FETCHING
        )
        with_summary = room.left is None or with_summaries < room.left
        with_summaries += with_summary
        message = f"line {p.line}: {p.video_id} added"
        if not with_summary:
            message += f"; its summary is not queued ({room.reason}): queue it from its video page later"
        outcomes.append(SubmitOutcome(p.line, p.input, "added", message, video, summary_queued=with_summary))
        transaction.on_commit(lambda pk=video.pk, q=with_summary: transcript_fetch_enqueue(video_id=pk, queue_summary=q))
    outcomes.sort(key=lambda o: o.line)
    report = SubmitReport(outcomes)
    report.queue_reason = room.reason if report.not_queued else ""
    return report


def _queue_summary(video: Video, user=None) -> None:
    try:
        jobs.summary_submit(video=video, user=user)
    except QueueFull as exc:
        log.warning("video %s: summary not queued: %s", video.youtube_id, exc)
    except Exception:  # a transcript is still worth keeping when queuing fails
        log.exception("could not queue a summary for video %s", video.youtube_id)


def transcript_fetch(*, video_id: int, attempt: int = 1, retry: bool = False, queue_summary: bool = True) -> None:
    """Make one attempt at fetching a video's YouTube captions; store them, or why not.

    `attempt` (1 for the first) is recorded on the video as transcript_attempts.
    When the failure is worth retrying (a blocked request, a network error) and
    `retry` is set, the video stays "fetching" with the reason, and the
    FetchError is raised for the caller to try again: the Celery task, whose
    autoretry options are the retry policy. Any other failure is final: the
    video is marked failed with a message a user understands. An existing
    transcript is never replaced, and never lost."""
    video = Video.objects.get(pk=video_id)
    if Transcript.objects.filter(video=video).exists():
        if video.transcript_state != Video.TranscriptState.READY:
            Video.objects.filter(pk=video.pk).update(transcript_state=Video.TranscriptState.READY)
        return
    try:
        fetched = fetch_transcript(video.youtube_id, fetch_settings())
    except FetchError as exc:
        message = exc.message + (f" {exc.hint}" if exc.hint else "")
        # A transcript uploaded meanwhile keeps the video ready.
        without_transcript = Video.objects.filter(pk=video.pk, transcript__isnull=True)
        if exc.retryable and retry:
            log.warning("video %s: transcript attempt %d failed, retrying: %s", video.youtube_id, attempt, exc.detail or exc.code)
            without_transcript.update(
                transcript_state=Video.TranscriptState.FETCHING,
                transcript_error_code=exc.code,
                transcript_error=f"Attempt {attempt} failed; trying again shortly. {message}",
                transcript_attempts=attempt,
            )
            raise
        log.info("video %s: transcript fetch failed after %d attempt(s): %s", video.youtube_id, attempt, exc.detail or exc.code)
        if exc.retryable and attempt > 1:
            message = f"Gave up after {attempt} attempts. {message}"
        without_transcript.update(
            transcript_state=Video.TranscriptState.FAILED,
            transcript_error_code=exc.code,
            transcript_error=message,
            transcript_attempts=attempt,
        )
        return
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video.pk)
        if not Transcript.objects.filter(video=video).exists():
            Transcript.objects.create(
                video=video,
                source=fetched.source,
                language_code=fetched.language_code,
                language=fetched.language,
                segments=[s.to_dict() for s in fetched.segments],
                full_text=fetched.full_text,
            )
        video.transcript_state = Video.TranscriptState.READY
        video.transcript_error_code = ""
        video.transcript_error = fetched.note
        video.transcript_attempts = attempt
        video.save(update_fields=["transcript_state", "transcript_error_code", "transcript_error", "transcript_attempts"])
        if queue_summary:
            transaction.on_commit(lambda: _queue_summary(video, video.added_by))


@transaction.atomic
def transcript_store_upload(*, video: Video, name: str, data: bytes, replace: bool = False, user=None) -> Transcript:
    """Store an uploaded subtitle file as the video's transcript, timestamps kept.

    Raises SubtitleError (a clear message, nothing stored) for a bad file, and
    TranscriptExists when the video has a transcript and `replace` is off."""
    parsed = parse_subtitle_file(name, data, max_bytes=settings.SUBTITLE_MAX_BYTES)
    video = Video.objects.select_for_update().get(pk=video.pk)
    existing = Transcript.objects.filter(video=video).first()
    if existing is not None and not replace:
        raise TranscriptExists(
            f"{video.youtube_id} already has a transcript ({existing.get_source_display()}); tick 'replace' to use the file instead"
        )
    if existing is not None:
        existing.delete()
    transcript = Transcript.objects.create(
        video=video,
        source=Transcript.Source.UPLOAD,
        language_code="",
        language="",
        segments=[s.to_dict() for s in parsed.segments],
        full_text=parsed.full_text,
        original_filename=name[-255:],
    )
    video.transcript_state = Video.TranscriptState.READY
    video.transcript_error_code = ""
    video.transcript_error = ""
    video.save(update_fields=["transcript_state", "transcript_error_code", "transcript_error"])
    return transcript


__all__ = [
    "SubmitReport",
    "SubtitleError",
    "TranscriptExists",
    "transcript_fetch",
    "transcript_store_upload",
    "videos_submit",
]

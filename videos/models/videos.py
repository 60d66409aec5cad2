"""Videos and their transcripts."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone

from inference.parts import Cue

from ..ingest import urls


YOUTUBE_ID_RE = r"^[A-Za-z0-9_-]{11}$"
youtube_id_validator = RegexValidator(
    YOUTUBE_ID_RE, "A YouTube video id is 11 characters: letters, digits, '-' and '_'."
)


def normalize_topic(name: str) -> str:
    """The form topics are matched by: case- and accent-insensitive, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


class Video(models.Model):
    class TranscriptState(models.TextChoices):
        NEEDED = "needed", "Transcript needed"
        FETCHING = "fetching", "Fetching transcript"
        READY = "ready", "Transcript ready"
        FAILED = "failed", "Transcript failed"

    youtube_id = models.CharField(max_length=11, unique=True, validators=[youtube_id_validator])
    url = models.URLField(max_length=500)
    slug = models.SlugField(
        max_length=64, blank=True, help_text="Short name used by the seed data and the CLI, e.g. 'mixtral8x7b'."
    )
    title = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=200, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="videos_added"
    )
    added_at = models.DateTimeField(default=timezone.now, db_index=True)

    transcript_state = models.CharField(
        max_length=16, choices=TranscriptState.choices, default=TranscriptState.NEEDED, db_index=True
    )
    transcript_error_code = models.CharField(max_length=40, blank=True)
    transcript_error = models.TextField(blank=True)
    transcript_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("youtube_id"), 11), name="video_youtube_id_length_11"),
            models.UniqueConstraint(fields=["slug"], condition=~Q(slug=""), name="video_unique_nonempty_slug"),
        ]

    def __str__(self) -> str:
        return self.title or self.slug or self.youtube_id

    @property
    def display_title(self) -> str:
        return self.title or self.slug or self.youtube_id

    @property
    def thumbnail_url(self) -> str:
        return urls.thumbnail_url(self.youtube_id)

    @property
    def watch_url(self) -> str:
        return urls.watch_url(self.youtube_id)


class Transcript(models.Model):
    class Source(models.TextChoices):
        YOUTUBE_MANUAL = "youtube_manual", "YouTube captions (manual)"
        YOUTUBE_GENERATED = "youtube_generated", "YouTube captions (auto-generated)"
        UPLOAD = "upload", "Uploaded subtitle file"
        SEED = "seed", "Seed excerpt"

    video = models.OneToOneField(Video, on_delete=models.CASCADE, related_name="transcript")
    source = models.CharField(max_length=24, choices=Source.choices)
    language_code = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=64, blank=True)
    # [{"start": seconds, "duration": seconds, "text": str}, ...]; one segment
    # without timing for the seed excerpts, which were plain text.
    segments = models.JSONField(default=list, blank=True)
    full_text = models.TextField()
    is_excerpt = models.BooleanField(
        default=False, help_text="The text is a cut of the full transcript (the seed excerpts stop at 7,000 characters)."
    )
    original_filename = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(full_text=""), name="transcript_not_empty")]

    def __str__(self) -> str:
        return f"Transcript of {self.video}"

    @property
    def word_count(self) -> int:
        return len(self.full_text.split())

    def cues(self) -> list[Cue] | None:
        """The segments as the engine's timed cues (end = start + duration), or None when
        they carry no times (plain text files, the seed excerpts: every start and duration
        0): the engine then reads the full text, and the sections get no times."""
        segments = [s for s in self.segments or [] if isinstance(s, dict)]
        try:
            cues = [Cue(float(s["start"]), float(s["start"]) + float(s["duration"]), str(s.get("text", ""))) for s in segments]
        except (KeyError, TypeError, ValueError):
            return None
        return cues if any(c.end > 0 for c in cues) else None

"""The catalogue's data: videos, their transcripts, prompt templates with their
few-shot examples, and the summaries the model wrote."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone
from simple_history.models import HistoricalRecords

from inference.schema import ScaleBand, TemplateShape

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
        return f"https://i.ytimg.com/vi/{self.youtube_id}/mqdefault.jpg"

    @property
    def watch_url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_id}"


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


class PromptTemplate(models.Model):
    """One version of an instruction plus the shape of the summary it asks for.

    A version that has produced a summary is never edited in place: an edit
    makes the next version (see services.template_save).
    """

    name = models.SlugField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    instruction = models.TextField(help_text="Sent verbatim before each transcript, in every user turn.")
    general_topics = models.JSONField(help_text="The fixed list of fields a summary picks its general topics from.")
    complexity_scale = models.JSONField(help_text='Bands of the 0.00-1.00 scale: [{"min": 0.0, "max": 0.09, "label": "Elementary"}, ...]')
    sections_count = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(20)])
    bullets_per_section = models.PositiveSmallIntegerField(default=4, validators=[MinValueValidator(1), MaxValueValidator(20)])
    topics_per_section = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(20)])
    topics_count = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(20)])
    general_topics_count = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(12)])
    is_default = models.BooleanField(default=False, help_text="The version new summaries use for this template name.")
    notes = models.TextField(blank=True)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_versions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="template_unique_name_version"),
            models.UniqueConstraint(fields=["name"], condition=Q(is_default=True), name="template_one_default_per_name"),
            models.CheckConstraint(condition=Q(version__gte=1), name="template_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"

    def shape(self) -> TemplateShape:
        return TemplateShape(
            sections=self.sections_count,
            bullets=self.bullets_per_section,
            section_topics=self.topics_per_section,
            topics=self.topics_count,
            general_topics=self.general_topics_count,
            fields=tuple(self.general_topics),
            scale=tuple(ScaleBand(min=float(b["min"]), max=float(b["max"]), label=b["label"]) for b in self.complexity_scale),
        )

    @property
    def is_used(self) -> bool:
        return self.pk is not None and self.summaries.exists()

    def clean(self):
        errors = {}
        topics = self.general_topics
        if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t.strip() for t in topics):
            errors["general_topics"] = "A non-empty JSON list of field names."
        elif len(set(topics)) != len(topics):
            errors["general_topics"] = "The fields must be distinct."
        elif self.general_topics_count and self.general_topics_count > len(topics):
            errors["general_topics_count"] = f"Asks for {self.general_topics_count} general topics but the list has {len(topics)}."
        scale = self.complexity_scale
        if not isinstance(scale, list) or not scale:
            errors["complexity_scale"] = "A non-empty JSON list of bands."
        else:
            for i, band in enumerate(scale):
                if not (isinstance(band, dict) and {"min", "max", "label"} <= set(band)):
                    errors["complexity_scale"] = f"Band {i} needs min, max and label."
                    break
                try:
                    lo, hi = Decimal(str(band["min"])), Decimal(str(band["max"]))
                except Exception:
                    errors["complexity_scale"] = f"Band {i}: min and max must be numbers."
                    break
                if not (0 <= lo <= hi <= 1):
                    errors["complexity_scale"] = f"Band {i}: needs 0 <= min <= max <= 1."
                    break
        if errors:
            raise ValidationError(errors)


class FewShotExample(models.Model):
    """A curated transcript/answer pair shown to the model before the target video."""

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="examples")
    name = models.SlugField(max_length=64, help_text="Short label, e.g. the source video's slug.")
    source_video = models.ForeignKey(Video, null=True, blank=True, on_delete=models.SET_NULL, related_name="as_examples")
    transcript = models.TextField(help_text="The transcript excerpt the model sees as the example's input.")
    # Stored as the JSON text the curator wrote, so the prompt carries it
    # exactly as curated (formatting included); validated against the template.
    answer = models.TextField(help_text="The summary JSON the model should imitate.")
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Bumped on every save; a save based on a stale revision is refused.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "name"], name="example_unique_name_per_template"),
            models.CheckConstraint(condition=~Q(transcript=""), name="example_transcript_not_empty"),
        ]
        indexes = [models.Index(fields=["template", "is_active", "position"], name="example_active_order")]

    def __str__(self) -> str:
        return f"{self.name} ({self.template})"

    def answer_data(self) -> dict:
        return json.loads(self.answer)


class Topic(models.Model):
    """A topic tag, shared by every summary that names it."""

    name = models.CharField(max_length=120)
    # Case- and accent-folded: the key topics are matched and deduplicated by.
    normalized = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["normalized"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.normalized = normalize_topic(self.name)
        super().save(*args, **kwargs)


class SummaryQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True, status=Summary.Status.DONE)


class Summary(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    # What the engine measured, copied from its result onto the row.
    METRIC_FIELDS = (
        "prompt_tokens",
        "output_tokens",
        "transcript_tokens_kept",
        "transcript_tokens_dropped",
        "prefill_seconds",
        "decode_seconds",
        "tokens_per_second",
        "peak_memory_bytes",
        "device",
    )
    FINAL_STATUSES = (Status.DONE, Status.FAILED, Status.CANCELLED)

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="summaries")
    template = models.ForeignKey(PromptTemplate, on_delete=models.PROTECT, related_name="summaries")
    model_id = models.CharField(max_length=300)
    examples = models.ManyToManyField(FewShotExample, blank=True, related_name="summaries")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    is_current = models.BooleanField(default=False, help_text="The summary the catalogue shows for its video.")
    task_id = models.CharField(max_length=64, blank=True)
    # Who runs it now: the Celery node and the pid of the process generating,
    # so a redelivered or swept job can tell a dead owner from a live one.
    worker_hostname = models.CharField(max_length=200, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    # The latest progress event, so a browser that (re)connects gets a snapshot.
    progress = models.JSONField(default=dict, blank=True)

    raw_output = models.TextField(blank=True)
    data = models.JSONField(null=True, blank=True, help_text="The validated summary, as the model wrote it.")
    introduction = models.TextField(blank=True)
    sections = models.JSONField(default=list, blank=True)
    topics = models.ManyToManyField(Topic, through="SummaryTopic", blank=True, related_name="summaries")
    search_text = models.TextField(blank=True, help_text="Folded text of title, introduction, sections and topics.")
    # PostgreSQL full-text search (weighted; GIN-indexed by migration 0003 on PostgreSQL only).
    # Harmless and unused on SQLite, which searches search_text.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    transcript_tokens_kept = models.PositiveIntegerField(null=True, blank=True)
    transcript_tokens_dropped = models.PositiveIntegerField(null=True, blank=True)
    prefill_seconds = models.FloatField(null=True, blank=True)
    decode_seconds = models.FloatField(null=True, blank=True)
    tokens_per_second = models.FloatField(null=True, blank=True)
    peak_memory_bytes = models.BigIntegerField(null=True, blank=True)
    device = models.CharField(max_length=32, blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SummaryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "summaries"
        permissions = [
            ("cancel_summary", "Can cancel a queued or running summary"),
            ("regenerate_summary", "Can regenerate a summary with another template or model"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["video"], condition=Q(is_current=True), name="summary_one_current_per_video"),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status="done"), name="summary_current_only_when_done"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed", "cancelled"]), name="summary_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["is_current", "status", "-created_at"], name="summary_catalogue"),
            models.Index(fields=["video", "-created_at"], name="summary_by_video"),
        ]

    def __str__(self) -> str:
        return f"Summary #{self.pk} of {self.video} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class SummaryTopic(models.Model):
    """A topic named by a summary: globally (section is null) or in one section."""

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="topic_links")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="summary_links")
    section = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0-based section index; empty for the global topics.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["summary", "section", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "topic", "section"], condition=Q(section__isnull=False), name="summarytopic_unique_in_section"
            ),
            models.UniqueConstraint(
                fields=["summary", "topic"], condition=Q(section__isnull=True), name="summarytopic_unique_global"
            ),
        ]
        indexes = [models.Index(fields=["topic", "summary"], name="summarytopic_by_topic")]


class SummaryGeneralTopic(models.Model):
    """One of a summary's general topics (a field of the template) with its complexity."""

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="general_topics")
    field = models.CharField(max_length=120)
    complexity = models.DecimalField(
        max_digits=3, decimal_places=2, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["summary", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(complexity__gte=Decimal("0")) & Q(complexity__lte=Decimal("1")),
                name="general_topic_complexity_0_1",
            ),
            models.UniqueConstraint(fields=["summary", "field"], name="general_topic_unique_field"),
        ]
        # The catalogue's field x complexity filter. summary_id last makes it covering: the
        # filter's matches come from the index alone (an index-only scan on PostgreSQL), not
        # from tens of thousands of heap visits.
        indexes = [models.Index(fields=["field", "complexity", "summary"], name="general_topic_field_cx_summary")]

    def __str__(self) -> str:
        return f"{self.field} {self.complexity}"

"""Summaries: the catalogue's row, the job, the result, and the topics derived from it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .templates import FewShotExample, PromptTemplate
from .videos import Video, normalize_topic


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
    """A summary of a video: its lifecycle status, its place in the catalogue and
    its search document. What the worker does to it lives in SummaryJob (written
    on every progress tick) and what the model wrote in SummaryResult, so the
    row the catalogue reads is written only when the summary moves on.

    The status stays here rather than on the job: the catalogue shows done
    summaries only, and the database itself guarantees that a current summary
    is done (a check constraint, which cannot span two tables)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    FINAL_STATUSES = (Status.DONE, Status.FAILED, Status.CANCELLED)

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="summaries")
    template = models.ForeignKey(PromptTemplate, on_delete=models.PROTECT, related_name="summaries")
    model_id = models.CharField(max_length=300)
    examples = models.ManyToManyField(FewShotExample, blank=True, related_name="summaries")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    is_current = models.BooleanField(default=False, help_text="The summary the catalogue shows for its video.")
    topics = models.ManyToManyField(Topic, through="SummaryTopic", blank=True, related_name="summaries")
    # The search document PostgreSQL reads, written with the result (videos.services.summaries):
    # a weighted tsvector with a GIN index (migration 0003). SQLite searches the result's
    # folded text instead (SummaryResult.search_text). Nothing else wide lives on this row, so
    # the vector stays in it rather than in a TOAST table a search would read row by row.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
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
        started = self.job.started_at if hasattr(self, "job") else None
        if started and self.finished_at:
            return (self.finished_at - started).total_seconds()
        return None

    @property
    def _result(self) -> SummaryResult | None:
        return getattr(self, "result", None) if self.pk else None

    @property
    def metrics(self) -> dict:
        return self._result.metrics if self._result is not None else {}

    @property
    def data(self) -> dict | None:
        """The validated summary as the model wrote it (None until done)."""
        return self._result.data if self._result is not None else None

    @property
    def introduction(self) -> str:
        return str((self.data or {}).get("introduction", ""))

    @property
    def sections(self) -> list:
        sections = (self.data or {}).get("sections", [])
        return sections if isinstance(sections, list) else []


class SummaryJob(models.Model):
    """The work on a summary: who runs it, how often it started, whether it was
    asked to stop, why it failed, and its latest progress event (rewritten
    every few tenths of a second while it generates)."""

    summary = models.OneToOneField(Summary, primary_key=True, on_delete=models.CASCADE, related_name="job")
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True)
    # Who runs it now: the Celery node and the pid of the process generating,
    # so a redelivered or swept job can tell a dead owner from a live one.
    worker_hostname = models.CharField(max_length=200, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    # The latest progress event, so a browser that (re)connects gets a snapshot.
    progress = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Job of summary #{self.summary_id}"


class SummaryResult(models.Model):
    """What the model wrote for a summary: the one source of its content. The
    topic links, general topics and search document are derived from `data` by
    the one write path (videos.services.summaries.summary_store_result). A
    failed summary may keep its raw output here (no data) for a curator to read."""

    summary = models.OneToOneField(Summary, primary_key=True, on_delete=models.CASCADE, related_name="result")
    data = models.JSONField(null=True, blank=True, help_text="The validated summary, as the model wrote it.")
    raw_output = models.TextField(blank=True)
    # What the engine measured: token counts, seconds, peak memory, device.
    metrics = models.JSONField(default=dict, blank=True)
    # The stretch of the video each section summarizes, in order: [[start, end], ...] in
    # seconds. Null for a transcript without times (no section can link to its moment).
    section_times = models.JSONField(null=True, blank=True, help_text="[start, end] seconds of each section's stretch of the video.")
    # Quality figures (inference.quality), each in [0, 1]; null when not measured
    # (summaries stored before they existed) and, for coverage, without section times.
    grounded = models.FloatField(null=True, blank=True, help_text="Share of the summary's content words that occur in the transcript.")
    copied = models.FloatField(null=True, blank=True, help_text="Share of its word 4-grams taken from a few-shot answer, not the transcript.")
    repeated = models.FloatField(null=True, blank=True, help_text="Share of its word 3-grams that repeat an earlier one.")
    coverage = models.FloatField(null=True, blank=True, help_text="Share of the video's duration that lies in some section's stretch.")
    # Derived from `data` with the catalogue row's search vector: the search document SQLite
    # reads (every word must occur in it), and what the admin's search box looks in.
    search_text = models.TextField(blank=True, help_text="Folded text of title, introduction, sections and topics.")

    def __str__(self) -> str:
        return f"Result of summary #{self.summary_id}"

    @property
    def introduction(self) -> str:
        return str((self.data or {}).get("introduction", ""))


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

"""Prompt templates and their few-shot examples."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from inference.config import QUALITY_SWITCHES, GenerationConfig
from inference.schema import ScaleBand, TemplateShape

from .videos import Video


def validate_relaxed(value) -> None:
    if not isinstance(value, list) or any(name not in QUALITY_SWITCHES for name in value):
        raise ValidationError(f"Give a list of quality switches, among: {', '.join(QUALITY_SWITCHES)}.")


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
    relaxed = models.JSONField(
        default=list, blank=True, validators=[validate_relaxed],
        help_text="Quality switches turned off for this template, for a model strong enough to write its own "
                  "sentences (inference.config.QUALITY_SWITCHES). Empty: every switch on, as the small CPU model needs.",
    )
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

    def generation_config(self, **knobs) -> GenerationConfig:
        """The generation knobs for this template: `knobs`, with its relaxed switches off."""
        return replace(GenerationConfig(**knobs), **{name: QUALITY_SWITCHES[name] for name in self.relaxed or ()})

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

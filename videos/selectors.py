"""Reads for one summary's page and exports. The catalogue's reads are in
videos.catalogue.pages."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from inference.schema import TemplateShape

from .models import PromptTemplate, Summary, SummaryGeneralTopic


def summary_detail(*, pk: int) -> Summary:
    """A done summary with what its page shows; raises Summary.DoesNotExist."""
    return (
        Summary.objects.filter(status=Summary.Status.DONE)
        .select_related("video", "video__transcript", "template", "result")
        .prefetch_related(
            Prefetch("general_topics", queryset=SummaryGeneralTopic.objects.order_by("position")),
            "examples",
        )
        .get(pk=pk)
    )


def summary_others(*, summary: Summary) -> QuerySet[Summary]:
    """The video's other done summaries, newest first."""
    return (
        Summary.objects.filter(video_id=summary.video_id, status=Summary.Status.DONE)
        .exclude(pk=summary.pk)
        .select_related("template")
        .order_by("-created_at", "-id")
    )


def summary_general(summary: Summary) -> list[tuple[str, Decimal]]:
    """The summary's general topics as (field, complexity), in order."""
    return [(gt.field, gt.complexity) for gt in summary.general_topics.all()]


def summary_shape(summary: Summary) -> TemplateShape | None:
    """The shape of the summary's template; None for a template edited into an odd scale."""
    try:
        return summary.template.shape()
    except (TypeError, ValueError, KeyError):
        return None


def template_named(value) -> PromptTemplate | None:
    """The template a form field names by its id; None when the field is empty, not a
    number (a hand-made request) or names no template, so the caller answers with a form
    error rather than a server error."""
    try:
        return PromptTemplate.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError, OverflowError):
        return None

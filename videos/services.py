"""Writes. Each service is keyword-only, typed and transactional, and refuses
an illegal move with a clear error."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from inference.schema import SummaryValidationError, validate_summary

from .models import FewShotExample, PromptTemplate, Summary, SummaryGeneralTopic, SummaryTopic, Topic, Video, normalize_topic


class IllegalTransition(Exception):
    """A summary was asked to move to a status it cannot reach from where it is."""


# --- few-shot answers --------------------------------------------------------


def example_validate_answer(*, template: PromptTemplate, answer: str) -> dict:
    """Check a curated answer against its template's shape; return the parsed JSON.

    Raises ValidationError whose messages name what is wrong, e.g.
    "sections[2].content has 3 bullets; the template asks for 4" (0-based paths).
    """
    try:
        return validate_summary(template.shape(), answer).model_dump(by_alias=True)
    except SummaryValidationError as exc:
        raise ValidationError([str(e) for e in exc.errors]) from None


# --- templates ---------------------------------------------------------------


TEMPLATE_CONTENT_FIELDS = (
    "instruction",
    "general_topics",
    "complexity_scale",
    "sections_count",
    "bullets_per_section",
    "topics_per_section",
    "topics_count",
    "general_topics_count",
)


@transaction.atomic
def template_save(*, template: PromptTemplate, user=None) -> PromptTemplate:
    """Save an edited template. A version already used by a summary is never
    changed in place: the edit becomes the next version (with copies of the
    examples), and the old row stays as it was."""
    if template.pk is None:
        template.created_by = template.created_by or user
        template.full_clean()
        template.save()
        return template
    stored = PromptTemplate.objects.select_for_update().get(pk=template.pk)
    changed = [f for f in TEMPLATE_CONTENT_FIELDS if getattr(stored, f) != getattr(template, f)]
    if not changed or not stored.is_used:
        template.full_clean()
        template.save()
        return template
    old_pk = stored.pk
    latest = PromptTemplate.objects.filter(name=stored.name).aggregate(v=Max("version"))["v"] or 0
    new = template
    new.pk = None
    new.id = None
    new._state.adding = True
    new.version = latest + 1
    new.previous_id = old_pk
    new.created_by = user
    new.created_at = timezone.now()
    # The default moves to the new version only when the old one was it.
    if new.is_default:
        PromptTemplate.objects.filter(pk=old_pk).update(is_default=False)
    new.full_clean()
    new.save()
    for ex in FewShotExample.objects.filter(template_id=old_pk).order_by("position", "id"):
        ex.pk = None
        ex.id = None
        ex._state.adding = True
        ex.template = new
        ex.revision = 1
        ex.save()
    return new


@transaction.atomic
def template_make_default(*, template: PromptTemplate) -> PromptTemplate:
    PromptTemplate.objects.filter(name=template.name, is_default=True).exclude(pk=template.pk).update(is_default=False)
    template.is_default = True
    template.save(update_fields=["is_default"])
    return template


def template_default(name: str | None = None) -> PromptTemplate:
    qs = PromptTemplate.objects.filter(is_default=True)
    if name:
        qs = qs.filter(name=name)
    template = qs.order_by("name").first()
    if template is None:
        raise PromptTemplate.DoesNotExist(
            f"no default prompt template{f' named {name!r}' if name else ''}; run `python manage.py load_seed`"
        )
    return template


# --- summaries ---------------------------------------------------------------

_ALLOWED = {
    Summary.Status.QUEUED: {Summary.Status.RUNNING, Summary.Status.CANCELLED, Summary.Status.FAILED},
    # running -> queued: a worker died mid-job and the job goes back for another attempt.
    Summary.Status.RUNNING: {Summary.Status.DONE, Summary.Status.FAILED, Summary.Status.CANCELLED, Summary.Status.QUEUED},
    Summary.Status.DONE: set(),
    Summary.Status.FAILED: set(),
    Summary.Status.CANCELLED: set(),
}


@transaction.atomic
def summary_transition(*, summary_id: int, to: str, **fields: Any) -> Summary:
    """Move a summary to `to`, locking its row; refuses illegal moves."""
    summary = Summary.objects.select_for_update().get(pk=summary_id)
    if to not in _ALLOWED[summary.status]:
        raise IllegalTransition(f"summary {summary_id} cannot go from {summary.status} to {to}")
    summary.status = to
    now = timezone.now()
    if to == Summary.Status.RUNNING:
        summary.started_at = now
        summary.attempts += 1
    if to in Summary.FINAL_STATUSES:
        summary.finished_at = now
    for name, value in fields.items():
        setattr(summary, name, value)
    summary.save()
    return summary


def _summary_search_text(video: Video, data: dict) -> str:
    parts = [video.title, data.get("introduction", "")]
    for section in data.get("sections", []):
        parts.append(section.get("title", ""))
        parts.extend(section.get("content", []))
        parts.extend(section.get("topics", []))
    parts.extend(data.get("topics", []))
    return normalize_topic(" ".join(p for p in parts if p))


def _topic_for(name: str, cache: dict[str, Topic]) -> Topic:
    key = normalize_topic(name)
    if key not in cache:
        cache[key], _ = Topic.objects.get_or_create(normalized=key, defaults={"name": name.strip()})
    return cache[key]


@transaction.atomic
def summary_store_result(
    *, summary_id: int, data: dict, raw_output: str, metrics: dict[str, Any] | None = None
) -> Summary:
    """Store a validated summary and mark it done. The first done summary of a
    video becomes its current one; later ones wait for a curator's choice."""
    metrics = dict(metrics or {})
    summary = Summary.objects.select_for_update().select_related("video").get(pk=summary_id)
    if summary.status != Summary.Status.RUNNING:
        raise IllegalTransition(f"summary {summary_id} is {summary.status}, not running; its result is not stored")
    video = summary.video
    summary.data = data
    summary.raw_output = raw_output
    summary.introduction = data.get("introduction", "")
    summary.sections = data.get("sections", [])
    summary.search_text = _summary_search_text(video, data)
    for name in (
        "prompt_tokens",
        "output_tokens",
        "transcript_tokens_kept",
        "transcript_tokens_dropped",
        "prefill_seconds",
        "decode_seconds",
        "tokens_per_second",
        "peak_memory_bytes",
        "device",
    ):
        if name in metrics and metrics[name] is not None:
            setattr(summary, name, metrics[name])
    summary.metrics = json.loads(json.dumps(metrics, default=str))
    summary.status = Summary.Status.DONE
    summary.finished_at = timezone.now()
    summary.error_code = ""
    summary.error_message = ""
    has_current = Summary.objects.filter(video=video, is_current=True).exclude(pk=summary.pk).exists()
    summary.is_current = not has_current
    summary.save()

    summary.general_topics.all().delete()
    summary.topic_links.all().delete()
    SummaryGeneralTopic.objects.bulk_create(
        SummaryGeneralTopic(
            summary=summary, field=gt["topic"], complexity=Decimal(str(gt["complexity"])).quantize(Decimal("0.01")), position=i
        )
        for i, gt in enumerate(data.get("General Topics", []))
    )
    cache: dict[str, Topic] = {}
    links: dict[tuple, SummaryTopic] = {}
    for i, name in enumerate(data.get("topics", [])):
        topic = _topic_for(name, cache)
        links.setdefault((topic.pk, None), SummaryTopic(summary=summary, topic=topic, section=None, position=i))
    for s, section in enumerate(data.get("sections", [])):
        for i, name in enumerate(section.get("topics", [])):
            topic = _topic_for(name, cache)
            links.setdefault((topic.pk, s), SummaryTopic(summary=summary, topic=topic, section=s, position=i))
    SummaryTopic.objects.bulk_create(links.values())
    return summary


@transaction.atomic
def summary_make_current(*, summary: Summary) -> Summary:
    """Make a done summary the one the catalogue shows for its video."""
    if summary.status != Summary.Status.DONE:
        raise IllegalTransition(f"summary {summary.pk} is {summary.status}; only a done summary can be current")
    Summary.objects.filter(video_id=summary.video_id, is_current=True).exclude(pk=summary.pk).update(is_current=False)
    Summary.objects.filter(pk=summary.pk).update(is_current=True)
    summary.is_current = True
    return summary

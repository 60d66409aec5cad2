"""Prompt templates and their few-shot answers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from inference.schema import SummaryValidationError, validate_summary

from ..models import FewShotExample, PromptTemplate


def example_validate_answer(*, template: PromptTemplate, answer: str) -> dict:
    """Check a curated answer against its template's shape; return the parsed JSON.

    Raises ValidationError whose messages name what is wrong, e.g.
    "sections[2].content has 3 bullets; the template asks for 4" (0-based paths).
    """
    try:
        return validate_summary(template.shape(), answer).model_dump(by_alias=True)
    except SummaryValidationError as exc:
        raise ValidationError([str(e) for e in exc.errors]) from None


TEMPLATE_CONTENT_FIELDS = (
    "instruction",
    "general_topics",
    "complexity_scale",
    "sections_count",
    "bullets_per_section",
    "topics_per_section",
    "topics_count",
    "general_topics_count",
    "relaxed",
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

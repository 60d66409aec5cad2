"""Templates and few-shot examples as the API writes them, with the admin's checks: the
model's own validation (full_clean, via templates.template_save), the generator's
validator for an answer (templates.example_validate_answer), the token budget with the
model's tokenizer (curation.template_budget), and the example's revision (a save based on
a stale one is refused)."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers

from inference.config import QUALITY_SWITCHES
from inference.locate import ModelNotFoundError
from videos.models import FewShotExample, PromptTemplate, Video
from videos.services import curation, templates

from .errors import Conflict
from .serializers import StrictMixin


def as_drf(exc: DjangoValidationError) -> serializers.ValidationError:
    """A model's ValidationError with the same messages, field by field."""
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError({name: list(messages) for name, messages in exc.message_dict.items()})
    return serializers.ValidationError(exc.messages)


def check_budget(template: PromptTemplate, examples=None) -> None:
    """Refuse a prompt whose instruction and examples leave no room for a transcript. Where
    the model's tokenizer cannot be read here, the figures are unavailable (as in the
    admin) and the save goes ahead: the worker refuses such a prompt clearly itself."""
    try:
        budget = curation.template_budget(template, examples=examples)
    except ModelNotFoundError:
        return
    if budget.transcript_room < 1:
        raise serializers.ValidationError(
            f"{template}: the instruction and active examples take {budget.fixed_tokens} tokens and "
            f"{budget.output_budget} are kept for the answer, in a {budget.context_tokens}-token context: "
            f"over by {1 - budget.transcript_room} tokens, with no room for a transcript"
        )


class ScaleBandSerializer(serializers.Serializer):
    min = serializers.FloatField(min_value=0, max_value=1)
    max = serializers.FloatField(min_value=0, max_value=1)
    label = serializers.CharField(max_length=120)


class TemplateSerializer(StrictMixin, serializers.ModelSerializer):
    general_topics = serializers.ListField(child=serializers.CharField(max_length=120), min_length=1, max_length=100)
    complexity_scale = ScaleBandSerializer(many=True)
    relaxed = serializers.ListField(child=serializers.ChoiceField(choices=list(QUALITY_SWITCHES)), required=False)
    examples = serializers.SerializerMethodField(help_text="The ids of its active examples, in prompt order.")

    class Meta:
        model = PromptTemplate
        fields = ("id", "name", "version", "is_default", *templates.TEMPLATE_CONTENT_FIELDS, "notes", "previous",
                  "created_at", "examples")
        read_only_fields = ("id", "version", "previous", "created_at")
        # (name, version) is checked by the model when saved; the version is not the client's.
        validators: list = []

    def get_examples(self, template) -> list[int]:
        return list(template.examples.filter(is_active=True).order_by("position", "id").values_list("pk", flat=True))

    @transaction.atomic
    def save_template(self, *, user) -> PromptTemplate:
        """Create, or edit through template_save (an edit of a version that made summaries
        becomes the next version); the default moves only to a template that fits."""
        data = dict(self.validated_data)
        make_default = data.pop("is_default", None)
        template = self.instance or PromptTemplate(version=1)
        for name, value in data.items():
            setattr(template, name, value)
        if template.pk is None:
            template.is_default = False
        try:
            saved = templates.template_save(template=template, user=user)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        if make_default:
            try:
                curation.template_check_fits(saved)
            except curation.TemplateDoesNotFit as exc:
                raise serializers.ValidationError({"is_default": [f"Not made the default: {exc}"]}) from None
            except ModelNotFoundError:
                pass
            templates.template_make_default(template=saved)
        elif make_default is False and saved.is_default:
            PromptTemplate.objects.filter(pk=saved.pk).update(is_default=False)
        saved.refresh_from_db()
        return saved


class ExampleSerializer(StrictMixin, serializers.ModelSerializer):
    source_video = serializers.SlugRelatedField(slug_field="youtube_id", queryset=Video.objects.all(), allow_null=True,
                                                required=False, help_text="The YouTube id of the video it comes from.")
    # The column's own bounds (a small integer), stated here: the database backend's
    # would make the schema differ between SQLite and PostgreSQL.
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    base_revision = serializers.IntegerField(write_only=True, required=False, min_value=1,
                                             help_text="The revision your edit starts from; a stale one is refused (409).")

    class Meta:
        model = FewShotExample
        fields = ("id", "template", "name", "source_video", "position", "is_active", "transcript", "answer", "revision",
                  "base_revision", "created_at", "updated_at")
        read_only_fields = ("id", "revision", "created_at", "updated_at")

    def validate_answer(self, answer: str) -> str:
        try:
            json.loads(answer)
        except json.JSONDecodeError as exc:
            raise serializers.ValidationError(f"The answer is not valid JSON: {exc}") from None
        return answer

    def validate(self, data):
        template = data.get("template") or getattr(self.instance, "template", None)
        answer = data.get("answer", getattr(self.instance, "answer", None))
        if template is not None and answer is not None:
            try:
                templates.example_validate_answer(template=template, answer=answer)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"answer": exc.messages}) from None
        return data

    @transaction.atomic
    def save_example(self) -> FewShotExample:
        data = dict(self.validated_data)
        base = data.pop("base_revision", None)
        example = self.instance or FewShotExample()
        if example.pk is not None:
            current = FewShotExample.objects.select_for_update().filter(pk=example.pk).values_list("revision", flat=True).get()
            if base is not None and base != current:
                raise Conflict(
                    f"Someone else saved this example while you were editing it (revision {current}, you started "
                    f"from {base}). Reload it to see their change, then apply yours again.", code="stale_revision",
                )
            example.revision = current + 1
        for name, value in data.items():
            setattr(example, name, value)
        if example.is_active:
            active = [e for e in example.template.examples.filter(is_active=True).order_by("position", "id") if e.pk != example.pk]
            check_budget(example.template, sorted([*active, example], key=lambda e: (e.position, e.pk or 0)))
        try:
            example.full_clean()
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        example.save()
        return example

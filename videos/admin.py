"""The Django admin: where curators keep templates and few-shot examples."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    FewShotExample,
    PromptTemplate,
    Summary,
    SummaryGeneralTopic,
    SummaryTopic,
    Topic,
    Transcript,
    Video,
)


class TranscriptInline(admin.StackedInline):
    model = Transcript
    extra = 0
    fields = ("source", "language_code", "language", "is_excerpt", "full_text")


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("youtube_id", "display_title", "slug", "channel", "transcript_state", "added_by", "added_at")
    list_filter = ("transcript_state", "added_at", "transcript__source")
    search_fields = ("youtube_id", "slug", "title", "channel")
    readonly_fields = ("added_at",)
    inlines = [TranscriptInline]


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin):
    list_display = ("video", "source", "language_code", "is_excerpt", "word_count", "updated_at")
    list_filter = ("source", "language_code", "is_excerpt")
    search_fields = ("video__youtube_id", "video__title", "video__slug")
    raw_id_fields = ("video",)


class PromptTemplateForm(forms.ModelForm):
    class Meta:
        model = PromptTemplate
        fields = (
            "name",
            "version",
            "is_default",
            "instruction",
            "general_topics",
            "complexity_scale",
            "sections_count",
            "bullets_per_section",
            "topics_per_section",
            "topics_count",
            "general_topics_count",
            "notes",
        )


@admin.register(PromptTemplate)
class PromptTemplateAdmin(SimpleHistoryAdmin):
    form = PromptTemplateForm
    list_display = ("name", "version", "is_default", "sections_count", "bullets_per_section", "example_count", "created_at")
    list_filter = ("name", "is_default")
    search_fields = ("name", "instruction", "notes")
    readonly_fields = ("previous", "created_by", "created_at")
    actions = ["make_default"]

    @admin.display(description="examples")
    def example_count(self, obj):
        return obj.examples.filter(is_active=True).count()

    def save_model(self, request, obj, form, change):
        original_pk = obj.pk
        saved = services.template_save(template=obj, user=request.user)
        if change and saved.pk != original_pk:
            messages.info(request, f"Version {saved.version} was created: the edited version has produced summaries.")

    @admin.action(description="Make the selected version the default for its name")
    def make_default(self, request, queryset):
        for template in queryset:
            services.template_make_default(template=template)
        self.message_user(request, f"{queryset.count()} default(s) set.")


class FewShotExampleForm(forms.ModelForm):
    # The revision the curator started from; a save from a stale one is refused.
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = FewShotExample
        fields = ("template", "name", "source_video", "position", "is_active", "transcript", "answer")
        widgets = {"answer": forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "vLargeTextField json-answer"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["base_revision"].initial = self.instance.revision

    def clean_answer(self):
        answer = self.cleaned_data["answer"]
        try:
            json.loads(answer)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"The answer is not valid JSON: {exc}") from None
        return answer

    def clean(self):
        cleaned = super().clean()
        template = cleaned.get("template")
        answer = cleaned.get("answer")
        if template is not None and answer is not None and "answer" not in self.errors:
            try:
                services.example_validate_answer(template=template, answer=answer)
            except ValidationError as exc:
                self.add_error("answer", exc)
        if self.instance.pk:
            base = cleaned.get("base_revision")
            current = FewShotExample.objects.filter(pk=self.instance.pk).values_list("revision", flat=True).first()
            if base is not None and current is not None and base != current:
                raise ValidationError(
                    "Someone else saved this example while you were editing it (revision %(cur)s, you started "
                    "from %(base)s). Reload the page to see their change, then apply yours again.",
                    params={"cur": current, "base": base},
                    code="stale",
                )
        return cleaned


@admin.register(FewShotExample)
class FewShotExampleAdmin(SimpleHistoryAdmin):
    form = FewShotExampleForm
    list_display = ("name", "template", "position", "is_active", "source_video", "updated_at")
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "template")
    search_fields = ("name", "transcript", "answer", "source_video__youtube_id")
    raw_id_fields = ("source_video",)
    readonly_fields = ("revision", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if change:
                obj.revision = (
                    FewShotExample.objects.select_for_update().filter(pk=obj.pk).values_list("revision", flat=True).get() + 1
                )
            obj.save()


class SummaryGeneralTopicInline(admin.TabularInline):
    model = SummaryGeneralTopic
    extra = 0
    readonly_fields = ("field", "complexity", "position")
    can_delete = False


class SummaryTopicInline(admin.TabularInline):
    model = SummaryTopic
    extra = 0
    readonly_fields = ("topic", "section", "position")
    can_delete = False


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = ("id", "video", "template", "status", "is_current", "model_short", "output_tokens", "attempts", "created_at")
    list_filter = ("status", "is_current", "template", "model_id", "created_at")
    search_fields = ("video__youtube_id", "video__title", "video__slug", "introduction", "error_message")
    raw_id_fields = ("video",)
    readonly_fields = (
        "status",
        "attempts",
        "error_code",
        "error_message",
        "started_at",
        "finished_at",
        "created_at",
        "prompt_tokens",
        "output_tokens",
        "transcript_tokens_kept",
        "transcript_tokens_dropped",
        "prefill_seconds",
        "decode_seconds",
        "tokens_per_second",
        "peak_memory_bytes",
        "device",
        "metrics",
        "raw_output",
        "progress",
        "task_id",
    )
    filter_horizontal = ("examples",)
    inlines = [SummaryGeneralTopicInline, SummaryTopicInline]

    @admin.display(description="model")
    def model_short(self, obj):
        return format_html("<span title='{}'>{}</span>", obj.model_id, obj.model_id.rsplit("/", 1)[-1][:40])


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "normalized")
    search_fields = ("name", "normalized")


@admin.register(SummaryGeneralTopic)
class SummaryGeneralTopicAdmin(admin.ModelAdmin):
    list_display = ("summary", "field", "complexity")
    list_filter = ("field",)
    search_fields = ("summary__video__title", "field")
    raw_id_fields = ("summary",)

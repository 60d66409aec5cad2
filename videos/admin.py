"""The Django admin: where curators keep templates and few-shot examples. The
summaries' admin is in videos.summary_admin, registered with this one."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from inference.config import QUALITY_SWITCHES

from . import summary_admin  # noqa: F401  (registers the summaries' admin)
from .services import curation, templates
from .models import FewShotExample, PromptTemplate, Transcript, Video
from .selectors import template_named


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
    relaxed = forms.MultipleChoiceField(
        choices=[(name, name.replace("_", " ")) for name in QUALITY_SWITCHES], required=False,
        widget=forms.CheckboxSelectMultiple, label="Quality switches off",
        help_text="Tick only for a model strong enough to write its own sentences (see the README).",
    )

    class Meta:
        model = PromptTemplate
        fields = ("name", "version", "is_default", *templates.TEMPLATE_CONTENT_FIELDS, "notes")


@admin.register(PromptTemplate)
class PromptTemplateAdmin(SimpleHistoryAdmin):
    form = PromptTemplateForm
    list_display = ("name", "version", "is_default", "sections_count", "bullets_per_section", "example_count", "created_at")
    list_filter = ("name", "is_default")
    search_fields = ("name", "instruction", "notes")
    readonly_fields = ("previous", "created_by", "created_at", "diff_with_previous", "token_budget")
    actions = ["make_default"]

    class Media:
        css = {"all": ("css/curation_admin.css",)}

    @admin.display(description="examples")
    def example_count(self, obj):
        return obj.examples.filter(is_active=True).count()

    @admin.display(description="Changes from the previous version")
    def diff_with_previous(self, obj):
        pieces = curation.template_word_diff(obj) if obj.pk else []
        if not pieces:
            return "This is the first version."
        return render_to_string("admin/videos/template_diff.html", {"pieces": _folded(pieces)})

    @admin.display(description="Prompt budget")
    def token_budget(self, obj):
        if not obj.pk:
            return "-"
        return _budget_html(obj)

    def save_model(self, request, obj, form, change):
        original_pk = obj.pk
        saved = templates.template_save(template=obj, user=request.user)
        if change and saved.pk != original_pk:
            messages.info(request, f"Version {saved.version} was created: the edited version has produced summaries.")

    @admin.action(description="Make the selected version the default for its name", permissions=["change"])
    def make_default(self, request, queryset):
        names = [t.name for t in queryset]
        if len(names) != len(set(names)):
            self.message_user(request, "Choose one version per template name.", messages.ERROR)
            return
        for template in queryset:
            try:
                curation.template_check_fits(template)
            except curation.TemplateDoesNotFit as exc:
                self.message_user(request, f"Not made the default: {exc}", messages.ERROR)
                continue
            templates.template_make_default(template=template)
            self.message_user(request, f"{template} is now the default for new summaries.", messages.SUCCESS)


DIFF_CONTEXT_LINES = 2


def _folded(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A word diff with its long unchanged stretches folded to a "skip" line, keeping
    DIFF_CONTEXT_LINES lines next to each change (as a unified diff does), so the
    changes are on screen rather than somewhere down a long instruction."""
    merged: list[tuple[str, str]] = []
    for kind, text in pieces:
        if merged and kind == "same" == merged[-1][0]:
            merged[-1] = ("same", merged[-1][1] + text)
        else:
            merged.append((kind, text))
    out = []
    for i, (kind, text) in enumerate(merged):
        lines = text.split("\n")
        # The first and last pieces of a run share their line with a change; keep them whole.
        keep_start = 1 + DIFF_CONTEXT_LINES if i > 0 else 0
        keep_end = 1 + DIFF_CONTEXT_LINES if i < len(merged) - 1 else 0
        hidden = len(lines) - keep_start - keep_end
        if kind != "same" or hidden < 2:
            out.append((kind, text))
            continue
        if keep_start:
            out.append(("same", "\n".join(lines[:keep_start]) + "\n"))
        out.append(("skip", f"{hidden} unchanged lines"))
        if keep_end:
            out.append(("same", "\n" + "\n".join(lines[len(lines) - keep_end:])))
    return out


def _budget_html(template, examples=None):
    try:
        budget = curation.template_budget(template, examples=examples)
    except Exception as exc:  # a model that cannot be read here must not break the admin page
        return f"Token figures unavailable: {exc}"
    room = budget.transcript_room
    warn = room < 1500
    return format_html(
        '<div class="token-budget{}">Context {} tokens · instruction {} · examples {} · fixed prompt {} · '
        "kept for the answer {} · <strong>left for the transcript: {}</strong>{}</div>",
        " warn" if warn else "",
        budget.context_tokens,
        budget.instruction_tokens,
        " + ".join(str(n) for n in budget.example_tokens) or "none",
        budget.fixed_tokens,
        budget.output_budget,
        room,
        " — too little: transcripts will be cut hard; use fewer or shorter examples" if warn else "",
    )


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
                templates.example_validate_answer(template=template, answer=answer)
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
    list_display = ("name", "template", "position", "is_active", "token_count", "source_video", "updated_at")
    # Activation goes through the actions, which validate the answer first.
    list_editable = ("position",)
    list_filter = ("is_active", "template")
    search_fields = ("name", "transcript", "answer", "source_video__youtube_id")
    raw_id_fields = ("source_video",)
    readonly_fields = ("revision", "created_at", "updated_at", "token_figures", "preview_link")
    actions = ["activate", "deactivate"]

    class Media:
        js = ("videos/admin_answer.js",)
        css = {"all": ("videos/admin.css",)}

    def get_urls(self):
        return [
            path("validate/", self.admin_site.admin_view(self.validate_view), name="videos_fewshotexample_validate"),
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="videos_fewshotexample_preview"),
            *super().get_urls(),
        ]

    @admin.display(description="tokens")
    def token_count(self, obj):
        try:
            from django.conf import settings

            from inference.tokens import count_tokens

            model = settings.SUMMARIZER_MODEL or None
            return count_tokens(obj.template.instruction + obj.transcript, model) + count_tokens(obj.answer, model)
        except Exception:
            return "?"

    @admin.display(description="Token figures")
    def token_figures(self, obj):
        if not obj.pk:
            return "-"
        active = list(obj.template.examples.filter(is_active=True).order_by("position", "id"))
        with_this = active if obj in active else sorted(active + [obj], key=lambda e: (e.position, e.pk))
        return format_html(
            "<p>With the template's active examples{}:</p>{}",
            "" if obj in active else " plus this one",
            _budget_html(obj.template, with_this),
        )

    @admin.display(description="Prompt preview")
    def preview_link(self, obj):
        if not obj.pk:
            return "-"
        return format_html('<a href="{}">Preview the exact prompt a video gets</a>', reverse("admin:videos_fewshotexample_preview", args=[obj.pk]))

    def validate_view(self, request):
        """Live validation for the answer editor: the same validator the generator uses.
        It serves the add and change forms, so it asks for the permission of one of them
        (admin_view checks only that the user is staff)."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        template = template_named(request.POST.get("template"))
        if template is None:
            return JsonResponse({"ok": False, "errors": ["Choose a template first."]})
        try:
            templates.example_validate_answer(template=template, answer=request.POST.get("answer", ""))
        except ValidationError as exc:
            return JsonResponse({"ok": False, "errors": exc.messages})
        return JsonResponse({"ok": True, "errors": []})

    def preview_view(self, request, pk):
        example = get_object_or_404(FewShotExample.objects.select_related("template"), pk=pk)
        # The example's own view (or change) permission; admin_view checks only is_staff.
        if not self.has_view_permission(request, example):
            raise PermissionDenied
        template = example.template
        video = Video.objects.filter(youtube_id=request.GET.get("video", "")).select_related("transcript").first()
        videos = Video.objects.filter(transcript__isnull=False).order_by("slug", "youtube_id")
        context = {**self.admin_site.each_context(request), "title": f"Prompt preview: {template}", "example": example,
                   "template": template, "videos": videos, "video": video, "opts": self.model._meta}
        if video is not None:
            try:
                prompt, blocks = curation.prompt_preview(template, video.transcript.full_text)
                context.update(prompt=prompt, blocks=blocks)
            except Exception as exc:
                context.update(prompt_error=str(exc))
        return render(request, "admin/videos/prompt_preview.html", context)

    @admin.action(description="Activate the selected examples (answers and the token budget are checked first)",
                  permissions=["change"])
    def activate(self, request, queryset):
        done = 0
        for example in queryset.select_related("template"):
            try:
                templates.example_validate_answer(template=example.template, answer=example.answer)
            except ValidationError as exc:
                self.message_user(request, f"{example.name} not activated: {'; '.join(exc.messages)}", messages.ERROR)
                continue
            try:
                curation.example_check_fits(example)
            except curation.TemplateDoesNotFit as exc:
                self.message_user(request, f"{example.name} not activated: {exc}.", messages.ERROR)
                continue
            FewShotExample.objects.filter(pk=example.pk).update(is_active=True)
            done += 1
        if done:
            self.message_user(request, f"{done} example(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate the selected examples", permissions=["change"])
    def deactivate(self, request, queryset):
        n = queryset.update(is_active=False)
        self.message_user(request, f"{n} example(s) deactivated.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if change:
                obj.revision = (
                    FewShotExample.objects.select_for_update().filter(pk=obj.pk).values_list("revision", flat=True).get() + 1
                )
            obj.save()

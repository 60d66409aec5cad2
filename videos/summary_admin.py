"""The Django admin of summaries and topics: a summary's content is shown, never
edited; a curator makes one current, promotes it to an example or regenerates it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html

from .models import PromptTemplate, Summary, SummaryGeneralTopic, SummaryJob, SummaryResult, SummaryTopic, Topic, Video
from .quality import result_quality
from .selectors import template_named
from .services import curation, jobs, summaries


class ReadOnlyInline(admin.StackedInline):
    """What a summary derives from its result, or what its job records: shown, never edited
    (the one write path, videos.services.summaries, keeps them consistent with the data)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SummaryJobInline(ReadOnlyInline):
    model = SummaryJob
    fields = readonly_fields = (
        "attempts", "cancel_requested", "error_code", "error_message", "started_at",
        "task_id", "worker_hostname", "worker_pid", "progress",
    )


class SummaryResultInline(ReadOnlyInline):
    model = SummaryResult
    fields = readonly_fields = (
        "quality", "grounded", "copied", "repeated", "coverage", "section_times", "data", "metrics", "raw_output",
    )

    @admin.display(description="quality")
    def quality(self, obj):
        q = result_quality(obj)
        if not q.measured:
            return "not measured"
        text = "; ".join(f.text for f in q.figures)
        return f"Needs review: {'; '.join(q.reasons)}. ({text})" if q.needs_review else text


class SummaryGeneralTopicInline(ReadOnlyInline, admin.TabularInline):
    model = SummaryGeneralTopic
    fields = readonly_fields = ("field", "complexity", "position")


class SummaryTopicInline(ReadOnlyInline, admin.TabularInline):
    model = SummaryTopic
    fields = readonly_fields = ("topic", "section", "position")


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = ("id", "video", "template", "status", "is_current", "model_short", "created_at")
    list_filter = ("status", "is_current", "template", "model_id", "created_at")
    search_fields = ("video__youtube_id", "video__title", "video__slug", "result__search_text", "job__error_message")
    raw_id_fields = ("video",)
    # The content is the model's output, checked against the template: edited nowhere but by
    # generating again. Whether it is current is the one choice a curator makes (an action).
    # The examples it was generated with are a record too, not a choice.
    readonly_fields = fields = (
        "video", "template", "model_id", "requested_by", "status", "is_current", "created_at", "finished_at", "examples",
    )
    inlines = [SummaryJobInline, SummaryResultInline, SummaryGeneralTopicInline, SummaryTopicInline]
    actions = ["promote_to_example", "regenerate", "make_current"]

    @admin.action(description="Promote to a few-shot example (inactive until a curator turns it on)", permissions=["promote"])
    def promote_to_example(self, request, queryset):
        for summary in queryset.select_related("video", "template"):
            try:
                example = curation.example_promote(summary=summary)
            except Exception as exc:
                self.message_user(request, f"Summary #{summary.pk} not promoted: {exc}", messages.ERROR)
            else:
                url = reverse("admin:videos_fewshotexample_change", args=[example.pk])
                self.message_user(
                    request, format_html('Summary #{} is now the inactive example <a href="{}">{}</a>.', summary.pk, url, example.name),
                    messages.SUCCESS,
                )

    @admin.action(description="Make the selected summaries current for their videos", permissions=["change"])
    def make_current(self, request, queryset):
        for summary in queryset:
            try:
                summaries.summary_make_current(summary=summary)
            except summaries.IllegalTransition as exc:
                self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description="Regenerate the selected summaries' videos with another template or model", permissions=["regenerate"])
    def regenerate(self, request, queryset):
        templates = PromptTemplate.objects.order_by("name", "-version")
        if request.POST.get("confirm"):
            template = template_named(request.POST.get("template"))
            if template is None:
                self.message_user(request, "Choose a template version.", messages.ERROR)
                return None
            model_id = request.POST.get("model_id", "").strip() or None
            queued = 0
            for video in Video.objects.filter(summaries__in=queryset).distinct():
                try:
                    jobs.summary_submit(video=video, template=template, model_id=model_id, user=request.user)
                    queued += 1
                except Exception as exc:
                    self.message_user(request, f"{video}: {exc}", messages.ERROR)
            self.message_user(
                request, f"{queued} summaries queued with {template}; current summaries stay until a curator chooses.",
                messages.SUCCESS,
            )
            return None
        return render(
            request,
            "admin/videos/regenerate.html",
            {**self.admin_site.each_context(request), "title": "Regenerate summaries", "summaries": queryset,
             "templates": templates, "opts": self.model._meta, "action": "regenerate"},
        )

    def has_add_permission(self, request):
        return False  # a summary comes from submitting a video, never from a blank form

    # Each action asks for the permission of what it does (an action without one is open
    # to every staff user who may merely view summaries).
    def has_promote_permission(self, request):
        return request.user.has_perm("videos.add_fewshotexample")

    def has_regenerate_permission(self, request):
        return request.user.has_perm("videos.regenerate_summary")

    @admin.display(description="model")
    def model_short(self, obj):
        return format_html("<span title='{}'>{}</span>", obj.model_id, obj.model_id.rsplit("/", 1)[-1][:40])


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "normalized")
    search_fields = ("name", "normalized")

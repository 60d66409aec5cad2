"""The catalogue: browse, filter and search the summaries, and read one.

Everything a model or a transcript wrote reaches the page through the
template's autoescaping; nothing here marks text safe. The downloads are
attachments: JSON as the summary was stored, Markdown as plain text.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET, require_POST

from inference.schema import TemplateShape

from ..catalogue import cache
from ..ingest.urls import watch_url
from ..catalogue.pages import catalogue_meta
from ..catalogue.rendering import catalogue_filters, catalogue_results, general_topics, scale_segments
from ..models import PromptTemplate, Summary, Transcript
from ..quality import Quality, summary_quality
from ..selectors import summary_detail, summary_general, summary_others, summary_shape
from ..services.seed_queue import seed_summaries_queue, seed_videos_unsummarized

VIEW_PERMISSION = "videos.view_summary"
QUEUE_PERMISSION = "videos.add_summary"
# The query parameters that narrow the catalogue (the sort and the page do not).
FILTER_PARAMS = ("q", "field", "cmin", "cmax", "topic", "needs_review")


def _filtered(params) -> bool:
    return any(value.strip() for name in FILTER_PARAMS for value in params.getlist(name))


def _catalogue_empty(gen: int | None) -> bool:
    """No summary in the catalogue at all; cached per generation like the pages, so a
    cached page costs no query for it."""
    empty = cache.get("empty", gen)
    if empty is None:
        empty = not Summary.objects.current().exists()
        cache.put("empty", gen, empty)
    return empty


def _catalogue_start(request) -> str:
    """The results block of an empty catalogue with no filter set: what to do next,
    for this user (their permissions, a CSRF token), so it is never cached."""
    may_queue = request.user.has_perm(QUEUE_PERMISSION)
    context = {
        "seed_count": seed_videos_unsummarized().count() if may_queue else 0,
        "active_count": Summary.objects.filter(status__in=Summary.ACTIVE_STATUSES).count(),
    }
    return render_to_string("videos/catalogue/_start.html", context, request=request)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def catalogue(request):
    """The catalogue. The results block and the filter form depend only on the query
    string and the data, so each is cached per query string and catalogue generation
    (videos.catalogue.cache: exact, shared by every process); an htmx request gets the
    results block alone."""
    started = time.perf_counter()
    gen = cache.generation()
    key = sorted(request.GET.lists())
    results = cache.get("results", gen, key)
    hit = results is not None
    meta = filterset = None
    if not hit:
        meta = catalogue_meta()
        results, filterset = catalogue_results(request.GET, meta)
        cache.put("results", gen, results, key)
    if not _filtered(request.GET) and _catalogue_empty(gen):
        results = _catalogue_start(request)
    if request.htmx and not request.htmx.history_restore_request:
        response = HttpResponse(results)
    else:
        # The filter form shows this query's values (and errors): it is cached like the results.
        filters = cache.get("filters", gen, key)
        if filters is None:
            filters = catalogue_filters(request.GET, meta or catalogue_meta(), filterset)
            cache.put("filters", gen, filters, key)
        response = render(request, "videos/catalogue.html", {"filters": filters, "results": results})
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    response["Server-Timing"] = f"view;dur={(time.perf_counter() - started) * 1000:.1f}"
    if request.user.is_staff:  # a hit tells that someone asked this search before: staff only
        response["Server-Timing"] += f", cache;desc={'hit' if hit else 'miss' if gen is not None else 'off'}"
    return response


@require_POST
@permission_required(QUEUE_PERMISSION, raise_exception=True)
def queue_seed_summaries(request):
    """The empty catalogue's button: queue a summary of each seed video that has none,
    within the queue caps, then show the queue."""
    report = seed_summaries_queue(user=request.user)
    count = len(report.queued)
    if count:
        messages.success(request, f"{count} summar{'y' if count == 1 else 'ies'} of seed videos queued.")
    if report.left:
        messages.error(request, f"{report.left} seed video(s) left without a summary: {report.reason}.")
    if not count and not report.left:
        messages.info(request, "Every seed video has a summary already, done or on its way.")
    return redirect("videos:queue")


def _summary_or_404(pk: int) -> Summary:
    try:
        return summary_detail(pk=pk)
    except Summary.DoesNotExist:
        raise Http404("No such summary (or it is not done yet).") from None


@dataclass
class SectionView:
    title: str
    bullets: list[str]
    topics: list[str]
    # The stretch of the video it summarizes (seconds) and the video at its start; None
    # for a transcript without times.
    start: float | None = None
    end: float | None = None
    url: str | None = None

    @property
    def span(self) -> str:
        return f"{clock(self.start)}–{clock(self.end)}" if self.start is not None and self.end is not None else ""


def clock(seconds: float) -> str:
    """Seconds as a video player shows them: 5:07, 1:02:03."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TranscriptLine(NamedTuple):
    time: str  # "1:02:03"; empty when the transcript has no times
    url: str  # the video at that moment
    text: str


def transcript_lines(video, transcript: Transcript | None) -> list[TranscriptLine]:
    """The transcript as the video page lists it: each timed segment with its time and a
    link to that moment of the video; a transcript without times (plain text, the seed
    excerpts) as its lines, with neither."""
    if transcript is None:
        return []
    cues = transcript.cues()
    if cues is None:
        return [TranscriptLine("", "", line.strip()) for line in transcript.full_text.splitlines() if line.strip()]
    lines = []
    for cue in cues:
        if cue.text.strip():
            start = cue.start if math.isfinite(cue.start) and cue.start > 0 else 0.0
            lines.append(TranscriptLine(clock(start), watch_url(video.youtube_id, start), cue.text.strip()))
    return lines


def _section_times(summary: Summary) -> list[tuple[float, float]]:
    result = getattr(summary, "result", None)
    times = getattr(result, "section_times", None)
    out = []
    for pair in times if isinstance(times, list) else []:
        try:
            start, end = (float(v) for v in pair)
        except (TypeError, ValueError):
            break  # a malformed entry: the sections from here on get no time
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0:
            break
        out.append((start, end))
    return out


def _sections(summary: Summary) -> list[SectionView]:
    out = []
    times = _section_times(summary)
    for section in summary.sections if isinstance(summary.sections, list) else []:
        if not isinstance(section, dict):
            continue
        view = SectionView(
            title=str(section.get("title", "")),
            bullets=[str(b) for b in section.get("content", []) or []],
            topics=[str(t) for t in section.get("topics", []) or []],
        )
        if len(out) < len(times):
            view.start, view.end = times[len(out)]
            view.url = watch_url(summary.video.youtube_id, view.start)
        out.append(view)
    return out


def _summary_topics(summary: Summary) -> list[str]:
    data = summary.data if isinstance(summary.data, dict) else {}
    return [str(t) for t in data.get("topics", []) or []]


def topic_url(name: str) -> str:
    return f"{reverse('videos:catalogue')}?{urlencode({'topic': name})}"


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def summary_page(request, pk: int):
    started = time.perf_counter()
    summary = _summary_or_404(pk)
    shape = summary_shape(summary)
    try:
        transcript = summary.video.transcript
    except Transcript.DoesNotExist:
        transcript = None
    sections = _sections(summary)
    context = {
        "summary": summary,
        "video": summary.video,
        "sections": [(s, [(t, topic_url(t)) for t in s.topics]) for s in sections],
        "topics": [(t, topic_url(t)) for t in _summary_topics(summary)],
        "general": general_topics(summary_general(summary), shape),
        "scale": scale_segments(shape.scale if shape else ()),
        "transcript": transcript,
        "others": summary_others(summary=summary),
        "examples": list(summary.examples.all()),
        "templates": PromptTemplate.objects.order_by("name", "-version") if request.user.has_perm("videos.regenerate_summary") else (),
        "quality": summary_quality(summary),
    }
    response = render(request, "videos/summary.html", context)
    response["Server-Timing"] = f"view;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def summary_document(summary: Summary) -> dict:
    """What "Download JSON" gives: the summary exactly as stored, and where it came from."""
    video = summary.video
    return {
        "id": summary.pk,
        "video": {"youtube_id": video.youtube_id, "url": video.watch_url, "title": video.title, "channel": video.channel},
        "template": {"name": summary.template.name, "version": summary.template.version},
        "model": summary.model_id,
        "examples": [ex.name for ex in summary.examples.all()],
        "created_at": summary.created_at.isoformat(),
        "finished_at": summary.finished_at.isoformat() if summary.finished_at else None,
        "is_current": summary.is_current,
        "summary": summary.data,
        # Each section's stretch of the video, in the summary's order (none without times).
        "section_times": [
            {"section": i + 1, "start": s.start, "end": s.end, "url": s.url}
            for i, s in enumerate(_sections(summary)) if s.start is not None
        ],
        "quality": _quality_document(summary_quality(summary)),
    }


def _quality_document(quality: Quality) -> dict:
    return {
        **{f.name: f.value for f in quality.figures},
        "needs_review": quality.needs_review,
        "reasons": quality.reasons,
    }


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def summary_json(request, pk: int):
    summary = _summary_or_404(pk)
    response = JsonResponse(summary_document(summary), json_dumps_params={"ensure_ascii": False, "indent": 2})
    return _attachment(response, f"summary-{summary.pk}-{summary.video.youtube_id}.json")


# What a Markdown renderer would read as markup in one line of text. A model, a transcript
# or a video's uploader wrote these strings: the export shows them as they are, and nothing
# in them may become a tag, a link, emphasis or a block of its own.
_MD_ALWAYS = re.compile(r"([\\`*\[\]~])")  # escapes, code, emphasis, links, strikethrough
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # inside a word (snake_case) it is inert
_MD_BLOCK_START = re.compile(r"^(?:[#>+=|-]|\d+(?=[.)]))")  # heading, quote, list, setext, table
_MD_CLOSING_HASHES = re.compile(r"(?<=\s)(#+)$")  # would end an ATX heading
_HTML_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")  # a tag, comment or autolink; "a < b" is text
_HTML_ENTITY = re.compile(r"&(?=#?\w+;)")  # "&lt;" would show "<"; "Tom & Jerry" is text


def _inline(text) -> str:
    """``text`` as one line of Markdown that shows it literally. Whitespace is collapsed,
    so a model-written newline cannot start a heading or a list item of its own; HTML is
    escaped as entities (every Markdown flavour reads those), Markdown with backslashes,
    and only where it would be markup, so ordinary text reads as it is."""
    text = " ".join(str(text).split())
    text = _HTML_ENTITY.sub("&amp;", text)
    text = _HTML_TAG_START.sub("&lt;", text)
    text = _MD_ALWAYS.sub(r"\\\1", text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    text = _MD_CLOSING_HASHES.sub(lambda m: "\\#" * len(m.group(1)), text)
    match = _MD_BLOCK_START.match(text)
    if match:  # a digit run keeps its digits and has its "." or ")" escaped
        end = match.end()
        text = text[:end] + "\\" + text[end:] if match.group()[0].isdigit() else "\\" + text
    return text


def summary_markdown(summary: Summary, shape: TemplateShape | None) -> str:
    """The "Download Markdown" text. Every string a model, a transcript, a curator or an
    uploader wrote goes through ``_inline``; the markup is this function's own."""
    video = summary.video
    lines = [f"# {_inline(video.display_title)}", ""]
    if video.channel:
        lines.append(f"Channel: {_inline(video.channel)}  ")
    lines += [
        f"Video: {video.watch_url}  ",
        f"Summary #{summary.pk}: template {_inline(summary.template.label)}, model {_inline(summary.model_id)}",
        "",
    ]
    quality = summary_quality(summary)
    if quality.measured:
        lines += ["Quality: " + "; ".join(f.text for f in quality.figures) + ".", ""]
        if quality.needs_review:
            lines += ["**Needs review:** " + "; ".join(quality.reasons) + ".", ""]
    lines += ["## Introduction", "", _inline(summary.introduction), ""]
    for section in _sections(summary):
        lines += [f"## {_inline(section.title)}", ""]
        if section.url:
            # The seconds too, for a reader that parses the file.
            lines += [f"[{section.span}]({section.url}) of the video ({section.start:g} s to {section.end:g} s)", ""]
        lines += [f"- {_inline(b)}" for b in section.bullets]
        if section.topics:
            lines += ["", "Topics: " + ", ".join(_inline(t) for t in section.topics)]
        lines.append("")
    topics = _summary_topics(summary)
    if topics:
        lines += ["## Topics", "", *[f"- {_inline(t)}" for t in topics], ""]
    general = general_topics(summary_general(summary), shape)
    if general:
        lines += ["## General topics", ""]
        lines += [f"- {_inline(g.field)}: {g.complexity:.2f}" + (f" ({_inline(g.label)})" if g.label else "") for g in general]
        lines.append("")
    return "\n".join(lines)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def summary_markdown_download(request, pk: int):
    summary = _summary_or_404(pk)
    text = summary_markdown(summary, summary_shape(summary))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    return _attachment(response, f"summary-{summary.pk}-{summary.video.youtube_id}.md")


urlpatterns = [
    path("", catalogue, name="catalogue"),
    path("summaries/queue-seed/", queue_seed_summaries, name="queue_seed"),
    path("summaries/<int:pk>/", summary_page, name="summary"),
    path("summaries/<int:pk>.json", summary_json, name="summary_json"),
    path("summaries/<int:pk>.md", summary_markdown_download, name="summary_markdown"),
]

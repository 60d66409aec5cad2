"""The catalogue: browse, filter and search the summaries, and read one.

Everything a model or a transcript wrote reaches the page through the
template's autoescaping; nothing here marks text safe. The downloads are
attachments: JSON as the summary was stored, Markdown as plain text.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header, urlencode
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from inference.schema import ScaleBand, TemplateShape

from .. import catalogue_cache
from ..filters import SummaryFilter
from ..models import PromptTemplate, Summary, Transcript
from ..selectors import (
    CatalogueMeta,
    FieldDistribution,
    cache_distribution,
    cached_distribution,
    catalogue_meta,
    complexity_percent,
    distribution_from_counts,
    summary_catalogue,
    summary_catalogue_page,
    summary_complexity_distribution,
    summary_detail,
    summary_others,
)

PAGE_SIZE = 24
CARD_INTRO_CHARS = 220
VIEW_PERMISSION = "videos.view_summary"


# --- cards ---------------------------------------------------------------------


@dataclass
class GeneralTopicView:
    field: str
    complexity: Decimal
    label: str
    percent: float

    # Formatted here rather than with template filters: a catalogue page renders 72 of them.
    @property
    def width(self) -> str:
        return f"{self.percent:.1f}"

    @property
    def value(self) -> str:
        return str(self.complexity)


@dataclass
class Card:
    """What a catalogue card shows, flat and formatted: a page renders 24 of them, and the
    template engine's dotted lookups and number formatting cost more than building this."""

    summary: Summary
    first_line: str
    general: list[GeneralTopicView]
    topics: list[str]
    # Reversed once per page rather than once per link in the template.
    url: str = ""
    topic_links: list[tuple[str, str]] = field(default_factory=list)
    title: str = ""
    channel: str = ""
    thumbnail_url: str = ""


def first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _general_topics(general: Iterable[tuple[str, Decimal]], shape: TemplateShape | None) -> list[GeneralTopicView]:
    """(field, complexity) pairs as shown against the template's scale."""
    return [
        GeneralTopicView(
            field=name,
            complexity=complexity,
            label=(shape.label_for(float(complexity)) if shape else None) or "",
            percent=complexity_percent(complexity),
        )
        for name, complexity in general
    ]


def _stored_general(summary: Summary) -> list[tuple[str, Decimal]]:
    return [(gt.field, gt.complexity) for gt in summary.general_topics.all()]


def _shape_of(summary: Summary, shapes: dict[int, TemplateShape | None] | None = None) -> TemplateShape | None:
    """The shape of the summary's template, parsed once per `shapes` (by template id)."""
    shapes = {} if shapes is None else shapes
    if summary.template_id not in shapes:
        try:
            shapes[summary.template_id] = summary.template.shape()
        except (TypeError, ValueError, KeyError):  # a template edited into an odd scale still renders
            shapes[summary.template_id] = None
    return shapes[summary.template_id]


def _cards(summaries, shapes: dict[int, TemplateShape | None]) -> list[Card]:
    catalogue_url = reverse("videos:catalogue")
    summary_url = reverse("videos:summary", args=[0]).replace("/0/", "/{}/")
    cards = []
    for s in summaries:
        topics = s.card_topics
        video = s.video
        cards.append(
            Card(
                summary=s,
                first_line=Truncator(first_line(s.introduction)).chars(CARD_INTRO_CHARS),
                general=_general_topics(s.card_general, _shape_of(s, shapes)),
                topics=topics,
                url=summary_url.format(s.pk),
                topic_links=[(t, f"{catalogue_url}?topic={quote(t, safe='')}") for t in topics],
                title=video.display_title,
                channel=video.channel,
                thumbnail_url=video.thumbnail_url,
            )
        )
    return cards


# --- the overview chart (server-rendered SVG) -----------------------------------

CHART_LABEL_W = 340
CHART_BAR_W = 26
CHART_GAP = 3
CHART_ROW_H = 24
CHART_BAR_MAX_H = 18
CHART_TOP = 6
CHART_COUNT_W = 64
# Light to dark along the scale: elementary to PhD.
CHART_PALETTE = ["#c6dbef", "#b2cfea", "#9ecae1", "#84b5dc", "#6baed6", "#4f98cc", "#4292c6", "#2f79b5", "#2171b5", "#08519c"]


@dataclass
class ChartBar:
    x: float
    y: float
    height: float
    count: int
    title: str
    fill: str

    # Formatted here rather than with template filters: a chart has 120 bars.
    @property
    def x_attr(self) -> str:
        return f"{self.x:g}"

    @property
    def y_attr(self) -> str:
        return f"{self.y:.1f}"

    @property
    def height_attr(self) -> str:
        return f"{self.height:.1f}"


@dataclass
class ChartRow:
    field: str
    y: float
    text_y: float
    total: int
    bars: list[ChartBar] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    rows: list[ChartRow]
    ticks: list[tuple[float, str]]
    label_x: int
    count_x: int
    axis_y: float


def build_chart(distribution: list[FieldDistribution], scale: tuple[ScaleBand, ...]) -> Chart | None:
    if not scale or not distribution:
        return None
    n = len(scale)
    rows = []
    for r, dist in enumerate(distribution):
        top = CHART_TOP + r * CHART_ROW_H
        peak = max(dist.counts) or 1
        row = ChartRow(field=dist.field, y=top, text_y=top + CHART_BAR_MAX_H - 4, total=dist.total)
        for i, (count, band) in enumerate(zip(dist.counts, scale)):
            # Each row is scaled to its own peak: the chart compares shapes, the count says how many.
            height = max(1.0, CHART_BAR_MAX_H * count / peak) if count else 1.0
            row.bars.append(
                ChartBar(
                    x=CHART_LABEL_W + i * (CHART_BAR_W + CHART_GAP),
                    y=top + CHART_BAR_MAX_H - height,
                    height=round(height, 1),
                    count=count,
                    title=f"{dist.field} · {band.min:.2f}–{band.max:.2f} {band.label}: {count}",
                    fill=CHART_PALETTE[min(len(CHART_PALETTE) - 1, i * len(CHART_PALETTE) // n)] if count else "#e3e7ee",
                )
            )
        rows.append(row)
    bars_w = n * (CHART_BAR_W + CHART_GAP)
    axis_y = CHART_TOP + len(rows) * CHART_ROW_H
    ticks = [(CHART_LABEL_W + i * (CHART_BAR_W + CHART_GAP), f"{band.min:.1f}") for i, band in enumerate(scale)]
    ticks.append((CHART_LABEL_W + bars_w - CHART_GAP, f"{scale[-1].max:.1f}"))
    return Chart(
        width=CHART_LABEL_W + bars_w + CHART_COUNT_W,
        height=int(axis_y + 18),
        rows=rows,
        ticks=ticks,
        label_x=CHART_LABEL_W - 8,
        count_x=CHART_LABEL_W + bars_w + 6,
        axis_y=axis_y + 12,
    )


# --- views ---------------------------------------------------------------------


def _query_without(params: QueryDict, *names: str) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def query_key(params: QueryDict) -> list[tuple[str, list[str]]]:
    """The query's parameters in one order: what its cache entries are keyed by."""
    return sorted(params.lists())


def canonical_query(params: QueryDict) -> str:
    """The query string of query_key: how a page is remembered for the warm-up
    (videos.catalogue_cache), which reads it back into the same key."""
    return urlencode(query_key(params), doseq=True)


def catalogue_results(params: QueryDict, gen: int | None, meta: CatalogueMeta):
    """Compute and render the results block (count, chart, cards, pages) for a query:
    (html, filterset). It depends on the query and the data only, not on who asks."""
    result = summary_catalogue(data=params, fields=meta.fields)
    scale = meta.scale
    distribution = cached_distribution(result, scale=scale, generation=gen)
    # Without a cached chart, the page query brings its data from the same pass where it can.
    page = summary_catalogue_page(result, params.get("page"), per_page=PAGE_SIZE, general=distribution is None)
    if distribution is None:
        if page.general is not None:
            distribution = distribution_from_counts(page.general, fields=result.fields, scale=scale)
        else:
            distribution = summary_complexity_distribution(result.queryset, fields=result.fields, scale=scale)
        cache_distribution(result, distribution, scale=scale, generation=gen)
    context = {
        "notes": result.notes,
        "page": page,
        "cards": _cards(page.object_list, meta.shapes),
        "query": result.query,
        "chart": build_chart(distribution, scale),
        "page_query": _query_without(params, "page"),
        "catalogue_url": reverse("videos:catalogue"),
    }
    # Jinja2 (templates/jinja2/), autoescaped: the block is rendered on every page not cached.
    # Its output is the template's, every value in it escaped; like the Django engine's own
    # output it is a SafeString, cached and inserted into the page as it is. Nothing a
    # model wrote is marked safe: it went through the template's escaping.
    html = render_to_string("videos/results.html", context, using="jinja2")
    return SafeString(html), result.filterset


def warm_catalogue_pages(gen: int, *, limit: int) -> int:
    """Compute and cache the `limit` most asked pages for generation `gen`, those not
    cached yet; stop as soon as `gen` is no longer the current generation. Returns
    how many pages were computed."""
    computed = 0
    meta = catalogue_meta(gen)
    for query in catalogue_cache.most_asked(limit):
        if catalogue_cache.generation() != gen:
            break
        params = QueryDict(query)
        key = query_key(params)
        if catalogue_cache.get("results", gen, key) is None:
            results, filterset = catalogue_results(params, gen, meta)
            catalogue_cache.put("results", gen, results, key)
            catalogue_cache.put("filters", gen, catalogue_filters(params, meta, filterset), key)
            computed += 1
    return computed


def catalogue_filters(params: QueryDict, meta: CatalogueMeta, filterset: SummaryFilter | None = None) -> str:
    """The filter form as this query fills it in (its values and errors)."""
    if filterset is None:
        filterset = SummaryFilter(data=params or None, queryset=Summary.objects.none(), fields=meta.fields)
        filterset.is_valid()  # the form shows its errors, as on a computed page
    return render_to_string("videos/catalogue/_filters.html", {"form": filterset.form, "scale": meta.scale})


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def catalogue(request):
    """The catalogue. The results block and the filter form depend only on the query
    string and the data, so each is cached per query string and catalogue generation
    (videos.catalogue_cache: exact, shared by every process); an htmx request gets the
    results block alone."""
    started = time.perf_counter()
    gen = catalogue_cache.generation()
    meta = catalogue_meta(gen)
    key = query_key(request.GET)
    results = catalogue_cache.get("results", gen, key)
    hit = results is not None
    filterset = None
    if not hit:
        results, filterset = catalogue_results(request.GET, gen, meta)
        if gen is not None:
            catalogue_cache.put("results", gen, results, key)
            catalogue_cache.note_asked(canonical_query(request.GET))
    if request.htmx and not request.htmx.history_restore_request:
        response = HttpResponse(results)
    else:
        # The filter form shows this query's values (and errors): it is cached like the results.
        filters = catalogue_cache.get("filters", gen, key)
        if filters is None:
            filters = catalogue_filters(request.GET, meta, filterset)
            catalogue_cache.put("filters", gen, filters, key)
        response = render(request, "videos/catalogue.html", {"filters": filters, "results": results})
    patch_vary_headers(response, ["HX-Request"])
    response["Server-Timing"] = (
        f"view;dur={(time.perf_counter() - started) * 1000:.1f}, "
        f"cache;desc={'hit' if hit else 'miss' if gen is not None else 'off'}"
    )
    return response


def scale_segments(scale: tuple[ScaleBand, ...]) -> list[tuple[ScaleBand, float, float]]:
    """(band, x %, width %) for drawing the scale as a track: each band reaches the next one's start."""
    segments = []
    for i, band in enumerate(scale):
        start = complexity_percent(band.min)
        end = complexity_percent(scale[i + 1].min) if i + 1 < len(scale) else 100.0
        segments.append((band, start, max(0.0, end - start)))
    return segments


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


def _sections(summary: Summary) -> list[SectionView]:
    out = []
    for section in summary.sections if isinstance(summary.sections, list) else []:
        if not isinstance(section, dict):
            continue
        out.append(
            SectionView(
                title=str(section.get("title", "")),
                bullets=[str(b) for b in section.get("content", []) or []],
                topics=[str(t) for t in section.get("topics", []) or []],
            )
        )
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
    shape = _shape_of(summary)
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
        "general": _general_topics(_stored_general(summary), shape),
        "scale": scale_segments(shape.scale if shape else ()),
        "transcript": transcript,
        "others": summary_others(summary=summary),
        "examples": list(summary.examples.all()),
        "templates": PromptTemplate.objects.order_by("name", "-version") if request.user.has_perm("videos.regenerate_summary") else (),
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


def _one_line(text) -> str:
    # A model-written newline must not start a heading or a list item of its own.
    return " ".join(str(text).split())


def summary_markdown(summary: Summary, shape: TemplateShape | None) -> str:
    video = summary.video
    lines = [f"# {_one_line(video.display_title)}", ""]
    if video.channel:
        lines.append(f"Channel: {_one_line(video.channel)}  ")
    lines += [f"Video: {video.watch_url}  ", f"Summary #{summary.pk}: template {summary.template.label}, model {summary.model_id}", ""]
    lines += ["## Introduction", "", _one_line(summary.introduction), ""]
    for section in _sections(summary):
        lines += [f"## {_one_line(section.title)}", ""]
        lines += [f"- {_one_line(b)}" for b in section.bullets]
        if section.topics:
            lines += ["", "Topics: " + ", ".join(_one_line(t) for t in section.topics)]
        lines.append("")
    topics = _summary_topics(summary)
    if topics:
        lines += ["## Topics", "", *[f"- {_one_line(t)}" for t in topics], ""]
    general = _general_topics(_stored_general(summary), shape)
    if general:
        lines += ["## General topics", ""]
        lines += [f"- {_one_line(g.field)}: {g.complexity:.2f}" + (f" ({g.label})" if g.label else "") for g in general]
        lines.append("")
    return "\n".join(lines)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def summary_markdown_download(request, pk: int):
    summary = _summary_or_404(pk)
    text = summary_markdown(summary, _shape_of(summary))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    return _attachment(response, f"summary-{summary.pk}-{summary.video.youtube_id}.md")


urlpatterns = [
    path("", catalogue, name="catalogue"),
    path("summaries/<int:pk>/", summary_page, name="summary"),
    path("summaries/<int:pk>.json", summary_json, name="summary_json"),
    path("summaries/<int:pk>.md", summary_markdown_download, name="summary_markdown"),
]

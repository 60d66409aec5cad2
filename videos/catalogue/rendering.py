"""How the catalogue looks: cards, the overview chart (server-rendered SVG) and
the results block (count, chart, cards, pages), rendered by Django templates
with autoescaping; nothing a model wrote is marked safe."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import Truncator

from inference.schema import ScaleBand, TemplateShape

from ..filters import SummaryFilter
from ..models import Summary
from .pages import (
    CatalogueMeta,
    FieldDistribution,
    summary_catalogue,
    summary_catalogue_page,
    summary_complexity_distribution,
    summary_match_count,
)

PAGE_SIZE = 24
CARD_INTRO_CHARS = 220


def complexity_percent(value: Decimal | float) -> float:
    return round(max(0.0, min(1.0, float(value))) * 100, 1)


def scale_segments(scale: tuple[ScaleBand, ...]) -> list[tuple[ScaleBand, float, float]]:
    """(band, x %, width %) for drawing the scale as a track: each band reaches the next one's start."""
    segments = []
    for i, band in enumerate(scale):
        start = complexity_percent(band.min)
        end = complexity_percent(scale[i + 1].min) if i + 1 < len(scale) else 100.0
        segments.append((band, start, max(0.0, end - start)))
    return segments


@dataclass
class GeneralTopicView:
    field: str
    complexity: Decimal
    label: str
    percent: float

    @property
    def width(self) -> str:
        return f"{self.percent:.1f}"

    @property
    def value(self) -> str:
        return str(self.complexity)


@dataclass
class Card:
    """What a catalogue card shows, flat and formatted."""

    summary: Summary
    first_line: str
    general: list[GeneralTopicView]
    topics: list[str]
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


def general_topics(general: Iterable[tuple[str, Decimal]], shape: TemplateShape | None) -> list[GeneralTopicView]:
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


def cards(summaries, shapes: dict[int, TemplateShape | None]) -> list[Card]:
    catalogue_url = reverse("videos:catalogue")
    summary_url = reverse("videos:summary", args=[0]).replace("/0/", "/{}/")
    cards = []
    for s in summaries:
        topics = s.card_topics
        video = s.video
        cards.append(
            Card(
                summary=s,
                first_line=Truncator(first_line(s.card_intro or "")).chars(CARD_INTRO_CHARS),
                general=general_topics(s.card_general, shapes.get(s.template_id)),
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


def _query_without(params: QueryDict, *names: str) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def catalogue_results(params: QueryDict, meta: CatalogueMeta) -> tuple[str, SummaryFilter]:
    """The results block (count, chart, cards, pages) for a query, and its FilterSet.
    It depends on the query and the data only, not on who asks."""
    result = summary_catalogue(data=params, fields=meta.fields)
    distribution = summary_complexity_distribution(result.queryset, fields=result.fields, scale=meta.scale)
    count = summary_match_count(result, distribution)
    page = summary_catalogue_page(result, params.get("page"), per_page=PAGE_SIZE, count=count)
    context = {
        "notes": result.notes,
        "page": page,
        "cards": cards(page.object_list, meta.shapes),
        "query": result.query,
        "chart": build_chart(distribution, meta.scale),
        "page_query": _query_without(params, "page"),
        "catalogue_url": reverse("videos:catalogue"),
    }
    return render_to_string("videos/catalogue/_results.html", context), result.filterset


def catalogue_filters(params: QueryDict, meta: CatalogueMeta, filterset: SummaryFilter | None = None) -> str:
    """The filter form as this query fills it in (its values and errors)."""
    if filterset is None:
        filterset = SummaryFilter(data=params or None, queryset=Summary.objects.none(), fields=meta.fields)
        filterset.is_valid()  # the form shows its errors, as on a computed page
    return render_to_string("videos/catalogue/_filters.html", {"form": filterset.form, "scale": meta.scale})

"""What the catalogue lists, in what order, one page at a time.

The catalogue is a pipeline: base (every video's current summary) -> FilterSet
(fields x complexity range, topic) -> search -> whitelisted ordering -> a page.
The same ORM queries run on SQLite and PostgreSQL; only the search differs
(videos.catalogue.search).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lower

from inference.schema import ScaleBand, TemplateShape

from ..filters import SummaryFilter, catalogue_fields
from ..models import PromptTemplate, Summary, SummaryGeneralTopic, SummaryTopic, normalize_topic
from .search import summary_search

SORTS = {"newest", "complexity_asc", "complexity_desc", "title", "relevance"}


def summary_catalogue_base() -> QuerySet[Summary]:
    """What the catalogue lists: every video's current summary (current implies done)."""
    return Summary.objects.current()


def effective_sort(sort: str, *, searching: bool) -> str:
    """The sort actually applied: a whitelisted one, else the default (best match when searching, else newest)."""
    if sort not in SORTS or (sort == "relevance" and not searching):
        return "relevance" if searching else "newest"
    return sort


def summary_order(queryset: QuerySet[Summary], *, sort: str, fields: list[str], searching: bool) -> QuerySet[Summary]:
    """Order by one of the whitelisted sorts. Ties always end on -id, so pages are stable."""
    sort = effective_sort(sort, searching=searching)
    if sort == "relevance":
        return queryset.order_by("-rank", "-created_at", "-id")
    if sort == "title":
        return queryset.order_by(Lower("video__title"), "-id")
    if sort in ("complexity_asc", "complexity_desc"):
        # A summary's level is its hardest general topic among the chosen fields (any field if none).
        general = SummaryGeneralTopic.objects.filter(summary=OuterRef("pk"))
        if fields:
            general = general.filter(field__in=fields)
        queryset = queryset.annotate(level=Subquery(general.order_by("-complexity").values("complexity")[:1]))
        level = F("level").asc(nulls_last=True) if sort == "complexity_asc" else F("level").desc(nulls_last=True)
        return queryset.order_by(level, "-id")
    return queryset.order_by("-created_at", "-id")


@dataclass
class Catalogue:
    filterset: SummaryFilter
    queryset: QuerySet[Summary]
    query: str
    sort: str
    fields: list[str]
    notes: list[str] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)  # the fields the filter asks for


def summary_catalogue(*, data, fields: list[str] | None = None) -> Catalogue:
    """The catalogue's pipeline for a GET QueryDict. `fields`: the fields offered (all when not given)."""
    all_fields = catalogue_fields() if fields is None else fields
    filterset = SummaryFilter(data=data or None, queryset=summary_catalogue_base(), fields=all_fields)
    queryset = filterset.qs  # validates the form; invalid filters are left out
    cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
    query = cleaned.get("q") or ""
    sort = cleaned.get("sort") or ""
    searching = bool(normalize_topic(query))
    queryset = summary_search(queryset, query)
    chosen = cleaned.get("field") or []
    queryset = summary_order(queryset, sort=sort, fields=chosen, searching=searching)
    return Catalogue(
        filterset=filterset, queryset=queryset, query=query, sort=sort, fields=all_fields, notes=filterset.notes, chosen=chosen
    )


def summary_catalogue_page(catalogue: Catalogue, number, *, per_page: int, count: int | None = None) -> Page:
    """One page of the catalogue's summaries (cards: see summary_cards), numbered as
    Paginator.get_page does: not a number -> the first page, out of range -> the last.
    `count`: the number of matches when already known (see summary_match_count), else counted."""
    paginator = Paginator(catalogue.queryset.values_list("pk", flat=True), per_page)
    if count is not None:
        paginator.count = count  # a cached_property: the paginator does not count again
    page = paginator.get_page(number)
    page.object_list = summary_cards(list(page.object_list))
    return page


def summary_cards(ids: list[int]) -> list[Summary]:
    """The summaries `ids`, in that order, with what a card shows: the video, `card_intro`,
    `card_general` [(field, complexity)] and `card_topics` [name] (the summary's own
    topics, not the sections'), each in order. Three queries."""
    if not ids:
        return []
    general: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    rows = SummaryGeneralTopic.objects.filter(summary_id__in=ids).order_by("summary_id", "position", "id")
    for summary_id, name, complexity in rows.values_list("summary_id", "field", "complexity"):
        general[summary_id].append((name, complexity))
    topics: dict[int, list[str]] = defaultdict(list)
    links = SummaryTopic.objects.filter(summary_id__in=ids, section__isnull=True).order_by("summary_id", "position", "id")
    for summary_id, name in links.values_list("summary_id", "topic__name"):
        topics[summary_id].append(name)
    by_id = {}
    cards = (
        Summary.objects.filter(pk__in=ids).select_related("video").defer("search_vector")
        .annotate(card_intro=KeyTextTransform("introduction", "result__data"))
    )
    for summary in cards:
        summary.card_general, summary.card_topics = general[summary.pk], topics[summary.pk]
        by_id[summary.pk] = summary
    return [by_id[pk] for pk in ids if pk in by_id]


# --- the complexity overview ------------------------------------------------------


@dataclass(frozen=True)
class CatalogueMeta:
    fields: list[str]  # the fields the filters offer
    scale: tuple[ScaleBand, ...]  # the default template's complexity scale
    shapes: dict[int, TemplateShape | None]  # every template's shape, by id (cards label complexities with it)


def _shape(template: PromptTemplate) -> TemplateShape | None:
    try:
        return template.shape()
    except (TypeError, ValueError, KeyError):  # a template edited into an odd scale still renders
        return None


def catalogue_meta() -> CatalogueMeta:
    """The fields, the default template's scale and every template's shape: one query."""
    templates = list(PromptTemplate.objects.order_by("-is_default", "name", "-version"))
    shapes = {t.pk: _shape(t) for t in templates}
    default = shapes[templates[0].pk] if templates else None
    return CatalogueMeta(fields=catalogue_fields(templates), scale=default.scale if default else (), shapes=shapes)


@dataclass
class FieldDistribution:
    field: str
    counts: list[int]  # one per scale band
    total: int  # general topics of the matches in this field (one per summary at most)


def band_index(scale: tuple[ScaleBand, ...], complexity: float) -> int:
    """The band a complexity falls in; between two bands, the band below (as TemplateShape.label_for)."""
    best = 0
    for i, band in enumerate(scale):
        if band.min <= complexity:
            best = i
            if complexity <= band.max:
                return i
    return best


def summary_complexity_distribution(
    queryset: QuerySet[Summary], *, fields: list[str], scale: tuple[ScaleBand, ...]
) -> list[FieldDistribution]:
    """How many general topics of the summaries in `queryset` fall in each band, per field;
    every offered field gets a row. One pass over the matches, each joined to its general
    topics (rows, not a semi-join the planner may answer by reading the whole general topic
    table), counted from the (summary, field, complexity) index alone: COUNT(*), not
    COUNT(id), which would read each row."""
    rows = (
        queryset.order_by()
        .values_list("general_topics__field", "general_topics__complexity")
        .annotate(n=Count("*"))
    )
    by_field: dict[str, list[int]] = {f: [0] * len(scale) for f in fields}
    totals: dict[str, int] = defaultdict(int)
    for name, complexity, n in rows:
        if name is None:  # a match without general topics (the join is an outer one)
            continue
        counts = by_field.setdefault(name, [0] * len(scale))
        totals[name] += n
        if scale:
            counts[band_index(scale, float(complexity))] += n
    return [FieldDistribution(field=f, counts=c, total=totals[f]) for f, c in by_field.items()]


def summary_match_count(catalogue: Catalogue, distribution: list[FieldDistribution]) -> int | None:
    """The number of matches, when the chart of the same matches already says it: with one
    field chosen, every match has a general topic in that field, and only one (one per
    summary and field, a unique constraint), so that field's total is the count. Else None."""
    if len(catalogue.chosen) != 1:
        return None
    return next((d.total for d in distribution if d.field == catalogue.chosen[0]), None)

"""Reads. Each selector returns a QuerySet or plain data for a view to render.

The catalogue is a pipeline: base (current, done summaries) -> FilterSet
(fields x complexity range, topic) -> search -> whitelisted ordering.
"""

from __future__ import annotations

import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, FloatField, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value, When, Window
from django.db.models.expressions import OrderBy
from django.db.models.functions import Lower

from inference.schema import ScaleBand, TemplateShape

from . import catalogue_cache, general_codes
from .filters import SummaryFilter, catalogue_fields
from .general_codes import GeneralCodes
from .models import PromptTemplate, Summary, SummaryGeneralTopic, SummaryTopic, normalize_topic
from .services import SEARCH_CONFIG

# Characters that mean something to a query language but nothing inside a word.
_SEARCH_PUNCTUATION = "\"'()&|!:<>*"


# --- the catalogue -------------------------------------------------------------


def summary_catalogue_base() -> QuerySet[Summary]:
    """What the catalogue lists: every video's current summary, once done. The pipeline
    decides which and in what order; a page's cards are read apart (summary_cards)."""
    return Summary.objects.current().select_related("video")


def summary_search(queryset: QuerySet[Summary], query: str) -> QuerySet[Summary]:
    """Keep the summaries matching `query` and annotate `rank` (higher is better).

    PostgreSQL: full-text search over the weighted `search_vector` (title and
    topics A, section titles B, introduction C, bullets D), parsed as a web
    search (quotes, OR, -word; no input is a syntax error), ranked by ts_rank.
    SQLite: every word must occur in the folded `search_text`; a word found in
    a topic or the title ranks above one found elsewhere.
    Both fold case and accents, as topics are folded.
    """
    folded = normalize_topic(query)
    if not folded:
        return queryset
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(folded, config=SEARCH_CONFIG, search_type="websearch")
        return queryset.filter(search_vector=tsquery).annotate(rank=_postgres_rank(folded))
    words = _search_words(folded)
    if not words:  # nothing but operators or punctuation: nothing to narrow by
        return queryset.annotate(rank=Value(0))
    rank = Value(0)
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
        in_topic = Exists(SummaryTopic.objects.filter(summary=OuterRef("pk"), topic__normalized__contains=word))
        rank = rank + Case(When(in_topic, then=Value(2)), default=Value(0), output_field=IntegerField())
        rank = rank + Case(When(video__title__icontains=word, then=Value(2)), default=Value(0), output_field=IntegerField())
    return queryset.annotate(rank=rank)


# Added to the rank of a match whose words occur in the query's order, next to each other
# (in the title, a topic, a section title or the introduction: bullets keep no positions).
# ts_rank of a query's words stays below 1, so every such match ranks above the others.
PHRASE_BONUS = 1.0


def _postgres_rank(folded: str):
    """The rank of a match for the search `folded` (PostgreSQL; higher is better).

    ts_rank of the query's words taken one by one (any_words: weights A-D and how
    often each word occurs, averaged over the words), plus PHRASE_BONUS when the
    words occur as a phrase. Not ts_rank of the search's own AND query: its
    proximity term compares every position of every pair of words, which costs
    2-3 µs a match for a five-word topic name (half of a broad search's scan),
    while the words' own weights cost under 1 µs and the phrase test about 0.5 µs.
    The phrase is what proximity mostly found: the topic named as asked.
    """
    words = _search_words(folded, negated=False)
    if not words:
        return Value(0.0, output_field=FloatField())
    any_words = SearchQuery(" or ".join(words), config=SEARCH_CONFIG, search_type="websearch")
    rank = SearchRank(F("search_vector"), any_words)
    if len(words) > 1:
        phrase = SearchQuery(" ".join(words), config=SEARCH_CONFIG, search_type="phrase")
        rank = rank + Case(When(search_vector=phrase, then=Value(PHRASE_BONUS)), default=Value(0.0), output_field=FloatField())
    return rank


def _search_words(folded: str, *, negated: bool = True) -> list[str]:
    """The search's words in order, once each, without operators and punctuation;
    `negated`: with the words a leading "-" excludes (as plain words)."""
    words = []
    for raw in folded.split():
        word = raw.strip(_SEARCH_PUNCTUATION)
        if word.startswith("-"):
            if not negated:
                continue
            word = word[1:]
        if word and word != "or":
            words.append(word)
    return list(dict.fromkeys(words))


def effective_sort(sort: str, *, searching: bool) -> str:
    """The sort actually applied: a whitelisted one, else the default (best match when searching, else newest)."""
    if sort not in {"newest", "complexity_asc", "complexity_desc", "title", "relevance"}:
        sort = "relevance" if searching else "newest"
    if sort == "relevance" and not searching:
        sort = "newest"
    return sort


def summary_order(queryset: QuerySet[Summary], *, sort: str, fields: list[str], searching: bool) -> QuerySet[Summary]:
    """Order by one of the whitelisted sorts; anything else falls back to the default
    (best match when searching, else newest). Ties always end on -id, so pages are stable."""
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
        level = Subquery(general.order_by("-complexity").values("complexity")[:1])
        queryset = queryset.annotate(level=level)
        if sort == "complexity_asc":
            return queryset.order_by(F("level").asc(nulls_last=True), "-id")
        return queryset.order_by(F("level").desc(nulls_last=True), "-id")
    return queryset.order_by("-created_at", "-id")


@dataclass
class Catalogue:
    filterset: SummaryFilter
    queryset: QuerySet[Summary]
    query: str
    sort: str
    fields: list[str]
    notes: list[str] = field(default_factory=list)
    # The sort applied, and the normalized filters (what decides the matched set, not its order).
    applied_sort: str = "newest"
    filter_key: tuple = ()

    @property
    def index_ordered(self) -> bool:
        """Newest first without a search: a LIMIT walks the catalogue index and stops early,
        so the page must not be fetched with a count over the whole set."""
        return self.applied_sort == "newest"


def summary_catalogue(*, data, fields: list[str] | None = None) -> Catalogue:
    """The catalogue's pipeline for a GET QueryDict: base, FilterSet, search, ordering.
    `fields`: the fields offered (catalogue_fields() when not given)."""
    all_fields = catalogue_fields() if fields is None else fields
    filterset = SummaryFilter(data=data or None, queryset=summary_catalogue_base(), fields=all_fields)
    queryset = filterset.qs  # validates the form; invalid filters are left out
    cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
    query = cleaned.get("q") or ""
    sort = cleaned.get("sort") or ""
    chosen = cleaned.get("field") or []
    searching = bool(normalize_topic(query))
    queryset = summary_search(queryset, query)
    queryset = summary_order(queryset, sort=sort, fields=chosen, searching=searching)
    filter_key = (
        tuple(sorted(chosen)),
        _decimal_key(cleaned.get("cmin")),
        _decimal_key(cleaned.get("cmax")),
        normalize_topic(cleaned.get("topic") or ""),
        " ".join(normalize_topic(query).split()),
    )
    return Catalogue(
        filterset=filterset, queryset=queryset, query=query, sort=sort, fields=all_fields, notes=filterset.notes,
        applied_sort=effective_sort(sort, searching=searching), filter_key=filter_key,
    )


def _decimal_key(value) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


# --- one page of the catalogue ---------------------------------------------------

# Counting stops here when the count would cost a scan of its own: "10,000+ summaries".
COUNT_CAP = 10_000
# Beyond this offset a page number is nonsense (and would overflow the OFFSET): it is read as past the end.
_MAX_OFFSET = 10**9


@dataclass
class PageKeys:
    ids: list[int]  # the page's summary ids, in order
    count: int  # matches in all
    # (field, complexity, number of general topics) over every match, when asked for
    general: list[tuple[str, float, int]] | None = None


def _order_terms(queryset: QuerySet[Summary]) -> tuple[dict, list[str]]:
    """The queryset's ordering as named key expressions and the ORDER BY terms over them."""
    keys, outer = {}, []
    for i, term in enumerate(queryset.query.order_by):
        nulls = ""
        if isinstance(term, str):
            descending, expression = term.startswith("-"), F(term.lstrip("-"))
        elif isinstance(term, OrderBy):
            descending, expression = term.descending, term.expression
            nulls = " NULLS LAST" if term.nulls_last else " NULLS FIRST" if term.nulls_first else ""
        else:
            descending, expression = False, term
        keys[f"catalogue_k{i}"] = expression
        outer.append(f"catalogue_k{i} {'DESC' if descending else 'ASC'}{nulls}")
    return keys, outer


def _page_keys(queryset: QuerySet[Summary], *, offset: int, limit: int, general: bool = False) -> PageKeys:
    """One page of `queryset` in its order and the number of matches, in one pass over
    the matches; with `general`, also the general topics of every match by field and
    complexity (the overview chart's data), from the same pass.

    On PostgreSQL the sort keys (the rank, say) are computed once per match into a
    materialized CTE of narrow rows (id, keys): the sort is an in-memory top-N
    heapsort, the count and the chart read the CTE, and no card column, join or
    TOASTed value is read for a match that is not on the page. SQLite gets the
    plain query with a window count (and no chart data: it is computed apart).
    """
    if connection.vendor != "postgresql":
        rows = list(
            queryset.annotate(catalogue_total=Window(Count("*"))).values_list("pk", "catalogue_total")[offset : offset + limit]
        )
        if rows:
            return PageKeys(ids=[pk for pk, _ in rows], count=rows[0][1])
        return PageKeys(ids=[], count=queryset.count() if offset else 0)  # past the end: count apart
    keys, outer = _order_terms(queryset)
    columns = dict(keys)
    general_sql = ""
    if general:
        # Each match's general topics as codes on its own row (videos.general_codes):
        # the chart is a count over the matches, with no join per match.
        columns["catalogue_codes"] = GeneralCodes()
        general_sql = ", " + general_codes.chart_sql("matches", "catalogue_codes")
    inner = queryset.order_by().annotate(**columns).values_list("id", *columns)
    sql, params = inner.query.sql_with_params()
    order = ", ".join(outer)
    with serial_plan(), connection.cursor() as cursor:
        cursor.execute(
            f"WITH matches AS MATERIALIZED ({sql}) "
            "SELECT (SELECT count(*) FROM matches), "
            f"(SELECT coalesce(array_agg(id ORDER BY {order}), '{{}}') FROM "
            f"(SELECT * FROM matches ORDER BY {order} LIMIT %s OFFSET %s) AS page)"
            f"{general_sql}",
            [*params, limit, offset],
        )
        row = cursor.fetchone()
    distribution = None
    if general:
        raw = row[2]
        raw = json.loads(raw) if isinstance(raw, str) else raw
        distribution = [(str(f), int(c) / 100, int(n)) for f, c, n in raw]
    return PageKeys(ids=list(row[1]), count=int(row[0]), general=distribution)


@contextmanager
def serial_plan():
    """On PostgreSQL, plan the next queries without parallel workers and with enough
    work_mem to hash the matches in memory (SET LOCAL, for this transaction only).
    A catalogue query reads a few thousand rows: two workers cut its time alone a
    little but cost about three times the CPU, and under concurrent requests on a
    small machine the CPU is what runs out."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            # A broad search hashes ~15,000 matches: at the default 4 MB that spills to disk.
            cursor.execute("SET LOCAL work_mem = '32MB'")
        yield


def summary_cards(ids: list[int]) -> list[Summary]:
    """The summaries `ids`, in that order, with what a card shows and nothing else: their
    own and their video's CARD_FIELDS, `card_general` [(field, complexity)] and
    `card_topics` [name] (the summary's own topics, not the sections'), each in order.
    The page's order and filters were decided already. Three queries; only the
    summaries and their videos become model instances."""
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
    for summary in Summary.objects.filter(pk__in=ids).select_related("video").only(*CARD_FIELDS):
        summary.card_general, summary.card_topics = general[summary.pk], topics[summary.pk]
        by_id[summary.pk] = summary
    return [by_id[pk] for pk in ids if pk in by_id]


CARD_FIELDS = (
    "id", "template_id", "introduction", "created_at",
    "video__id", "video__youtube_id", "video__title", "video__slug", "video__channel",
)


class CataloguePaginator(Paginator):
    """A Paginator whose count is given (from the page query's own count, or a capped count)
    instead of being asked of the database once more. `capped`: there are more than `count` - 1."""

    def __init__(self, object_list, per_page, *, count: int, capped: bool = False):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # the cached_property, already known
        self.capped = capped

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP:,}+" if self.capped else str(self.count)

    @property
    def num_pages_label(self) -> str:
        return f"{self.num_pages}+" if self.capped else str(self.num_pages)


def summary_catalogue_page(catalogue: Catalogue, number, *, per_page: int, general: bool = False) -> Page:
    """One page of the catalogue, with as few passes over the matched set as the sort allows.

    - Newest first, no search: the page is a LIMIT over the catalogue's index
      (it stops after `per_page` matches); the count is a second query capped
      at COUNT_CAP + 1 rows, so a broad filter never counts the whole library.
    - Any other sort (best match, title, complexity) must read every match to
      order them anyway: one query returns the page and, in the same pass, the
      exact number of matches and, with `general` (on PostgreSQL), the chart's
      data as `page.general` (None when not computed here).
    Page numbers behave as Paginator.get_page: not a number -> the first page,
    out of range -> the last.
    """
    queryset = catalogue.queryset
    if not catalogue.index_ordered:
        try:
            n = int(number)
        except (TypeError, ValueError):
            n = 1
        # Below 1 or absurdly far: past the end, which shows the last page (as Paginator.get_page).
        n = _MAX_OFFSET // per_page if n < 1 else min(n, _MAX_OFFSET // per_page)
        keys = _page_keys(queryset, offset=(n - 1) * per_page, limit=per_page, general=general)
        if not keys.ids and keys.count:  # past the end: the last page
            n = (keys.count + per_page - 1) // per_page
            keys = PageKeys(
                ids=_page_keys(queryset, offset=(n - 1) * per_page, limit=per_page).ids, count=keys.count, general=keys.general
            )
        paginator = CataloguePaginator(queryset, per_page, count=keys.count)
        page = Page(summary_cards(keys.ids), n if keys.ids else 1, paginator)
        page.general = keys.general
        return page
    count = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    paginator = CataloguePaginator(queryset.values_list("pk", flat=True), per_page, count=count, capped=count > COUNT_CAP)
    page = paginator.get_page(number)
    page.object_list = summary_cards(list(page.object_list))
    page.general = None
    return page


# --- the complexity overview ------------------------------------------------------


def catalogue_shape() -> TemplateShape | None:
    """The default template's shape: the scale the overview chart is drawn against."""
    template = PromptTemplate.objects.order_by("-is_default", "name", "-version").first()
    return template.shape() if template else None


@dataclass(frozen=True)
class CatalogueMeta:
    fields: list[str]  # the fields the filters offer
    scale: tuple[ScaleBand, ...]  # the default template's complexity scale
    # Template shapes by template id, filled as cards need them (videos.views.catalogue):
    # kept with the rest, so a page computed in the same generation reads no template.
    shapes: dict = field(default_factory=dict, compare=False)


_meta_memo: dict[int, CatalogueMeta] = {}


def catalogue_meta(generation: int | None = None) -> CatalogueMeta:
    """The fields, the scale and the template shapes, read from the templates. Kept in
    this process per catalogue generation (a template saved moves the generation on);
    read each time when there is no generation (the cache is off or unreachable)."""
    if generation is not None and generation in _meta_memo:
        return _meta_memo[generation]
    shape = catalogue_shape()
    meta = CatalogueMeta(fields=catalogue_fields(), scale=shape.scale if shape else ())
    if generation is not None:
        _meta_memo.clear()
        _meta_memo[generation] = meta
    return meta


@dataclass
class FieldDistribution:
    field: str
    counts: list[int]  # one per scale band
    total: int


def band_index(scale: tuple[ScaleBand, ...], complexity: float) -> int:
    """The band a complexity falls in; between two bands, the band below (as TemplateShape.label_for)."""
    best = 0
    for i, band in enumerate(scale):
        if band.min <= complexity:
            best = i
            if complexity <= band.max:
                return i
    return best


def cached_distribution(catalogue: Catalogue, *, scale: tuple[ScaleBand, ...], generation: int | None):
    """The chart's data for the catalogue's matches if cached (per catalogue generation and
    normalized filter key: another sort or page of the same filters reuses it), else None."""
    return catalogue_cache.get("chart", generation, *_chart_parts(catalogue, scale))


def cache_distribution(catalogue: Catalogue, distribution, *, scale: tuple[ScaleBand, ...], generation: int | None) -> None:
    catalogue_cache.put("chart", generation, distribution, *_chart_parts(catalogue, scale))


def _chart_parts(catalogue: Catalogue, scale: tuple[ScaleBand, ...]) -> tuple:
    return (catalogue.filter_key, tuple(catalogue.fields), [(b.min, b.max) for b in scale])


def summary_complexity_distribution(
    queryset: QuerySet[Summary], *, fields: list[str], scale: tuple[ScaleBand, ...]
) -> list[FieldDistribution]:
    """How many general topics of the summaries in `queryset` fall in each band, per field."""
    ids = queryset.order_by().values("pk")
    rows = (
        SummaryGeneralTopic.objects.filter(summary__in=ids)
        .order_by()
        .values_list("field", "complexity")
        .annotate(n=Count("id"))
    )
    with serial_plan():
        counted = [(name, float(complexity), n) for name, complexity, n in rows]
    return distribution_from_counts(counted, fields=fields, scale=scale)


def distribution_from_counts(
    rows: list[tuple[str, float, int]], *, fields: list[str], scale: tuple[ScaleBand, ...]
) -> list[FieldDistribution]:
    """(field, complexity, n) rows into per-field counts by scale band; every offered field gets a row."""
    by_field: dict[str, list[int]] = {f: [0] * len(scale) for f in fields}
    for name, complexity, n in rows:
        counts = by_field.setdefault(name, [0] * len(scale))
        if scale:
            counts[band_index(scale, complexity)] += n
    return [FieldDistribution(field=f, counts=c, total=sum(c)) for f, c in by_field.items()]


# --- one summary ------------------------------------------------------------------


def summary_detail(*, pk: int) -> Summary:
    """A done summary with what its page shows; raises Summary.DoesNotExist."""
    return (
        Summary.objects.filter(status=Summary.Status.DONE)
        .select_related("video", "video__transcript", "template")
        .prefetch_related(
            Prefetch("general_topics", queryset=SummaryGeneralTopic.objects.order_by("position")),
            "examples",
        )
        .get(pk=pk)
    )


def summary_others(*, summary: Summary) -> QuerySet[Summary]:
    """The video's other done summaries, newest first."""
    return (
        Summary.objects.filter(video_id=summary.video_id, status=Summary.Status.DONE)
        .exclude(pk=summary.pk)
        .select_related("template")
        .order_by("-created_at", "-id")
    )


def complexity_percent(value: Decimal | float) -> float:
    return round(max(0.0, min(1.0, float(value))) * 100, 1)



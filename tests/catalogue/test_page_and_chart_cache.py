"""How the catalogue fetches a page and its chart: the counts stay right whether
they come from the page query (its own count), a capped count, or a page past the
end; the chart is cached per filter key and sees new summaries at once. Also the
synthetic data's topic popularity and, on PostgreSQL, the smaller search vector."""

import collections
import random

import pytest
from django.db import connection
from django.urls import reverse

from videos import catalogue_cache, selectors
from videos.management.commands import make_synthetic_summaries as synthetic
from videos.models import normalize_topic

from .helpers import make_summary

pytestmark = pytest.mark.django_db
URL = reverse("videos:catalogue")
QC = "Quantum Computing"
AI = "Artificial Intelligence (AI) and Machine Learning"


def titles(response) -> list[str]:
    return [card.summary.video.title for card in response.context["cards"]]


@pytest.fixture
def many():
    for i in range(30):
        make_summary(title=f"v{i:02d} hashing", general=((QC, 0.5),), minutes=i)


@pytest.mark.parametrize("sort", ["", "title", "complexity_desc"])
def test_a_search_or_full_sort_counts_in_the_page_query(viewer_client, many, sort):
    response = viewer_client.get(URL, {"q": "hashing", "sort": sort, "page": "2"})
    page = response.context["page"]
    assert page.paginator.count == 30 and not page.paginator.capped
    assert len(titles(response)) == 6
    assert b"30 summaries" in response.content and b"Page 2 of 2" in response.content


@pytest.mark.parametrize("number, expected_len", [("99", 6), ("-1", 6), ("0", 6), ("abc", 24), ("1" * 50, 6)])
def test_a_page_past_the_end_of_a_search_is_the_last_page(viewer_client, many, number, expected_len):
    response = viewer_client.get(URL, {"q": "hashing", "sort": "title", "page": number})
    assert response.status_code == 200
    assert len(titles(response)) == expected_len
    assert response.context["page"].paginator.count == 30


def test_a_search_without_matches_is_an_empty_page(viewer_client, many):
    response = viewer_client.get(URL, {"q": "nothingmatcheshere", "page": "3"})
    assert response.status_code == 200 and titles(response) == []
    assert response.context["page"].paginator.count == 0


def test_the_count_is_capped_when_it_would_cost_a_scan(viewer_client, many, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 25)
    response = viewer_client.get(URL, {"field": QC})
    html = response.content.decode()
    assert response.context["page"].paginator.capped
    assert "25+ summaries" in html and "Page 1 of 2+" in html and "Last »" not in html
    assert titles(response)[0] == "v29 hashing"
    second = viewer_client.get(URL, {"field": QC, "page": "2"})
    assert titles(second)[0] == "v05 hashing"
    # Below the cap the count is exact.
    monkeypatch.setattr(selectors, "COUNT_CAP", 30)
    catalogue_cache.advance()  # the same URL's page is cached; the data did not change, the code did
    response = viewer_client.get(URL, {"field": QC})
    assert not response.context["page"].paginator.capped and b"30 summaries" in response.content


def test_the_chart_is_cached_per_filter_key(viewer_client, many, monkeypatch):
    from videos.views import catalogue as view

    calls = []
    for name in ("summary_complexity_distribution", "distribution_from_counts"):  # the two ways it is computed
        real = getattr(view, name)
        monkeypatch.setattr(view, name, lambda *a, _real=real, **k: calls.append(1) or _real(*a, **k))
    first = viewer_client.get(URL, {"field": QC, "q": "hashing"}).context["chart"]
    assert calls == [1]
    # The same filters in another order, another sort, another page: the cached chart.
    again = viewer_client.get(URL, {"q": "  Hashing ", "field": QC, "sort": "title", "page": "2"}).context["chart"]
    assert calls == [1]
    assert [r.total for r in again.rows] == [r.total for r in first.rows]
    # Other filters: computed.
    viewer_client.get(URL, {"field": QC})
    assert calls == [1, 1]
    # A new summary is seen at once.
    make_summary(title="new hashing", general=((QC, 0.9),), minutes=99)
    newer = viewer_client.get(URL, {"field": QC, "q": "hashing"}).context["chart"]
    assert calls == [1, 1, 1]
    assert {r.field: r.total for r in newer.rows}[QC] == 31
    assert {r.field: r.total for r in first.rows}[QC] == 30


def test_synthetic_topics_have_a_long_tail_without_a_dominant_topic():
    gen = synthetic.Generator(random.Random(5), list(synthetic.FIELD_PROFILES), 5, 4, 3, 5, 3)
    n = 3000
    frequency = collections.Counter()
    for i in range(n):
        _, _, data = gen.summary(i)
        frequency.update({normalize_topic(t) for t in [*data["topics"], *(t for s in data["sections"] for t in s["topics"])]})
    counts = sorted(frequency.values(), reverse=True)
    assert sum(len(v) for v in gen.vocab.values()) > 3000  # a few thousand topics
    assert counts[0] / n < 0.05  # the most common topic is in a few % of the summaries
    assert counts[200] / n < counts[0] / n / 1.5  # ... and popularity falls off


on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


def _vector_text(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM videos_summary WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@on_postgres
def test_postgres_bullets_are_stripped_of_positions_and_still_match(viewer_client):
    summary = make_summary(title="Vector", bullets={(0, 0): "Zygomorphic flowers appear once."})
    text = _vector_text(summary.pk)
    assert "'zygomorph'" in text and "'zygomorph':" not in text  # no positions
    assert "'vector':1A" in text  # title keeps position and weight
    assert titles(viewer_client.get(URL, {"q": "zygomorphic"})) == ["Vector"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the chart comes from the page query on PostgreSQL only")
@pytest.mark.parametrize("sort", ["", "title", "complexity_desc"])
def test_postgres_the_chart_from_the_page_query_is_the_chart_computed_apart(many, sort):
    from django.http import QueryDict

    make_summary(title="other hashing", general=((QC, 0.95), (AI, 0.3)), minutes=50)
    scale = selectors.catalogue_meta().scale
    catalogue = selectors.summary_catalogue(data=QueryDict(f"q=hashing&cmin=0.4&sort={sort}"))
    page = selectors.summary_catalogue_page(catalogue, "2", per_page=7, general=True)
    assert page.paginator.count == 31 and len(page.object_list) == 7
    from_page = selectors.distribution_from_counts(page.general, fields=catalogue.fields, scale=scale)
    apart = selectors.summary_complexity_distribution(catalogue.queryset, fields=catalogue.fields, scale=scale)
    assert from_page == apart
    assert {d.field: d.total for d in from_page}[AI] == 1

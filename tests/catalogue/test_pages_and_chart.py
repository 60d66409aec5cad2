"""How the catalogue pages its matches and counts them for the chart: the counts
stay right for every sort and for a page past the end, and the chart counts the
general topics of every match, not only those on the page. Also the synthetic
data's topic popularity and, on PostgreSQL, the smaller search vector."""

import collections
import random

import pytest
from django.db import connection
from django.urls import reverse

from videos.catalogue import pages as selectors
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
    assert page.paginator.count == 30
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


def test_the_chart_counts_every_match_and_sees_a_new_summary_at_once(viewer_client, many):
    chart = viewer_client.get(URL, {"field": QC, "q": "hashing", "page": "2"}).context["chart"]
    assert {r.field: r.total for r in chart.rows}[QC] == 30  # all matches, not the page's 6
    band = selectors.band_index(selectors.catalogue_meta().scale, 0.5)
    assert [r for r in chart.rows if r.field == QC][0].bars[band].count == 30
    make_summary(title="new hashing", general=((QC, 0.9), (AI, 0.2)), minutes=99)
    newer = viewer_client.get(URL, {"field": QC, "q": "hashing"}).context["chart"]
    assert {r.field: r.total for r in newer.rows}[QC] == 31
    assert {r.field: r.total for r in newer.rows}[AI] == 1
    narrowed = viewer_client.get(URL, {"field": AI}).context["chart"]
    assert {r.field: r.total for r in narrowed.rows}[QC] == 1  # the match's other general topics count too


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


def _count_queries(queries) -> int:
    return sum('COUNT(*) AS "__count"' in q["sql"] for q in queries)


def test_with_one_field_chosen_the_chart_gives_the_count(viewer_client):
    from django.test.utils import CaptureQueriesContext

    for i in range(5):
        make_summary(title=f"a{i} hashing", general=((QC, 0.5), (AI, 0.5)), minutes=i)
    for i in range(3):
        make_summary(title=f"b{i} hashing", general=((AI, 0.5),), minutes=10 + i)
    make_summary(title="c hashing", general=((QC, 0.9),), minutes=20)  # out of the range
    make_summary(title="d hashing", general=(), minutes=21)  # no general topic at all
    with CaptureQueriesContext(connection) as one:
        response = viewer_client.get(URL, {"field": QC, "cmax": "0.6", "q": "hashing"})
    assert response.context["page"].paginator.count == 5 and b"5 summaries" in response.content
    assert _count_queries(one.captured_queries) == 0  # no second pass over the matches
    with CaptureQueriesContext(connection) as two:
        both = viewer_client.get(URL, {"field": [QC, AI], "cmax": "0.6", "q": "hashing"})
    assert both.context["page"].paginator.count == 8  # a summary in both fields counts once
    assert _count_queries(two.captured_queries) == 1
    everything = viewer_client.get(URL, {"q": "hashing"})
    assert everything.context["page"].paginator.count == 10
    chart = {r.field: r.total for r in everything.context["chart"].rows}
    assert (chart[QC], chart[AI]) == (6, 8)  # the summary without general topics adds to neither
    past = viewer_client.get(URL, {"field": QC, "cmax": "0.6", "q": "hashing", "page": "9"})
    assert past.context["page"].number == 1 and len(titles(past)) == 5

"""Search over title, introduction, section titles, bullets and topics, on
whichever database the run uses (SQLite by default, PostgreSQL in CI's second
run). PostgreSQL ranks with weights; SQLite ranks topic and title hits first."""

import pytest
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F
from django.urls import reverse

from videos.models import Summary
from videos.catalogue.pages import summary_catalogue_base
from videos.catalogue.search import PHRASE_BONUS, SEARCH_CONFIG, summary_search

from .helpers import make_summary

pytestmark = pytest.mark.django_db

URL = reverse("videos:catalogue")
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


def titles(response) -> list[str]:
    return [card.summary.video.title for card in response.context["cards"]]


@pytest.fixture
def corpus():
    make_summary(title="Bloom filters in practice", minutes=1)
    make_summary(title="Intro video", intro="We look at consensus protocols today.", minutes=2)
    make_summary(title="Section video", section_titles=["Section 1: Skip lists explained"], minutes=3)
    make_summary(title="Bullet video", bullets={(3, 2): "Tries store prefixes of strings."}, minutes=4)
    make_summary(title="Topic video", topics=["Dijkstra's Algorithm", "B", "C", "D", "E"], minutes=5)
    make_summary(title="Section topic video", section_topics={(1, 0): "Memoization"}, minutes=6)


@pytest.mark.parametrize(
    "q, expected",
    [
        ("bloom", "Bloom filters in practice"),
        ("consensus", "Intro video"),
        ("skip lists", "Section video"),
        ("prefixes", "Bullet video"),
        ("dijkstra", "Topic video"),
        ("memoization", "Section topic video"),
    ],
)
def test_search_covers_every_part(viewer_client, corpus, q, expected):
    assert titles(viewer_client.get(URL, {"q": q})) == [expected]


def test_every_word_must_match(viewer_client, corpus):
    assert titles(viewer_client.get(URL, {"q": "bloom practice"})) == ["Bloom filters in practice"]
    assert titles(viewer_client.get(URL, {"q": "bloom consensus"})) == []


def test_search_ignores_case_and_accents(viewer_client):
    make_summary(title="Gödel", topics=["Théorème d'incomplétude", "B", "C", "D", "E"])
    assert titles(viewer_client.get(URL, {"q": "GODEL"})) == ["Gödel"]
    assert titles(viewer_client.get(URL, {"q": "theoreme"})) == ["Gödel"]
    assert titles(viewer_client.get(URL, {"q": "Théorème"})) == ["Gödel"]


def test_quoted_and_operator_queries_do_not_fail(viewer_client, corpus):
    response = viewer_client.get(URL, {"q": '"bloom filters" & !practice | (skip'})
    assert response.status_code == 200


def test_a_topic_hit_ranks_above_a_bullet_hit(viewer_client):
    # The newer summary only mentions hashing in a bullet; the older one is about it.
    make_summary(title="About hashing", topics=["Hashing", "B", "C", "D", "E"], minutes=1)
    make_summary(title="Mentions hashing", bullets={(4, 3): "Hashing comes up once here."}, minutes=2)
    assert titles(viewer_client.get(URL, {"q": "hashing"})) == ["About hashing", "Mentions hashing"]
    # An explicit sort still wins over relevance.
    assert titles(viewer_client.get(URL, {"q": "hashing", "sort": "newest"})) == ["Mentions hashing", "About hashing"]


def test_a_title_hit_ranks_above_an_introduction_hit(viewer_client):
    make_summary(title="Raft consensus", minutes=1)
    make_summary(title="Distributed systems", intro="Raft is mentioned in passing.", minutes=2)
    assert titles(viewer_client.get(URL, {"q": "raft"})) == ["Raft consensus", "Distributed systems"]


@on_postgres
def test_postgres_ranks_with_weights():
    topic = make_summary(title="t1", topics=["Hashing", "B", "C", "D", "E"])
    section = make_summary(title="t2", section_titles=["Section 1: Hashing"])
    intro = make_summary(title="t3", intro="Hashing is the subject.")
    bullet = make_summary(title="t4", bullets={(0, 0): "Hashing once."})
    ranked = list(summary_search(summary_catalogue_base(), "hashing").order_by("-rank"))
    assert [s.pk for s in ranked] == [topic.pk, section.pk, intro.pk, bullet.pk]
    assert ranked[0].rank > ranked[1].rank > ranked[2].rank > ranked[3].rank


@on_postgres
def test_postgres_ranks_the_words_as_a_phrase_above_the_words_apart():
    # The newer summary has every word, more often and in its title, but never in this order.
    phrase = make_summary(title="Lecture 4", topics=["Hash Tables in Practice", "B", "C", "D", "E"], minutes=1)
    apart = make_summary(
        title="Practice with hash functions and tables", topics=["Hashing", "Round Tables", "Practice", "D", "E"], minutes=2
    )
    query = "hash tables in practice"
    ranked = list(summary_search(summary_catalogue_base(), query).order_by("-rank"))
    assert [s.pk for s in ranked] == [phrase.pk, apart.pk]
    # Without the phrase, the other one's words weigh more: the phrase is what puts the first one first.
    words = SearchQuery("hash or tables or in or practice", config=SEARCH_CONFIG, search_type="websearch")
    by_words = dict(Summary.objects.annotate(r=SearchRank(F("search_vector"), words)).values_list("pk", "r"))
    assert by_words[apart.pk] > by_words[phrase.pk]
    assert ranked[0].rank - ranked[1].rank < PHRASE_BONUS


@on_postgres
def test_postgres_rank_leaves_out_excluded_words():
    kept = make_summary(title="Bloom filters", topics=["Bloom Filters", "B", "C", "D", "E"])
    make_summary(title="Bloom filters and tries", topics=["Tries", "B", "C", "D", "E"])
    ranked = list(summary_search(summary_catalogue_base(), "bloom filters -tries").order_by("-rank"))
    assert [s.pk for s in ranked] == [kept.pk]
    assert ranked[0].rank > PHRASE_BONUS  # "bloom filters", as a phrase, without the excluded word


@on_postgres
def test_postgres_stems_words():
    make_summary(title="Sorting algorithms")
    assert summary_search(summary_catalogue_base(), "sorted algorithm").count() == 1


@on_postgres
def test_postgres_store_result_fills_the_search_vector_and_the_gin_index_exists():
    summary = make_summary(title="Vector")
    assert Summary.objects.filter(pk=summary.pk, search_vector__isnull=False).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'summary_search_gin'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition.lower() and "search_vector" in definition


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps no vector")
def test_sqlite_has_no_gin_index_and_no_vector():
    summary = make_summary(title="Plain")
    assert Summary.objects.get(pk=summary.pk).search_vector is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'summary_search_gin'")
        assert cursor.fetchone() is None


def test_the_admin_finds_a_summary_by_its_content(admin_client):
    found = make_summary(title="Flowers", bullets={(0, 0): "Zygomorphic flowers appear once."})
    make_summary(title="Other")
    response = admin_client.get(reverse("admin:videos_summary_changelist"), {"q": "zygomorphic"})
    assert [s.pk for s in response.context["cl"].result_list] == [found.pk]
    by_title = admin_client.get(reverse("admin:videos_summary_changelist"), {"q": "Other"})
    assert len(by_title.context["cl"].result_list) == 1

"""The catalogue page: cards, each filter alone and combined, sorts, pagination,
htmx partials, permissions and bad input."""


from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.videos.factories import UserFactory
from videos.catalogue import pages as selectors
from tests.videos.factories import SummaryFactory
from videos.models import Summary

from .helpers import make_summary

pytestmark = pytest.mark.django_db

URL = reverse("videos:catalogue")
QC, AI, ALG = "Quantum Computing", "Artificial Intelligence (AI) and Machine Learning", "Algorithms and Data Structures"


def titles(response) -> list[str]:
    return [card.summary.video.title for card in response.context["cards"]]


# --- access ---------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_the_view_permission_is_refused(client):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(URL).status_code == 403


def test_viewer_sees_the_catalogue(viewer_client):
    response = viewer_client.get(URL)
    assert response.status_code == 200
    assert b'id="filters"' in response.content
    assert b"vendor/htmx/htmx.min.js" in response.content


# --- cards ----------------------------------------------------------------------


def test_card_shows_title_channel_first_line_general_topics_with_labels_and_topics(viewer_client):
    make_summary(
        title="Mixtral explained",
        channel="AI Explained",
        intro="First line of the introduction.\nSecond line stays off the card.",
        general=((QC, 0.89), (AI, 0.0), (ALG, 1.0)),
        topics=["Mixture of Experts", "Sparse Models", "Routing", "Transformers", "Inference"],
    )
    html = viewer_client.get(URL).content.decode()
    assert "Mixtral explained" in html and "AI Explained" in html
    assert "First line of the introduction." in html
    assert "Second line stays off the card." not in html
    assert "0.89" in html and "Advanced Graduate Level" in html
    assert "Elementary" in html and "PhD Level Lecture" in html
    for topic in ["Mixture of Experts", "Sparse Models", "Routing", "Transformers", "Inference"]:
        assert topic in html
    assert 'loading="lazy"' in html and "i.ytimg.com/vi/" in html
    assert "?topic=Mixture%20of%20Experts" in html


def test_only_current_done_summaries_are_listed(viewer_client):
    current = make_summary(title="Current one")
    make_summary(title="Older take", video=current.video)  # second done summary of the same video: not current
    SummaryFactory(video=make_summary(title="Other").video, template=current.template, model_id="m")
    assert sorted(titles(viewer_client.get(URL))) == ["Current one", "Other"]


# --- filters alone ----------------------------------------------------------------


@pytest.fixture
def spread():
    return {
        "qc_low": make_summary(title="qc low", general=((QC, 0.05), (ALG, 0.9)), minutes=1),
        "qc_high": make_summary(title="qc high", general=((QC, 0.89),), minutes=2),
        "ai_mid": make_summary(title="ai mid", general=((AI, 0.5),), minutes=3),
        "edges": make_summary(title="edges", general=((ALG, 0.0), (AI, 1.0)), minutes=4),
    }


def test_one_field(viewer_client, spread):
    assert set(titles(viewer_client.get(URL, {"field": QC}))) == {"qc low", "qc high"}


def test_several_fields(viewer_client, spread):
    assert set(titles(viewer_client.get(URL, {"field": [QC, AI]}))) == {"qc low", "qc high", "ai mid", "edges"}
    assert set(titles(viewer_client.get(URL, {"field": [ALG]}))) == {"qc low", "edges"}


def test_unknown_field_is_ignored_with_a_note(viewer_client, spread):
    response = viewer_client.get(URL, {"field": ["No such field", QC]})
    assert response.status_code == 200
    assert set(titles(response)) == {"qc low", "qc high"}
    assert "Unknown field ignored: No such field" in response.content.decode()
    assert len(titles(viewer_client.get(URL, {"field": "Bogus"}))) == 4


def test_complexity_min_alone_any_field(viewer_client, spread):
    assert set(titles(viewer_client.get(URL, {"cmin": "0.89"}))) == {"qc low", "qc high", "edges"}


def test_complexity_max_alone(viewer_client, spread):
    assert set(titles(viewer_client.get(URL, {"cmax": "0.05"}))) == {"qc low", "edges"}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"cmin": "0.00", "cmax": "0.00"}, {"edges"}),
        ({"cmin": "1.00", "cmax": "1.00"}, {"edges"}),
        ({"cmin": "0.89", "cmax": "0.89"}, {"qc high"}),
        ({"cmin": "0.00", "cmax": "1.00"}, {"qc low", "qc high", "ai mid", "edges"}),
        ({"cmin": "0.06", "cmax": "0.49"}, set()),
        ({"cmin": "1", "cmax": "1"}, {"edges"}),
    ],
)
def test_range_edges_are_inclusive(viewer_client, spread, params, expected):
    assert set(titles(viewer_client.get(URL, params))) == expected


def test_range_applies_to_the_chosen_fields_only(viewer_client, spread):
    # qc low has Algorithms at 0.9 but Quantum Computing at 0.05: not a hard quantum video.
    assert set(titles(viewer_client.get(URL, {"field": QC, "cmin": "0.8"}))) == {"qc high"}
    assert set(titles(viewer_client.get(URL, {"field": [QC, ALG], "cmin": "0.8"}))) == {"qc low", "qc high"}


def test_inverted_range_is_read_the_right_way_round(viewer_client, spread):
    response = viewer_client.get(URL, {"cmin": "0.6", "cmax": "0.4"})
    assert set(titles(response)) == {"ai mid"}
    assert "wrong way round" in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "1.5", "-0.1", "NaN", "Infinity", "0,5", "9" * 400])
def test_bad_complexity_values_are_ignored(viewer_client, spread, value):
    response = viewer_client.get(URL, {"cmin": value})
    assert response.status_code == 200
    assert len(titles(response)) == 4


def test_topic_ignores_case_and_accents(viewer_client):
    make_summary(title="hashing", topics=["Über Hashing", "B", "C", "D", "E"])
    make_summary(title="other", topics=["Hash", "B", "C", "D", "E"])
    assert titles(viewer_client.get(URL, {"topic": "uber hashing"})) == ["hashing"]
    assert titles(viewer_client.get(URL, {"topic": "  ÜBER   HASHING "})) == ["hashing"]


def test_topic_matches_section_topics_too(viewer_client):
    make_summary(title="sec", section_topics={(2, 1): "Bloom Filters"})
    make_summary(title="none")
    assert titles(viewer_client.get(URL, {"topic": "bloom filters"})) == ["sec"]


def test_unknown_topic_is_an_empty_result(viewer_client, spread):
    response = viewer_client.get(URL, {"topic": "nothing like this"})
    assert response.status_code == 200
    assert titles(response) == []
    assert "No summaries match" in response.content.decode()


# --- combined -------------------------------------------------------------------


def test_fields_range_topic_and_search_combined(viewer_client):
    make_summary(title="Quantum error correction", general=((QC, 0.85),), topics=["Qubits", "Surface Codes", "C", "D", "E"], minutes=1)
    make_summary(title="Quantum basics", general=((QC, 0.15),), topics=["Qubits", "B", "C", "D", "E"], minutes=2)
    make_summary(title="Error correction in networks", general=((AI, 0.85),), topics=["Qubits", "B", "C", "D", "E"], minutes=3)
    params = {"field": QC, "cmin": "0.8", "cmax": "0.9", "topic": "qubits", "q": "correction"}
    assert titles(viewer_client.get(URL, params)) == ["Quantum error correction"]
    params.pop("q")
    assert titles(viewer_client.get(URL, params)) == ["Quantum error correction"]
    params.pop("field")
    assert set(titles(viewer_client.get(URL, params))) == {"Quantum error correction", "Error correction in networks"}


# --- sorts ----------------------------------------------------------------------


@pytest.fixture
def sortable():
    make_summary(title="Beta", general=((QC, 0.30), (AI, 0.95)), minutes=1)
    make_summary(title="alpha", general=((QC, 0.70),), minutes=3)
    make_summary(title="Gamma", general=((QC, 0.10), (ALG, 0.20)), minutes=2)


def test_default_sort_is_newest(viewer_client, sortable):
    assert titles(viewer_client.get(URL)) == ["alpha", "Gamma", "Beta"]
    assert titles(viewer_client.get(URL, {"sort": "newest"})) == ["alpha", "Gamma", "Beta"]


def test_sort_by_title(viewer_client, sortable):
    got = titles(viewer_client.get(URL, {"sort": "title"}))
    assert [t.lower() for t in got] == ["alpha", "beta", "gamma"]


def test_sort_by_complexity_uses_the_hardest_topic_in_the_chosen_fields(viewer_client, sortable):
    assert titles(viewer_client.get(URL, {"sort": "complexity_desc"})) == ["Beta", "alpha", "Gamma"]
    assert titles(viewer_client.get(URL, {"sort": "complexity_asc"})) == ["Gamma", "alpha", "Beta"]
    assert titles(viewer_client.get(URL, {"sort": "complexity_desc", "field": QC})) == ["alpha", "Beta", "Gamma"]
    assert titles(viewer_client.get(URL, {"sort": "complexity_asc", "field": QC})) == ["Gamma", "Beta", "alpha"]


def test_unknown_sort_falls_back_to_newest(viewer_client, sortable):
    response = viewer_client.get(URL, {"sort": "video__title; drop table"})
    assert response.status_code == 200
    assert titles(response) == ["alpha", "Gamma", "Beta"]


# --- pagination -----------------------------------------------------------------


@pytest.fixture
def many():
    for i in range(30):
        make_summary(title=f"v{i:02d}", general=((QC, 0.5),), minutes=i)


def test_pages(viewer_client, many):
    first = viewer_client.get(URL)
    assert len(titles(first)) == 24 and titles(first)[0] == "v29"
    second = viewer_client.get(URL, {"page": "2"})
    assert titles(second) == [f"v{i:02d}" for i in range(5, -1, -1)]
    assert b"Page 2 of 2" in second.content


@pytest.mark.parametrize("page, expected_first", [("99", "v05"), ("-1", "v05"), ("abc", "v29"), ("", "v29"), ("1" * 50, "v05")])
def test_odd_page_numbers(viewer_client, many, page, expected_first):
    response = viewer_client.get(URL, {"page": page})
    assert response.status_code == 200
    assert titles(response)[0] == expected_first


def test_a_page_reads_its_cards_in_three_queries_whatever_their_number():
    """Cards come in the page's order with their general topics and own topics in order;
    the related rows are read as values, one query each, not per card."""
    made = [
        make_summary(
            title=f"card {i}", general=((QC, 0.3), (AI, 0.9)), topics=[f"T{i}-{k}" for k in range(5)], minutes=i,
            section_topics={(0, 0): f"section only {i}"},
        )
        for i in range(4)
    ]
    ids = [made[2].pk, made[0].pk, made[3].pk]
    with CaptureQueriesContext(connection) as queries:
        cards = selectors.summary_cards(ids)
        titles_read = [card.video.title for card in cards]
    assert len(queries.captured_queries) == 3
    assert titles_read == ["card 2", "card 0", "card 3"]
    assert cards[0].card_general == [(QC, Decimal("0.30")), (AI, Decimal("0.90"))]
    assert cards[1].card_topics == [f"T0-{k}" for k in range(5)]  # not the sections' topics
    assert selectors.summary_cards([]) == []


def test_page_links_keep_the_filters(viewer_client, many):
    html = viewer_client.get(URL, {"field": QC, "cmin": "0.1"}).content.decode()
    assert "field=Quantum+Computing&amp;cmin=0.1&amp;page=2" in html


# --- htmx -----------------------------------------------------------------------


def test_htmx_request_gets_only_the_results(viewer_client, spread):
    response = viewer_client.get(URL, {"field": QC}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html and 'id="filters"' not in html
    assert "qc high" in html and "ai mid" not in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(viewer_client, spread):
    response = viewer_client.get(URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_without_javascript_the_form_is_a_plain_get_form(viewer_client):
    html = viewer_client.get(URL).content.decode()
    assert 'method="get"' in html and 'action="/"' in html and 'type="submit"' in html


# --- the overview chart ---------------------------------------------------------


def test_chart_counts_the_filtered_set(viewer_client, spread):
    response = viewer_client.get(URL, {"field": QC})
    rows = {r.field: r for r in response.context["chart"].rows}
    assert rows[QC].total == 2
    assert rows[ALG].total == 1  # qc low's other general topic
    assert rows[AI].total == 0
    qc_counts = [bar.count for bar in rows[QC].bars]
    assert qc_counts[0] == 1 and qc_counts[8] == 1 and sum(qc_counts) == 2
    html = response.content.decode()
    assert "<svg" in html and "Advanced Graduate Level: 1" in html


def test_chart_bands_put_1_00_in_the_top_band(viewer_client, spread):
    rows = {r.field: r for r in viewer_client.get(URL).context["chart"].rows}
    assert rows[AI].bars[9].count == 1 and rows[AI].bars[5].count == 1
    assert rows[ALG].bars[0].count == 1


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "x" * 5000,
        'quantum "unbalanced',
        "a & | ! ( ) :* <-> '",
        "quantum\x00computing",
        "\x00",
        "-",
        "OR",
        "the and of",
        "%_%",
        "😀 ünïcödé",
        "\\",
        "'; drop table videos_summary; --",
    ],
)
def test_odd_searches_return_a_page(viewer_client, spread, q):
    response = viewer_client.get(URL, {"q": q})
    assert response.status_code == 200
    assert len(response.context["query"]) <= 500
    assert "\x00" not in response.context["query"]


def test_many_odd_parameters_together(viewer_client, spread):
    response = viewer_client.get(
        URL, {"field": ["x" * 1000, QC], "cmin": "2", "cmax": "-3", "topic": "\x00" + "t" * 5000, "sort": "💥", "page": "0", "extra": "1"}
    )
    assert response.status_code == 200

"""The summaries list is the catalogue: the same FilterSet, search and sorts give the same
summaries in the same order, page after page by cursor; one summary reads as its page and
its downloads are the page's downloads."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from tests.catalogue.helpers import make_summary
from videos.catalogue.pages import summary_catalogue

pytestmark = pytest.mark.django_db

QC, ALG = "Quantum Computing", "Algorithms and Data Structures"


@pytest.fixture
def catalogue():
    """Twelve summaries with many ties: the complexity sorts and titles repeat."""
    out = []
    for i in range(12):
        out.append(make_summary(
            title=f"Talk {i % 3}", minutes=i % 4, general=((QC, [0.2, 0.5, 0.8][i % 3]), (ALG, 0.5)),
            topics=[f"t{i}", "shared topic", "x", "y", "z"],
            intro=f"About hashing {i}" if i % 2 else f"About trees {i}",
        ))
    return out


def _walk(client, query: dict, page_size: int) -> list[int]:
    url = f"/api/v1/summaries/?{urlencode({**query, 'page_size': page_size}, doseq=True)}"
    ids, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [item["id"] for item in body["results"]]
        url, pages = body["next"], pages + 1
        assert pages < 50
    return ids


QUERIES = [
    {},
    {"sort": "newest"},
    {"sort": "title"},
    {"sort": "complexity_asc"},
    {"sort": "complexity_desc"},
    {"sort": "complexity_desc", "field": [QC]},
    {"field": [QC], "cmin": "0.4", "cmax": "0.9"},
    {"cmin": "0.9", "cmax": "0.4"},  # the wrong way round: read the right way round
    {"topic": "Shared Topic"},
    {"q": "hashing"},
    {"q": "hashing", "sort": "relevance"},
    {"q": "hashing", "sort": "title"},
]


@pytest.mark.parametrize("query", QUERIES, ids=[urlencode(q, doseq=True) or "all" for q in QUERIES])
@pytest.mark.parametrize("page_size", [1, 5, 100])
def test_the_list_is_the_catalogue_page_after_page(as_role, catalogue, query, page_size):
    data = QueryDict(urlencode(query, doseq=True))
    expected = list(summary_catalogue(data=data).queryset.values_list("pk", flat=True))
    assert expected, "the query should match something"
    assert _walk(as_role("viewer"), query, page_size) == expected


def test_notes_say_what_the_filters_made_of_odd_input(as_role, catalogue):
    body = as_role("viewer").get(f"/api/v1/summaries/?{urlencode({'field': [QC, 'Astrology'], 'cmin': 0.9, 'cmax': 0.1}, doseq=True)}").json()
    assert "Unknown field ignored: Astrology" in body["notes"]
    assert any("wrong way round" in note for note in body["notes"])


def test_a_card_holds_what_the_catalogue_card_shows(as_role, catalogue):
    item = as_role("viewer").get("/api/v1/summaries/?page_size=1").json()["results"][0]
    summary = next(s for s in catalogue if s.pk == item["id"])
    assert item["video"]["youtube_id"] == summary.video.youtube_id
    assert item["introduction"] == summary.introduction
    assert item["topics"] == ["t" + summary.introduction.split()[-1], "shared topic", "x", "y", "z"]
    assert [g["field"] for g in item["general_topics"]] == [QC, ALG]
    assert item["general_topics"][1] == {"field": ALG, "complexity": 0.5, "label": "Average College Lecture"}
    assert item["links"]["json"].endswith(f"/api/v1/summaries/{summary.pk}/export.json")


def test_detail_has_sections_with_times_quality_and_provenance(as_role):
    summary = make_summary(section_times=[[0, 61.5], [61.5, 120], [120, 180], [180, 240], [240, 300]],
                           figures={"grounded": 0.5, "copied": 0.0, "repeated": 0.01, "coverage": 1.0})
    body = as_role("viewer").get(f"/api/v1/summaries/{summary.pk}/").json()
    assert body["sections"][1] == {
        "number": 2, "title": summary.sections[1]["title"], "bullets": summary.sections[1]["content"],
        "topics": summary.sections[1]["topics"], "start": 61.5, "end": 120.0,
        "url": f"https://www.youtube.com/watch?v={summary.video.youtube_id}&t=61s",
    }
    assert body["topics"] == summary.data["topics"]
    assert body["general_topics"] == [{"field": QC, "complexity": 0.5, "label": "Average College Lecture"}]
    assert body["quality"]["grounded"] == 0.5 and body["quality"]["needs_review"] is True
    assert body["quality"]["reasons"]
    assert body["metrics"]["output_tokens"] == 456
    assert body["provenance"] == {"template": {"id": summary.template_id, "name": "catalogue-test", "version": 1},
                                  "model": "test-model", "examples": []}


def test_sections_without_times_have_null_times(as_role):
    summary = make_summary()
    section = as_role("viewer").get(f"/api/v1/summaries/{summary.pk}/").json()["sections"][0]
    assert section["start"] is None and section["end"] is None and section["url"] is None


def test_the_exports_are_the_pages_downloads(as_role, client):
    summary = make_summary(section_times=[[0, 10], [10, 20], [20, 30], [30, 40], [40, 50]])
    api = as_role("viewer")
    client.force_login(api.user)
    for api_path, page_path in ((f"/api/v1/summaries/{summary.pk}/export.json", f"/summaries/{summary.pk}.json"),
                                (f"/api/v1/summaries/{summary.pk}/export.md", f"/summaries/{summary.pk}.md")):
        ours, page = api.get(api_path, headers={"Accept": "text/markdown"}), client.get(page_path)
        assert ours.status_code == 200
        assert ours["Content-Disposition"] == page["Content-Disposition"]
        assert ours["Content-Type"].split(";")[0] == page["Content-Type"].split(";")[0]
        if api_path.endswith(".json"):
            assert ours.json() == page.json()
        else:
            assert ours.content == page.content


def test_make_current_moves_the_catalogue_to_the_chosen_summary(as_role):
    first = make_summary(minutes=1)
    second = make_summary(video=first.video, minutes=2)
    curator = as_role("curator")
    assert curator.get("/api/v1/summaries/").json()["results"][0]["id"] == first.pk
    response = curator.post(f"/api/v1/summaries/{second.pk}/make-current/")
    assert response.status_code == 200 and response.json()["is_current"] is True
    assert [item["id"] for item in curator.get("/api/v1/summaries/").json()["results"]] == [second.pk]

"""One summary: its page, its downloads, and the video's other summaries."""

import json

import pytest
from django.urls import reverse

from tests.videos.factories import TranscriptFactory, UserFactory
from tests.videos.factories import SummaryFactory
from videos.models import FewShotExample, Summary

from .helpers import make_summary, reference_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def summary():
    s = make_summary(
        title="Mixtral 8x7B",
        channel="AI Explained",
        intro="Mixtral is a sparse mixture of experts.",
        general=(("Quantum Computing", 0.89), ("Computer Architecture", 0.35)),
        topics=["Mixture of Experts", "Routing", "Sparse Models", "Transformers", "Inference"],
        section_titles=["Section 1: The router"],
        section_topics={(0, 0): "Top-2 Gating"},
    )
    TranscriptFactory(video=s.video, full_text="the full transcript text here")
    example = FewShotExample.objects.create(template=s.template, name="mixtral-shot", transcript="t", answer="{}")
    s.examples.add(example)
    return s


def test_summary_page_shows_everything(viewer_client, summary):
    response = viewer_client.get(reverse("videos:summary", args=[summary.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mixtral 8x7B" in html and "AI Explained" in html
    assert "Mixtral is a sparse mixture of experts." in html
    assert "Section 1: The router" in html
    assert html.count('class="bullets"') == 5
    assert f"p{summary.video.pk} bullet 3.4" in html
    assert '<a class="chip" href="/?topic=Top-2+Gating">Top-2 Gating</a>' in html
    assert "/?topic=Mixture+of+Experts" in html
    assert '<div class="glabel">Advanced Graduate Level</div>' in html
    assert '<div class="glabel">Advanced High School</div>' in html  # 0.35
    assert 'aria-label="Complexity 0.89, Advanced Graduate Level"' in html
    assert f"https://www.youtube.com/watch?v={summary.video.youtube_id}" in html
    assert "<details class=\"transcript\">" in html and "the full transcript text here" in html
    assert "catalogue-test v1" in html and "test-model" in html and "mixtral-shot" in html
    assert "1234" in html and "456" in html and "48.0 tokens/s" in html and "14.4" in html  # GB, filesizeformat
    assert reverse("videos:summary_json", args=[summary.pk]) in html
    assert reverse("videos:summary_markdown", args=[summary.pk]) in html


def test_chip_link_filters_the_catalogue(viewer_client, summary):
    make_summary(title="unrelated")
    response = viewer_client.get("/?topic=Top-2%20Gating")
    assert [c.summary.pk for c in response.context["cards"]] == [summary.pk]


def test_json_download(viewer_client, summary):
    response = viewer_client.get(reverse("videos:summary_json", args=[summary.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="summary-{summary.pk}-{summary.video.youtube_id}.json"'
    document = json.loads(response.content)
    assert document["summary"] == summary.data
    assert document["video"]["youtube_id"] == summary.video.youtube_id
    assert document["template"] == {"name": "catalogue-test", "version": 1}
    assert document["model"] == "test-model" and document["examples"] == ["mixtral-shot"]


def test_markdown_download(viewer_client, summary):
    response = viewer_client.get(reverse("videos:summary_markdown", args=[summary.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = response.content.decode()
    assert text.startswith("# Mixtral 8x7B\n")
    assert "## Section 1: The router" in text
    assert "- Quantum Computing: 0.89 (Advanced Graduate Level)" in text
    assert "Topics: Top-2 Gating" in text


def test_markdown_keeps_a_model_newline_inside_its_line(viewer_client):
    s = make_summary(title="nl", bullets={(0, 0): "first\n# not a heading"})
    text = viewer_client.get(reverse("videos:summary_markdown", args=[s.pk])).content.decode()
    assert "- first # not a heading" in text
    assert "\n# not a heading" not in text


def test_other_summaries_of_the_video_are_listed(viewer_client, summary):
    newer = make_summary(video=summary.video, minutes=10)
    assert not newer.is_current
    html = viewer_client.get(reverse("videos:summary", args=[summary.pk])).content.decode()
    assert "Other summaries of this video" in html and reverse("videos:summary", args=[newer.pk]) in html
    html = viewer_client.get(reverse("videos:summary", args=[newer.pk])).content.decode()
    assert reverse("videos:summary", args=[summary.pk]) in html and "<strong>current</strong>" in html
    assert "not the summary the catalogue shows" in html


def test_no_others_section_when_alone(viewer_client, summary):
    assert b"Other summaries of this video" not in viewer_client.get(reverse("videos:summary", args=[summary.pk])).content


def test_page_without_transcript_or_metrics(viewer_client):
    s = make_summary(title="bare", metrics={"device": ""})
    response = viewer_client.get(reverse("videos:summary", args=[s.pk]))
    assert response.status_code == 200
    assert b"<details class=\"transcript\">" not in response.content


@pytest.mark.parametrize("name", ["videos:summary", "videos:summary_json", "videos:summary_markdown"])
def test_unfinished_or_missing_summary_is_404(viewer_client, name):
    queued = SummaryFactory(video=make_summary().video, template=reference_template(), model_id="m")
    assert viewer_client.get(reverse(name, args=[queued.pk])).status_code == 404
    assert viewer_client.get(reverse(name, args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ["videos:summary", "videos:summary_json", "videos:summary_markdown"])
def test_summary_pages_need_login_and_permission(client, summary, name):
    url = reverse(name, args=[summary.pk])
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(username="noperm"))
    assert client.get(url).status_code == 403

"""The synthetic-data command: what it makes looks like real summaries to the catalogue."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from tests.videos.factories import VideoFactory
from videos.management.commands.make_synthetic_summaries import search_texts
from videos.models import Summary, SummaryGeneralTopic, SummaryTopic
from videos.selectors import summary_catalogue_base, summary_search
from videos.services import _summary_search_parts, _summary_search_text

pytestmark = pytest.mark.django_db


def test_makes_current_done_summaries_the_catalogue_can_filter_and_search(viewer_client, seeded):
    call_command("make_synthetic_summaries", "60", "--seed", "3", "--batch", "25", stdout=open("/dev/null", "w"))
    assert Summary.objects.current().count() == 60
    assert SummaryGeneralTopic.objects.count() == 180
    assert SummaryTopic.objects.filter(section__isnull=True).count() == 300
    summary = Summary.objects.current().first()
    field = summary.general_topics.first().field
    topic = summary.data["topics"][0]
    response = viewer_client.get(reverse("videos:catalogue"), {"field": field, "topic": topic, "q": topic, "sort": "newest"})
    assert response.status_code == 200
    assert Summary.objects.filter(pk=summary.pk, topics__normalized=topic.casefold()).exists()
    assert summary.pk in [c.summary.pk for c in response.context["cards"]]
    assert summary_search(summary_catalogue_base(), topic).filter(pk=summary.pk).exists()
    if connection.vendor == "postgresql":
        assert not Summary.objects.filter(search_vector__isnull=True).exists()
    assert viewer_client.get(reverse("videos:summary", args=[summary.pk])).status_code == 200


def test_fast_texts_agree_with_the_service():
    video = VideoFactory.build(title="Über Hashing: Théorie")
    data = {
        "introduction": "Intro  with   spaces",
        "sections": [{"title": "Section 1: Ça va", "content": ["b1", "B2"], "topics": ["Naïve Bayes"]}],
        "topics": ["Qubits", "ÉCOLE"],
        "General Topics": [],
    }
    text, parts = search_texts(video.title, data)
    assert text == _summary_search_text(video, data)
    assert parts == _summary_search_parts(video.title, data)

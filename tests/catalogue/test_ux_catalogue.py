"""Issue 18's catalogue, through Django's test client: one default sort (old links with
sort=relevance still sort), what an empty catalogue says to do next, the button that
queues the seed videos' summaries, and Back (htmx's history restore) getting the page
with its form filled in."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from tests.videos.factories import UserFactory
from videos.filters import SORT_CHOICES
from videos.models import Summary, Transcript

from .helpers import make_summary

pytestmark = pytest.mark.django_db

URL = reverse("videos:catalogue")
QUEUE_SEED = reverse("videos:queue_seed")
QC = "Quantum Computing"
HTMX = {"HTTP_HX_REQUEST": "true"}


def titles(response) -> list[str]:
    return [card.summary.video.title for card in response.context["cards"]]


@pytest.fixture
def submitter_client():
    """A client of its own, so that a test may also use viewer_client (Django's `client`)."""
    client = Client()
    user = UserFactory(username="ux-submitter")
    user.groups.add(Group.objects.get(name="Submitters"))
    client.force_login(user)
    client.user = user
    return client


# --- sort -----------------------------------------------------------------------


def test_the_sort_menu_has_one_best_match():
    labels = [label for _, label in SORT_CHOICES]
    assert [label for label in labels if "Best match" in label] == ["Best match, else newest"]
    assert "relevance" not in [value for value, _ in SORT_CHOICES]


def test_the_page_offers_best_match_once(viewer_client):
    make_summary(title="one")
    html = viewer_client.get(URL).content.decode()
    assert html.count("Best match") == 1
    assert 'value="relevance"' not in html


def test_an_old_link_with_sort_relevance_sorts_by_best_match(viewer_client):
    make_summary(title="About hashing", topics=["Hashing", "B", "C", "D", "E"], minutes=1)
    make_summary(title="Mentions hashing", bullets={(4, 3): "Hashing comes up once here."}, minutes=2)
    old = viewer_client.get(URL, {"q": "hashing", "sort": "relevance"})
    assert old.status_code == 200
    assert titles(old) == titles(viewer_client.get(URL, {"q": "hashing"})) == ["About hashing", "Mentions hashing"]
    assert "Select a valid choice" not in old.content.decode()
    # Not searching, it is the newest first, as the default is.
    assert titles(viewer_client.get(URL, {"sort": "relevance"})) == ["Mentions hashing", "About hashing"]


# --- empty states ---------------------------------------------------------------


def test_a_fresh_install_says_what_to_do_next_not_that_filters_match_nothing(viewer_client):
    html = viewer_client.get(URL).content.decode()
    assert "No summaries yet" in html
    assert "No summaries match these filters" not in html and "Clear the filters" not in html
    # A viewer may neither add videos nor queue summaries: they are told whom to ask.
    assert "Ask a curator or a submitter" in html
    assert QUEUE_SEED not in html and reverse("videos:submit") not in html.split('id="results"')[1]


def test_someone_who_may_queue_gets_the_seed_button_and_the_add_videos_link(submitter_client, seeded):
    html = submitter_client.get(URL).content.decode()
    assert "10 seed videos have a transcript and no summary yet" in html
    assert f'action="{QUEUE_SEED}"' in html and "Queue 10 summaries</button>" in html
    assert "csrfmiddlewaretoken" in html.split('id="results"')[1]
    assert f'href="{reverse("videos:submit")}">Add videos</a>' in html.split('id="results"')[1]


def test_the_htmx_partial_of_an_empty_catalogue_is_the_same_start(submitter_client, seeded):
    html = submitter_client.get(URL, {"sort": "title"}, **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="results"') and "Queue 10 summaries" in html


def test_queued_summaries_are_pointed_to_on_the_queue(viewer_client, template):
    video = Transcript.objects.first().video
    Summary.objects.create(video=video, template=template, model_id="m", status=Summary.Status.QUEUED)
    html = viewer_client.get(URL).content.decode()
    assert "1 summary is queued or running" in html and f'href="{reverse("videos:queue")}"' in html


def test_with_filters_set_an_empty_result_still_offers_to_clear_them(submitter_client, seeded):
    html = submitter_client.get(URL, {"field": QC}).content.decode()
    assert "No summaries match these filters" in html and "Clear the filters" in html
    assert "No summaries yet" not in html


def test_once_there_is_a_summary_the_start_is_gone(viewer_client):
    assert "No summaries yet" in viewer_client.get(URL).content.decode()
    make_summary(title="The first one")
    response = viewer_client.get(URL)
    assert titles(response) == ["The first one"] and "No summaries yet" not in response.content.decode()


# --- queueing the seed videos' summaries ----------------------------------------


def test_the_button_queues_a_summary_of_each_seed_video_once(submitter_client, seeded):
    response = submitter_client.post(QUEUE_SEED, follow=True)
    assert response.redirect_chain[-1][0] == reverse("videos:queue")
    queued = Summary.objects.filter(status=Summary.Status.QUEUED)
    assert queued.count() == 10
    assert set(queued.values_list("requested_by", flat=True)) == {submitter_client.user.pk}
    assert set(queued.values_list("video__transcript__source", flat=True)) == {Transcript.Source.SEED}
    assert "10 summaries of seed videos queued." in response.content.decode()
    # A second click queues nothing more, and says so.
    again = submitter_client.post(QUEUE_SEED, follow=True)
    assert Summary.objects.count() == 10
    assert "Every seed video has a summary already" in again.content.decode()


def test_the_button_keeps_to_the_queue_caps(submitter_client, seeded, settings):
    settings.SUMMARY_QUEUE_PER_USER = 3
    response = submitter_client.post(QUEUE_SEED, follow=True)
    assert Summary.objects.filter(status=Summary.Status.QUEUED).count() == 3
    html = response.content.decode()
    assert "3 summaries of seed videos queued." in html
    assert "7 seed video(s) left without a summary: you already have 3 summaries queued" in html


def test_a_failed_seed_summary_is_offered_again(submitter_client, seeded):
    submitter_client.post(QUEUE_SEED)
    Summary.objects.filter(pk=Summary.objects.first().pk).update(status=Summary.Status.FAILED)
    assert "Queue 1 summary</button>" in submitter_client.get(URL).content.decode()


def test_only_those_who_may_queue_press_it(viewer_client, submitter_client, seeded):
    assert viewer_client.post(QUEUE_SEED).status_code == 403
    assert submitter_client.get(QUEUE_SEED).status_code == 405
    assert not Summary.objects.exists()


# --- Back: htmx's history restore -----------------------------------------------


def test_back_gets_the_whole_page_with_the_form_filled_in(viewer_client):
    make_summary(title="qc", general=((QC, 0.9),))
    full = viewer_client.get(URL)
    assert 'hx-history="false"' in full.content.decode()  # never restored from htmx's snapshot
    restore = viewer_client.get(
        URL, {"field": QC, "cmin": "0.8"}, **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    html = restore.content.decode()
    assert 'id="filters"' in html and 'value="0.8"' in html
    assert f'value="{QC}"' in html and "checked" in html.split(f'value="{QC}"')[1].split(">")[0]
    assert "HX-History-Restore-Request" in restore["Vary"]
    # An ordinary htmx request still gets the results alone.
    partial = viewer_client.get(URL, {"field": QC}, **HTMX).content.decode()
    assert 'id="filters"' not in partial and 'id="results"' in partial

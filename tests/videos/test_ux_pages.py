"""Issue 18's pages, through Django's test client: the error pages in the site's layout
with a way home, a refused request logged in one line, and the video page's transcript
with each segment's time linked to that moment of the video."""

import logging

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from videos.models import Transcript
from videos.views.catalogue import transcript_lines

from .factories import TranscriptFactory, UserFactory

pytestmark = pytest.mark.django_db

STYLESHEET = "css/site.css"


@pytest.fixture
def viewer_client(client):
    user = UserFactory(username="ux-viewer")
    user.groups.add(Group.objects.get(name="Viewers"))
    client.force_login(user)
    return client


# --- error pages ----------------------------------------------------------------


def test_404_is_in_the_layout_with_a_link_home(viewer_client):
    response = viewer_client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert STYLESHEET in html and "Page not found" in html
    assert f'href="{reverse("videos:catalogue")}">Go to the catalogue</a>' in html
    assert 'id="site-nav"' in html  # the menu of a logged-in user


def test_403_is_in_the_layout_with_a_link_home(client):
    client.force_login(UserFactory(username="no-group"))
    response = client.get(reverse("videos:catalogue"))
    html = response.content.decode()
    assert response.status_code == 403
    assert STYLESHEET in html and "You may not open this page" in html
    assert "Go to the catalogue</a>" in html


def test_500_renders_without_a_request_context_or_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert STYLESHEET in html and "Something went wrong" in html and 'href="/"' in html
    assert 'id="site-nav"' not in html  # no user, no menu


def test_a_refused_request_is_logged_in_one_line(client, caplog):
    client.force_login(UserFactory(username="no-group"))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("videos:catalogue")).status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].exc_info is None
    line = logging.Formatter("%(levelname)s %(name)s: %(message)s").format(records[0])
    assert line == "WARNING django.request: Forbidden (Permission denied): /"


# --- the transcript on the video page ---------------------------------------------


def test_a_timed_transcript_links_each_line_to_its_moment(viewer_client):
    transcript = TranscriptFactory(
        full_text="x",
        segments=[
            {"start": 0.0, "duration": 4.5, "text": "hello and welcome"},
            {"start": 4.5, "duration": 4.5, "text": "  "},  # nothing to show
            {"start": 3725.2, "duration": 2.0, "text": "<b>hash</b> tables"},
        ],
    )
    video = transcript.video
    html = viewer_client.get(reverse("videos:video", args=[video.youtube_id])).content.decode()
    watch = f"https://www.youtube.com/watch?v={video.youtube_id}"
    assert f'<a class="transcript-time" href="{watch}&amp;t=0s"' in html
    assert f'href="{watch}&amp;t=3725s"' in html and ">1:02:05</a>" in html
    assert "&lt;b&gt;hash&lt;/b&gt; tables" in html  # text, never markup
    assert html.count('class="transcript-time"') == 2
    assert 'id="transcript-filter"' in html and "js/transcript.js" in html


def test_an_untimed_transcript_lists_its_lines_without_links(viewer_client):
    transcript = TranscriptFactory(
        full_text="first line\n\nsecond line", source=Transcript.Source.SEED,
        segments=[{"start": 0.0, "duration": 0.0, "text": "first line\n\nsecond line"}],
    )
    html = viewer_client.get(reverse("videos:video", args=[transcript.video.youtube_id])).content.decode()
    assert "transcript-time" not in html.split('id="transcript-lines"')[1].split("</ol>")[0]
    assert [line.text for line in transcript_lines(transcript.video, transcript)] == ["first line", "second line"]


def test_a_negative_or_odd_start_opens_the_video_at_its_beginning():
    transcript = TranscriptFactory(full_text="x", segments=[{"start": -3.0, "duration": 5.0, "text": "early"}])
    (line,) = transcript_lines(transcript.video, transcript)
    assert line.time == "0:00" and line.url.endswith("&t=0s")

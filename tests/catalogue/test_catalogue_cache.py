"""The catalogue's result cache (videos.catalogue.cache), on the real Redis.

A repeated page is served from the cache without touching the summaries; any
change to what the catalogue shows is seen by the very next request; without
Redis (or with the cache turned off) the page is computed as before."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from videos.catalogue import cache as catalogue_cache
from tests.videos.factories import SummaryFactory
from videos.models import Summary
from videos.services.summaries import summary_make_current, summary_store_result, summary_transition

from .helpers import make_summary, reference_template, viewer

pytestmark = pytest.mark.django_db

URL = reverse("videos:catalogue")
QC = "Quantum Computing"
HTMX = {"HTTP_HX_REQUEST": "true"}


def cache_state(response) -> str:
    return re.search(r"cache;desc=(\w+)", response["Server-Timing"]).group(1)


def card_titles(html: bytes) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]*)</a></h2>', html.decode())


@pytest.fixture
def viewer_client(client, db):
    """A staff viewer: only staff are told whether the cache answered (Server-Timing)."""
    user = viewer()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


@pytest.fixture
def three():
    return [make_summary(title=f"Video {i} hashing", general=((QC, 0.2 + i / 10),), minutes=i) for i in range(3)]


def test_a_repeated_page_is_served_from_the_cache_without_reading_the_summaries(viewer_client, three):
    params = {"field": QC, "cmin": "0.1", "q": "hashing", "sort": "title"}
    first = viewer_client.get(URL, params, **HTMX)
    assert cache_state(first) == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = viewer_client.get(URL, params, **HTMX)
    assert cache_state(second) == "hit"
    assert second.content == first.content
    assert card_titles(second.content) == ["Video 0 hashing", "Video 1 hashing", "Video 2 hashing"]
    assert not [q["sql"] for q in queries.captured_queries if "videos_summary" in q["sql"]]
    # The same filters in another order are the same page.
    reordered = viewer_client.get(URL, {"sort": "title", "q": "hashing", "cmin": "0.1", "field": QC}, **HTMX)
    assert cache_state(reordered) == "hit"
    # The full page wraps the cached block in a form that shows this request's values.
    full = viewer_client.get(URL, params)
    assert cache_state(full) == "hit" and b'id="filters"' in full.content and b'value="hashing"' in full.content
    assert card_titles(full.content) == card_titles(first.content)


def test_a_stored_summary_is_seen_by_the_next_request(viewer_client, three):
    assert card_titles(viewer_client.get(URL, **HTMX).content)[0] == "Video 2 hashing"
    make_summary(title="Brand new", minutes=10)
    response = viewer_client.get(URL, **HTMX)
    assert cache_state(response) == "miss"
    assert card_titles(response.content)[0] == "Brand new"
    assert b"4 summaries" in response.content


def test_making_another_summary_current_is_seen_by_the_next_request(viewer_client, three):
    video = three[0].video
    other = SummaryFactory(video=video, template=reference_template(), model_id="other-model")
    summary_transition(summary_id=other.pk, to=Summary.Status.RUNNING)
    data = dict(three[0].data, introduction="The newer take on hashing.")
    other = summary_store_result(summary_id=other.pk, data=data, raw_output="{}")
    assert not other.is_current
    assert b"The newer take" not in viewer_client.get(URL, **HTMX).content
    summary_make_current(summary=other)
    assert b"The newer take" in viewer_client.get(URL, **HTMX).content


def test_a_video_edit_and_a_deletion_are_seen_by_the_next_request(viewer_client, three):
    viewer_client.get(URL, **HTMX)
    video = three[1].video
    video.title = "Renamed video"
    video.save()
    assert "Renamed video" in card_titles(viewer_client.get(URL, **HTMX).content)
    three[2].delete()
    response = viewer_client.get(URL, **HTMX)
    assert card_titles(response.content) == ["Renamed video", "Video 0 hashing"]


def test_without_redis_the_page_is_computed(viewer_client, three, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
        }
    }
    for _ in range(2):
        response = viewer_client.get(URL, {"q": "hashing"})
        assert response.status_code == 200
        assert cache_state(response) == "off"
        assert len(card_titles(response.content)) == 3


def test_the_cache_can_be_turned_off(viewer_client, three, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    assert catalogue_cache.generation() is None
    for _ in range(2):
        assert cache_state(viewer_client.get(URL, **HTMX)) == "off"


def test_a_lost_counter_never_brings_old_pages_back(viewer_client, three):
    from django.core.cache import cache

    viewer_client.get(URL, **HTMX)
    before = catalogue_cache.generation()
    cache.delete(catalogue_cache.GENERATION_KEY)  # as a Redis restart or an eviction would
    after = catalogue_cache.generation()
    assert after > before
    assert cache_state(viewer_client.get(URL, **HTMX)) == "miss"

"""The catalogue warm-up (videos.catalogue_cache, videos.tasks.warm_catalogue), on the real Redis.

Every computed page is counted; after a change, a task computes the most asked
pages for the new generation, so the team's usual pages are cached again
before anyone asks. A warm page is the page the view would compute, byte for
byte, and it shows the change."""

import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from videos import catalogue_cache
from videos.tasks import warm_catalogue

from .helpers import make_summary
from .test_catalogue_cache import HTMX, QC, cache_state, card_titles

pytestmark = pytest.mark.django_db

URL = reverse("videos:catalogue")
PAGES = [{"q": "hashing", "sort": "title"}, {"field": QC, "cmin": "0.3"}, {"q": "hashing", "page": "2"}]


@pytest.fixture(autouse=True)
def warm_up_on(settings):
    settings.CATALOGUE_WARM_PAGES = 2
    client = catalogue_cache._redis()
    assert client is not None, "the tests run with a Redis (bin/test starts one)"
    client.delete(catalogue_cache._asked_key())
    yield
    client.delete(catalogue_cache._asked_key())


@pytest.fixture
def three():
    return [make_summary(title=f"Video {i} hashing", general=((QC, 0.2 + i / 10),), minutes=i) for i in range(3)]


def filter_form(html: bytes) -> bytes:
    return re.search(rb'<form method="get"[^>]*id="filters".*?</form>', html, re.S).group(0)


def ask(client, params, times=1):
    for _ in range(times):
        catalogue_cache.advance()  # a new generation: the page is computed again
        assert cache_state(client.get(URL, params, **HTMX)) == "miss"


def test_computed_pages_are_counted_most_asked_first(viewer_client, three):
    ask(viewer_client, PAGES[0], times=1)
    ask(viewer_client, PAGES[1], times=3)
    ask(viewer_client, PAGES[2], times=2)
    # Hits are not counted: a query counts once per generation it was computed in.
    viewer_client.get(URL, PAGES[2], **HTMX)
    assert catalogue_cache.most_asked(5) == ["cmin=0.3&field=Quantum+Computing", "page=2&q=hashing", "q=hashing&sort=title"]
    assert catalogue_cache.most_asked(1) == ["cmin=0.3&field=Quantum+Computing"]


def test_after_a_change_the_most_asked_pages_are_computed_before_anyone_asks(viewer_client, three, settings):
    ask(viewer_client, PAGES[0], times=2)
    ask(viewer_client, PAGES[1], times=3)
    ask(viewer_client, PAGES[2], times=1)  # third: beyond CATALOGUE_WARM_PAGES
    make_summary(title="Video 3 hashing", general=((QC, 0.9),), minutes=3)
    gen = catalogue_cache.generation()
    assert warm_catalogue(gen) == 2
    warm = viewer_client.get(URL, PAGES[0], **HTMX)
    assert cache_state(warm) == "hit"
    assert card_titles(warm.content) == ["Video 0 hashing", "Video 1 hashing", "Video 2 hashing", "Video 3 hashing"]
    assert cache_state(viewer_client.get(URL, PAGES[1], **HTMX)) == "hit"
    assert cache_state(viewer_client.get(URL, PAGES[2], **HTMX)) == "miss"
    assert catalogue_cache.get("filters", gen, sorted(QueryDict(urlencode(PAGES[0])).lists())) is not None
    full = viewer_client.get(URL, PAGES[0])
    assert cache_state(full) == "hit" and b'value="hashing"' in full.content
    # Byte for byte what the view computes, and the full page wraps it as usual.
    settings.CATALOGUE_CACHE_SECONDS = 0
    computed = viewer_client.get(URL, PAGES[0], **HTMX)
    assert cache_state(computed) == "off" and computed.content == warm.content
    # (The page around them differs: its log-out form carries a fresh CSRF token.)
    assert filter_form(viewer_client.get(URL, PAGES[0]).content) == filter_form(full.content)
    # Already cached: nothing to do.
    settings.CATALOGUE_CACHE_SECONDS = 300
    assert warm_catalogue(gen) == 0


def test_a_warm_up_for_an_older_generation_computes_nothing(viewer_client, three):
    ask(viewer_client, PAGES[0])
    old = catalogue_cache.generation()
    catalogue_cache.advance()
    assert warm_catalogue(old) == 0
    assert cache_state(viewer_client.get(URL, PAGES[0], **HTMX)) == "miss"


def test_a_change_queues_the_warm_up_for_its_generation_once_committed(monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(warm_catalogue, "apply_async", lambda args, **kw: queued.append((args, kw)))
    with django_capture_on_commit_callbacks(execute=True):
        make_summary(title="A stored summary")
        assert queued == []  # not before the commit: the worker would read the old data
    assert len(queued) == 1
    args, options = queued[0]
    assert args == [catalogue_cache.generation()] and options["countdown"] > 0


def test_a_broker_that_is_down_never_fails_the_write(monkeypatch, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("broker unreachable")

    monkeypatch.setattr(warm_catalogue, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        summary = make_summary(title="Stored anyway")
    summary.refresh_from_db()
    assert summary.is_current and summary.status == "done"


def test_with_the_warm_up_off_nothing_is_counted_or_queued(viewer_client, three, settings, monkeypatch):
    settings.CATALOGUE_WARM_PAGES = 0
    queued = []
    monkeypatch.setattr(warm_catalogue, "apply_async", lambda *a, **k: queued.append(a))
    ask(viewer_client, PAGES[0])
    catalogue_cache.invalidate()
    assert catalogue_cache.most_asked(5) == [] and queued == []

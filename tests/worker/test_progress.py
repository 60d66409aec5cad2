"""Publishing progress: throttled, never blocking the generation, snapshot kept."""

import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tests.videos.factories import SummaryFactory
from videos import progress
from videos.models import Summary

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_full_channel_never_blocks_the_publisher():
    """A browser that reads nothing: its channel fills up, events are dropped, the worker goes on."""
    summary = SummaryFactory(status="running")
    layer = get_channel_layer()
    slow_browser = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(progress.summary_group(summary.pk), slow_browser)
    started = time.monotonic()
    for i in range(layer.capacity + 50):
        progress.publish_summary(summary.pk, {"summary_id": summary.pk, "stage": "generating", "tokens": i})
    assert time.monotonic() - started < 30
    async_to_sync(layer.group_discard)(progress.summary_group(summary.pk), slow_browser)


def test_an_unreachable_layer_costs_at_most_the_timeout(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]}}}
    started = time.monotonic()
    assert progress.publish_summary(1, {"summary_id": 1, "stage": "generating"}) is False
    assert time.monotonic() - started < 3 * progress.PUBLISH_TIMEOUT + 1


def test_the_reporter_throttles_and_stores_the_latest_event(monkeypatch):
    summary = SummaryFactory(status="running", job__attempts=1)
    sent = []
    monkeypatch.setattr(progress, "publish_summary", lambda sid, event: sent.append(event))
    reporter = progress.GenerationReporter(summary)
    for tokens in range(1, 40):
        reporter.generating(tokens, 100, "x" * tokens)
    assert len(sent) == 1  # all within MIN_INTERVAL
    time.sleep(progress.MIN_INTERVAL + 0.05)
    reporter.generating(60, 100, "y" * 60)
    assert len(sent) == 2
    last = sent[-1]
    assert (last["stage"], last["tokens"], last["budget"], last["percent"]) == ("generating", 60, 100, 60.0)
    assert last["tokens_per_second"] > 0 and last["eta_seconds"] is not None
    stored = Summary.objects.get(pk=summary.pk).job.progress
    assert stored["tokens"] == 60 and stored["text"] == "y" * 60
    # The budget's last token is always reported, however soon it comes.
    reporter.generating(100, 100, "z")
    assert sent[-1]["tokens"] == 100


def test_the_snapshot_follows_the_row_status():
    summary = SummaryFactory(status="failed", job__error_code="x", job__error_message="why", job__progress={"status": "running", "stage": "generating"})
    snap = progress.summary_snapshot(summary)
    assert (snap["status"], snap["stage"], snap["error_message"]) == ("failed", "failed", "why")

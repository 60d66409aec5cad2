"""Progress events of summaries, published to the channel layer.

Groups: `summary.<id>` gets every event of one summary; `queue` gets the list
of queued and running summaries whenever it changes, and light progress ticks.

Publishing never makes the generation wait for a browser: each send has a
short timeout and every failure (full channel, Redis hiccup) is logged and
dropped. Nothing is lost for good because the latest event of a summary is
also stored on its job (SummaryJob.progress): a browser that (re)connects gets
that snapshot first, then the live events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.db.models import Q

from .models import Summary, SummaryJob

log = logging.getLogger(__name__)

QUEUE_GROUP = "queue"
PUBLISH_TIMEOUT = 1.0  # seconds one group_send may take before it is dropped
MIN_INTERVAL = 0.4  # seconds between two "generating" events of one summary
QUEUE_TICK_INTERVAL = 2.0  # seconds between two progress ticks on the queue page
QUEUE_LIMIT = 100  # summaries listed on the queue page

STAGE_LABELS = {
    "queued": "Queued",
    "loading_model": "Loading the model",
    "building_prompt": "Building the prompt",
    "generating": "Generating",
    "validating": "Validating",
    "done": "Done",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


def summary_group(summary_id: int) -> str:
    return f"summary.{summary_id}"


def queue_position(summary: Summary) -> int | None:
    """1 for the next job to start; None when the summary is not queued.

    Jobs start in submission order (one FIFO queue), so the position is the
    number of queued summaries submitted before it, plus one.
    """
    if summary.status != Summary.Status.QUEUED:
        return None
    ahead = Summary.objects.filter(
        Q(created_at__lt=summary.created_at) | Q(created_at=summary.created_at, pk__lt=summary.pk),
        status=Summary.Status.QUEUED,
    ).count()
    return ahead + 1


def summary_event(summary: Summary, *, stage: str | None = None, **extra: Any) -> dict[str, Any]:
    """One event, JSON-ready: the one shape every event of a summary has. The stage
    defaults to what the status says; `extra` adds or overrides fields."""
    job = summary.job
    if stage is None:
        stage = summary.status if summary.status != Summary.Status.RUNNING else "generating"
    event = {
        "summary_id": summary.pk,
        "status": summary.status,
        "stage": stage,
        "stage_label": STAGE_LABELS.get(stage, stage),
        "attempt": job.attempts,
        "cancel_requested": job.cancel_requested,
        "error_code": job.error_code,
        "error_message": job.error_message,
        "position": queue_position(summary) if stage == "queued" else None,
        "ts": time.time(),
    }
    if summary.status == Summary.Status.DONE:
        metrics, result = summary.metrics, getattr(summary, "result", None)
        event.update(text=result.raw_output if result else "", tokens=metrics.get("output_tokens"), percent=100.0,
                     tokens_per_second=metrics.get("tokens_per_second"))
    event.update(extra)
    return event


def summary_snapshot(summary: Summary) -> dict[str, Any]:
    """What a (re)connecting browser is sent first: the stored latest event,
    corrected by the row's current status (the row is the truth)."""
    job = summary.job
    stored = dict(job.progress or {})
    if summary.status == Summary.Status.RUNNING and stored.get("status") == Summary.Status.RUNNING:
        stored["cancel_requested"] = job.cancel_requested
        return stored
    if summary.status == Summary.Status.QUEUED:
        return summary_event(summary, stage="queued")
    if summary.status == Summary.Status.RUNNING:
        return summary_event(summary, stage=stored.get("stage") or "loading_model")
    if stored.get("status") == summary.status:
        return stored
    return summary_event(summary)


def store_event(summary: Summary, event: dict[str, Any]) -> None:
    """Keep `event` as the summary's snapshot (its job row only: the catalogue's row is not written)."""
    SummaryJob.objects.filter(pk=summary.pk).update(progress=event)
    summary.job.progress = event


def _send(group: str, message: dict[str, Any]) -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False

    async def send() -> None:
        await asyncio.wait_for(layer.group_send(group, message), timeout=PUBLISH_TIMEOUT)

    try:
        async_to_sync(send)()
        return True
    except (ChannelFull, asyncio.TimeoutError) as exc:
        log.info("progress event to %s dropped (%s)", group, exc.__class__.__name__)
    except Exception as exc:  # Redis down or slow: the stored snapshot covers it
        log.warning("progress event to %s dropped: %s", group, exc)
    return False


def publish_summary(summary_id: int, event: dict[str, Any]) -> bool:
    ok = _send(summary_group(summary_id), {"type": "progress.event", "event": event})
    if event.get("stage") == "generating":
        return ok
    # Stage changes also show on the queue page.
    _send(QUEUE_GROUP, {"type": "queue.event", "event": {"kind": "summary", "summary": _queue_item_from_event(event)}})
    return ok


def _queue_item_from_event(event: dict[str, Any]) -> dict[str, Any]:
    keys = ("summary_id", "status", "stage", "stage_label", "percent", "position", "error_message", "part", "parts")
    return {k: event.get(k) for k in keys}


def queue_snapshot() -> list[dict[str, Any]]:
    """Queued and running summaries: running first, then the queue in order."""
    rows = (
        Summary.objects.filter(status__in=Summary.ACTIVE_STATUSES)
        .select_related("video", "template", "job")
        .order_by("created_at", "id")[:QUEUE_LIMIT]
    )
    items, position = [], 0
    running = []
    for s in rows:
        stored = s.job.progress or {}
        item = {
            "summary_id": s.pk,
            "status": s.status,
            "video": s.video.display_title,
            "template": s.template.label,
            "model_id": s.model_id,
            "created_at": s.created_at.isoformat(),
            "stage": stored.get("stage") or s.status,
            "stage_label": STAGE_LABELS.get(stored.get("stage") or s.status, s.status),
            "percent": stored.get("percent"),
            "part": stored.get("part"),
            "parts": stored.get("parts"),
            "position": None,
        }
        if s.status == Summary.Status.QUEUED:
            position += 1
            item["position"] = position
            item["stage"], item["stage_label"] = "queued", STAGE_LABELS["queued"]
            items.append(item)
        else:
            running.append(item)
    return running + items


def publish_queue_changed() -> None:
    """The queue changed (a job was added, started or ended): send the whole
    list to the queue page, and each queued summary its new position."""
    try:
        items = queue_snapshot()
    except Exception as exc:  # never fail the caller over a progress event
        log.warning("queue snapshot failed: %s", exc)
        return
    _send(QUEUE_GROUP, {"type": "queue.event", "event": {"kind": "snapshot", "items": items, "ts": time.time()}})
    for item in items:
        if item["status"] == Summary.Status.QUEUED:
            _send(summary_group(item["summary_id"]), {
                "type": "progress.event",
                "event": {"summary_id": item["summary_id"], "status": "queued", "stage": "queued",
                          "stage_label": STAGE_LABELS["queued"], "position": item["position"],
                          "kind": "position", "ts": time.time()},
            })


class Throttle:
    """True at most once every `interval` seconds (and whenever forced)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: float | None = None

    def __call__(self, *, force: bool = False) -> bool:
        now = time.monotonic()
        if force or self._last is None or now - self._last >= self.interval:
            self._last = now
            return True
        return False


class GenerationReporter:
    """Turns the engine's progress callback into stored snapshots and throttled events:
    at most one "generating" event every MIN_INTERVAL seconds (the last token always),
    and a tick on the queue page every QUEUE_TICK_INTERVAL seconds."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self._events = Throttle(MIN_INTERVAL)
        self._queue_ticks = Throttle(QUEUE_TICK_INTERVAL)
        self._t0: float | None = None
        self._tokens0 = 0
        self._part = 1

    def _publish(self, event: dict[str, Any]) -> None:
        # Only while running: a cancel or a sweep that ended the summary keeps its final snapshot.
        SummaryJob.objects.filter(pk=self.summary.pk, summary__status=Summary.Status.RUNNING).update(progress=event)
        publish_summary(self.summary.pk, event)

    def stage(self, stage: str, **extra: Any) -> None:
        self._publish(summary_event(self.summary, stage=stage, **extra))

    def generating(self, tokens: int, budget: int, text: str, part: int = 1, parts: int = 1) -> None:
        """One tick of the engine: `tokens` of at most `budget` written in model call `part`
        (1-based) of `parts` (one for a short transcript; each section's stretch, then the
        whole, for a long one). Tokens and budget count within the part."""
        now = time.monotonic()
        parts = max(1, parts or 1)
        part = min(max(1, part or 1), parts)
        new_part = part != self._part
        if self._t0 is None or new_part:
            self._t0, self._tokens0, self._part = now, tokens, part
        if not self._events(force=new_part or bool(budget and tokens >= budget)):
            return
        elapsed = now - self._t0
        rate = (tokens - self._tokens0) / elapsed if elapsed > 0 else None
        # An upper bound: each part usually ends well before its token budget.
        eta = ((budget - tokens) + (parts - part) * budget) / rate if rate and budget else None
        percent = round(100.0 * ((part - 1) + min(1.0, tokens / budget)) / parts, 1) if budget else None
        event = summary_event(
            self.summary, stage="generating", tokens=tokens, budget=budget, percent=percent,
            tokens_per_second=round(rate, 1) if rate else None,
            eta_seconds=round(eta) if eta is not None else None, text=text, part=part, parts=parts,
        )
        self._publish(event)
        if self._queue_ticks():
            _send(QUEUE_GROUP, {"type": "queue.event", "event": {"kind": "summary", "summary": _queue_item_from_event(event)}})

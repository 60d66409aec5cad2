"""A summary's lifecycle on its catalogue row, and the one write path of its result.

`summary_results_write` is how a result enters the database, for one summary
(`summary_store_result`, the worker) and for many (`make_synthetic_summaries`):
it stores the data, and derives from it the topic links, the general topics
and the search document. Nothing else writes them, so they always agree with
the data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ..catalogue import cache as catalogue_cache
from ..catalogue.search import search_document, search_vector
from ..models import Summary, SummaryGeneralTopic, SummaryResult, SummaryTopic, Topic, normalize_topic
from ..quality import FIGURES


class IllegalTransition(Exception):
    """A summary was asked to move to a status it cannot reach from where it is."""


_ALLOWED = {
    Summary.Status.QUEUED: {Summary.Status.RUNNING, Summary.Status.CANCELLED, Summary.Status.FAILED},
    # running -> queued: a worker died mid-job and the job goes back for another attempt.
    Summary.Status.RUNNING: {Summary.Status.DONE, Summary.Status.FAILED, Summary.Status.CANCELLED, Summary.Status.QUEUED},
    Summary.Status.DONE: set(),
    Summary.Status.FAILED: set(),
    Summary.Status.CANCELLED: set(),
}


@transaction.atomic
def summary_transition(*, summary_id: int, to: str, **job_fields: Any) -> Summary:
    """Move a summary to `to`, locking its row; refuses illegal moves. `job_fields`
    are written on its job in the same transaction (a start counts an attempt)."""
    summary = Summary.objects.select_for_update(of=("self",)).select_related("job").get(pk=summary_id)
    if to not in _ALLOWED[summary.status]:
        raise IllegalTransition(f"summary {summary_id} cannot go from {summary.status} to {to}")
    job = summary.job
    now = timezone.now()
    summary.status = to
    if to == Summary.Status.RUNNING:
        job.started_at = now
        job.attempts += 1
    if to in Summary.FINAL_STATUSES:
        summary.finished_at = now
    for name, value in job_fields.items():
        setattr(job, name, value)
    summary.save(update_fields=["status", "finished_at"])
    job.save()
    return summary


@dataclass
class ResultRow:
    """One result to write: the summary (its video loaded), the validated data and what came with it."""

    summary: Summary
    data: dict
    raw_output: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    # [[start, end], ...] seconds per section; None for a transcript without times.
    section_times: list[list[float]] | None = None
    # The quality figures (videos.quality.FIGURES) by name; a missing one is stored null.
    figures: dict[str, float | None] = field(default_factory=dict)


def _topic_ids(names: set[str]) -> dict[str, int]:
    """Topic ids by normalized name, creating the topics not seen before."""
    keys = {normalize_topic(n): n.strip() for n in names if normalize_topic(n)}
    known = dict(Topic.objects.filter(normalized__in=keys).values_list("normalized", "pk"))
    missing = [Topic(name=keys[k], normalized=k) for k in keys if k not in known]
    if missing:
        Topic.objects.bulk_create(missing, ignore_conflicts=True)
        known = dict(Topic.objects.filter(normalized__in=keys).values_list("normalized", "pk"))
    return known


def _section_times(times) -> list[list[float]] | None:
    return [[float(start), float(end)] for start, end in times] if times else None


def _share(value) -> float | None:
    return None if value is None else float(value)


def summary_results_write(rows: Sequence[ResultRow]) -> None:
    """Write each row's result and everything derived from it, replacing what was there.
    Call inside a transaction; the caller decides the summaries' status."""
    if not rows:
        return
    ids = [r.summary.pk for r in rows]
    SummaryResult.objects.filter(summary_id__in=ids).delete()
    SummaryGeneralTopic.objects.filter(summary_id__in=ids).delete()
    SummaryTopic.objects.filter(summary_id__in=ids).delete()
    documents = {r.summary.pk: search_document(r.summary.video.title, r.data) for r in rows}
    SummaryResult.objects.bulk_create(
        SummaryResult(summary_id=r.summary.pk, data=r.data, raw_output=r.raw_output,
                      metrics=json.loads(json.dumps(r.metrics, default=str)),
                      section_times=_section_times(r.section_times), search_text=documents[r.summary.pk][0],
                      **{name: _share(r.figures.get(name)) for name in FIGURES})
        for r in rows
    )
    SummaryGeneralTopic.objects.bulk_create(
        SummaryGeneralTopic(
            summary_id=r.summary.pk, field=gt["topic"], position=i,
            complexity=Decimal(str(gt["complexity"])).quantize(Decimal("0.01")),
        )
        for r in rows
        for i, gt in enumerate(r.data.get("General Topics", []))
    )
    names = {t for r in rows for t in r.data.get("topics", [])}
    names |= {t for r in rows for s in r.data.get("sections", []) for t in s.get("topics", [])}
    topic_ids = _topic_ids(names)
    links: dict[tuple, SummaryTopic] = {}
    for r in rows:
        named = [(None, i, t) for i, t in enumerate(r.data.get("topics", []))]
        named += [(s, i, t) for s, sec in enumerate(r.data.get("sections", [])) for i, t in enumerate(sec.get("topics", []))]
        for section, position, name in named:
            topic_id = topic_ids.get(normalize_topic(name))
            if topic_id is not None:
                links.setdefault((r.summary.pk, topic_id, section), SummaryTopic(
                    summary_id=r.summary.pk, topic_id=topic_id, section=section, position=position))
    SummaryTopic.objects.bulk_create(links.values(), batch_size=5000)
    if connection.vendor == "postgresql":  # SQLite searches the result's search_text
        for r in rows:
            r.summary.search_vector = search_vector(documents[r.summary.pk][1])
        Summary.objects.bulk_update([r.summary for r in rows], ["search_vector"], batch_size=500)
    catalogue_cache.invalidate()


@transaction.atomic
def summary_store_result(
    *, summary_id: int, data: dict, raw_output: str, metrics: dict[str, Any] | None = None,
    section_times: Sequence[Sequence[float]] | None = None, figures: dict[str, float | None] | None = None,
) -> Summary:
    """Store a validated summary, its sections' times and its quality figures, and mark it
    done. The first done summary of a video becomes its current one; later ones wait for a
    curator's choice."""
    summary = Summary.objects.select_for_update(of=("self",)).select_related("video", "job").get(pk=summary_id)
    if summary.status != Summary.Status.RUNNING:
        raise IllegalTransition(f"summary {summary_id} is {summary.status}, not running; its result is not stored")
    summary_results_write([ResultRow(summary=summary, data=data, raw_output=raw_output, metrics=dict(metrics or {}),
                                     section_times=section_times, figures=dict(figures or {}))])
    has_current = Summary.objects.filter(video_id=summary.video_id, is_current=True).exclude(pk=summary.pk).exists()
    Summary.objects.filter(pk=summary.pk).update(
        status=Summary.Status.DONE, finished_at=timezone.now(), is_current=not has_current
    )
    summary.job.error_code = summary.job.error_message = ""
    summary.job.save(update_fields=["error_code", "error_message"])
    summary.refresh_from_db()
    return summary


@transaction.atomic
def summary_make_current(*, summary: Summary) -> Summary:
    """Make a done summary the one the catalogue shows for its video."""
    if summary.status != Summary.Status.DONE:
        raise IllegalTransition(f"summary {summary.pk} is {summary.status}; only a done summary can be current")
    Summary.objects.filter(video_id=summary.video_id, is_current=True).exclude(pk=summary.pk).update(is_current=False)
    Summary.objects.filter(pk=summary.pk).update(is_current=True)
    summary.is_current = True
    catalogue_cache.invalidate()
    return summary

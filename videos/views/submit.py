"""Adding videos: paste URLs, upload subtitles, see each video's transcript state."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from summarizer_site.uploads import refused_uploads, upload_limit

from ..forms import SubmitForm, UploadForm, UploadNewForm
from ..ingest.urls import canonical_url
from ..models import Summary, Video
from ..services import ingestion
from ..services.jobs import summary_submit
from .catalogue import transcript_lines


def _queue_summary(request, video) -> None:
    try:
        summary = summary_submit(video=video, user=request.user)
    except Exception as exc:  # shown to the user; nothing half-written stays behind
        messages.error(request, f"Could not queue a summary: {exc}")
    else:
        messages.success(request, f"Summary #{summary.pk} queued.")


def _upload_form(form_class, request, **kwargs):
    """The bound upload form, and the status its page gets when it is invalid: 413 when
    the file was dropped for its size as it arrived (summarizer_site.uploads), which
    the form alone would only call missing."""
    form = form_class(request.POST, request.FILES, **kwargs)
    refused = refused_uploads(request)
    if not refused:
        return form, 400
    form.is_valid()
    form.errors["file"] = form.error_class(
        [f"{refused[0]} is larger than {upload_limit() // 1024} KiB, the most a subtitle file may be; nothing was stored."]
    )
    return form, 413


def _store_upload(request, video, form) -> bool:
    upload = form.cleaned_data["file"]
    try:
        ingestion.transcript_store_upload(
            video=video, name=upload.name, data=upload.read(), replace=form.cleaned_data["replace"], user=request.user
        )
    except (ingestion.SubtitleError, ingestion.TranscriptExists) as exc:
        form.add_error("file", str(exc))
        return False
    messages.success(request, f"Transcript of {video.youtube_id} stored from {upload.name}.")
    if form.cleaned_data["queue_summary"]:
        _queue_summary(request, video)
    return True


# Submit results kept in the session, newest last: enough for a few tabs at once, few
# enough that a long paste does not weigh on every later request's session.
SUBMIT_RESULTS_KEPT = 3


def _remember_report(request, report: ingestion.SubmitReport) -> str:
    """Keep a paste's outcomes in the session under a new key, so that its result page is
    a GET: reloading it shows the result again instead of sending the lines again."""
    key = secrets.token_urlsafe(6)
    kept = dict(request.session.get("submit_results", {}))
    kept[key] = {
        "added": len(report.added),
        "not_queued": len(report.not_queued),
        "queue_reason": report.queue_reason,
        "outcomes": [
            {"line": o.line, "input": o.input[:100], "status": o.status, "message": o.message,
             "youtube_id": o.video.youtube_id if o.video else ""}
            for o in report.outcomes
        ],
    }
    request.session["submit_results"] = dict(list(kept.items())[-SUBMIT_RESULTS_KEPT:])
    return key


def _live_links(youtube_ids) -> dict[str, str]:
    """Where each video's live state is, now: its newest summary's progress page once a
    summary exists, else the video page, which follows the transcript fetch."""
    newest = {}
    for youtube_id, pk in (
        Summary.objects.filter(video__youtube_id__in=youtube_ids)
        .order_by("video_id", "-created_at", "-pk")
        .values_list("video__youtube_id", "pk")
    ):
        newest.setdefault(youtube_id, pk)
    return {
        y: reverse("videos:summary_progress", args=[newest[y]]) if y in newest else reverse("videos:video", args=[y])
        for y in youtube_ids
    }


@permission_required("videos.add_video", raise_exception=True)
def submit(request):
    form = SubmitForm(request.POST or None)
    upload_form = UploadNewForm(prefix="upload")
    if request.method == "POST" and form.is_valid():
        report = ingestion.videos_submit(text=form.cleaned_data["urls"], user=request.user)
        return redirect("videos:submit_result", key=_remember_report(request, report))
    context = {"form": form, "upload_form": upload_form, "report": None}
    return render(request, "videos/submit.html", context, status=400 if form.errors else 200)


@require_GET
@permission_required("videos.add_video", raise_exception=True)
def submit_result(request, key):
    """What became of each line of a paste (the redirect after its POST)."""
    report = request.session.get("submit_results", {}).get(key)
    if report is None:
        messages.info(request, "That result is no longer kept; the videos you added are in the Videos list.")
        return redirect("videos:submit")
    links = _live_links({o["youtube_id"] for o in report["outcomes"] if o["youtube_id"]})
    outcomes = [{**o, "link": links.get(o["youtube_id"])} for o in report["outcomes"]]
    context = {"form": SubmitForm(), "upload_form": UploadNewForm(prefix="upload"), "report": {**report, "outcomes": outcomes}}
    return render(request, "videos/submit.html", context)


@permission_required("videos.add_video", raise_exception=True)
@require_POST
def upload_new(request):
    form, status = _upload_form(UploadNewForm, request, prefix="upload")
    if form.is_valid():
        video_id = form.cleaned_data["url"]
        with transaction.atomic():
            video, _ = Video.objects.get_or_create(
                youtube_id=video_id, defaults={"url": canonical_url(video_id), "added_by": request.user}
            )
            stored = _store_upload(request, video, form)
            if not stored:
                transaction.set_rollback(True)
        if stored:
            return redirect("videos:video", youtube_id=video_id)
    return render(request, "videos/submit.html", {"form": SubmitForm(), "upload_form": form, "report": None}, status=status)


@permission_required("videos.view_video", raise_exception=True)
def video_list(request):
    state = request.GET.get("state", "")
    videos = Video.objects.select_related("transcript").order_by("-added_at", "-id")
    if state in Video.TranscriptState.values:
        videos = videos.filter(transcript_state=state)
    page = Paginator(videos, 50).get_page(request.GET.get("page"))
    return render(request, "videos/video_list.html", {"page": page, "state": state, "states": Video.TranscriptState.choices})


@permission_required(("videos.view_video", "videos.view_transcript"), raise_exception=True)
def video_detail(request, youtube_id):
    video = get_object_or_404(Video.objects.select_related("transcript", "added_by"), youtube_id=youtube_id)
    form, status = UploadForm(), 200
    if request.method == "POST":
        if not request.user.has_perm("videos.add_transcript"):
            messages.error(request, "You may not upload transcripts.")
            return redirect("videos:video", youtube_id=youtube_id)
        form, status = _upload_form(UploadForm, request)
        if form.is_valid() and _store_upload(request, video, form):
            return redirect("videos:video", youtube_id=youtube_id)
    summaries = video.summaries.select_related("template", "job").order_by("-created_at")
    return render(
        request,
        "videos/video_detail.html",
        {"video": video, "transcript": getattr(video, "transcript", None), "form": form, "summaries": summaries,
         "transcript_lines": transcript_lines(video, getattr(video, "transcript", None))},
        status=status if form.is_bound and form.errors else 200,
    )


@require_GET
@permission_required(("videos.view_video", "videos.view_transcript"), raise_exception=True)
def video_transcript_state(request, youtube_id):
    """The video page's transcript state, polled by htmx while the fetch runs. Once the
    transcript is in, the whole page is reloaded (HX-Refresh): it shows the transcript
    and the summary queued with it, which this fragment does not hold."""
    video = get_object_or_404(Video.objects.select_related("transcript"), youtube_id=youtube_id)
    context = {"video": video, "transcript": getattr(video, "transcript", None), "fragment": True}
    response = render(request, "videos/progress/transcript_state.html", context)
    if request.headers.get("HX-Request") and video.transcript_state == Video.TranscriptState.READY:
        response["HX-Refresh"] = "true"
    return response


@permission_required("videos.add_video", raise_exception=True)
@require_POST
def video_fetch(request, youtube_id):
    video = get_object_or_404(Video, youtube_id=youtube_id)
    if hasattr(video, "transcript"):
        messages.info(request, "This video has a transcript already.")
    else:
        failure = ingestion.transcript_fetch_enqueue(video_id=video.pk)
        if failure:
            messages.error(request, failure)
        else:
            messages.success(request, "Fetching the transcript from YouTube.")
    return redirect("videos:video", youtube_id=youtube_id)


@permission_required("videos.add_summary", raise_exception=True)
@require_POST
def video_summarize(request, youtube_id):
    video = get_object_or_404(Video, youtube_id=youtube_id)
    _queue_summary(request, video)
    return redirect("videos:video", youtube_id=youtube_id)


urlpatterns = [
    path("videos/", video_list, name="video_list"),
    path("videos/add/", submit, name="submit"),
    path("videos/add/result/<str:key>/", submit_result, name="submit_result"),
    path("videos/upload/", upload_new, name="upload_new"),
    path("videos/<str:youtube_id>/", video_detail, name="video"),
    path("videos/<str:youtube_id>/transcript-state/", video_transcript_state, name="video_transcript_state"),
    path("videos/<str:youtube_id>/fetch/", video_fetch, name="video_fetch"),
    path("videos/<str:youtube_id>/summarize/", video_summarize, name="video_summarize"),
]

"""Jobs (a summary being made): ask for one, read its status and its stored progress
snapshot, cancel it, and the queue. The same services as the pages: jobs.summary_submit,
jobs.summary_cancel (with summary_may_cancel), progress.summary_snapshot and
progress.queue_snapshot."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from videos import progress
from videos.ingest.urls import InvalidVideoURL, parse_video_id
from videos.models import PromptTemplate, Summary, Video
from videos.selectors import template_named
from videos.services import jobs
from videos.services.queue_caps import QueueFull
from videos.services.summaries import IllegalTransition

from ..errors import Conflict, QueueDown
from ..permissions import VIEW_SUMMARY
from ..serializers import JobCreateSerializer, JobSerializer, QueueItemSerializer
from .base import ApiView, object_id

REGENERATE = "videos.regenerate_summary"
# What the video page says when a summary cannot be queued.
NOT_QUEUED = "Could not queue a summary: "

PROGRESS_DESCRIPTION = (
    "The summary's latest progress event as stored on its job: the snapshot a websocket client "
    "(`/ws/summaries/{id}/`) gets first. Poll it every second or two, or follow the websocket for every event. "
    "Fields: summary_id, status, stage (queued, loading_model, building_prompt, generating, validating, done, "
    "failed, cancelled), stage_label, attempt, cancel_requested, error_code, error_message, position (in the "
    "queue), ts; while generating also tokens, budget, percent, tokens_per_second, eta_seconds, part, parts, text."
)


def present_job(summary: Summary, user) -> Summary:
    """The summary with what JobSerializer reads beyond its columns."""
    summary.position = progress.queue_position(summary)
    summary.may_cancel = summary.is_active and jobs.summary_may_cancel(user=user, summary=summary)
    return summary


def job_or_404(pk) -> Summary:
    summary = (
        Summary.objects.select_related("video", "template", "job", "requested_by").filter(pk=object_id(pk, "job")).first()
    )
    if summary is None:
        raise NotFound("No such job.")
    return summary


def submit_summary(*, video: Video, user, template: PromptTemplate | None = None, model_id: str | None = None) -> Summary:
    """jobs.summary_submit, its refusals as API errors."""
    try:
        summary = jobs.summary_submit(video=video, template=template, model_id=model_id, user=user)
    except jobs.SubmitRefused as exc:
        raise Conflict(f"{NOT_QUEUED}{exc}", code="no_transcript") from None
    except QueueFull as exc:
        raise Conflict(f"{NOT_QUEUED}{exc}", code="queue_full") from None
    except PromptTemplate.DoesNotExist as exc:
        raise Conflict(f"{NOT_QUEUED}{exc}", code="no_template") from None
    except jobs.QueueUnavailable as exc:
        raise QueueDown(f"{NOT_QUEUED}{exc}") from None
    return job_or_404(summary.pk)


class JobList(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,), "POST": ("videos.add_summary",)}

    @extend_schema(operation_id="jobs_queue", tags=["jobs"], responses=QueueItemSerializer(many=True),
                   summary="The queue: running summaries, then queued ones in order (at most 100)")
    def get(self, request):
        return Response(QueueItemSerializer(progress.queue_snapshot(), many=True).data)

    @extend_schema(
        operation_id="jobs_create", tags=["jobs"], request=JobCreateSerializer, responses={202: JobSerializer},
        summary="Ask for a summary of a video",
        description="Queues a summary with the default template and the site's model. Choosing a template or a model "
                    "is regenerating, which curators do. A queued or running summary of the same video, template and "
                    "model is returned instead of a second one.",
    )
    def post(self, request):
        payload = JobCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if ("template" in data or "model_id" in data) and not request.user.has_perm(REGENERATE):
            raise PermissionDenied("Only curators choose the template or the model of a summary.")
        try:
            youtube_id = parse_video_id(data["video"])
        except InvalidVideoURL as exc:
            raise ValidationError({"video": [str(exc)]}) from None
        video = Video.objects.filter(youtube_id=youtube_id).first()
        if video is None:
            raise NotFound(f"No video {youtube_id} in the catalogue: add it first.")
        template = None
        if "template" in data:
            template = template_named(data["template"])
            if template is None:
                raise ValidationError({"template": ["Choose one of the template versions (GET /api/v1/templates/)."]})
        model_id = (data.get("model_id") or "").strip() or None
        summary = submit_summary(video=video, user=request.user, template=template, model_id=model_id)
        return Response(JobSerializer(present_job(summary, request.user)).data, status=202)


class JobDetail(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,)}

    @extend_schema(operation_id="jobs_retrieve", tags=["jobs"], responses=JobSerializer, summary="A job's status")
    def get(self, request, pk):
        return Response(JobSerializer(present_job(job_or_404(pk), request.user)).data)


class JobCancel(ApiView):
    required_perms = {"POST": (VIEW_SUMMARY,)}

    @extend_schema(
        operation_id="jobs_cancel", tags=["jobs"], request=None, responses=JobSerializer,
        summary="Cancel a job: your own, or anyone's for curators",
        description="A queued job ends cancelled at once; a running one stops at the generation's next poll "
                    "(about half a second): `cancel_requested` is true until then.",
    )
    def post(self, request, pk):
        summary = job_or_404(pk)
        try:
            jobs.summary_cancel(summary_id=summary.pk, user=request.user)
        except IllegalTransition as exc:
            raise Conflict(str(exc), code="not_cancellable") from None
        return Response(JobSerializer(present_job(job_or_404(pk), request.user)).data)


class JobProgress(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,)}

    @extend_schema(operation_id="jobs_progress", tags=["jobs"], summary="The job's stored progress snapshot",
                   description=PROGRESS_DESCRIPTION,
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The snapshot event.")})
    def get(self, request, pk):
        return Response(progress.summary_snapshot(job_or_404(pk)))

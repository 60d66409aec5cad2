"""Videos: the list (searched by id, URL or title), adding them from URLs as the submit
page does (one outcome per line), one video with its transcript's state, uploading a
subtitle file, and fetching the transcript again."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from summarizer_site.uploads import refused_uploads, upload_limit
from videos.ingest.urls import InvalidVideoURL, parse_video_id
from videos.models import Transcript, Video
from videos.services import ingestion

from ..errors import Conflict, QueueDown, TooLarge
from ..pagination import KeysetPagination
from ..permissions import VIEW_VIDEO
from ..serializers import (
    JobSerializer,
    SubmitReportSerializer,
    TranscriptUploadSerializer,
    VideoCreateSerializer,
    VideoDetailSerializer,
    VideoSerializer,
)
from .base import ApiView
from .jobs import present_job, submit_summary


def video_or_404(youtube_id: str, queryset=None) -> Video:
    video = (queryset or Video.objects).filter(youtube_id=youtube_id).first()
    if video is None:
        raise NotFound(f"No video {youtube_id[:20]!r} in the catalogue.")
    return video


def present_video(video: Video) -> Video:
    """The video with what VideoDetailSerializer reads: its transcript's figures and summaries."""
    transcript = Transcript.objects.filter(video=video).first()
    if transcript is not None:
        transcript.segment_count = len(transcript.segments or [])
        transcript.timed = transcript.cues() is not None
    video.transcript_info = transcript
    video.summary_list = list(video.summaries.select_related("template").order_by("-created_at", "-id"))
    return video


def _detail(video: Video) -> dict:
    return VideoDetailSerializer(present_video(video)).data


class VideoList(ApiView):
    required_perms = {"GET": VIEW_VIDEO, "POST": ("videos.add_video",)}
    pagination_class = KeysetPagination
    query_params = frozenset({"q", "state", "cursor", "page_size"})

    @extend_schema(
        operation_id="videos_list", tags=["videos"], summary="Videos, newest first", responses=VideoSerializer(many=True),
        parameters=[
            OpenApiParameter("q", str, description="A YouTube id or URL (that video), or words of a title or channel."),
            OpenApiParameter("state", str, enum=Video.TranscriptState.values, description="Only videos whose transcript is in this state."),
        ],
    )
    def get(self, request):
        videos = Video.objects.select_related("added_by").order_by("-added_at", "-id")
        state = request.query_params.get("state")
        if state is not None:
            if state not in Video.TranscriptState.values:
                raise ValidationError({"state": [f"One of: {', '.join(Video.TranscriptState.values)}."]})
            videos = videos.filter(transcript_state=state)
        query = (request.query_params.get("q") or "").strip()[:500]
        if query:
            try:
                videos = videos.filter(youtube_id=parse_video_id(query))
            except InvalidVideoURL:
                videos = videos.filter(Q(title__icontains=query) | Q(channel__icontains=query))
        paginator = self.pagination_class()
        ids = paginator.paginate_queryset(videos, request, self)
        by_id = Video.objects.select_related("added_by").in_bulk(ids)
        return paginator.get_paginated_response(VideoSerializer([by_id[pk] for pk in ids if pk in by_id], many=True).data)

    @extend_schema(
        operation_id="videos_create", tags=["videos"], request=VideoCreateSerializer,
        responses={201: SubmitReportSerializer, 200: SubmitReportSerializer},
        summary="Add videos from URLs, as the submit page does",
        description="Each item is one line of the submit page: every line gets an outcome (added, exists, duplicate, "
                    "invalid) with the page's message. A new video's transcript is fetched, then its summary queued "
                    "(unless past a queue cap: its line says so). 201 when at least one video was added, else 200.",
    )
    def post(self, request):
        payload = VideoCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        urls = payload.validated_data["urls"]
        multiline = [str(i) for i, url in enumerate(urls) if "\n" in url or "\r" in url]
        if multiline:
            raise ValidationError({f"urls.{i}": ["One URL per item: no line breaks."] for i in multiline})
        report = ingestion.videos_submit(text="\n".join(urls), user=request.user)
        status = 201 if report.added else 200
        return Response(SubmitReportSerializer(report).data, status=status)


class VideoDetail(ApiView):
    required_perms = {"GET": VIEW_VIDEO}

    @extend_schema(operation_id="videos_retrieve", tags=["videos"], responses=VideoDetailSerializer,
                   summary="One video: its transcript's state and its summaries")
    def get(self, request, youtube_id):
        return Response(_detail(video_or_404(youtube_id, Video.objects.select_related("added_by"))))


UploadResult = inline_serializer("TranscriptUploadResult", {
    "video": VideoDetailSerializer(),
    "job": JobSerializer(allow_null=True),
    "job_error": serializers.CharField(allow_blank=True, help_text="Why no summary was queued, when one was asked for and not queued."),
})


class TranscriptUpload(ApiView):
    required_perms = {"POST": ("videos.add_transcript",)}
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="videos_transcript_upload", tags=["videos"], request={"multipart/form-data": TranscriptUploadSerializer},
        responses={201: UploadResult},
        summary="Upload a subtitle file as the video's transcript (timestamps kept)",
    )
    def post(self, request, youtube_id):
        video = video_or_404(youtube_id)
        payload = TranscriptUploadSerializer(data=request.data)
        valid = payload.is_valid()
        refused = refused_uploads(request._request)
        if refused:
            raise TooLarge(f"{refused[0]} is larger than {upload_limit() // 1024} KiB, the most a subtitle file may be; "
                           "nothing was stored.")
        if not valid:
            raise ValidationError(payload.errors)
        upload = payload.validated_data["file"]
        try:
            ingestion.transcript_store_upload(video=video, name=upload.name, data=upload.read(),
                                              replace=payload.validated_data["replace"], user=request.user)
        except ingestion.SubtitleError as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        except ingestion.TranscriptExists as exc:
            raise Conflict(str(exc), code="transcript_exists") from None
        job, job_error = None, ""
        if payload.validated_data["queue_summary"]:
            try:
                job = present_job(submit_summary(video=video, user=request.user), request.user)
            except Exception as exc:  # the page says it and keeps the transcript; so do we
                job_error = str(getattr(exc, "detail", exc))
        video.refresh_from_db()
        body = {"video": _detail(video), "job": JobSerializer(job).data if job else None, "job_error": job_error}
        return Response(body, status=201)


class TranscriptFetch(ApiView):
    required_perms = {"POST": ("videos.add_video",)}

    @extend_schema(operation_id="videos_transcript_fetch", tags=["videos"], request=None,
                   responses={202: VideoDetailSerializer}, summary="Fetch the transcript from YouTube again")
    def post(self, request, youtube_id):
        video = video_or_404(youtube_id)
        if Transcript.objects.filter(video=video).exists():
            raise Conflict("This video has a transcript already.", code="transcript_exists")
        failure = ingestion.transcript_fetch_enqueue(video_id=video.pk)
        if failure:
            raise QueueDown(failure)
        video.refresh_from_db()
        return Response(_detail(video), status=202)

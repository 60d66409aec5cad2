"""What the API reads and writes, for summaries, videos and jobs. Output serializers
describe the dicts the views build from the pages' own functions (videos.views.catalogue,
videos.progress, the ingestion report); input serializers refuse unknown fields."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from videos.filters import SORT_CHOICES
from videos.forms import MAX_PASTE_LINES
from videos.models import Summary, Video


# What became of one line of a paste (videos.services.ingestion.SubmitOutcome.status).
OUTCOME_STATUSES = ["added", "exists", "duplicate", "invalid"]


class StrictMixin:
    """A field the serializer does not know is an error, not silently dropped: a typo
    in a field name must not look like success."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


# --- summaries ----------------------------------------------------------------------


class VideoRefSerializer(serializers.Serializer):
    youtube_id = serializers.CharField()
    url = serializers.URLField()
    title = serializers.CharField(allow_blank=True)
    channel = serializers.CharField(allow_blank=True)


class GeneralTopicSerializer(serializers.Serializer):
    field = serializers.CharField()
    complexity = serializers.DecimalField(max_digits=3, decimal_places=2, coerce_to_string=False)
    label = serializers.CharField(allow_blank=True, help_text="The template's scale band, e.g. 'Graduate Level'.")


class SummaryLinksSerializer(serializers.Serializer):
    self = serializers.CharField()
    json = serializers.CharField(help_text="The JSON export (the page's 'Download JSON').")
    markdown = serializers.CharField(help_text="The Markdown export (the page's 'Download Markdown').")
    page = serializers.CharField(help_text="The summary's page on the site.")


class SummaryItemSerializer(serializers.Serializer):
    """One catalogue card."""

    id = serializers.IntegerField()
    video = VideoRefSerializer()
    introduction = serializers.CharField(allow_blank=True)
    general_topics = GeneralTopicSerializer(many=True)
    topics = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    links = SummaryLinksSerializer()


class SectionSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1-based.")
    title = serializers.CharField(allow_blank=True)
    bullets = serializers.ListField(child=serializers.CharField(allow_blank=True))
    topics = serializers.ListField(child=serializers.CharField(allow_blank=True))
    start = serializers.FloatField(allow_null=True, help_text="Seconds into the video; null for a transcript without times.")
    end = serializers.FloatField(allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="The video at the section's start.")


class QualitySerializer(serializers.Serializer):
    grounded = serializers.FloatField(allow_null=True)
    copied = serializers.FloatField(allow_null=True)
    repeated = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    needs_review = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class TemplateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()


class ProvenanceSerializer(serializers.Serializer):
    template = TemplateRefSerializer()
    model = serializers.CharField()
    examples = serializers.ListField(child=serializers.CharField(), help_text="The few-shot examples' names, in order.")


class SummaryDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    is_current = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    video = VideoRefSerializer()
    introduction = serializers.CharField(allow_blank=True)
    sections = SectionSerializer(many=True)
    topics = serializers.ListField(child=serializers.CharField(allow_blank=True))
    general_topics = GeneralTopicSerializer(many=True)
    quality = QualitySerializer()
    metrics = serializers.DictField(help_text="What the engine measured: token counts, seconds, peak memory, device.")
    provenance = ProvenanceSerializer()
    links = SummaryLinksSerializer()


class SummaryListQuerySerializer(serializers.Serializer):
    """The catalogue's filters; only for the schema: the catalogue's FilterSet reads them."""

    field = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False,
                                  help_text="Fields (general topics), repeated: `field=A&field=B`. Unknown ones are dropped, with a note.")
    cmin = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=0, max_value=1, required=False,
                                    help_text="Complexity from (0 to 1); one general topic must satisfy fields and range together.")
    cmax = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=0, max_value=1, required=False,
                                    help_text="Complexity to (0 to 1). A range given the wrong way round is read the right way round.")
    topic = serializers.CharField(required=False, allow_blank=True, help_text="A topic, matched without case or accents.")
    q = serializers.CharField(required=False, allow_blank=True, help_text="Search: title, introduction, bullets, topics.")
    sort = serializers.ChoiceField(choices=SORT_CHOICES, required=False, allow_blank=True,
                                   help_text="Default: best match when searching, else newest.")
    needs_review = serializers.BooleanField(required=False, help_text="Only summaries with a quality figure past its threshold.")


# --- videos -------------------------------------------------------------------------


class VideoSerializer(serializers.Serializer):
    youtube_id = serializers.CharField()
    url = serializers.URLField()
    title = serializers.CharField(allow_blank=True)
    channel = serializers.CharField(allow_blank=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    added_at = serializers.DateTimeField()
    added_by = serializers.CharField(allow_null=True, source="added_by.username", default=None)
    transcript_state = serializers.ChoiceField(choices=Video.TranscriptState.choices)
    transcript_error_code = serializers.CharField(allow_blank=True)
    transcript_error = serializers.CharField(allow_blank=True, help_text="Why the transcript could not be fetched, as the video page says it.")
    transcript_attempts = serializers.IntegerField()


class TranscriptInfoSerializer(serializers.Serializer):
    source = serializers.CharField()
    language_code = serializers.CharField(allow_blank=True)
    language = serializers.CharField(allow_blank=True)
    word_count = serializers.IntegerField()
    segments = serializers.IntegerField(source="segment_count")
    timed = serializers.BooleanField(help_text="Whether its cues carry times (sections then get theirs).")
    original_filename = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField()


class VideoSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Summary.Status.choices)
    is_current = serializers.BooleanField()
    template = serializers.CharField(source="template.label")
    model = serializers.CharField(source="model_id")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class VideoDetailSerializer(VideoSerializer):
    transcript = TranscriptInfoSerializer(allow_null=True, source="transcript_info")
    summaries = VideoSummarySerializer(many=True, source="summary_list")


class VideoCreateSerializer(StrictMixin, serializers.Serializer):
    urls = serializers.ListField(
        child=serializers.CharField(max_length=500, allow_blank=True, trim_whitespace=False),
        min_length=1, max_length=MAX_PASTE_LINES,
        help_text="YouTube URLs or ids, one per item: each is one line of the submit page's box.",
    )


class SubmitOutcomeSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="1-based position in `urls`.")
    input = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=OUTCOME_STATUSES)
    message = serializers.CharField()
    youtube_id = serializers.CharField(allow_null=True, source="video.youtube_id", default=None)
    summary_queued = serializers.BooleanField(help_text="False for a video added past a queue cap: no summary queued.")


class SubmitReportSerializer(serializers.Serializer):
    outcomes = SubmitOutcomeSerializer(many=True)
    queue_reason = serializers.CharField(allow_blank=True, help_text="Why some added videos get no summary, when some do not.")


class TranscriptUploadSerializer(StrictMixin, serializers.Serializer):
    file = serializers.FileField(help_text=".srt, .vtt, .sbv, .txt or YouTube's JSON, up to SUBTITLE_MAX_BYTES.")
    replace = serializers.BooleanField(default=False, help_text="Replace the video's transcript if it has one.")
    queue_summary = serializers.BooleanField(default=False, help_text="Queue a summary once it is stored.")


# --- jobs ---------------------------------------------------------------------------


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The summary's id.")
    status = serializers.ChoiceField(choices=Summary.Status.choices)
    video = serializers.CharField(source="video.youtube_id")
    template = TemplateRefSerializer()
    model = serializers.CharField(source="model_id")
    requested_by = serializers.CharField(allow_null=True, source="requested_by.username", default=None)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    attempts = serializers.IntegerField(source="job.attempts")
    cancel_requested = serializers.BooleanField(source="job.cancel_requested")
    error_code = serializers.CharField(allow_blank=True, source="job.error_code")
    error_message = serializers.CharField(allow_blank=True, source="job.error_message")
    position = serializers.IntegerField(allow_null=True, help_text="Place in the queue (1: next); null unless queued.")
    may_cancel = serializers.BooleanField(help_text="Whether you may cancel it.")


class JobCreateSerializer(StrictMixin, serializers.Serializer):
    video = serializers.CharField(max_length=500, help_text="The video's YouTube id or URL.")
    template = serializers.IntegerField(required=False, min_value=1,
                                        help_text="A template version's id (curators); default: the default template.")
    model_id = serializers.CharField(required=False, max_length=300, allow_blank=False,
                                     help_text="A model (curators); default: the site's model.")


class QueueItemSerializer(serializers.Serializer):
    summary_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Summary.Status.choices)
    video = serializers.CharField()
    template = serializers.CharField()
    model_id = serializers.CharField()
    created_at = serializers.CharField()
    stage = serializers.CharField()
    stage_label = serializers.CharField()
    percent = serializers.FloatField(allow_null=True)
    part = serializers.IntegerField(allow_null=True)
    parts = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField(allow_null=True)

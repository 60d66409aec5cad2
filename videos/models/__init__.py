"""The catalogue's data: videos, their transcripts, prompt templates with their
few-shot examples, and the summaries the model wrote."""

from .summaries import Summary, SummaryGeneralTopic, SummaryJob, SummaryQuerySet, SummaryResult, SummaryTopic, Topic
from .templates import FewShotExample, PromptTemplate
from .videos import YOUTUBE_ID_RE, Video, Transcript, normalize_topic, youtube_id_validator

__all__ = [
    "YOUTUBE_ID_RE", "FewShotExample", "PromptTemplate", "Summary", "SummaryGeneralTopic", "SummaryJob",
    "SummaryQuerySet", "SummaryResult", "SummaryTopic", "Topic", "Transcript", "Video", "normalize_topic",
    "youtube_id_validator",
]

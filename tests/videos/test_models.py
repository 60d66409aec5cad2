"""Database constraints: what must always hold, even when code forgets."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from videos.models import Summary, SummaryGeneralTopic, Topic, Video, normalize_topic

from .factories import SummaryFactory, TemplateFactory, VideoFactory

pytestmark = pytest.mark.django_db


def test_video_id_is_unique():
    VideoFactory(youtube_id="UiX8K-xBUpE")
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoFactory(youtube_id="UiX8K-xBUpE")


@pytest.mark.parametrize("bad", ["short", "kxT8-C1 vmd4", "UiX8K-xBUpE!", "UiX8K-xBUpEx"])
def test_video_id_is_validated(bad):
    video = Video(youtube_id=bad, url="https://www.youtube.com/watch?v=x")
    with pytest.raises(ValidationError) as exc:
        video.full_clean()
    assert "youtube_id" in exc.value.message_dict


def test_video_id_length_is_a_database_constraint():
    with pytest.raises(IntegrityError), transaction.atomic():
        Video.objects.create(youtube_id="tooshort", url="https://www.youtube.com/watch?v=tooshort")


@pytest.mark.parametrize("value", [Decimal("-0.01"), Decimal("1.01")])
def test_complexity_outside_0_1_is_refused_by_the_database(value):
    summary = SummaryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SummaryGeneralTopic.objects.create(summary=summary, field="Quantum Computing", complexity=value)


def test_complexity_edges_are_accepted():
    summary = SummaryFactory()
    SummaryGeneralTopic.objects.create(summary=summary, field="A", complexity=Decimal("0.00"))
    SummaryGeneralTopic.objects.create(summary=summary, field="B", complexity=Decimal("1.00"))
    assert summary.general_topics.count() == 2


def test_at_most_one_current_summary_per_video():
    video = VideoFactory()
    template = TemplateFactory()
    SummaryFactory(video=video, template=template, status=Summary.Status.DONE, is_current=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        SummaryFactory(video=video, template=template, status=Summary.Status.DONE, is_current=True)
    # Non-current summaries of the same video are fine.
    SummaryFactory(video=video, template=template, status=Summary.Status.DONE, is_current=False)
    assert video.summaries.count() == 2


def test_only_a_done_summary_can_be_current():
    with pytest.raises(IntegrityError), transaction.atomic():
        SummaryFactory(status=Summary.Status.FAILED, is_current=True)


def test_template_name_version_unique_and_one_default_per_name():
    TemplateFactory(name="t", version=1, is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        TemplateFactory(name="t", version=1, is_default=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        TemplateFactory(name="t", version=2, is_default=True)
    TemplateFactory(name="t", version=2, is_default=False)


def test_topic_normalized_ignores_case_and_accents():
    assert normalize_topic("  Café  Résumé ") == "cafe resume"
    Topic.objects.create(name="Café")
    with pytest.raises(IntegrityError), transaction.atomic():
        Topic.objects.create(name="CAFE")

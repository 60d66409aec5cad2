"""Build done summaries the way the worker does: through summary_store_result,
so that topics, general topics and the search vector are all stored."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tests.videos.factories import SCALE, TemplateFactory, UserFactory, VideoFactory, summary_data
from videos.models import PromptTemplate, Summary
from videos.services.summaries import summary_store_result, summary_transition
from videos.models import SummaryJob

BASE_TIME = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.get_current_timezone())


def reference_template() -> PromptTemplate:
    template = PromptTemplate.objects.filter(name="catalogue-test").first()
    return template or TemplateFactory(name="catalogue-test")


def make_summary(
    *,
    title: str = "A video",
    channel: str = "A channel",
    general=(("Quantum Computing", 0.5),),
    prefix: str | None = None,
    intro: str | None = None,
    topics: list[str] | None = None,
    section_titles: list[str] | None = None,
    bullets: dict[tuple[int, int], str] | None = None,
    section_topics: dict[tuple[int, int], str] | None = None,
    minutes: int = 0,
    video=None,
    template=None,
    metrics: dict | None = None,
    section_times: list | None = None,
    figures: dict | None = None,
) -> Summary:
    """A done summary. `minutes` orders them: a larger value is newer."""
    video = video or VideoFactory(title=title, channel=channel)
    template = template or reference_template()
    data = copy.deepcopy(summary_data(general=general, prefix=prefix or f"p{video.pk}"))
    if intro is not None:
        data["introduction"] = intro
    if topics is not None:
        data["topics"] = topics
    for i, t in enumerate(section_titles or []):
        data["sections"][i]["title"] = t
    for (s, b), text in (bullets or {}).items():
        data["sections"][s]["content"][b] = text
    for (s, t), text in (section_topics or {}).items():
        data["sections"][s]["topics"][t] = text
    summary = Summary.objects.create(video=video, template=template, model_id="test-model")
    SummaryJob.objects.create(summary=summary)
    summary_transition(summary_id=summary.pk, to=Summary.Status.RUNNING)
    summary = summary_store_result(
        summary_id=summary.pk,
        data=data,
        raw_output=json.dumps(data),
        metrics=metrics
        or {"prompt_tokens": 1234, "output_tokens": 456, "prefill_seconds": 0.5, "decode_seconds": 9.5, "tokens_per_second": 48.0, "peak_memory_bytes": 15_500_000_000, "device": "cpu"},
        section_times=section_times,
        figures=figures,
    )
    when = BASE_TIME + timedelta(minutes=minutes)
    Summary.objects.filter(pk=summary.pk).update(created_at=when)
    summary.refresh_from_db()
    return summary


def viewer(username: str = "viewer"):
    """A member of Viewers. The group comes from migration 0002; a transactional
    test's flush removes it, so it is made again with the permission that matters."""
    group, created = Group.objects.get_or_create(name="Viewers")
    if created:
        group.permissions.add(Permission.objects.get(content_type__app_label="videos", codename="view_summary"))
    user = UserFactory(username=username)
    user.groups.add(group)
    return user


__all__ = ["SCALE", "make_summary", "reference_template", "viewer"]

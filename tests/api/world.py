"""The objects the API tests act on, made the way the site makes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.catalogue.helpers import make_summary
from tests.routes import role_user
from tests.videos.factories import ExampleFactory, SummaryFactory, TemplateFactory, TranscriptFactory, VideoFactory, summary_data

FILES = Path(__file__).resolve().parents[1] / "ingest" / "files"
GENERAL = (("Quantum Computing", 0.5), ("Algorithms and Data Structures", 0.3), ("Computer Architecture", 0.2))


def valid_answer() -> str:
    """An answer of the factories' template shape (5 sections, 3 general topics)."""
    return json.dumps(summary_data(general=GENERAL))


@dataclass
class World:
    template: int
    example: int
    video: str  # with a transcript and two done summaries
    bare: str  # no transcript
    summary: int  # current
    other: int  # done, not current
    queued: int  # queued by another curator


def make_world() -> World:
    owner = role_user("curator", username="owner")
    template = TemplateFactory(name="api-world")
    example = ExampleFactory(template=template, answer=valid_answer())
    video = TranscriptFactory().video
    summary = make_summary(video=video, template=template, minutes=1, general=GENERAL)
    other = make_summary(video=video, template=template, minutes=2, general=GENERAL)
    queued = SummaryFactory(video=video, template=template, requested_by=owner)
    return World(template=template.pk, example=example.pk, video=video.youtube_id, bare=VideoFactory().youtube_id,
                 summary=summary.pk, other=other.pk, queued=queued.pk)

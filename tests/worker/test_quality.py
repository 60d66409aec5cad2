"""The worker's path from the engine to the stored result: timed cues in, section times
and quality figures out, written by the one write path; progress by parts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

import inference
from inference import quality as measures
from inference.parts import Cue
from tests.videos.factories import ExampleFactory, TemplateFactory, TranscriptFactory, VideoFactory, summary_data
from videos import progress
from videos.models import Summary
from videos.services import jobs

pytestmark = pytest.mark.django_db

SEGMENTS = [
    {"start": 0.0, "duration": 30.0, "text": "hash tables store keys in buckets"},
    {"start": 30.0, "duration": 30.0, "text": "collisions are resolved by chaining"},
    {"start": 60.0, "duration": 40.0, "text": "the load factor decides when to resize"},
]
FULL_TEXT = " ".join(s["text"] for s in SEGMENTS)


@dataclass
class FakeResult:
    data: dict
    section_times: list | None
    raw_text: str = "{}"
    parts: int = 3

    def to_dict(self):
        return {"summary": self.data, "raw_text": self.raw_text, "section_times": self.section_times,
                "parts": self.parts, "output_tokens": 42}


@dataclass
class FakeEngine:
    """The engine's interface (summarize with a str or timed cues, a 5-argument progress)."""

    section_times: list | None
    data: dict
    model_id: str = "fake-model"
    calls: list = field(default_factory=list)
    configs: list = field(default_factory=list)

    def summarize(self, spec, transcript, config=None, progress=None, should_cancel=None):
        self.calls.append(transcript)
        self.configs.append(config)
        for part in (1, 2, 3):
            progress(10, 100, "{", part, 3)
            progress(100, 100, "{}", part, 3)
        return FakeResult(data=self.data, section_times=self.section_times)


def _data() -> dict:
    data = summary_data(prefix="hash")
    # Wording taken from the example's answer (summary_data(prefix="x")), not from the transcript.
    data["introduction"] = "x introduction about the video. Hash tables store keys in buckets."
    return data


def _run(monkeypatch, *, segments, duration, section_times, relaxed=()):
    template = TemplateFactory(relaxed=list(relaxed))
    example = ExampleFactory(template=template)
    video = VideoFactory(duration_seconds=duration)
    TranscriptFactory(video=video, full_text=FULL_TEXT, segments=segments)
    engine = FakeEngine(section_times=section_times, data=_data())
    monkeypatch.setattr(inference, "get_engine", lambda *args, **kwargs: engine)
    events = []
    monkeypatch.setattr(progress, "publish_summary", lambda sid, event: events.append(event))
    summary, _ = jobs.summary_create(video=video, template=template, model_id="fake-model")
    stored = jobs.summary_run(summary_id=summary.pk)
    assert stored is not None and stored.status == Summary.Status.DONE, stored and stored.job.error_message
    return Summary.objects.select_related("result").get(pk=summary.pk), engine, example, events


def test_timed_segments_go_in_as_cues_and_the_figures_are_stored(monkeypatch):
    times = [[0.0, 60.0], [60.0, 100.0]]
    summary, engine, example, _ = _run(monkeypatch, segments=SEGMENTS, duration=200, section_times=times)
    assert engine.calls == [[Cue(0.0, 30.0, SEGMENTS[0]["text"]), Cue(30.0, 60.0, SEGMENTS[1]["text"]),
                             Cue(60.0, 100.0, SEGMENTS[2]["text"])]]
    result = summary.result
    assert result.section_times == times
    assert result.coverage == pytest.approx(0.5)  # 100 s of sections in a 200 s video
    assert result.copied > 0  # the introduction's "x introduction about the ..." is the example's
    assert 0 < result.grounded < 1 and 0 <= result.repeated < 1
    expected = measures.figures(_data(), transcript=FULL_TEXT, example_answers=[example.answer],
                                section_times=[tuple(t) for t in times], duration=200, expected_fields=[])
    got = {name: getattr(result, name) for name in ("grounded", "copied", "repeated", "coverage")}
    assert got == pytest.approx({name: expected[name] for name in got})
    assert "section_times" not in result.metrics and result.metrics["parts"] == 3


def test_without_a_video_duration_the_last_cue_ends_the_video(monkeypatch):
    summary, *_ = _run(monkeypatch, segments=SEGMENTS, duration=None, section_times=[[0.0, 60.0], [60.0, 100.0]])
    assert summary.result.coverage == pytest.approx(1.0)


def test_an_untimed_transcript_goes_in_as_text_and_has_no_times(monkeypatch):
    untimed = [{"start": 0.0, "duration": 0.0, "text": FULL_TEXT}]
    summary, engine, example, _ = _run(monkeypatch, segments=untimed, duration=200, section_times=None)
    assert engine.calls == [FULL_TEXT]
    result = summary.result
    assert result.section_times is None and result.coverage is None
    assert result.grounded == pytest.approx(measures.grounded(_data(), FULL_TEXT))
    assert result.copied == pytest.approx(measures.copied(_data(), [json.loads(example.answer)], FULL_TEXT))


def test_progress_events_name_the_part(monkeypatch):
    _, _, _, events = _run(monkeypatch, segments=SEGMENTS, duration=200, section_times=None)
    ticks = [e for e in events if e.get("stage") == "generating"]
    # A new part is always reported, however soon it comes.
    assert [(e["part"], e["parts"]) for e in ticks if e["tokens"] == 10] == [(1, 3), (2, 3), (3, 3)]
    last = ticks[-1]
    assert (last["part"], last["parts"], last["percent"]) == (3, 3, 100.0)
    assert [e["percent"] for e in ticks if e["tokens"] == 10] == [pytest.approx(3.3), pytest.approx(36.7), 70.0]


def test_every_quality_switch_is_on_unless_the_template_relaxes_it(monkeypatch):
    _, engine, _, _ = _run(monkeypatch, segments=SEGMENTS, duration=100.0, section_times=None)
    (config,) = engine.configs
    assert config.extractive and config.ground_tokens and config.examples_as_format
    _, engine, _, _ = _run(monkeypatch, segments=SEGMENTS, duration=100.0, section_times=None,
                           relaxed=["extractive", "examples_as_format"])
    (config,) = engine.configs
    assert not config.extractive and not config.examples_as_format and config.ground_tokens


def test_a_template_cannot_relax_an_unknown_switch():
    from django.core.exceptions import ValidationError

    template = TemplateFactory.build(relaxed=["extractive", "be_brilliant"])
    with pytest.raises(ValidationError, match="among"):
        template.full_clean()

"""load_seed: counts, idempotence, and keeping curated edits."""

import json

import pytest
from django.core.management import call_command

from videos.models import FewShotExample, PromptTemplate, Transcript, Video

pytestmark = pytest.mark.django_db


def _run(capsys):
    call_command("load_seed")
    return capsys.readouterr().out


def test_first_load_reports_the_reference_data(capsys, seed_data):
    out = _run(capsys)
    assert "Created: 14 videos, 10 transcripts, 1 template, 2 examples" in out
    assert Video.objects.count() == 14
    assert Transcript.objects.count() == 10
    template = PromptTemplate.objects.get()
    assert template.is_default and template.instruction == seed_data["prompt"]["instruction"]
    assert template.general_topics == seed_data["prompt"]["general_topics"]
    assert [e.name for e in FewShotExample.objects.filter(is_active=True).order_by("position")] == ["mixtral8x7b", "full-stack"]
    # The curated answers are kept byte for byte, as the reference used them.
    assert FewShotExample.objects.get(name="full-stack").answer == seed_data["shots"][1]["answer"]


def test_seed_url_with_a_space_is_stored_as_the_real_id(capsys):
    out = _run(capsys)
    zig = Video.objects.get(slug="zig")
    assert zig.youtube_id == "kxT8-C1vmd4"
    assert zig.url == "https://www.youtube.com/watch?v=kxT8-C1vmd4"
    assert "space inside the id" in out


def test_videos_without_transcript_are_marked_needed(capsys):
    _run(capsys)
    needed = set(Video.objects.filter(transcript_state="needed").values_list("slug", flat=True))
    assert needed == {"typescript_fireship", "sql_backend", "threads_connections", "zig"}


def test_second_run_changes_nothing(capsys):
    _run(capsys)
    snapshot = [list(m.objects.order_by("pk").values()) for m in (Video, Transcript, PromptTemplate, FewShotExample)]
    out = _run(capsys)
    assert "Nothing new" in out
    assert "Already there: 14 videos, 10 transcripts, 1 template, 2 examples" in out
    assert snapshot == [list(m.objects.order_by("pk").values()) for m in (Video, Transcript, PromptTemplate, FewShotExample)]


def test_curated_edits_are_kept_and_reported(capsys):
    _run(capsys)
    example = FewShotExample.objects.get(name="mixtral8x7b")
    answer = json.loads(example.answer)
    answer["introduction"] = "Edited by a curator."
    example.answer = json.dumps(answer, indent=2)
    example.is_active = False
    example.save()
    template = PromptTemplate.objects.get()
    template.instruction += " Curated."
    template.save()
    transcript = Transcript.objects.get(video__slug="dpo")
    transcript.full_text = "a better transcript"
    transcript.save()

    out = _run(capsys)
    example.refresh_from_db()
    template.refresh_from_db()
    transcript.refresh_from_db()
    assert json.loads(example.answer)["introduction"] == "Edited by a curator." and not example.is_active
    assert template.instruction.endswith(" Curated.")
    assert transcript.full_text == "a better transcript"
    assert "Skipped (kept as edited): example mixtral8x7b" in out
    assert "Skipped (kept as edited): template reference v1" in out
    assert "Skipped (kept as edited): transcript of dpo" in out
    assert FewShotExample.objects.count() == 2 and PromptTemplate.objects.count() == 1

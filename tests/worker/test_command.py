"""`manage.py summarize`: one summary in-process, no worker."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.videos.factories import ExampleFactory, TemplateFactory, TranscriptFactory, VideoFactory, summary_data
from videos.models import Summary, SummaryGeneralTopic

from .conftest import REPO_ROOT, database_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_json_run_prints_only_the_summary_and_stores_it(seeded, tiny_model_dir):
    video_slug = "mixtral8x7b"
    env = {**os.environ, "DATABASE_URL": database_url()}
    proc = subprocess.run(
        [sys.executable, "manage.py", "summarize", video_slug, "--template", "reference:1", "--model", tiny_model_dir, "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)  # stdout is the JSON and nothing else
    summary = Summary.objects.get()
    assert summary.status == "done" and summary.data == data
    assert summary.video.slug == video_slug and summary.job.attempts == 1
    assert SummaryGeneralTopic.objects.filter(summary=summary).count() == 3
    assert list(summary.examples.order_by("position").values_list("name", flat=True)) == \
        list(summary.template.examples.filter(is_active=True).order_by("position").values_list("name", flat=True))


def test_unknown_video():
    with pytest.raises(CommandError, match="no video with YouTube id or slug 'nope'"):
        call_command("summarize", "nope")


def test_video_without_transcript(seeded):
    video = VideoFactory()
    with pytest.raises(CommandError, match="has no transcript yet"):
        call_command("summarize", video.youtube_id)
    assert not Summary.objects.exists()


def test_unknown_template(seeded):
    with pytest.raises(CommandError, match="no template reference version 7"):
        call_command("summarize", "mixtral8x7b", "--template", "reference:7")


@pytest.mark.parametrize("model,message", [
    ("/nonexistent/model-folder", "model folder not found"),
    ("/nonexistent/model.gguf", "GGUF model file not found"),
])
def test_missing_model_fails_with_one_line_and_a_failed_row(seeded, model, message):
    with pytest.raises(CommandError, match=message) as excinfo:
        call_command("summarize", "mixtral8x7b", "--model", model)
    assert "\n" not in str(excinfo.value)
    summary = Summary.objects.get()
    assert (summary.status, summary.job.error_code, summary.data) == ("failed", "model_not_found", None)


def test_an_instruction_that_does_not_fit_the_context(tiny_model_dir):
    # Examples are shown as format only (their content is never in the prompt), so what can
    # overflow the context is the template's own instruction.
    template = TemplateFactory(instruction="Summarize the video. " * 5000)
    video = TranscriptFactory().video
    with pytest.raises(CommandError, match="do not fit the model's context"):
        call_command("summarize", video.youtube_id, "--template", template.name, "--model", tiny_model_dir)
    summary = Summary.objects.get()
    assert (summary.status, summary.job.error_code, summary.data) == ("failed", "prompt_too_long", None)
    assert not SummaryGeneralTopic.objects.exists()

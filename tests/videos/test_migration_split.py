"""Migration 0011 splits the summary row into job and result and back, keeping every value."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("videos", "0010_retire_catalogue_workarounds")]
AFTER = [("videos", "0011_summary_job_result")]


def _latest():
    loader = MigrationExecutor(connection).loader
    return [node for node in loader.graph.leaf_nodes() if node[0] == "videos"]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_split_forward_and_back_keeps_every_value():
    try:
        old = _migrate(BEFORE)
        Video, Template, Summary = (old.get_model("videos", m) for m in ("Video", "PromptTemplate", "Summary"))
        video = Video.objects.create(youtube_id="abcdefghijk", url="https://www.youtube.com/watch?v=abcdefghijk")
        template = Template.objects.create(name="t", instruction="i", general_topics=["A"], complexity_scale=[])
        data = {"introduction": "Intro.", "sections": [{"title": "S", "content": ["b"], "topics": ["t"]}]}
        done = Summary.objects.create(
            video=video, template=template, model_id="m", status="done", is_current=True, data=data, raw_output="{...}",
            introduction="Intro.", sections=data["sections"], attempts=2, output_tokens=321, device="cpu",
            metrics={"prefill_seconds": 0.5}, task_id="t-1", progress={"stage": "done"},
        )
        failed = Summary.objects.create(
            video=video, template=template, model_id="m", status="failed", error_code="worker_died",
            error_message="the worker died", worker_pid=42, cancel_requested=True,
        )

        new = _migrate(AFTER)
        Job, Result = new.get_model("videos", "SummaryJob"), new.get_model("videos", "SummaryResult")
        job = Job.objects.get(summary_id=done.pk)
        assert (job.attempts, job.task_id, job.progress) == (2, "t-1", {"stage": "done"})
        result = Result.objects.get(summary_id=done.pk)
        assert result.data == data and result.raw_output == "{...}"
        assert result.metrics == {"prefill_seconds": 0.5, "output_tokens": 321, "device": "cpu"}
        failed_job = Job.objects.get(summary_id=failed.pk)
        assert (failed_job.error_code, failed_job.worker_pid, failed_job.cancel_requested) == ("worker_died", 42, True)
        assert not Result.objects.filter(summary_id=failed.pk).exists()

        back = _migrate(BEFORE)
        Summary = back.get_model("videos", "Summary")
        restored = Summary.objects.get(pk=done.pk)
        assert (restored.data, restored.raw_output, restored.introduction, restored.attempts) == (data, "{...}", "Intro.", 2)
        assert (restored.output_tokens, restored.device, restored.task_id) == (321, "cpu", "t-1")
        restored_failed = Summary.objects.get(pk=failed.pk)
        assert (restored_failed.error_message, restored_failed.worker_pid) == ("the worker died", 42)
    finally:
        # Back to the newest schema (not just AFTER): the tests that follow expect every migration.
        _migrate(_latest())

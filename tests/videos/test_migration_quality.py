"""Migration 0012 adds the result's section times and quality figures, and takes them away
again, leaving every other value as it was."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("videos", "0011_summary_job_result")]
AFTER = [("videos", "0012_summary_quality")]
ADDED = {"section_times", "grounded", "copied", "repeated", "coverage"}


def _latest():
    loader = MigrationExecutor(connection).loader
    return [node for node in loader.graph.leaf_nodes() if node[0] == "videos"]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _columns() -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, "videos_summaryresult")}


@pytest.mark.django_db(transaction=True)
def test_forward_and_back():
    try:
        old = _migrate(BEFORE)
        assert not ADDED & _columns()
        Video, Template, Summary, Result = (
            old.get_model("videos", m) for m in ("Video", "PromptTemplate", "Summary", "SummaryResult")
        )
        video = Video.objects.create(youtube_id="abcdefghijk", url="https://www.youtube.com/watch?v=abcdefghijk")
        template = Template.objects.create(name="t", instruction="i", general_topics=["A"], complexity_scale=[])
        summary = Summary.objects.create(video=video, template=template, model_id="m", status="done", is_current=True)
        data = {"introduction": "Intro.", "sections": []}
        Result.objects.create(summary=summary, data=data, raw_output="{...}", metrics={"output_tokens": 3})

        new = _migrate(AFTER)
        assert ADDED <= _columns()
        Result = new.get_model("videos", "SummaryResult")
        result = Result.objects.get(summary_id=summary.pk)
        # An existing summary is unmeasured, and keeps what it had.
        assert (result.grounded, result.copied, result.repeated, result.coverage, result.section_times) == (None,) * 5
        assert (result.data, result.raw_output, result.metrics) == (data, "{...}", {"output_tokens": 3})
        Result.objects.filter(pk=result.pk).update(grounded=0.9, coverage=0.5, section_times=[[0, 10]])

        back = _migrate(BEFORE)
        assert not ADDED & _columns()
        restored = back.get_model("videos", "SummaryResult").objects.get(summary_id=summary.pk)
        assert (restored.data, restored.raw_output, restored.metrics) == (data, "{...}", {"output_tokens": 3})
    finally:
        # Back to the newest schema (not just AFTER): the tests that follow expect every migration.
        _migrate(_latest())

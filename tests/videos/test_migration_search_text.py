"""Migration 0014 moves each summary's folded search text to its result, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("videos", "0013_template_relaxed")]
AFTER = [("videos", "0014_search_text_on_result")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


@pytest.mark.django_db(transaction=True)
def test_search_text_moves_to_the_result_and_back():
    try:
        old = _migrate(BEFORE)
        Video, Template, Summary, Result = (
            old.get_model("videos", m) for m in ("Video", "PromptTemplate", "Summary", "SummaryResult")
        )
        template = Template.objects.create(name="t", instruction="i", general_topics=["A"], complexity_scale=[])
        done, queued = (
            Summary.objects.create(
                video=Video.objects.create(youtube_id=yid, url=f"https://www.youtube.com/watch?v={yid}"),
                template=template, model_id="m", status=status, is_current=status == "done", search_text=text,
            )
            for yid, status, text in (("abcdefghijk", "done", "hash tables probing"), ("bcdefghijkl", "queued", ""))
        )
        Result.objects.create(summary=done, data={"introduction": "Intro."}, raw_output="{...}")

        new = _migrate(AFTER)
        assert "search_text" not in _columns("videos_summary")
        assert "search_text" in _columns("videos_summaryresult")
        result = new.get_model("videos", "SummaryResult").objects.get(summary_id=done.pk)
        assert (result.search_text, result.data) == ("hash tables probing", {"introduction": "Intro."})
        result.search_text = "hash tables chaining"
        result.save()

        back = _migrate(BEFORE)
        assert "search_text" not in _columns("videos_summaryresult")
        Summary = back.get_model("videos", "Summary")
        assert Summary.objects.get(pk=done.pk).search_text == "hash tables chaining"
        assert Summary.objects.get(pk=queued.pk).search_text == ""
    finally:
        executor = MigrationExecutor(connection)
        _migrate([n for n in executor.loader.graph.leaf_nodes() if n[0] == "videos"])

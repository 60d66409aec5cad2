"""The folded search text moves from the catalogue row (Summary) to the result it is
derived from (SummaryResult). On PostgreSQL the catalogue row then holds one wide value,
the search vector, which fits in the row itself: a search no longer reads each match's
vector from the TOAST table. Every row's text is copied both ways; reversing puts it back.

PostgreSQL keeps a dropped column's old values, and an unchanged vector's TOAST pointer,
in the rows already written; so each stored vector is written again (as itself), which
gives the rows written before this migration the layout new rows get. That rewrites the
table once (about a minute per 100,000 summaries)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def text_to_results(apps, schema_editor):
    Summary, SummaryResult = apps.get_model("videos", "Summary"), apps.get_model("videos", "SummaryResult")
    text = Summary.objects.filter(pk=OuterRef("summary_id")).values("search_text")[:1]
    SummaryResult.objects.update(search_text=Subquery(text))


def text_to_summaries(apps, schema_editor):
    Summary, SummaryResult = apps.get_model("videos", "Summary"), apps.get_model("videos", "SummaryResult")
    text = SummaryResult.objects.filter(summary_id=OuterRef("pk")).values("search_text")[:1]
    Summary.objects.filter(result__isnull=False).update(search_text=Subquery(text))


def rewrite_vectors(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE videos_summary SET search_vector = search_vector || ''::tsvector WHERE search_vector IS NOT NULL"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("videos", "0013_template_relaxed"),
    ]

    operations = [
        migrations.AddField(
            model_name="summaryresult",
            name="search_text",
            field=models.TextField(blank=True, help_text="Folded text of title, introduction, sections and topics."),
        ),
        migrations.RunPython(text_to_results, text_to_summaries),
        migrations.RemoveField(model_name="summary", name="search_text"),
        migrations.RunPython(rewrite_vectors, migrations.RunPython.noop),
    ]

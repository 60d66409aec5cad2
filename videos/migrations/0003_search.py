"""Catalogue search and the indexes its queries need.

- `Summary.search_vector`: a weighted tsvector for PostgreSQL full-text search.
  The column is nullable and SQLite stores nothing in it (SQLite searches the
  folded `search_text`), so the same AddField runs on both databases.
- On PostgreSQL only: the GIN index that the `@@` match uses, a partial index
  on the catalogue's base set ordered as the default sort, and a covering index
  for "this summary has a general topic in these fields within this range".
  They are not in Model.Meta.indexes (a GinIndex there would break SQLite), so
  they are created here with SQL that runs only when the connection is
  PostgreSQL; `makemigrations --check` stays clean because the model state
  does not know about them.
- Summaries already done get their vector (PostgreSQL only).
"""

import unicodedata

import django.contrib.postgres.search
from django.db import migrations

SEARCH_CONFIG = "english"

POSTGRES_INDEXES = [
    (
        "summary_search_gin",
        "CREATE INDEX IF NOT EXISTS summary_search_gin ON videos_summary USING gin (search_vector)",
    ),
    (
        # The catalogue's base set (current and done), newest first.
        "summary_current_newest",
        "CREATE INDEX IF NOT EXISTS summary_current_newest ON videos_summary (created_at DESC, id DESC) "
        "WHERE is_current AND status = 'done'",
    ),
    (
        # The field x complexity filter is an EXISTS per summary: an index-only probe.
        "general_topic_summary_field_cx",
        "CREATE INDEX IF NOT EXISTS general_topic_summary_field_cx ON videos_summarygeneraltopic "
        "(summary_id, field, complexity)",
    ),
]


def _fold(text):
    # Frozen copy of videos.models.normalize_topic: a migration must not change
    # when the app's code does.
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _parts(title, data):
    sections = data.get("sections", []) or []
    topics = list(data.get("topics", []) or []) + [t for s in sections for t in s.get("topics", [])]
    return {
        "A": _fold(" ".join([title or "", *topics])),
        "B": _fold(" ".join(s.get("title", "") for s in sections)),
        "C": _fold(data.get("introduction", "") or ""),
        "D": _fold(" ".join(b for s in sections for b in s.get("content", []))),
    }


def create_postgres_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, sql in POSTGRES_INDEXES:
        schema_editor.execute(sql)


def drop_postgres_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in POSTGRES_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def fill_search_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Summary = apps.get_model("videos", "Summary")
    sql = (
        "UPDATE videos_summary SET search_vector = "
        "setweight(to_tsvector(%s::regconfig, %s), 'A') || setweight(to_tsvector(%s::regconfig, %s), 'B') || "
        "setweight(to_tsvector(%s::regconfig, %s), 'C') || setweight(to_tsvector(%s::regconfig, %s), 'D') "
        "WHERE id = %s"
    )
    rows = Summary.objects.using(schema_editor.connection.alias).filter(status="done", data__isnull=False)
    with schema_editor.connection.cursor() as cursor:
        for pk, title, data in rows.values_list("pk", "video__title", "data").iterator():
            parts = _parts(title, data if isinstance(data, dict) else {})
            params = []
            for weight in "ABCD":
                params += [SEARCH_CONFIG, parts[weight]]
            cursor.execute(sql, [*params, pk])


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0002_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="summary",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create_postgres_indexes, drop_postgres_indexes, elidable=False),
        migrations.RunPython(fill_search_vectors, migrations.RunPython.noop, elidable=True),
    ]

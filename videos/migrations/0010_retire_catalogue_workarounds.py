"""Retire the catalogue's PostgreSQL-only workarounds (SQLite is untouched).

The general topic codes kept by triggers (0007) and the forced storage layout
(0008) go: the catalogue filters and counts general topics through the
declared general topic table, the same query on both databases, and the
summary row no longer carries what changes on every progress tick (0011), so
the default storage serves it. The column order of 0009 is left as it is:
nothing reads columns by position, and undoing it would take the same table
rewrite that is being retired.

Reversing it puts the triggers, the codes (recomputed from the general topic
table) and the storage settings back; rows take the old layout the next time
the table is rewritten.
"""

from importlib import import_module

from django.db import migrations

general_codes = import_module("videos.migrations.0007_general_codes")
row_layout = import_module("videos.migrations.0008_summary_row_layout")

FORWARD = [
    "ALTER TABLE videos_summary RESET (toast_tuple_target)",
    "ALTER TABLE videos_summary ALTER COLUMN search_vector SET STORAGE EXTENDED",
    *general_codes.BACKWARD,
]

BACKWARD = [
    *general_codes.FORWARD,
    "ALTER TABLE videos_summary SET (toast_tuple_target = 128)",
    "ALTER TABLE videos_summary ALTER COLUMN search_vector SET STORAGE MAIN, ALTER COLUMN general_codes SET STORAGE PLAIN",
    row_layout.REFRESH_WHEN_CHANGED,
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0009_summary_column_order"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]

"""Keep what the catalogue reads for every match on the summary row itself
(PostgreSQL only; the model state does not change, SQLite is untouched).

A catalogue search visits the row of every match: it checks the general topic
codes, ranks the search vector and reads the date. PostgreSQL decides alone
which values stay on the row and which go to the TOAST table, and its choice
depends on the row's history: the rows as they were written kept the vector
on the row, but the same rows rewritten (VACUUM FULL, a dump restored) had it
moved out, and every match then cost about three more page reads. Measured on
100,000 summaries under 20 clients, uncached catalogue pages took p50 174 ms
on the rewritten table against 88 ms with this layout.

So the layout is stated instead of left to chance:
- `search_vector` is MAIN: compressed if that pays, moved out only if the
  row could not fit a page otherwise;
- `general_codes` (a few integers) is PLAIN: always on the row, as it is;
- every other long value (the summary's JSON, its text for search, the
  introduction, the raw output) goes to the TOAST table: PostgreSQL starts
  moving values out of a row over 2 KB, and with `toast_tuple_target` at its
  minimum (128 bytes) it goes on until only the vector, the codes and short
  fields are left. A card reads those values for 20 rows; the search reads
  none of them, and the rows it visits are narrower (156 MB of heap for
  100,000 summaries, against 184 MB with the vector kept on the row but the
  rest left to the default), so more of them stay in PostgreSQL's buffers.

The general topic codes' refresh also stops writing a summary row whose codes
did not change: a statement that touches general topics without changing
them (an admin form saved as it was) no longer leaves a dead row version.

Existing rows take the layout when the table is rewritten here (VACUUM FULL:
the table is locked while it runs, some seconds for 100,000 summaries), which
is why this migration is not atomic.
"""

from django.db import migrations

REFRESH_WHEN_CHANGED = """
    CREATE OR REPLACE FUNCTION videos_refresh_general_codes(summary_ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO videos_catalogue_field (name)
            SELECT DISTINCT g.field FROM videos_summarygeneraltopic g
            WHERE g.summary_id = ANY(summary_ids)
            ON CONFLICT (name) DO NOTHING;
        UPDATE videos_summary s SET general_codes = fresh.codes
        FROM (
            SELECT t.id, coalesce((
                SELECT array_agg(f.id * 1000 + round(g.complexity * 100)::integer ORDER BY g.position, g.id)
                FROM videos_summarygeneraltopic g JOIN videos_catalogue_field f ON f.name = g.field
                WHERE g.summary_id = t.id
            ), '{}') AS codes
            FROM unnest(summary_ids) AS t(id)
        ) AS fresh
        WHERE s.id = fresh.id AND s.general_codes IS DISTINCT FROM fresh.codes;
    $$
"""

# As 0007 created it.
REFRESH_ALWAYS = """
    CREATE OR REPLACE FUNCTION videos_refresh_general_codes(summary_ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO videos_catalogue_field (name)
            SELECT DISTINCT g.field FROM videos_summarygeneraltopic g
            WHERE g.summary_id = ANY(summary_ids)
            ON CONFLICT (name) DO NOTHING;
        UPDATE videos_summary s SET general_codes = coalesce((
            SELECT array_agg(f.id * 1000 + round(g.complexity * 100)::integer ORDER BY g.position, g.id)
            FROM videos_summarygeneraltopic g JOIN videos_catalogue_field f ON f.name = g.field
            WHERE g.summary_id = s.id
        ), '{}')
        WHERE s.id = ANY(summary_ids);
    $$
"""

FORWARD = [
    "ALTER TABLE videos_summary SET (toast_tuple_target = 128)",
    "ALTER TABLE videos_summary ALTER COLUMN search_vector SET STORAGE MAIN, ALTER COLUMN general_codes SET STORAGE PLAIN",
    REFRESH_WHEN_CHANGED,
    "VACUUM (FULL, ANALYZE) videos_summary",
]

BACKWARD = [
    "ALTER TABLE videos_summary RESET (toast_tuple_target)",
    "ALTER TABLE videos_summary ALTER COLUMN search_vector SET STORAGE EXTENDED, ALTER COLUMN general_codes SET STORAGE EXTENDED",
    REFRESH_ALWAYS,
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
    atomic = False

    dependencies = [
        ("videos", "0007_general_codes"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]

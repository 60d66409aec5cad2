"""Catalogue performance (PostgreSQL only; nothing changes in the model state,
so `makemigrations --check` stays clean and SQLite is untouched).

- The search vector shrinks: the bullets (weight D, most of the text) lose
  their positions (`strip`), as videos.services now stores them. A, B and C keep
  theirs. The vector goes from about 1.6 KB (compressed out of line, in TOAST)
  to a few hundred bytes, so ranking the matches no longer reads TOAST. Done
  in SQL from the stored vector: the D part is the D-weighted positions.
  Trade-off: a quoted phrase no longer matches inside bullets (a bullet-only
  word still matches and ranks as D).
- STORAGE MAIN on the vector: kept in the row (compressed if need be) unless
  the row cannot fit otherwise; the large JSON columns go out of line first.
"""

from django.db import migrations


def shrink_search_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE videos_summary ALTER COLUMN search_vector SET STORAGE MAIN")
    schema_editor.execute(
        "UPDATE videos_summary SET search_vector = "
        "ts_filter(search_vector, '{a,b,c}') || strip(ts_filter(search_vector, '{d}')) "
        "WHERE search_vector IS NOT NULL"
    )


def restore_storage(apps, schema_editor):
    # The stripped positions cannot come back; the vectors still match and rank.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE videos_summary ALTER COLUMN search_vector SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0004_worker"),
    ]

    operations = [
        migrations.RunPython(shrink_search_vectors, restore_storage, elidable=False),
    ]

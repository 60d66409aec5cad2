"""The summary table's column order (migration 0009, PostgreSQL only): the columns
a search reads come first, and rewriting the table into another order keeps every
row, constraint, index, trigger, storage setting, foreign key and the id sequence."""

import importlib

import pytest
from django.db import connection

from videos.models import Summary, SummaryTopic
from videos.selectors import summary_catalogue_base, summary_search

from .helpers import make_summary

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL keeps the column order"),
]

migration = importlib.import_module("videos.migrations.0009_summary_column_order")


def column_names(cursor) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'videos_summary'::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum"
    )
    return [name for (name,) in cursor.fetchall()]


def table_state(cursor) -> dict:
    """Everything about the table but its column order."""
    queries = {
        "rows": "SELECT (row_to_json(s)::jsonb)::text FROM videos_summary s ORDER BY id",
        "constraints": "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'videos_summary'::regclass ORDER BY 1",
        "indexes": "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'videos_summary'::regclass ORDER BY 1",
        "referencing": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE confrelid = 'videos_summary'::regclass ORDER BY 2",
        "columns": "SELECT attname, format_type(atttypid, atttypmod), attnotnull, attidentity, attstorage, "
        "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid "
        "AND d.adnum = a.attnum WHERE a.attrelid = 'videos_summary'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1",
        "options": "SELECT reloptions FROM pg_class WHERE oid = 'videos_summary'::regclass",
        "sequence": "SELECT pg_get_serial_sequence('videos_summary', 'id')",
        "sequence_options": "SELECT seqincrement, seqmin, seqmax, seqstart, seqcache, seqcycle FROM pg_sequence "
        "WHERE seqrelid = pg_get_serial_sequence('videos_summary', 'id')::regclass",
        "triggers": "SELECT pg_get_triggerdef(oid), tgenabled FROM pg_trigger WHERE tgrelid = 'videos_summary'::regclass "
        "AND NOT tgisinternal ORDER BY 1",
        "owner": "SELECT relowner, relacl, relreplident FROM pg_class WHERE oid = 'videos_summary'::regclass",
    }
    state = {}
    for key, sql in queries.items():
        cursor.execute(sql)
        state[key] = cursor.fetchall()
    return state


def test_the_columns_a_search_reads_come_first():
    with connection.cursor() as cursor:
        names = column_names(cursor)
    assert names[: len(migration.FIRST)] == list(migration.FIRST)
    assert len(names) == len(set(names)) and "data" in names and "metrics" in names


def test_a_rewrite_into_another_order_keeps_the_table_and_what_depends_on_it():
    kept = make_summary(title="Kept hashing", general=(("Quantum Computing", 0.42),))
    make_summary(title="Another one")
    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign key checks; a table cannot be altered while they wait.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        before = table_state(cursor)
        other_order = ("search_vector", "data", "id")
        assert migration.reorder_columns(cursor, migration.TABLE, other_order) is True
        assert column_names(cursor)[:3] == list(other_order)
        assert table_state(cursor) == before
        assert migration.reorder_columns(cursor, migration.TABLE, migration.FIRST) is True
        assert column_names(cursor)[: len(migration.FIRST)] == list(migration.FIRST)
        assert table_state(cursor) == before
        assert migration.reorder_columns(cursor, migration.TABLE, migration.FIRST) is False  # nothing left to do
        cursor.execute("SELECT general_codes FROM videos_summary WHERE id = %s", [kept.pk])
        (codes,) = cursor.fetchone()
        cursor.execute("SELECT last_value FROM " + before["sequence"][0][0])
        (last_value,) = cursor.fetchone()
    # The id sequence goes on, the general topic triggers and the foreign keys work, search finds it.
    new = make_summary(title="After the rewrite", general=(("Quantum Computing", 0.9),))
    assert new.pk == last_value + 1
    assert len(codes) == 1 and codes[0] % 1000 == 42
    assert summary_search(summary_catalogue_base(), "hashing").get() == Summary.objects.get(pk=kept.pk)
    assert SummaryTopic.objects.filter(summary=new).exists()
    with pytest.raises(Exception, match="foreign key"), connection.cursor() as cursor:
        cursor.execute("SAVEPOINT fk")
        try:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("UPDATE videos_summarytopic SET summary_id = 999999999 WHERE summary_id = %s", [new.pk])
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT fk")


def test_a_table_with_what_a_copy_would_lose_keeps_its_order():
    make_summary(title="Kept as it is")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("COMMENT ON COLUMN videos_summary.data IS 'the summary as the model wrote it'")
        before = table_state(cursor), column_names(cursor)
        assert migration.not_carried(cursor, migration.TABLE) == ["comments"]
        assert migration.reorder_columns(cursor, migration.TABLE, ("search_vector", "data", "id")) is False
        assert (table_state(cursor), column_names(cursor)) == before

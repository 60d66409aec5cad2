"""The general topic codes the summary row carries on PostgreSQL (videos.general_codes,
migration 0007), and the field x complexity filter that reads them.

The codes are kept by database triggers, so every way a general topic is written
is checked here: the worker's store, an edit on its own (the admin), a deletion,
a bulk insert. The filter is checked on both databases: SQLite asks the general
topic table, PostgreSQL the codes, and both must give the same answers.
Migration 0008's row layout (what stays on the summary row) is checked here too."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.http import QueryDict

from tests.catalogue.helpers import make_summary
from videos import selectors
from videos.models import Summary, SummaryGeneralTopic

pytestmark = pytest.mark.django_db

QC, AI, ALGO = "Quantum Computing", "Artificial Intelligence (AI) and Machine Learning", "Algorithms and Data Structures"
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the codes exist on PostgreSQL only")


def codes_of(summary: Summary) -> list[tuple[str, Decimal]]:
    """The row's codes read back as (field, complexity)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f.name, mod(c.code, 1000) FROM videos_summary s, unnest(s.general_codes) WITH ORDINALITY AS c(code, i) "
            "JOIN videos_catalogue_field f ON f.id = c.code / 1000 WHERE s.id = %s ORDER BY c.i",
            [summary.pk],
        )
        return [(name, Decimal(hundredths) / 100) for name, hundredths in cursor.fetchall()]


@on_postgres
def test_stored_summaries_carry_their_general_topics_as_codes():
    summary = make_summary(general=((QC, 0.83), (AI, 0.05), (ALGO, 1.0)))
    assert codes_of(summary) == [(QC, Decimal("0.83")), (AI, Decimal("0.05")), (ALGO, Decimal("1.00"))]


@on_postgres
def test_codes_follow_an_edit_a_deletion_and_a_bulk_insert():
    summary = make_summary(general=((QC, 0.5), (AI, 0.2)))
    other = make_summary(general=((AI, 0.7),))
    topic = summary.general_topics.get(field=QC)
    topic.complexity = Decimal("0.91")
    topic.save()  # as its admin page does
    assert codes_of(summary) == [(QC, Decimal("0.91")), (AI, Decimal("0.20"))]
    summary.general_topics.filter(field=AI).delete()
    assert codes_of(summary) == [(QC, Decimal("0.91"))]
    SummaryGeneralTopic.objects.bulk_create(
        [SummaryGeneralTopic(summary=summary, field=ALGO, complexity=Decimal("0.33"), position=5),
         SummaryGeneralTopic(summary=other, field="A field never seen before", complexity=Decimal("0.4"), position=5)]
    )
    assert codes_of(summary) == [(QC, Decimal("0.91")), (ALGO, Decimal("0.33"))]
    assert codes_of(other) == [(AI, Decimal("0.70")), ("A field never seen before", Decimal("0.40"))]
    summary.general_topics.all().delete()
    assert codes_of(summary) == []


def row_version(summary: Summary) -> str:
    """Where the summary's current row version is: an UPDATE, even one writing the same
    values, makes a new version elsewhere."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM videos_summary WHERE id = %s", [summary.pk])
        return cursor.fetchone()[0]


@on_postgres
def test_a_statement_that_changes_no_code_leaves_the_summary_row_alone():
    summary = make_summary(general=((QC, 0.5), (AI, 0.2)))
    before = row_version(summary)
    SummaryGeneralTopic.objects.filter(summary=summary).update(field=F("field"))  # a form saved as it was
    assert row_version(summary) == before
    SummaryGeneralTopic.objects.filter(summary=summary, field=QC).update(complexity=Decimal("0.6"))
    assert row_version(summary) != before
    assert codes_of(summary) == [(QC, Decimal("0.60")), (AI, Decimal("0.20"))]


@on_postgres
def test_the_summary_row_keeps_what_the_catalogue_reads_for_every_match():
    """The search vector and the codes stay on the row (MAIN, PLAIN); every other long
    value leaves it once the row is long (toast_tuple_target at its minimum)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'videos_summary'::regclass "
            "AND attname IN ('search_vector', 'general_codes', 'data', 'search_text')"
        )
        storage = dict(cursor.fetchall())
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'videos_summary'::regclass")
        options = cursor.fetchone()[0]
    assert storage == {"search_vector": "m", "general_codes": "p", "data": "x", "search_text": "x"}
    assert "toast_tuple_target=128" in options


def pages_read(expression: str, summary: Summary) -> int:
    """Buffers PostgreSQL touches to read `expression` of one summary by its id."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT {expression} FROM videos_summary WHERE id = %s", [summary.pk]
        )
        plan = cursor.fetchone()[0]
    plan = plan[0]["Plan"] if isinstance(plan, list) else json.loads(plan)[0]["Plan"]
    return plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]


@on_postgres
def test_a_long_summary_keeps_its_search_vector_on_its_row():
    """Reading the vector of a long summary costs what reading its date costs (the row);
    reading its JSON costs more pages (the TOAST table's index and chunks)."""
    summary = make_summary(intro="A long introduction. " * 400, topics=[f"Topic {k} " + "x" * 100 for k in range(5)])
    row = pages_read("created_at", summary)
    assert pages_read("length(search_vector)", summary) == row
    assert pages_read("length(data::text)", summary) > row


def titles(query: str) -> set[str]:
    catalogue = selectors.summary_catalogue(data=QueryDict(query))
    return {s.video.title for s in catalogue.queryset}


def test_the_filter_needs_one_topic_to_meet_every_condition_on_both_databases():
    make_summary(title="qc low, ai high", general=((QC, 0.2), (AI, 0.9)))
    make_summary(title="qc high", general=((QC, 0.85),))
    make_summary(title="algo mid", general=((ALGO, 0.5), (AI, 0.45)))
    assert titles(f"field={QC}&cmin=0.8") == {"qc high"}
    assert titles(f"field={AI}&cmax=0.5") == {"algo mid"}
    assert titles(f"field={QC}&field={ALGO}&cmin=0.5&cmax=0.85") == {"qc high", "algo mid"}
    assert titles("cmin=0.9") == {"qc low, ai high"}
    assert titles(f"field={QC}") == {"qc low, ai high", "qc high"}


def test_bounds_between_two_hundredths_and_at_the_edges():
    make_summary(title="at 0.45", general=((AI, 0.45),))
    make_summary(title="at 0.44", general=((AI, 0.44),))
    make_summary(title="at 0", general=((AI, 0),))
    make_summary(title="at 1", general=((AI, 1),))
    # Complexities have two decimals: from 0.445 means from 0.45; up to 0.449 means up to 0.44.
    assert titles("cmin=0.445&cmax=0.9") == {"at 0.45"}
    assert titles("cmin=0.1&cmax=0.449") == {"at 0.44"}
    assert titles("cmin=0.441&cmax=0.449") == set()
    assert titles("cmin=0&cmax=0") == {"at 0"}
    assert titles("cmin=1") == {"at 1"}
    assert titles("cmin=0&cmax=1") == {"at 0.45", "at 0.44", "at 0", "at 1"}

"""The catalogue benchmark's report: ratios against baselines of the same run, and the database's memory."""

import re

import pytest
from django.db import connection

from videos.bench_catalogue import Samples, database_memory, ratios


def samples(server_ms, by_cache=None) -> Samples:
    s = Samples(server_ms=list(server_ms))
    for state, values in (by_cache or {}).items():
        s.by_cache[state] = list(values)
    return s


def test_ratios_against_the_summary_page_and_a_cached_page():
    catalogue = samples([10, 10, 10, 40, 100], {"hit": [10, 10, 10], "miss": [40, 100]})
    page = samples([5, 5, 5, 10, 20])
    line = ratios(catalogue, page)
    assert "catalogue server p50 2.00x, p95 5.00x the summary page's" in line
    assert "a computed catalogue page p50 4.00x, p95 10.00x a cached one's" in line


def test_ratios_without_a_cache_split_or_samples():
    line = ratios(samples([30, 30]), samples([]))
    assert "p50 n/a, p95 n/a the summary page's" in line
    assert "cached" not in line


@pytest.mark.django_db
def test_the_report_names_postgresqls_buffer_cache_and_what_a_search_reads():
    memory = database_memory()
    if connection.vendor == "postgresql":
        assert re.fullmatch(r"shared_buffers \d+\w+; summary heap \d+ \w+, search index \d+ \w+", memory), memory
    else:
        assert memory == ""

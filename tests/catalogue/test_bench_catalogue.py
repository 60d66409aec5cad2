"""The catalogue benchmark (benchmarks/catalogue.py): it runs from the repository root,
its queries are drawn from the data and find what they were drawn from, it logs its
viewer in and starts each run on a new catalogue generation, and its report gives
ratios against baselines of the same run and the database's memory."""

import random
import re
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from benchmarks.catalogue import Samples, catalogue_queries, change_catalogue, database_memory, main, prepare, ratios
from tests.conftest import REPO_ROOT
from videos.catalogue import cache
from videos.models import Summary

from .helpers import make_summary

QC = "Quantum Computing"


def samples(server_ms, by_cache=None) -> Samples:
    s = Samples(server_ms=list(server_ms))
    for state, values in (by_cache or {}).items():
        s.by_cache[state] = list(values)
    return s


def card_titles(html: bytes) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]*)</a></h2>', html.decode())


def test_it_runs_as_a_module_from_the_repository_root_without_the_retired_warm_up():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.catalogue", "--help"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m benchmarks.catalogue")
    for option in ("--no-cache", "--cold-cache", "--change-every", "--clients", "--requests", "--warmup"):
        assert option in result.stdout
    assert "--no-warm" not in result.stdout and "CATALOGUE_WARM" not in result.stdout


def test_the_retired_no_warm_option_is_refused():
    with pytest.raises(SystemExit) as exit_:
        main(["--no-warm"])
    assert exit_.value.code == 2


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


def test_server_timing_is_split_by_the_caches_answer():
    s = Samples()
    s.add(12.0, "queue;dur=3.5, app;dur=8.25, cache;desc=hit")
    s.add(15.0, "queue;dur=0.1, app;dur=40.0, cache;desc=miss")
    s.add(9.0, "queue;dur=0.2, app;dur=7.0")  # the summary page: no cache answer
    assert s.latency_ms == [12.0, 15.0, 9.0]
    assert s.server_ms == [8.25, 40.0, 7.0] and s.queue_ms == [3.5, 0.1, 0.2]
    assert dict(s.by_cache) == {"hit": [8.25], "miss": [40.0]}


def test_a_change_during_the_run_moves_the_catalogue_generation():
    before = cache.generation()
    assert before is not None  # the real Redis
    done, s = threading.Event(), Samples()
    threading.Timer(0.35, done.set).start()
    change_catalogue(0.1, done, s)
    assert s.changes >= 2
    assert cache.generation() >= before + s.changes


@pytest.mark.django_db
def test_queries_are_drawn_from_the_data_and_find_the_summaries_they_come_from(viewer_client):
    for i, level in enumerate((0.4, 0.5, 0.6)):
        make_summary(title=f"Hashing {i}", general=((QC, level),), topics=["Hashing"], minutes=i)
    make_summary(title="Biology hashing", general=(("Biology", 0.9),), topics=["Hashing"])
    make_summary(title="Biology other", general=(("Biology", 0.5),), topics=["Other"])

    # Fewer than 100 topics: every one of them is a "common" topic, one query each.
    queries = dict((path, label) for label, path in catalogue_queries(random.Random(1), common=100, mid=0))
    hashing = [path for path in queries if parse_qs(urlsplit(path).query)["q"] == ["Hashing"]]
    assert len(hashing) == 1
    path = hashing[0]
    # The most frequent topic (4 of the 5 summaries), filtered to the field most of its
    # summaries have, within that field's median complexity +-0.2.
    assert queries[path] == "common topic #1 (in 80.00% of summaries)"
    assert parse_qs(urlsplit(path).query) == {"field": [QC], "cmin": ["0.30"], "cmax": ["0.70"], "q": ["Hashing"]}

    response = viewer_client.get(path)
    assert response.status_code == 200
    assert sorted(card_titles(response.content)) == ["Hashing 0", "Hashing 1", "Hashing 2"]


@pytest.mark.django_db
def test_prepare_logs_the_bench_viewer_in_and_starts_a_new_generation(client):
    summaries = [make_summary(title=f"Video {i}", topics=["Hashing"], minutes=i) for i in range(2)]
    Summary.objects.filter(pk=summaries[1].pk).update(is_current=False)
    before = cache.generation()

    cookie, measured, others, ids, info = prepare(1, queries=2)

    assert cache.generation() > before
    assert ids == [summaries[0].pk]  # current summaries only
    assert info["summaries"] == 1
    assert measured and all(path.startswith("/?") for _, path in measured)
    client.cookies["sessionid"] = cookie
    assert client.get(f"/summaries/{ids[0]}/").status_code == 200
    assert client.get(measured[0][1]).status_code == 200


@pytest.mark.django_db
def test_the_report_names_postgresqls_buffer_cache_and_what_a_search_reads():
    memory = database_memory()
    if connection.vendor == "postgresql":
        assert re.fullmatch(r"shared_buffers \d+\w+; summary heap \d+ \w+, search index \d+ \w+", memory), memory
    else:
        assert memory == ""

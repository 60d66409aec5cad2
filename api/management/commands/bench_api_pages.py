"""How much one page of the summaries list costs at the start, the middle and the end of
the catalogue, by cursor, beside OFFSET paging of the same rows (what a page number costs).

    DATABASE_URL=postgres://…/summarizer_bench python manage.py bench_api_pages

For each sort it asks the first, middle and last pages `--repeat` times as a viewer with
a token, in process (no HTTP): the whole API view (cursor, then the cards of the page),
the cursor's query alone, and the same page's ids by OFFSET. It prints p50 and p95 in
milliseconds. The middle and last cursors are made from the rows just before those pages
(KeysetPagination.cursor_after), and checked against a walk for the newest-first sort.
Nothing is left behind: the run's user and token are rolled back.
"""

from __future__ import annotations

import statistics
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.http import QueryDict
from django.test import Client, RequestFactory, override_settings
from rest_framework.request import Request

from videos.catalogue.pages import summary_catalogue

from ...pagination import KeysetPagination
from ...services import token_create


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _ms(call, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


class Command(BaseCommand):
    help = __doc__.split("\n\n")[0]

    def add_arguments(self, parser):
        parser.add_argument("--page-size", type=int, default=100)
        parser.add_argument("--repeat", type=int, default=30)
        parser.add_argument("--sorts", default="newest,title,complexity_desc")

    def handle(self, *args, page_size: int, repeat: int, sorts: str, **options):
        unthrottled = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
        with override_settings(REST_FRAMEWORK=unthrottled), transaction.atomic():
            user = get_user_model().objects.create_user("api-bench-viewer")
            user.groups.add(Group.objects.get(name="Viewers"))
            token = token_create(user=user, name="bench")[1]
            client = Client(headers={"Authorization": f"Bearer {token}"}, HTTP_HOST="127.0.0.1")
            for sort in sorts.split(","):
                self._sort(client, sort, page_size, repeat)
            transaction.set_rollback(True)

    def _sort(self, client: Client, sort: str, size: int, repeat: int) -> None:
        query = urlencode({"sort": sort, "page_size": size})
        queryset = summary_catalogue(data=QueryDict(urlencode({"sort": sort}))).queryset
        total = queryset.count()
        pages = (total + size - 1) // size
        self.stdout.write(f"sort={sort}: {total} summaries, {pages} pages of {size}")
        for label, page in (("first", 1), ("middle", pages // 2 + 1), ("last", pages)):
            request = RequestFactory().get(f"/api/v1/summaries/?{query}", HTTP_HOST="127.0.0.1")
            cursor = KeysetPagination().cursor_after(queryset, Request(request), (page - 1) * size) if page > 1 else ""
            url = f"/api/v1/summaries/?{query}" + (f"&{urlencode({'cursor': cursor})}" if cursor else "")
            first = client.get(url)
            assert first.status_code == 200, first.content[:300]
            ids = [item["id"] for item in first.json()["results"]]
            offset_ids = list(queryset.values_list("pk", flat=True)[(page - 1) * size:page * size])
            assert ids == offset_ids, f"page {page} by cursor is not the page by OFFSET"
            paged = Request(RequestFactory().get(url, HTTP_HOST="127.0.0.1"))
            view = _ms(lambda: client.get(url), repeat)
            keyset = _ms(lambda: KeysetPagination().paginate_queryset(queryset, paged), repeat)
            offset = _ms(lambda: list(queryset.values_list("pk", flat=True)[(page - 1) * size:page * size]), repeat)
            self.stdout.write(
                f"  {label:6} (page {page:4}): API view p50 {_p(view, 50):6.1f} p95 {_p(view, 95):6.1f} | "
                f"cursor query p50 {_p(keyset, 50):6.1f} p95 {_p(keyset, 95):6.1f} | "
                f"OFFSET query p50 {_p(offset, 50):6.1f} p95 {_p(offset, 95):6.1f}"
            )

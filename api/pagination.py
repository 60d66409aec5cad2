"""Keyset ("cursor") pagination over whatever order a listing's pipeline chose.

DRF's CursorPagination keeps the position of the first ordering field only and skips
ties with an offset, which it caps at 1000: a catalogue sorted by complexity has
thousands of summaries on each value, so its pages would get slower and then fail.
Here the cursor holds the last row's value of every ordering term (ties end on the id,
so the tuple is unique) and the next page is the rows after that tuple: each page costs
the same however deep it is, and the order is the queryset's own, so the API lists in
exactly the order the catalogue does. The cursor is signed, and bound to the query it
came from: a cursor that was edited, or that is sent with other filters, is a 400.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import Expression, F, FloatField, OrderBy, Q, QuerySet
from django.db.models.functions import Cast
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
CURSOR_PARAM = "cursor"
PAGE_SIZE_PARAM = "page_size"
_SALT = "api.pagination.cursor"


def _terms(queryset: QuerySet) -> list[tuple[Expression, bool, bool | None]]:
    """(expression, descending, nulls_last) for each ordering term; nulls_last None: the
    database's default place for NULLs."""
    terms = []
    for item in queryset.query.order_by or queryset.model._meta.ordering:
        if isinstance(item, str):
            terms.append((F(item.lstrip("-")), item.startswith("-"), None))
        elif isinstance(item, OrderBy):
            nulls = True if item.nulls_last else False if item.nulls_first else None
            terms.append((item.expression, item.descending, nulls))
        else:
            terms.append((item, False, None))
    return terms


def _keyed(queryset: QuerySet, names: list[str], expressions: list) -> QuerySet:
    """The queryset with each ordering term as a named column. A float (PostgreSQL's
    ts_rank is a 4-byte real) is read as a double: its text form would round it, and the
    next page's "rank < value" would then miss the ties or take them twice."""
    raw = [f"{name}_raw" for name in names]
    aliased = queryset.alias(**dict(zip(raw, expressions)))
    keys = {}
    for name, alias in zip(names, raw):
        is_float = isinstance(aliased.query.annotations[alias].output_field, FloatField)
        keys[name] = Cast(F(alias), FloatField()) if is_float else F(alias)
    return aliased.annotate(**keys)


def _nulls_after(descending: bool, nulls_last: bool | None) -> bool:
    """Do the NULLs of this term come after every value, in this order?"""
    if nulls_last is not None:
        return nulls_last
    return connection.features.nulls_order_largest != descending


def _encode(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def query_binding(request) -> str:
    """What a cursor belongs to: the query string less the cursor and page size."""
    items = sorted((k, v) for k, vs in request.query_params.lists() if k not in (CURSOR_PARAM, PAGE_SIZE_PARAM) for v in vs)
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


class KeysetPagination(BasePagination):
    """`?page_size=` (1 to MAX_PAGE_SIZE) and `?cursor=` (the `next` link's). Pages hold
    primary keys: the view loads what it shows for them, in that order."""

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        size = self._page_size(request)
        terms = _terms(queryset)
        names = [f"_cursor_k{i}" for i in range(len(terms))]
        keyed = _keyed(queryset, names, [expr for expr, _, _ in terms]).order_by(
            *(OrderBy(F(name), descending=desc, nulls_last=True if nulls is True else None,
                      nulls_first=True if nulls is False else None)
              for name, (_, desc, nulls) in zip(names, terms))
        )
        cursor = request.query_params.get(CURSOR_PARAM)
        if cursor:
            keyed = keyed.filter(self._after(keyed, names, terms, self._decode(cursor, keyed, names, request)))
        rows = list(keyed.values_list("pk", *names)[: size + 1])
        self.next_values = [_encode(v) for v in rows[size - 1][1:]] if len(rows) > size else None
        return [row[0] for row in rows[:size]]

    def cursor_after(self, queryset, request, position: int) -> str:
        """The cursor a client holds once it has read `position` rows (position >= 1): a
        deep page without walking to it (the benchmark's middle and last pages)."""
        self.request = request
        terms = _terms(queryset)
        names = [f"_cursor_k{i}" for i in range(len(terms))]
        keyed = _keyed(queryset, names, [expr for expr, _, _ in terms])
        self.next_values = [_encode(v) for v in keyed.values_list(*names)[position - 1]]
        return parse_qs(urlsplit(self.get_next_link()).query)[CURSOR_PARAM][0]

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_next_link(self) -> str | None:
        if self.next_values is None:
            return None
        token = signing.dumps({"k": self.next_values, "q": query_binding(self.request)}, salt=_SALT, compress=True)
        return replace_query_param(self.request.build_absolute_uri(), CURSOR_PARAM, token)

    # --- reading the request -------------------------------------------------

    @staticmethod
    def _page_size(request) -> int:
        raw = request.query_params.get(PAGE_SIZE_PARAM)
        if raw is None:
            return DEFAULT_PAGE_SIZE
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ValidationError({PAGE_SIZE_PARAM: [f"A whole number from 1 to {MAX_PAGE_SIZE}."]})
        return int(raw)

    @staticmethod
    def _decode(cursor: str, keyed: QuerySet, names: list[str], request) -> list:
        try:
            payload = signing.loads(cursor, salt=_SALT)
            values = payload["k"]
            bound = payload["q"]
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise ValidationError({CURSOR_PARAM: ["Not a cursor this API gave out: use the `next` link as it is."]}) from None
        if bound != query_binding(request) or not isinstance(values, list) or len(values) != len(names):
            raise ValidationError({CURSOR_PARAM: ["This cursor belongs to another query: keep the filters it was given with."]})
        out = []
        for name, value in zip(names, values):
            field = keyed.query.annotations[name].output_field
            try:
                out.append(None if value is None else field.to_python(value))
            except DjangoValidationError:
                raise ValidationError({CURSOR_PARAM: ["This cursor no longer fits the listing."]}) from None
        return out

    @staticmethod
    def _after(keyed: QuerySet, names: list[str], terms, values: list) -> Q:
        """Rows strictly after `values` in the listing's order: for some term, equal on
        every term before it and after on it (NULLs placed where the order places them)."""
        nothing = Q(pk__in=[])
        condition, equal = nothing, Q()
        for name, (_, desc, nulls), value in zip(names, terms, values):
            nulls_after = _nulls_after(desc, nulls) and not _not_null(keyed, name)
            if value is None:
                after = nothing if nulls_after else Q(**{f"{name}__isnull": False})
                same = Q(**{f"{name}__isnull": True})
            else:
                after = Q(**{f"{name}__{'lt' if desc else 'gt'}": value})
                if nulls_after:
                    after |= Q(**{f"{name}__isnull": True})
                same = Q(**{name: value})
            condition |= equal & after
            equal &= same
        # The same bound on the first term alone: redundant, but plain, so that an index
        # on that term (the catalogue's newest-first one) starts its scan at the cursor.
        # Only where no row after the cursor can hold a NULL there.
        name, (_, desc, nulls), value = names[0], terms[0], values[0]
        if value is not None and (not _nulls_after(desc, nulls) or _not_null(keyed, name)):
            condition &= Q(**{f"{name}__{'lte' if desc else 'gte'}": value})
        return condition

    # --- the schema -------------------------------------------------------------

    def get_schema_operation_parameters(self, view):
        return [
            {"name": CURSOR_PARAM, "in": "query", "required": False, "schema": {"type": "string"},
             "description": "The `next` link's cursor; leave out for the first page."},
            {"name": PAGE_SIZE_PARAM, "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
             "description": "Items per page."},
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri",
                         "description": "The next page; null on the last one."},
                "results": schema,
            },
        }


def _not_null(queryset: QuerySet, name: str) -> bool:
    """Is the annotation a plain column that cannot be NULL (so NULLs need no place)?"""
    target = getattr(queryset.query.annotations[name], "target", None)
    return target is not None and not target.null

"""A summary's general topics as integers on its own row (PostgreSQL only).

Migration 0007 adds `videos_summary.general_codes`, one code per general
topic: field number * 1000 + complexity in hundredths ("Quantum Computing"
numbered 9, at 0.83: 9083). The database keeps the codes itself (triggers on
the general topic table) and numbers the fields in `videos_catalogue_field`.
The model does not declare the column, so that no save can write a stale copy.

The catalogue reads them where it already reads the summary row for its
search: the field x complexity filter is one array overlap per match, and the
overview chart a count of the matches' codes, instead of a join per match.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db.models import BooleanField, Expression, IntegerField

FIELD_TABLE = "videos_catalogue_field"
COLUMN = "general_codes"


def _column_sql(compiler, connection) -> str:
    # The summary table's alias in the query being compiled ("videos_summary", or U0
    # inside a subquery): the column is not a model field, so Django cannot relabel it.
    alias = compiler.query.get_initial_alias()
    return f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(COLUMN)}"


class GeneralCodes(Expression):
    """The summary row's general topic codes (integer[])."""

    output_field = ArrayField(IntegerField())

    def as_sql(self, compiler, connection):
        return _column_sql(compiler, connection), []


class GeneralCodesMatch(Expression):
    """True when one general topic is in one of `fields` (any field if none) and within
    [lo, hi] (either end open): the catalogue's filter, one topic meeting every condition."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, fields: list[str], lo: Decimal | None, hi: Decimal | None):
        super().__init__()
        self.fields = list(fields)
        # Complexities have two decimals: 0.445 as a lower bound means 0.45.
        self.first = 0 if lo is None else math.ceil(Decimal(lo) * 100)
        self.last = 100 if hi is None else math.floor(Decimal(hi) * 100)

    def as_sql(self, compiler, connection):
        # The codes asked for are computed once per query (an InitPlan), then each
        # match is checked on its own row.
        sql = (
            f"{_column_sql(compiler, connection)} && ARRAY("
            f"SELECT f.id * 1000 + level FROM {FIELD_TABLE} AS f "
            "CROSS JOIN generate_series(%s::integer, %s::integer) AS level "
            "WHERE cardinality(%s::text[]) = 0 OR f.name = ANY(%s::text[]))"
        )
        return sql, [self.first, self.last, self.fields, self.fields]


def chart_sql(matches: str, column: str) -> str:
    """A JSON array of [field, complexity in hundredths, count] over the codes in
    `column` of the CTE `matches`."""
    return (
        "(SELECT coalesce(json_agg(json_build_array(f.name, mod(c.code, 1000), c.n)), '[]'::json) FROM ("
        f"SELECT code, count(*) AS n FROM (SELECT unnest({column}) AS code FROM {matches}) AS u GROUP BY code"
        f") AS c JOIN {FIELD_TABLE} AS f ON f.id = c.code / 1000)"
    )

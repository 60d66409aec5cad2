"""What every API view shares: the role permission, and helpers for ids and links."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView

from ..permissions import RolePermission

# Anything past this in a path id is no id of ours (and past the database's range).
MAX_ID = 2**63 - 1


class ApiView(APIView):
    permission_classes = [RolePermission]
    required_perms: dict[str, tuple[str, ...]] = {}
    # Query parameters a view reads; any other is a 400 (a typo must not look like "no filter").
    query_params: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - self.query_params)
        if unknown:
            raise ValidationError({name: ["Unknown query parameter."] for name in unknown})

    def link(self, name: str, *args) -> str:
        return self.request.build_absolute_uri(reverse(name, args=args))


def object_id(value, what: str) -> int:
    """A path id as an int; one out of range is simply not found."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise NotFound(f"No such {what}.")
    return number


class FirstRenderer(BaseContentNegotiation):
    """Answer with the view's first renderer whatever the Accept header says: a download
    is what it is, and `curl -H 'Accept: text/markdown'` must not get a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

"""Summaries: the catalogue (its FilterSet, search and sorts: videos.catalogue.pages), one
summary, its exports (the pages' own JSON and Markdown), and making one current."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from videos.catalogue.pages import catalogue_meta, summary_cards, summary_catalogue
from videos.catalogue.rendering import general_topics
from videos.models import Summary
from videos.selectors import summary_detail, summary_general, summary_shape
from videos.services import summaries
from videos.views.catalogue import summary_document, summary_markdown

from ..errors import Conflict
from ..pagination import KeysetPagination
from ..permissions import VIEW_SUMMARY
from ..serializers import SummaryDetailSerializer, SummaryItemSerializer, SummaryListQuerySerializer
from .base import ApiView, FirstRenderer, object_id

NOT_DONE = "No such summary (or it is not done yet)."


class CataloguePagination(KeysetPagination):
    """Pages of the catalogue, with the filter form's notes (a dropped field, a range read
    the right way round)."""

    notes: list[str] = []

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["notes"] = self.notes
        return response

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["properties"]["notes"] = {"type": "array", "items": {"type": "string"},
                                      "description": "What the filters made of odd input, as the catalogue page says it."}
        out["required"].append("notes")
        return out


def _links(view: ApiView, pk: int) -> dict:
    return {
        "self": view.link("api:summary", pk),
        "json": view.link("api:summary-json", pk),
        "markdown": view.link("api:summary-markdown", pk),
        "page": view.link("videos:summary", pk),
    }


def _general(pairs, shape) -> list[dict]:
    return [{"field": g.field, "complexity": g.complexity, "label": g.label} for g in general_topics(pairs, shape)]


def _summary(pk) -> Summary:
    try:
        return summary_detail(pk=object_id(pk, "summary"))
    except Summary.DoesNotExist:
        raise NotFound(NOT_DONE) from None


def _attachment(response, summary: Summary, extension: str):
    response["Content-Disposition"] = content_disposition_header(
        True, f"summary-{summary.pk}-{summary.video.youtube_id}.{extension}"
    )
    return response


class SummaryList(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,)}
    pagination_class = CataloguePagination
    query_params = frozenset({"field", "cmin", "cmax", "topic", "q", "sort", "needs_review", "cursor", "page_size"})

    @extend_schema(
        operation_id="summaries_list", parameters=[SummaryListQuerySerializer], responses=SummaryItemSerializer(many=True),
        summary="The catalogue", tags=["summaries"],
        description="Every video's current summary, filtered, searched and sorted exactly as the catalogue page is "
                    "(the same FilterSet and pipeline), one page at a time: follow `next` until it is null.",
    )
    def get(self, request):
        catalogue = summary_catalogue(data=request.query_params)
        errors = catalogue.filterset.form.errors if catalogue.filterset.is_bound else {}
        if errors:
            raise ValidationError({name: list(messages) for name, messages in errors.items()})
        paginator = self.pagination_class()
        paginator.notes = catalogue.notes
        ids = paginator.paginate_queryset(catalogue.queryset, request, self)
        shapes = catalogue_meta().shapes
        items = [
            {
                "id": s.pk,
                "video": {"youtube_id": s.video.youtube_id, "url": s.video.watch_url, "title": s.video.display_title,
                          "channel": s.video.channel},
                "introduction": s.card_intro or "",
                "general_topics": _general(s.card_general, shapes.get(s.template_id)),
                "topics": s.card_topics,
                "created_at": s.created_at,
                "links": _links(self, s.pk),
            }
            for s in summary_cards(ids)
        ]
        return paginator.get_paginated_response(SummaryItemSerializer(items, many=True).data)


class SummaryDetail(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,)}

    @extend_schema(operation_id="summaries_retrieve", responses=SummaryDetailSerializer, tags=["summaries"],
                   summary="One done summary, with its sections' times, topics, quality and provenance")
    def get(self, request, pk):
        return Response(SummaryDetailSerializer(present_summary(self, _summary(pk))).data)


def present_summary(view: ApiView, summary: Summary) -> dict:
    """The page's JSON download, arranged for reading: sections with their times."""
    document = summary_document(summary)
    times = {t["section"]: t for t in document["section_times"]}
    sections = []
    for number, section in enumerate(summary.sections, start=1):
        section = section if isinstance(section, dict) else {}
        time = times.get(number, {})
        sections.append({
            "number": number, "title": str(section.get("title", "")),
            "bullets": [str(b) for b in section.get("content") or []],
            "topics": [str(t) for t in section.get("topics") or []],
            "start": time.get("start"), "end": time.get("end"), "url": time.get("url"),
        })
    data = summary.data if isinstance(summary.data, dict) else {}
    return {
        "id": summary.pk, "is_current": summary.is_current, "created_at": summary.created_at,
        "finished_at": summary.finished_at,
        "video": {**document["video"], "title": summary.video.display_title},
        "introduction": summary.introduction,
        "sections": sections,
        "topics": [str(t) for t in data.get("topics") or []],
        "general_topics": _general(summary_general(summary), summary_shape(summary)),
        "quality": document["quality"],
        "metrics": summary.metrics if isinstance(summary.metrics, dict) else {},
        "provenance": {
            "template": {"id": summary.template_id, **document["template"]},
            "model": document["model"],
            "examples": document["examples"],
        },
        "links": _links(view, summary.pk),
    }


class SummaryJsonExport(ApiView):
    content_negotiation_class = FirstRenderer
    required_perms = {"GET": (VIEW_SUMMARY,)}

    @extend_schema(operation_id="summaries_export_json", tags=["summaries"], summary="The JSON download",
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="What the page's 'Download JSON' gives.")})
    def get(self, request, pk):
        summary = _summary(pk)
        return _attachment(Response(summary_document(summary)), summary, "json")


class SummaryMarkdownExport(ApiView):
    # Success is Markdown whatever the client accepts; errors are the JSON error shape.
    content_negotiation_class = FirstRenderer
    required_perms = {"GET": (VIEW_SUMMARY,)}

    @extend_schema(operation_id="summaries_export_markdown", tags=["summaries"], summary="The Markdown download",
                   responses={(200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="What the page's 'Download Markdown' gives.")})
    def get(self, request, pk):
        summary = _summary(pk)
        text = summary_markdown(summary, summary_shape(summary))
        return _attachment(HttpResponse(text, content_type="text/markdown; charset=utf-8"), summary, "md")


class SummaryMakeCurrent(ApiView):
    required_perms = {"POST": ("videos.change_summary",)}

    @extend_schema(operation_id="summaries_make_current", request=None, responses=SummaryDetailSerializer, tags=["summaries"],
                   summary="Make a done summary the one the catalogue shows for its video (curators)")
    def post(self, request, pk):
        summary = _summary(pk)
        try:
            summaries.summary_make_current(summary=summary)
        except summaries.IllegalTransition as exc:
            raise Conflict(str(exc)) from None
        return Response(SummaryDetailSerializer(present_summary(self, _summary(pk))).data)

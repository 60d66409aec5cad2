"""Templates and few-shot examples: every role reads them (a summary's page names its
template and examples); curators write them, with the admin's checks (api.curation)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from videos.models import FewShotExample, PromptTemplate

from ..curation import ExampleSerializer, TemplateSerializer
from ..pagination import KeysetPagination
from ..permissions import VIEW_SUMMARY
from .base import ApiView, object_id


def _page(view: ApiView, queryset, serializer_class):
    paginator = view.pagination_class()
    ids = paginator.paginate_queryset(queryset, view.request, view)
    by_id = queryset.model.objects.in_bulk(ids)
    return paginator.get_paginated_response(serializer_class([by_id[pk] for pk in ids if pk in by_id], many=True).data)


def _get(model, pk, what: str):
    obj = model.objects.filter(pk=object_id(pk, what)).first()
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


class TemplateList(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,), "POST": ("videos.add_prompttemplate",)}
    pagination_class = KeysetPagination
    query_params = frozenset({"cursor", "page_size"})

    @extend_schema(operation_id="templates_list", tags=["templates"], responses=TemplateSerializer(many=True),
                   summary="Prompt templates, every version")
    def get(self, request):
        return _page(self, PromptTemplate.objects.order_by("name", "-version", "-id"), TemplateSerializer)

    @extend_schema(operation_id="templates_create", tags=["templates"], request=TemplateSerializer,
                   responses={201: TemplateSerializer}, summary="Create a template (curators)")
    def post(self, request):
        payload = TemplateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(TemplateSerializer(payload.save_template(user=request.user)).data, status=201)


class TemplateDetail(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,), "PATCH": ("videos.change_prompttemplate",)}

    @extend_schema(operation_id="templates_retrieve", tags=["templates"], responses=TemplateSerializer)
    def get(self, request, pk):
        return Response(TemplateSerializer(_get(PromptTemplate, pk, "template")).data)

    @extend_schema(
        operation_id="templates_partial_update", tags=["templates"], request=TemplateSerializer(partial=True),
        responses=TemplateSerializer, summary="Edit a template (curators)",
        description="An edit of a version that has produced summaries becomes the next version (a new id, with "
                    "copies of the examples); the answer is that version.",
    )
    def patch(self, request, pk):
        payload = TemplateSerializer(_get(PromptTemplate, pk, "template"), data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        return Response(TemplateSerializer(payload.save_template(user=request.user)).data)


class ExampleList(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,), "POST": ("videos.add_fewshotexample",)}
    pagination_class = KeysetPagination
    query_params = frozenset({"template", "cursor", "page_size"})

    @extend_schema(operation_id="examples_list", tags=["examples"], responses=ExampleSerializer(many=True),
                   parameters=[OpenApiParameter("template", int, description="Only this template version's examples.")],
                   summary="Few-shot examples, by template and position")
    def get(self, request):
        examples = FewShotExample.objects.order_by("template_id", "position", "id")
        template = request.query_params.get("template")
        if template is not None:
            if not template.isdigit() or int(template) > 2**63 - 1:
                raise ValidationError({"template": ["A template's id."]})
            examples = examples.filter(template_id=int(template))
        return _page(self, examples, ExampleSerializer)

    @extend_schema(operation_id="examples_create", tags=["examples"], request=ExampleSerializer,
                   responses={201: ExampleSerializer}, summary="Add an example (curators); its answer is validated")
    def post(self, request):
        payload = ExampleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(ExampleSerializer(payload.save_example()).data, status=201)


class ExampleDetail(ApiView):
    required_perms = {"GET": (VIEW_SUMMARY,), "PATCH": ("videos.change_fewshotexample",),
                      "DELETE": ("videos.delete_fewshotexample",)}

    @extend_schema(operation_id="examples_retrieve", tags=["examples"], responses=ExampleSerializer)
    def get(self, request, pk):
        return Response(ExampleSerializer(_get(FewShotExample, pk, "example")).data)

    @extend_schema(operation_id="examples_partial_update", tags=["examples"], request=ExampleSerializer(partial=True),
                   responses=ExampleSerializer, summary="Edit an example (curators); send `base_revision` to detect a clash")
    def patch(self, request, pk):
        payload = ExampleSerializer(_get(FewShotExample, pk, "example"), data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        return Response(ExampleSerializer(payload.save_example()).data)

    @extend_schema(operation_id="examples_destroy", tags=["examples"], responses={204: None}, summary="Delete an example (curators)")
    def delete(self, request, pk):
        _get(FewShotExample, pk, "example").delete()
        return Response(status=204)

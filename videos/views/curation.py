"""Curators' pages: compare two summaries of a video, make one current, regenerate."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from ..services import curation, jobs, summaries
from ..models import Summary
from ..quality import summary_quality
from ..selectors import template_named


def _done_summary(pk) -> Summary:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("no such summary") from None
    return get_object_or_404(
        Summary.objects.select_related("video", "video__transcript", "template", "result"), pk=pk, status=Summary.Status.DONE
    )


@require_GET
@permission_required("videos.view_summary", raise_exception=True)
def compare(request):
    """Two done summaries of the same video side by side; defaults to the
    current one against the newest other."""
    a = _done_summary(request.GET.get("a"))
    others = Summary.objects.filter(video=a.video, status=Summary.Status.DONE).exclude(pk=a.pk).order_by("-created_at")
    b = _done_summary(request.GET["b"]) if request.GET.get("b") else others.first()
    if b is None:
        messages.info(request, "This video has only one summary; there is nothing to compare it with.")
        return redirect("videos:summary", a.pk)
    if b.video_id != a.video_id:
        raise Http404("the two summaries are of different videos")
    columns = []
    for s in (a, b):
        g = curation.summary_grounding(s)
        columns.append({"summary": s, "grounding": g, "quality": summary_quality(s)})
    return render(
        request,
        "videos/compare.html",
        {"a": a, "b": b, "columns": columns, "rows": curation.compare_rows(a.data, b.data), "others": others},
    )


@permission_required("videos.change_summary", raise_exception=True)
@require_POST
def make_current(request, pk):
    summary = _done_summary(pk)
    summaries.summary_make_current(summary=summary)
    messages.success(request, f"Summary #{summary.pk} is now the current summary of {summary.video}.")
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect("videos:summary", summary.pk)


@permission_required("videos.regenerate_summary", raise_exception=True)
@require_POST
def regenerate(request, pk):
    summary = get_object_or_404(Summary.objects.select_related("video", "template"), pk=pk)
    template = summary.template
    if request.POST.get("template"):
        template = template_named(request.POST["template"])
        if template is None:
            return HttpResponseBadRequest("Choose one of the listed template versions.")
    model_id = request.POST.get("model_id", "").strip() or None
    try:
        new = jobs.summary_submit(video=summary.video, template=template, model_id=model_id, user=request.user)
    except Exception as exc:
        messages.error(request, f"Could not queue the regeneration: {exc}")
        return redirect("videos:summary", summary.pk)
    messages.success(request, f"Summary #{new.pk} queued with {template}; the current summary stays until you choose.")
    return redirect("videos:summary_progress", new.pk)


urlpatterns = [
    path("summaries/compare/", compare, name="compare"),
    path("summaries/<int:pk>/make-current/", make_current, name="make_current"),
    path("summaries/<int:pk>/regenerate/", regenerate, name="regenerate"),
]

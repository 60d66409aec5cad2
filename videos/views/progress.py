"""Live progress pages: one summary, and the queue. Server-rendered with the
current snapshot; static/js/progress.js then follows the websocket."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from .. import progress
from ..services import jobs, summaries
from ..models import Summary


@permission_required("videos.view_summary", raise_exception=True)
def summary_progress(request, pk: int):
    summary = get_object_or_404(Summary.objects.select_related("video", "template"), pk=pk)
    context = {
        "summary": summary,
        "snapshot": progress.summary_snapshot(summary),
        "may_cancel": jobs.summary_may_cancel(user=request.user, summary=summary),
    }
    return render(request, "videos/progress/summary.html", context)


@require_POST
@permission_required("videos.view_summary", raise_exception=True)
def summary_cancel(request, pk: int):
    """The cancel button without the websocket (no JavaScript, or the socket is down).

    The progress page's form sends "ask": without JavaScript, which would have asked in
    a dialog and dropped it, that shows a confirmation page first. A POST without it
    cancels at once, as API clients and the confirmation page send it."""
    summary = get_object_or_404(Summary.objects.select_related("video"), pk=pk)
    if request.POST.get("ask") and summary.is_active:
        if not jobs.summary_may_cancel(user=request.user, summary=summary):
            raise PermissionDenied
        return render(request, "videos/progress/cancel_confirm.html", {"summary": summary})
    try:
        jobs.summary_cancel(summary_id=pk, user=request.user)
    except PermissionDenied:
        raise
    except summaries.IllegalTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Summary #{pk}: cancel requested.")
    return redirect("videos:summary_progress", pk)


@permission_required("videos.view_summary", raise_exception=True)
def queue(request):
    return render(request, "videos/progress/queue.html", {"items": progress.queue_snapshot()})


urlpatterns = [
    path("summaries/<int:pk>/progress/", summary_progress, name="summary_progress"),
    path("summaries/<int:pk>/cancel/", summary_cancel, name="summary_cancel"),
    path("queue/", queue, name="queue"),
]

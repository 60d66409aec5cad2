from django.shortcuts import render
from django.urls import path

from ..models import Summary


def catalogue(request):
    summaries = Summary.objects.current().select_related("video")[:50]
    return render(request, "videos/catalogue.html", {"summaries": summaries})


urlpatterns = [
    path("", catalogue, name="catalogue"),
]

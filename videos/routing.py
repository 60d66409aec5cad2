"""Websocket routes; summarizer_site/routing.py adds a catch-all and wraps them in the origin
check and the session auth."""

from django.urls import path

from . import consumers

websocket_urlpatterns: list = [
    path("ws/summaries/<int:summary_id>/", consumers.SummaryProgressConsumer.as_asgi(), name="ws_summary_progress"),
    path("ws/queue/", consumers.QueueConsumer.as_asgi(), name="ws_queue"),
]

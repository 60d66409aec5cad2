"""The Celery app. Settings come from Django's (the CELERY_ namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summarizer_site.settings")

app = Celery("summarizer_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"
    verbose_name = "Videos and summaries"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)

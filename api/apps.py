from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "API"

    def ready(self):
        # The schema generator finds the token scheme through this extension's registration.
        from . import authentication  # noqa: F401

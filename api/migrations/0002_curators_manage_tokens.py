"""Curators see, make and revoke API tokens in the admin (they do not delete them: a
revoked token stays as a record)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ("view_apitoken", "add_apitoken", "change_apitoken")


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    config = apps.get_app_config("api")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Curators"):
        group.permissions.add(*Permission.objects.filter(content_type__app_label="api", codename__in=PERMISSIONS))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Curators"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="api", codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial"), ("videos", "0002_groups")]
    operations = [migrations.RunPython(grant, revoke)]

"""Submitters cancel only the summaries they requested.

The Submitters group held `cancel_summary`, the permission to cancel anyone's summary,
so any submitter could cancel a curator's job. The requester's own right to cancel
needs no permission (videos.services.jobs.summary_may_cancel); Curators keep
`cancel_summary` and cancel any summary.
"""

from django.db import migrations

GROUP = "Submitters"
PERMISSION = ("videos", "cancel_summary")


def _permission(apps):
    Permission = apps.get_model("auth", "Permission")
    app_label, codename = PERMISSION
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def submitters_cancel_own(apps, schema_editor):
    permission = _permission(apps)
    if permission is None:
        return  # a database without the permission (flushed): nothing to change
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.remove(permission)


def submitters_cancel_any(apps, schema_editor):
    permission = _permission(apps)
    if permission is None:
        return  # a database without the permission (flushed): nothing to change
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("videos", "0014_search_text_on_result")]
    operations = [migrations.RunPython(submitters_cancel_own, submitters_cancel_any)]

"""The site's three roles, as Django groups.

- Viewers browse and search the catalogue and read summaries.
- Submitters also add videos, upload subtitles and queue summaries.
- Curators also keep templates and few-shot examples in the admin, regenerate
  and choose the current summary (they get staff status when added by
  `bin/run`'s first account or an admin).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = [
    ("videos", "view_video"),
    ("videos", "view_transcript"),
    ("videos", "view_summary"),
    ("videos", "view_summarygeneraltopic"),
    ("videos", "view_topic"),
]
SUBMIT = VIEW + [
    ("videos", "add_video"),
    ("videos", "add_transcript"),
    ("videos", "change_transcript"),
    ("videos", "add_summary"),
    ("videos", "cancel_summary"),
]
CURATE = SUBMIT + [
    ("videos", "change_video"),
    ("videos", "view_prompttemplate"),
    ("videos", "add_prompttemplate"),
    ("videos", "change_prompttemplate"),
    ("videos", "view_fewshotexample"),
    ("videos", "add_fewshotexample"),
    ("videos", "change_fewshotexample"),
    ("videos", "delete_fewshotexample"),
    ("videos", "change_summary"),
    ("videos", "regenerate_summary"),
]
GROUPS = {"Viewers": VIEW, "Submitters": SUBMIT, "Curators": CURATE}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in perms:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]

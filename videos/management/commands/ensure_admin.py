import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the first admin account when there is none. The password comes from ADMIN_PASSWORD, "
        "or is generated and printed once."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin account exists already.")
            return
        username = os.environ.get("ADMIN_USERNAME", "admin")
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email=os.environ.get("ADMIN_EMAIL", ""), password=password)
        user.groups.add(*Group.objects.filter(name__in=["Viewers", "Submitters", "Curators"]))
        if os.environ.get("ADMIN_PASSWORD"):
            self.stdout.write(f"Created the admin account {username!r} with the password from ADMIN_PASSWORD.")
        else:
            self.stdout.write(f"Created the admin account {username!r} with password: {password}")
            self.stdout.write("(shown once; set ADMIN_PASSWORD to choose it)")

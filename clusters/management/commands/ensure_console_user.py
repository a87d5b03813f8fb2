"""Create or update the user who signs in to the console, from CONSOLE_USER and CONSOLE_PASSWORD."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the console's sign-in user (CONSOLE_USER, CONSOLE_PASSWORD) or reset its password."

    def handle(self, *args, **options):
        username = os.environ.get("CONSOLE_USER") or "admin"
        password = os.environ.get("CONSOLE_PASSWORD")
        if not password:
            raise CommandError("Set CONSOLE_PASSWORD (make run sets one for you).")
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = True
        user.save()
        self.stdout.write(f"{'Created' if created else 'Updated'} console user {username}")

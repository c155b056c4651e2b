import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an editor account with a random password, unless a superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            if options["verbosity"] >= 1:
                self.stdout.write("An editor account exists already; log in at /admin/.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created editor account '{username}' with password {password}\n"
                "It is shown only this once. Log in at http://127.0.0.1:8000/admin/"
            )
        )

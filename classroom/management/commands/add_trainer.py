"""Make a user a trainer (the Trainers group), creating them with a generated password if new."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from classroom.forms import is_valid_username
from classroom.learners import generated_password, make_trainer


class Command(BaseCommand):
    help = (
        "Put a user in the Trainers group, who then sees the Class page. A new user name is "
        "created with a generated password, printed once; an existing user keeps theirs."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not is_valid_username(username):
            raise CommandError(f"{username} is not a user name: letters, digits and @.+-_ only.")
        users = get_user_model().objects
        trainer = users.filter(username=username).first()
        if trainer is None:
            password = generated_password()
            trainer = users.create_user(username, password=password)
            make_trainer(trainer)
            self.stdout.write(f"Created trainer {username} with password {password}")
        else:
            make_trainer(trainer)
            self.stdout.write(f"{username} is a trainer now; their password is unchanged")

"""Give a person the IAM role the console assumes for them (CONSOLE_ACCOUNTS=admin-assigned)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import AwsIdentity, validate_role_arn


class Command(BaseCommand):
    help = "Set the IAM role ARN the console assumes for a user."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role_arn")

    def handle(self, *args, username, role_arn, **options):
        try:
            validate_role_arn(role_arn)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username}.")
        AwsIdentity.objects.update_or_create(user=user, defaults={"role_arn": role_arn})
        self.stdout.write(f"{username} now works as {role_arn}")

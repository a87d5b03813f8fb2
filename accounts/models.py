"""Whose AWS account each person works in: the role the console assumes for them."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Substr

from clusters.aws import ROLE_ARN_PATTERN, Person
from clusters.configuration import CleanupScope

# The role each person of the local cloud is given, in an account of their own.
LEARNER_ROLE_NAME = "ECSConsoleLearner"
# The account moto puts every call whose keys it does not know in: no person is given it.
MOTO_DEFAULT_ACCOUNT = "123456789012"
ROLE_ARN_EXAMPLE = "arn:aws:iam::111122223333:role/ECSConsoleLearner"


def validate_role_arn(value):
    if not ROLE_ARN_PATTERN.fullmatch(value):
        raise ValidationError(
            "Enter an IAM role ARN: arn:aws:iam::, the 12-digit account, :role/ and the role's "
            f"name (with its path, if any), such as {ROLE_ARN_EXAMPLE}.",
            code="invalid_role_arn",
        )


def role_arn_in(account_id, role_name=LEARNER_ROLE_NAME):
    return f"arn:aws:iam::{account_id}:role/{role_name}"


class NoAwsAccount(Exception):
    """The signed-in person has no role to work through, and only an admin can give one."""


class AwsIdentityQuerySet(models.QuerySet):
    def with_account(self):
        """Each identity with its role's account, read by the database from the ARN."""
        return self.annotate(account=Substr("role_arn", len("arn:aws:iam::") + 1, 12))

    def account_of(self, user):
        """The user's account as an expression the database evaluates inside another query: a
        page that reads only rows filters them by account without a look-up of its own."""
        return models.Subquery(self.filter(user=user).with_account().values("account")[:1])


class AwsIdentity(models.Model):
    """The IAM role the console assumes to act for one person; no secret is kept here (the
    credentials AssumeRole gives live in the process's memory, clusters/aws.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="aws_identity"
    )
    role_arn = models.CharField(
        "Role ARN",
        max_length=2048,
        validators=[validate_role_arn],
        help_text=f"The role the console assumes for this person, such as {ROLE_ARN_EXAMPLE}.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AwsIdentityQuerySet.as_manager()

    class Meta:
        verbose_name = "AWS identity"
        verbose_name_plural = "AWS identities"

    def __str__(self):
        return f"{self.user} as {self.role_arn}"

    @property
    def person(self):
        return Person(self.user.get_username(), self.role_arn)


def fresh_local_account():
    """A 12-digit account nobody works in yet, and never moto's default one."""
    taken = set(AwsIdentity.objects.with_account().values_list("account", flat=True))
    while True:
        account = str(secrets.randbelow(9 * 10**11) + 10**11)
        if account != MOTO_DEFAULT_ACCOUNT and account not in taken:
            return account


def person_for(user):
    """The person the console acts for when `user` asks: their role, given on first need when
    each person has an account of their own on the local cloud (CONSOLE_ACCOUNTS=per-user-local).
    Raises NoAwsAccount when an admin has yet to give one."""
    identity = AwsIdentity.objects.filter(user=user).first()
    if identity is None and settings.CONSOLE_ACCOUNTS == "per-user-local":
        try:
            with transaction.atomic():
                identity = AwsIdentity.objects.create(
                    user=user, role_arn=role_arn_in(fresh_local_account())
                )
        except IntegrityError:
            identity = AwsIdentity.objects.get(user=user)  # another request gave one first
    if identity is None:
        raise NoAwsAccount(user.get_username())
    return Person(user.get_username(), identity.role_arn)


def cleanup_scope():
    """What Reset and Clean up my account may remove from a person's account, from what ECS
    Console knows of it: an account it made for this person alone (per-user-local) holds only
    their things, all of which may go; an account an admin assigned may be shared with people
    and systems the console knows nothing of, so only what ECS Console tagged as its own goes."""
    if settings.CONSOLE_ACCOUNTS == "per-user-local":
        return CleanupScope.WHOLE_ACCOUNT
    return CleanupScope.MADE_BY_CONSOLE

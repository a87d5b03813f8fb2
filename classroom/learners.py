"""Who trains, who learns, and making learners in bulk."""

import secrets
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

TRAINERS_GROUP = "Trainers"

# A generated password: three groups of four, from letters and digits no one misreads on a
# projector or a printed slip (no 0/O, 1/l/I).
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS = 3
PASSWORD_GROUP_LENGTH = 4


def is_trainer(user):
    return user.is_authenticated and user.groups.filter(name=TRAINERS_GROUP).exists()


def learners():
    """Everyone the Class page follows: active users who are neither trainers nor staff."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=False, is_superuser=False)
        .exclude(groups__name=TRAINERS_GROUP)
        .order_by("username")
    )


def make_trainer(user):
    user.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])


class NewLearner(NamedTuple):
    name: str
    username: str


class SignIn(NamedTuple):
    """What a learner needs to sign in, shown once: the password is kept only as its hash."""

    name: str
    username: str
    password: str


def generated_password():
    return "-".join(
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )


@transaction.atomic
def add_learners(new_learners):
    """Make each learner a user with a generated password; their sign-ins, in the same order."""
    made = []
    for learner in new_learners:
        password = generated_password()
        first_name, _, last_name = learner.name.partition(" ")
        get_user_model().objects.create_user(
            learner.username, password=password, first_name=first_name, last_name=last_name
        )
        made.append(SignIn(learner.name, learner.username, password))
    return made

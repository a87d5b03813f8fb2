"""Who trains, who learns, making learners in bulk, and acting in a learner's AWS account."""

import secrets
from contextlib import contextmanager
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


@contextmanager
def acting_as(learner):
    """Run the block in the learner's own AWS account: every clusters/aws.py client made inside
    it acts as the learner.

    Today every console user shares the server's one AWS identity, so this does nothing. Issue
    12 §1 gives each user a role and makes clusters/aws.py's clients act as "the current person"
    through a contextvar that its middleware and the tasks set: when it lands, this sets that
    contextvar to `learner` for the block (and resets it after). It is the classroom's only
    place that needs to know how."""
    yield


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

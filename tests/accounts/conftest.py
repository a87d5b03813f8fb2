"""People of a class, each in an AWS account of their own, signed in in browsers of their own."""

from typing import NamedTuple

import pytest
from django.test import Client

from accounts.models import AwsIdentity, person_for, role_arn_in


class Learner(NamedTuple):
    user: object
    browser: Client

    @property
    def person(self):
        return person_for(self.user)


@pytest.fixture
def learner_in(db, django_user_model):
    """A learner whose role is in the given account, signed in in a browser of their own."""

    def make(username, account):
        user = django_user_model.objects.create_user(username, password="practise-ecs")
        AwsIdentity.objects.update_or_create(user=user, defaults={"role_arn": role_arn_in(account)})
        browser = Client()
        browser.force_login(user)
        return Learner(user, browser)

    return make


@pytest.fixture
def newcomer(db, django_user_model):
    """A person no admin has given a role to yet, signed in."""
    user = django_user_model.objects.create_user("newcomer", password="practise-ecs")
    AwsIdentity.objects.filter(user=user).delete()
    browser = Client()
    browser.force_login(user)
    return Learner(user, browser)

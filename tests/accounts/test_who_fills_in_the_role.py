"""CONSOLE_ACCOUNTS says who fills in each person's role: on the local cloud each newcomer is
given one in a fresh account of their own; on real AWS an admin does, and until then the person
is told so, and nothing is done in the console's own account."""

import re

import pytest

from accounts import models as accounts_models
from accounts.models import MOTO_DEFAULT_ACCOUNT, AwsIdentity

LEARNER_ROLE = re.compile(r"arn:aws:iam::([0-9]{12}):role/ECSConsoleLearner")


@pytest.fixture
def per_user_local(settings):
    settings.CONSOLE_ACCOUNTS = "per-user-local"


def test_a_newcomer_on_the_local_cloud_is_given_a_role_in_a_fresh_account(
    aws, per_user_local, newcomer
):
    page = newcomer.browser.get("/clusters/")

    assert page.status_code == 200
    arn = AwsIdentity.objects.get(user=newcomer.user).role_arn
    account = LEARNER_ROLE.fullmatch(arn).group(1)
    # The top bar names the account, as AWS's does: 1234-5678-9012.
    shown = f"{account[:4]}-{account[4:8]}-{account[8:]}"
    assert re.search(rf'class="topbar-account">@ <span[^>]*>account </span>{shown}<', page.text)


def test_each_newcomer_gets_an_account_of_their_own_and_keeps_it(
    aws, per_user_local, newcomer, django_user_model, client
):
    other = django_user_model.objects.create_user("other-newcomer")
    AwsIdentity.objects.filter(user=other).delete()
    client.force_login(other)

    newcomer.browser.get("/clusters/")
    client.get("/clusters/")
    first = AwsIdentity.objects.get(user=newcomer.user).role_arn
    newcomer.browser.get("/clusters/")

    accounts = {
        LEARNER_ROLE.fullmatch(identity.role_arn).group(1)
        for identity in AwsIdentity.objects.filter(user__in=[newcomer.user, other])
    }
    assert len(accounts) == 2
    assert AwsIdentity.objects.get(user=newcomer.user).role_arn == first


def test_no_newcomer_is_given_motos_default_account_nor_one_already_taken(
    per_user_local, newcomer, monkeypatch, user
):
    taken = "111122223333"
    AwsIdentity.objects.filter(user=user).update(
        role_arn=f"arn:aws:iam::{taken}:role/ECSConsoleLearner"
    )
    drawn = iter([int(MOTO_DEFAULT_ACCOUNT) - 10**11, int(taken) - 10**11, 444455556666 - 10**11])
    monkeypatch.setattr(accounts_models.secrets, "randbelow", lambda bound: next(drawn))

    person = accounts_models.person_for(newcomer.user)

    assert person.account_id == "444455556666"


def test_without_a_role_an_admin_must_give_one_and_the_page_says_so(aws, newcomer):
    page = newcomer.browser.get("/clusters/")

    assert page.status_code == 403
    assert "No AWS account yet" in page.content.decode()
    assert "Ask your trainer or the console's admin to set your role ARN" in page.content.decode()
    assert not AwsIdentity.objects.filter(user=newcomer.user).exists()


@pytest.mark.parametrize(
    "path",
    ["/", "/clusters/", "/create-cluster/ec2-linux/", "/clusters/demo-cluster/ecs-instances/"],
)
def test_no_page_acts_in_the_consoles_own_account_for_them(aws, newcomer, path):
    from clusters.aws import _client

    calls = []
    _client("sts", "us-east-1", None).meta.events.register(
        "before-call.*.*", lambda model, **kwargs: calls.append(model.name)
    )

    page = newcomer.browser.get(path, follow=True)

    assert page.status_code == 403
    assert "No AWS account yet" in page.content.decode()
    assert calls == []  # not even an AssumeRole


def test_a_poll_without_a_role_shows_the_whole_page_that_says_so(aws, newcomer):
    tab = "/clusters/demo-cluster/ecs-instances/"

    page = newcomer.browser.get(tab, headers={"HX-Request": "true"})

    assert page.status_code == 403
    assert page["HX-Redirect"] == tab


def test_an_admin_without_a_role_still_reaches_django_admin_to_give_roles(
    newcomer, django_user_model
):
    newcomer.user.is_staff = newcomer.user.is_superuser = True
    newcomer.user.save()

    page = newcomer.browser.get("/admin/accounts/awsidentity/")

    assert page.status_code == 200


def test_once_given_a_role_the_person_works_in_it(aws, newcomer):
    AwsIdentity.objects.create(
        user=newcomer.user, role_arn="arn:aws:iam::123456789012:role/ECSConsoleTests"
    )

    assert newcomer.browser.get("/clusters/").status_code == 200

"""An admin gives each person the role the console assumes for them: only a role's ARN is taken,
and a wrong one is told beside its field, in the admin and on the command line."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.models import AwsIdentity, validate_role_arn

GOOD_ARNS = [
    "arn:aws:iam::111122223333:role/ECSConsoleLearner",
    "arn:aws:iam::111122223333:role/class/2026/learner-7",
    "arn:aws:iam::000000000001:role/a+b=c,d.e@f_g-h",
]
BAD_ARNS = [
    "",
    "ECSConsoleLearner",
    "arn:aws:iam::11112222333:role/ECSConsoleLearner",  # 11 digits
    "arn:aws:iam::1111222233334:role/ECSConsoleLearner",  # 13 digits
    "arn:aws:iam::111122223333:user/learner",  # a user, not a role
    "arn:aws:iam::111122223333:role/",  # no name
    "arn:aws:sts::111122223333:assumed-role/ECSConsoleLearner/learner",
    "arn:aws:iam::111122223333:role/with space",
    " arn:aws:iam::111122223333:role/ECSConsoleLearner",
]


@pytest.mark.parametrize("arn", GOOD_ARNS)
def test_it_takes_a_role_arn_with_or_without_a_path(arn):
    validate_role_arn(arn)


@pytest.mark.parametrize("arn", BAD_ARNS)
def test_it_refuses_anything_else_saying_what_a_role_arn_is(arn):
    with pytest.raises(ValidationError) as refused:
        validate_role_arn(arn)

    assert "12-digit account" in refused.value.messages[0]


def test_the_message_is_the_role_arn_fields_own(user):
    identity = AwsIdentity.objects.get(user=user)
    identity.role_arn = "arn:aws:iam::123:role/short"

    with pytest.raises(ValidationError) as refused:
        identity.full_clean()

    assert list(refused.value.message_dict) == ["role_arn"]


@pytest.fixture
def admin_browser(client, django_user_model):
    admin = django_user_model.objects.create_superuser("trainer", password="x")
    client.force_login(admin)
    return client


def test_an_admin_sets_a_learners_role_in_django_admin(admin_browser, user):
    identity = AwsIdentity.objects.get(user=user)
    url = f"/admin/accounts/awsidentity/{identity.pk}/change/"
    arn = "arn:aws:iam::111122223333:role/ECSConsoleLearner"

    response = admin_browser.post(url, {"user": user.pk, "role_arn": arn})

    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.role_arn == arn


def test_a_wrong_arn_in_django_admin_is_told_beside_its_field(admin_browser, user):
    identity = AwsIdentity.objects.get(user=user)
    url = f"/admin/accounts/awsidentity/{identity.pk}/change/"

    response = admin_browser.post(url, {"user": user.pk, "role_arn": "arn:aws:iam::1:role/x"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "12-digit account" in errors["role_arn"][0]


def test_the_command_sets_a_learners_role(user, capsys):
    arn = "arn:aws:iam::111122223333:role/class/ECSConsoleLearner"

    call_command("set_role_arn", "learner", arn)

    assert AwsIdentity.objects.get(user=user).role_arn == arn
    assert f"learner now works as {arn}" in capsys.readouterr().out


def test_the_command_gives_a_role_to_someone_who_had_none(newcomer):
    arn = "arn:aws:iam::111122223333:role/ECSConsoleLearner"

    call_command("set_role_arn", "newcomer", arn)

    assert AwsIdentity.objects.get(user=newcomer.user).role_arn == arn


def test_the_command_refuses_a_wrong_arn_and_keeps_the_old_one(user):
    with pytest.raises(CommandError, match="12-digit account"):
        call_command("set_role_arn", "learner", "arn:aws:iam::111122223333:user/learner")

    assert AwsIdentity.objects.get(user=user).role_arn.endswith(":role/ECSConsoleTests")


def test_the_command_names_a_user_that_does_not_exist(db):
    with pytest.raises(CommandError, match="There is no user nobody."):
        call_command("set_role_arn", "nobody", "arn:aws:iam::111122223333:role/R")

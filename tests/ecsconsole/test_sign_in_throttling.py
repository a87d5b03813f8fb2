"""Sign-in is throttled per user name, and per address only at a limit a classroom behind one NAT
never reaches; a locked-out person sees a console page that says why and until when."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

CLASSROOM = "198.51.100.7"  # the one address 30 learners share behind their school's NAT
ELSEWHERE = "203.0.113.50"


@pytest.fixture
def learners(django_user_model):
    return [
        django_user_model.objects.create_user(f"learner{number}", password=f"right-{number}")
        for number in range(1, 31)
    ]


def sign_in(client, username, password, address=CLASSROOM):
    client.logout()
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def signed_in_as(client, response):
    return response.status_code == 302 and client.session.get("_auth_user_id") is not None


def test_the_limits_are_5_wrong_passwords_per_user_name_and_300_per_address():
    assert settings.SIGN_IN_FAILURE_LIMITS == {"username": 5, "ip_address": 300}
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


def test_five_wrong_passwords_lock_the_user_name_even_against_the_right_one(client, learners):
    answers = [sign_in(client, "learner1", f"guess-{n}").status_code for n in range(5)]
    right_password = sign_in(client, "learner1", "right-1")
    from_elsewhere = sign_in(client, "learner1", "right-1", address=ELSEWHERE)

    assert answers == [200, 200, 200, 200, 429]
    assert right_password.status_code == from_elsewhere.status_code == 429
    assert not signed_in_as(client, from_elsewhere)


def test_a_locked_out_person_sees_a_console_page_that_says_why_and_until_when(client, learners):
    for n in range(5):
        page = sign_in(client, "learner1", f"guess-{n}")

    text = page.content.decode()
    assert page.status_code == 429
    assert "<title>Sign-in paused · ECS Console</title>" in text
    assert 'class="topbar"' in text  # the console's own frame
    assert "Too many wrong passwords were typed for the user name <strong>learner1</strong>" in text
    assert "Sign-in opens again 15 minutes after the last wrong password." in text
    assert 'href="/login/"' in text
    assert "Traceback" not in text


def test_a_locked_user_name_leaves_everyone_else_at_the_same_address_free(client, learners):
    for n in range(5):
        sign_in(client, "learner1", f"guess-{n}")

    assert signed_in_as(client, sign_in(client, "learner2", "right-2"))


def test_a_class_of_30_behind_one_nat_can_all_lock_themselves_out_and_the_address_stays_open(
    client, learners, django_user_model
):
    for learner in learners:
        for n in range(5):
            sign_in(client, learner.username, f"guess-{n}")
    latecomer = django_user_model.objects.create_user("teacher", password="right-teacher")

    assert sign_in(client, "learner30", "right-30").status_code == 429
    assert signed_in_as(client, sign_in(client, latecomer.username, "right-teacher"))


def test_an_address_trying_300_wrong_passwords_across_names_is_locked_out_and_no_other(
    client, learners
):
    answers = [
        sign_in(client, f"someone{n}", "guess", address=ELSEWHERE).status_code for n in range(300)
    ]

    assert answers[:299] == [200] * 299 and answers[299] == 429
    assert sign_in(client, "learner1", "right-1", address=ELSEWHERE).status_code == 429
    assert signed_in_as(client, sign_in(client, "learner1", "right-1", address=CLASSROOM))


def test_failures_older_than_the_cool_off_no_longer_count(client, learners, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    for n in range(5):
        sign_in(client, "learner1", f"guess-{n}")
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)

    assert signed_in_as(client, sign_in(client, "learner1", "right-1"))

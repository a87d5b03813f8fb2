"""The Class page: for trainers only, a row per learner with each checkpoint a green check or what
is missing, refreshing itself while reading each learner's account at most once a window however
many trainers watch, and its CSV."""

import csv
import io
import re
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from django.test import Client

from classroom import progress
from classroom.checkpoints import CHECKPOINTS
from classroom.learners import make_trainer
from classroom.models import CheckpointReached
from clusters import inventory
from clusters.models import Operation

PAGE = "/class/"
CSV = "/class/progress.csv"
POLL = {"HX-Request": "true"}
TRAINERS_ONLY = "The Class page is for trainers."


def learner_rows(page):
    return re.findall(r'<tr id="learner-([^"]+)">', page)


def icons(page, learner):
    """{checkpoint name: the aria-label of its status icon} in the learner's row."""
    start = page.index(f'<tr id="learner-{learner}">')
    row = page[start : page.index("</tr>", start)]
    return dict(re.findall(r'data-checkpoint="([^"]+)">\s*<svg[^>]*aria-label="([^"]+)"', row))


def test_a_learner_is_told_the_page_is_for_trainers(signed_in, db):
    response = signed_in.get(PAGE)

    assert response.status_code == 403
    assert TRAINERS_ONLY in response.content.decode()


def test_staff_who_do_not_train_are_refused_too(client, django_user_model):
    admin = django_user_model.objects.create_user("admin", password="x", is_staff=True)
    client.force_login(admin)

    assert client.get(PAGE).status_code == 403
    assert client.get(CSV).status_code == 403


def test_a_learner_can_neither_download_the_csv_nor_add_learners(signed_in, django_user_model):
    assert signed_in.get(CSV).status_code == 403
    assert signed_in.post(PAGE, {"names": "Mallory"}).status_code == 403
    assert not django_user_model.objects.filter(username="mallory").exists()


def test_someone_not_signed_in_is_asked_to_sign_in(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/class/"


def test_only_trainers_find_class_in_the_menu(signed_in, trainer_browser, aws):
    assert 'href="/class/"' not in signed_in.get(PAGE).content.decode()
    assert 'href="/class/" aria-current="page">Class<' in trainer_browser.get(PAGE).content.decode()


def test_a_row_for_each_learner_and_none_for_trainers_or_staff(
    trainer_browser, user, django_user_model, aws
):
    django_user_model.objects.create_user("ada", password="x")
    django_user_model.objects.create_user("admin", password="x", is_staff=True)
    make_trainer(django_user_model.objects.create_user("second-trainer", password="x"))

    page = trainer_browser.get(PAGE).content.decode()

    assert learner_rows(page) == ["ada", "learner"]


def test_it_shows_green_checks_and_names_what_a_learner_got_wrong(
    trainer_browser, user, lab_as_asked
):
    lab_as_asked(ingress_port="80")

    fragment = trainer_browser.get(PAGE, headers=POLL).content.decode()

    assert "<html" not in fragment
    assert icons(fragment, "learner") == {
        "Cluster exists": "Succeeded",
        "Stack complete": "Succeeded",
        "t2.micro": "Succeeded",
        "Subnets in every AZ": "Succeeded",
        "Port 22 open": "Failed",
        "Key pair set": "Succeeded",
        "Instance registered": "Succeeded",
        "Cleaned up": "Not started",
    }
    assert "Port 80 is open to 0.0.0.0/0 instead of 22." in fragment
    assert 'hx-trigger="every 5s [document.visibilityState === \'visible\']"' in fragment


def test_checkpoints_stay_green_after_the_learner_cleans_up(
    trainer_browser, user, signed_in, lab_as_asked, finish, settings
):
    settings.CLASS_READ_SECONDS = 0
    lab_as_asked()
    trainer_browser.get(PAGE, headers=POLL)

    signed_in.post("/clusters/demo-cluster/delete/", {"confirmation": "delete me"})
    finish(Operation.objects.get(action=Operation.Action.DELETE))
    fragment = trainer_browser.get(PAGE, headers=POLL)

    assert set(icons(fragment.content.decode(), "learner").values()) == {"Succeeded"}
    # Every learner has reached every checkpoint: the page stops looking.
    assert fragment.status_code == 286
    assert "hx-trigger" not in fragment.content.decode()


def test_it_keeps_polling_while_a_learner_has_checkpoints_to_reach(trainer_browser, user, aws):
    # All but the first: cleaning up counts only once the cluster has been made.
    CheckpointReached.objects.record(user, [checkpoint.name for checkpoint in CHECKPOINTS[1:]])

    response = trainer_browser.get(PAGE, headers=POLL)

    assert response.status_code == 200
    assert "hx-trigger" in response.content.decode()


@pytest.fixture
def clock(monkeypatch):
    """Time for the shared reads, moved on by the test instead of waited for."""
    offset = [0.0]
    real = time.time
    monkeypatch.setattr(inventory.time, "time", lambda: real() + offset[0])

    def move_on(seconds):
        offset[0] += seconds

    return move_on


@pytest.fixture
def passes(monkeypatch):
    """The learners whose account was read, once each time a pass is made."""
    made = []
    check_account = progress.check_account

    def counted(person, region, reached_before):
        made.append(person.username)
        return check_account(person, region, reached_before)

    monkeypatch.setattr(progress, "check_account", counted)
    return made


def test_many_trainers_polling_read_each_learner_once_a_window(
    user, lab_cluster, django_user_model, passes, clock, aws_calls, settings
):
    settings.CLASS_READ_SECONDS = 60
    for name in ("ada", "grace"):
        django_user_model.objects.create_user(name, password="x")
    trainers = []
    for number in range(6):
        person = django_user_model.objects.create_user(f"trainer-{number}", password="x")
        make_trainer(person)
        browser = Client()
        browser.force_login(person)
        trainers.append(browser)

    def everyone_polls(times):
        return [
            browser.get(PAGE, headers=POLL).status_code
            for _ in range(times)
            for browser in trainers
        ]

    first = everyone_polls(5)
    calls_of_one_window = len(aws_calls)
    clock(30)
    still_fresh = everyone_polls(2)

    assert set(first + still_fresh) == {200}
    assert Counter(passes) == {"ada": 1, "grace": 1, "learner": 1}
    assert len(aws_calls) == calls_of_one_window

    clock(31)
    everyone_polls(5)

    assert Counter(passes) == {"ada": 2, "grace": 2, "learner": 2}
    assert len(aws_calls) == 2 * calls_of_one_window


def test_the_csv_has_a_row_per_learner_with_when_each_checkpoint_was_reached(
    trainer_browser, user, aws
):
    user.first_name, user.last_name = "Ada", "Lovelace"
    user.save()
    at = datetime(2026, 12, 2, 8, 5, 30, tzinfo=timezone.utc)
    CheckpointReached.objects.record(user, ["Stack complete", "t2.micro"], at=at)

    response = trainer_browser.get(CSV)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "class-progress.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["learner", "name", *[checkpoint.name for checkpoint in CHECKPOINTS]],
        ["learner", "Ada Lovelace", "", at.isoformat(), at.isoformat(), "", "", "", "", ""],
    ]


def test_a_learner_whose_account_aws_cannot_read_shows_aws_reason_in_their_row(
    trainer_browser, user, aws, monkeypatch
):
    from clusters.aws import AwsUnavailable

    def unreachable(region, name):
        raise AwsUnavailable("Could not reach AWS: Connect timeout on endpoint URL")

    monkeypatch.setattr(inventory, "cluster", unreachable)

    response = trainer_browser.get(PAGE, headers=POLL)

    assert response.status_code == 200
    assert "AWS did not answer: Could not reach AWS: Connect timeout on endpoint URL" in (
        response.content.decode()
    )
    assert set(icons(response.content.decode(), "learner").values()) == {"Not started"}


def test_the_learners_accounts_are_read_side_by_side(
    trainer_browser, user, django_user_model, aws, monkeypatch
):
    """Three passes that each wait for the other two: one after the other, the first would wait
    alone until the barrier broke."""
    import threading

    for name in ("ada", "grace"):
        django_user_model.objects.create_user(name, password="x")
    all_three = threading.Barrier(3, timeout=10)
    check_account = progress.check_account

    def waiting_for_the_others(person, region, reached_before):
        all_three.wait()
        return check_account(person, region, reached_before)

    monkeypatch.setattr(progress, "check_account", waiting_for_the_others)

    page = trainer_browser.get(PAGE, headers=POLL)

    assert page.status_code == 200
    assert not all_three.broken
    assert learner_rows(page.content.decode()) == ["ada", "grace", "learner"]


def test_a_pass_not_back_in_time_shows_the_last_one_and_is_there_for_the_next_look(
    trainer_browser, user, monkeypatch, settings
):
    """Under a class's load a round of passes takes seconds: the page waits
    CLASS_PAGE_WAIT_SECONDS for them, shows the learner as their last pass found them, and the
    next look finds the pass that was still being made."""
    import threading

    from tests.e2e.waiting import wait_until

    settings.CLASS_READ_SECONDS = 0  # every look sets off a pass
    settings.CLASS_PAGE_WAIT_SECONDS = 0.1
    answers = iter(["First pass", "Second pass"])
    aws_answers = threading.Event()

    def slow_from_the_second(person, region, reached_before):
        found = progress.Pass({}, next(answers, "Later pass"))
        if found.error != "First pass":
            aws_answers.wait(10)
        return found

    monkeypatch.setattr(progress, "check_account", slow_from_the_second)
    first = trainer_browser.get(PAGE, headers=POLL).content.decode()
    assert "AWS did not answer: First pass" in first

    try:
        while_reading = trainer_browser.get(PAGE, headers=POLL).content.decode()
    finally:
        aws_answers.set()

    assert "AWS did not answer: First pass" in while_reading
    settings.CLASS_READ_SECONDS = 60  # from now on the looks read no pass of their own
    wait_until(
        lambda: "Second pass" in trainer_browser.get(PAGE, headers=POLL).content.decode(),
        10,
        "the pass made during the second look to reach the page",
    )

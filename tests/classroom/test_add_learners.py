"""Learners made in bulk, from a file (manage.py add_learners) or the Class page's form: each
gets a user name from their name and a password shown once, which signs them in."""

import csv
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

PAGE = "/class/"


def add_from_file(tmp_path, text):
    names = tmp_path / "names.csv"
    names.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("add_learners", str(names), stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def signs_in(username, password):
    response = Client().post("/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_a_file_of_one_name_a_line_makes_a_learner_each_and_prints_their_sign_in(
    tmp_path, django_user_model, db
):
    printed = add_from_file(tmp_path, "Ada Lovelace\n\n  Grace   Hopper \nLovelace, Ada\n")

    assert [(row["name"], row["username"]) for row in printed] == [
        ("Ada Lovelace", "ada-lovelace"),
        ("Grace Hopper", "grace-hopper"),
        ("Lovelace, Ada", "lovelace-ada"),
    ]
    assert all(signs_in(row["username"], row["password"]) for row in printed)
    ada = django_user_model.objects.get(username="ada-lovelace")
    assert ada.get_full_name() == "Ada Lovelace"
    assert not ada.is_staff


def test_a_csv_with_a_name_column_takes_the_names_from_it(tmp_path, db):
    printed = add_from_file(
        tmp_path, "\ufeffEmail,Name\nada@example.org,Ada Lovelace\ngrace@example.org,Grace Hopper\n"
    )

    assert [row["username"] for row in printed] == ["ada-lovelace", "grace-hopper"]


def test_each_learner_gets_a_password_of_their_own(tmp_path, db):
    printed = add_from_file(tmp_path, "\n".join(f"Learner {n}" for n in range(30)))

    assert len({row["password"] for row in printed}) == 30


def test_a_name_already_taken_is_refused_and_no_one_is_added(tmp_path, django_user_model, db):
    django_user_model.objects.create_user("ada-lovelace", password="x")

    with pytest.raises(CommandError) as refused:
        add_from_file(tmp_path, "Grace Hopper\nAda Lovelace\n")

    assert str(refused.value) == (
        "ada-lovelace is already a user: leave Ada Lovelace out, or write the name another way."
    )
    assert not django_user_model.objects.filter(username="grace-hopper").exists()


def test_an_empty_file_asks_for_names(tmp_path, db):
    with pytest.raises(CommandError, match="Give at least one name, one a line."):
        add_from_file(tmp_path, "")


def test_a_file_that_cannot_be_read_is_named(tmp_path, db):
    with pytest.raises(CommandError, match="Could not read .*missing.csv"):
        call_command("add_learners", str(tmp_path / "missing.csv"))


def test_the_class_page_adds_learners_from_a_name_a_line_and_shows_their_sign_ins_once(
    trainer_browser, aws
):
    response = trainer_browser.post(PAGE, {"names": "Ada Lovelace\nGrace Hopper\n"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Added 2 learners." in page
    sign_ins = re.findall(
        r"<tr><td>[^<]+</td><td><code>([^<]+)</code></td><td><code>([^<]+)</code></td></tr>", page
    )
    assert [username for username, _ in sign_ins] == ["ada-lovelace", "grace-hopper"]
    assert all(signs_in(username, password) for username, password in sign_ins)
    assert 'id="learner-ada-lovelace"' in page
    # Shown once: the page looked at again has no password on it.
    again = trainer_browser.get(PAGE).content.decode()
    assert not any(password in again for _, password in sign_ins)


@pytest.mark.parametrize(
    "names, message",
    [
        ("\n  \n", "Give at least one name, one a line."),
        (
            "Ada Lovelace\nada  lovelace",
            "Ada Lovelace and ada lovelace would both sign in as ada-lovelace.",
        ),
        ("!!!", "!!! has no letter or digit to make a user name from."),
        ("A" * 151, f"{'A' * 40}… is longer than 150 characters."),
    ],
)
def test_the_form_says_what_is_wrong_beside_the_field(trainer_browser, aws, names, message):
    response = trainer_browser.post(PAGE, {"names": names})

    page = response.content.decode()
    assert response.status_code == 200
    assert "field-invalid" in page
    assert message.replace("'", "&#x27;") in page


def test_add_trainer_makes_a_new_trainer_who_signs_in_and_sees_the_class(db, aws):
    out = io.StringIO()
    call_command("add_trainer", "teacher", stdout=out)

    password = re.fullmatch(r"Created trainer teacher with password (\S+)\n", out.getvalue())[1]
    browser = Client()
    browser.post("/login/", {"username": "teacher", "password": password})
    assert browser.get(PAGE).status_code == 200


def test_add_trainer_leaves_an_existing_users_password_alone(django_user_model, db):
    django_user_model.objects.create_user("ada-lovelace", password="her-own")
    out = io.StringIO()

    call_command("add_trainer", "ada-lovelace", stdout=out)

    assert out.getvalue() == "ada-lovelace is a trainer now; their password is unchanged\n"
    assert signs_in("ada-lovelace", "her-own")
    assert django_user_model.objects.get(username="ada-lovelace").groups.filter(
        name="Trainers"
    ).exists()

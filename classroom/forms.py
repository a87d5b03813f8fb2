"""The form that adds learners, one name a line: the user name each gets, and what is refused."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from .learners import NewLearner

MAX_LEARNERS_AT_ONCE = 200
MAX_NAME_LENGTH = 150  # Django's user name and first name


def username_for(name):
    """The user name a learner signs in with: the name in lower case, words joined by hyphens
    ("Ada Lovelace" signs in as ada-lovelace), letters of any alphabet kept."""
    return slugify(name, allow_unicode=True)


def is_valid_username(username):
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        return False
    return bool(username)


class AddLearnersForm(forms.Form):
    # Marked * on the page, though the field is not `required`: its own words say what is missing.
    marked_required = {"names"}

    names = forms.CharField(
        label="Learners' names",
        help_text="One name a line. Each learner signs in with the name in lower case, words "
        "joined by hyphens (Ada Lovelace signs in as ada-lovelace), and a password made for them, "
        "shown once.",
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        # A list pasted from a spreadsheet: 200 names of 150 characters at the most.
        max_length=MAX_LEARNERS_AT_ONCE * (MAX_NAME_LENGTH + 2),
    )

    def clean_names(self):
        names = [" ".join(line.split()) for line in self.cleaned_data["names"].splitlines()]
        names = [name for name in names if name]
        if not names:
            raise ValidationError("Give at least one name, one a line.")
        if len(names) > MAX_LEARNERS_AT_ONCE:
            raise ValidationError(
                f"Give at most {MAX_LEARNERS_AT_ONCE} names at once; this list has {len(names)}."
            )
        problems, taken = [], {}
        for name in names:
            username = username_for(name)
            if len(name) > MAX_NAME_LENGTH:
                problems.append(f"{name[:40]}… is longer than {MAX_NAME_LENGTH} characters.")
            elif not is_valid_username(username):
                problems.append(f"{name} has no letter or digit to make a user name from.")
            elif username in taken:
                problems.append(f"{taken[username]} and {name} would both sign in as {username}.")
            else:
                taken[username] = name
        existing = get_user_model().objects.filter(username__in=taken).values_list(
            "username", flat=True
        )
        problems += [
            f"{username} is already a user: leave {taken[username]} out, or write the name "
            "another way."
            for username in sorted(existing)
        ]
        if problems:
            raise ValidationError(problems)
        return [NewLearner(name, username) for username, name in taken.items()]

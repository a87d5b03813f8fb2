"""Add a class's learners from a file of names and print each one's sign-in."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from classroom.forms import AddLearnersForm
from classroom.learners import add_learners

NAME_COLUMN = "name"


def names_in(text):
    """The names of a file: a CSV whose header has a `name` column, or one name a line (a line
    is a whole name, commas and all)."""
    lines = text.splitlines()
    if not lines:
        return []
    header = [cell.strip().lower() for cell in next(csv.reader([lines[0]]))]
    if NAME_COLUMN not in header:
        return lines
    column = header.index(NAME_COLUMN)
    return [row[column] for row in csv.reader(lines[1:]) if len(row) > column]


class Command(BaseCommand):
    help = (
        "Add learners from a file (one name a line, or a CSV with a name column) and print each "
        "one's sign-in as CSV: name, username, password. The passwords are not kept: save them."
    )

    def add_arguments(self, parser):
        parser.add_argument("names_file", type=Path)

    def handle(self, *args, names_file, **options):
        try:
            # utf-8-sig: a spreadsheet's CSV may start with a byte order mark.
            text = names_file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Could not read {names_file}: {error}") from error
        # The form's own rules, so the file and the Class page's form refuse the same names.
        form = AddLearnersForm({"names": "\n".join(names_in(text))})
        if not form.is_valid():
            raise CommandError(" ".join(form.errors["names"]))
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["name", "username", "password"])
        for sign_in in add_learners(form.cleaned_data["names"]):
            writer.writerow(sign_in)

"""The Class page: every learner's checkpoints for trainers, its CSV, and adding learners."""

import csv
import functools

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from accounts.forms import CleanUpForm
from accounts.models import NoAwsAccount
from accounts.views import clean_up_context, start_clean_up
from clusters.views import NotFound, _go_to, page_or_dialog

from .checkpoints import CHECKPOINTS
from .forms import AddLearnersForm
from .learners import add_learners, is_trainer, learners
from .progress import class_rows


def trainers_only(view):
    """The page is a trainer's: anyone else is told so, with a 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_trainer(request.user):
            return render(request, "classroom/trainers_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
@trainers_only
def class_page(request):
    """Every learner's checkpoints, refreshed while the class works; and the form that adds
    learners, whose sign-ins are shown once, in the answer to it."""
    form, sign_ins = AddLearnersForm(request.POST or None), ()
    if form.is_valid():
        try:
            sign_ins = add_learners(form.cleaned_data["names"])
        except IntegrityError:
            form.add_error(
                "names", "Someone added one of these names meanwhile: send the list again."
            )
        else:
            form = AddLearnersForm()
    rows = class_rows(learners(), request.region)
    context = {
        "rows": rows,
        "checkpoints": CHECKPOINTS,
        "form": form,
        "sign_ins": sign_ins,
        "finished": bool(rows) and all(row.finished for row in rows),
        # The page looks again as often as a learner's account may be read: sooner only finds
        # the same pass.
        "poll_seconds": max(1, settings.CLASS_READ_SECONDS),
    }
    if request.htmx and request.method == "GET":
        response = render(request, "classroom/class.html#progress", context)
        if context["finished"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "classroom/class.html", context)


@require_GET
@trainers_only
def class_csv(request):
    """The class's progress: each learner, and when they first reached each checkpoint (UTC)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="class-progress.csv"'
    writer = csv.writer(response)
    writer.writerow(["learner", "name"] + [checkpoint.name for checkpoint in CHECKPOINTS])
    for row in class_rows(learners(), request.region):
        writer.writerow(
            [row.learner.get_username(), row.learner.get_full_name()]
            + [cell.reached_at.isoformat() if cell.reached_at else "" for cell in row.cells]
        )
    return response


@require_http_methods(["GET", "POST"])
@trainers_only
def reset_learner(request, username):
    """Reset a learner: everything the lab made in their account removed, by an operation that
    acts in their account through their role. Only a learner's: never a trainer's or an admin's
    account, whatever the URL names. The trainer confirms by typing the learner's user name."""
    class_url = reverse("classroom:class")
    learner = learners().filter(username=username).first()
    if learner is None:
        raise NotFound(f"There is no learner {username}.", back=("Class", class_url))
    form = CleanUpForm(request.POST if request.method == "POST" else None, phrase=username)
    try:
        if form.is_valid():
            operation = start_clean_up(request, owner=learner)
            return _go_to(request, operation.get_absolute_url())
        action_url = reverse("classroom:reset", args=[username])
        context = clean_up_context(learner, form, action_url, cancel_url=class_url)
    except NoAwsAccount:
        messages.error(request, f"{username} has no AWS account yet: there is nothing to reset.")
        return _go_to(request, class_url)
    return page_or_dialog(request, "accounts/clean_up.html", context)

"""Each request acts for its signed-in person: every AWS call it makes is theirs."""

from django.shortcuts import render
from django.urls import reverse

from clusters.aws import acting_for

from .models import NoAwsAccount, person_for


class ActingForThePersonMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        # Their role is looked up only if the request calls AWS (or needs their account).
        with acting_for(lambda: person_for(request.user)):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, NoAwsAccount):
            return None
        return no_aws_account(request)


def no_aws_account(request):
    """A person without a role sees why nothing works, and who can change it: never the
    console's own account."""
    context = {"admin_url": reverse("admin:accounts_awsidentity_changelist")}
    response = render(request, "accounts/no_aws_account.html", context, status=403)
    if getattr(request, "htmx", False):
        # A poll or a dialog: show the whole page that says so.
        response["HX-Redirect"] = request.get_full_path()
    return response

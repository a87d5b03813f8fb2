"""Clean up my account: everything the lab made in the signed-in person's own AWS account, removed
by the operation a trainer's Reset starts for a learner (clusters/cleanup.py)."""

from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clusters.aws import acting_for
from clusters.configuration import ResetRequest
from clusters.middleware import ecs_regions
from clusters.models import ACCOUNT_WIDE, Operation
from clusters.tasks import start_operation
from clusters.views import _go_to, page_or_dialog

from .forms import CleanUpForm
from .models import cleanup_scope, person_for

CLEAN_UP_PHRASE = "clean up"


@require_http_methods(["GET", "POST"])
def clean_up_my_account(request):
    form = CleanUpForm(request.POST if request.method == "POST" else None, phrase=CLEAN_UP_PHRASE)
    if form.is_valid():
        operation = start_clean_up(request, owner=request.user)
        return _go_to(request, operation.get_absolute_url())
    context = clean_up_context(request.user, form, reverse("accounts:clean_up"))
    return page_or_dialog(request, "accounts/clean_up.html", context)


def clean_up_context(owner, form, action_url, cancel_url=None):
    """What the confirmation says: whose account, and what the rule lets go."""
    return {
        "owner": owner,
        "person": person_for(owner),
        "scope": cleanup_scope(),
        "region_count": len(ecs_regions()),
        "form": form,
        "action_url": action_url,
        "cancel_url": cancel_url or reverse("clusters:list"),
    }


def start_clean_up(request, owner):
    """Record a clean-up of the owner's account, acting in it through their role (the worker
    assumes the role the row records), asked by the signed-in person; send it to a worker. Asked
    again while one is on its way, it is that one."""
    with acting_for(person_for(owner)):
        operation, is_new = Operation.objects.submit(
            action=Operation.Action.RESET,
            cluster_name=ACCOUNT_WIDE,
            region=ACCOUNT_WIDE,
            user=request.user,
            request=ResetRequest(scope=cleanup_scope(), owner=owner.get_username()),
        )
    if is_new:
        start_operation(operation)
    return operation

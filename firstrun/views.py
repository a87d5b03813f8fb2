"""Where a person arrives: the first-run page while the region has no clusters, else Clusters."""

from django.shortcuts import redirect, render

from clusters import inventory
from clusters.aws import AwsError


def home(request):
    """Signing in and opening "/" land here, as the console's ECS home did: a region without
    clusters shows the first-run page, one with clusters shows them."""
    try:
        has_clusters = bool(inventory.clusters(request.region))
    except AwsError:
        # The Clusters page reads them again and shows the person AWS's reason.
        has_clusters = True
    return redirect("clusters:list" if has_clusters else "firstrun:get_started")


def get_started(request):
    return render(request, "firstrun/get_started.html")

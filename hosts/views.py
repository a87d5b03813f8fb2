"""The Host panel (the lab's commands run on a host through SSM) and the lab checklist."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from clusters import inventory
from clusters.aws import AwsError, account_id
from clusters.forms import is_container_instance_id
from clusters.views import NotFound, with_cluster
from resources.forms import ResourceKind, is_resource_id

from . import checklist, runcommand
from .models import HostReading

# The event a finished reading announces, so other parts of the page (the checklist's points 8
# and 9) redraw from its rows.
HOST_READ_EVENT = "host-read"


def _next_url(request, fallback):
    wanted = request.POST.get("next", "")
    # Only a path of this site: never another host, nor a bare word.
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def _reading_fragment(request, reading, error=None):
    response = render(request, "hosts/host_reading.html", {"reading": reading, "error": error})
    if reading.has_ended:
        trigger_client_event(response, HOST_READ_EVENT)
    return response


@require_POST
@with_cluster
def read_host(request, cluster, stack, instance_id):
    """Run the lab's commands on the container instance's host."""
    page = HostReading(cluster_name=cluster.name, container_instance_id=instance_id)
    back = f"{page.get_absolute_url()}#host"
    try:
        found = ()
        if is_container_instance_id(instance_id):
            found = inventory.container_instances(request.region, cluster.name, ids=[instance_id])
    except AwsError as error:
        messages.error(request, f"Could not read container instance {instance_id}: {error}")
        return redirect(back)
    if not found or not found[0].ec2_instance_id:
        raise NotFound(f"Cluster {cluster.name} has no container instance {instance_id}.")
    host = runcommand.Host.of_container_instance(found[0])
    return _start_reading(request, cluster, host, back)


@require_POST
@with_cluster
def read_ec2_host(request, cluster, stack, instance_id):
    """Run the lab's commands on an EC2 instance of the cluster's, registered or not."""
    back = f"{reverse('resources:ec2_instance', args=[cluster.name, instance_id])}#host"
    try:
        found = None
        if is_resource_id(ResourceKind.EC2_INSTANCE, instance_id):
            found = inventory.ec2_instance(request.region, instance_id)
    except AwsError as error:
        messages.error(request, f"Could not read instance {instance_id}: {error}")
        return redirect(back)
    if found is None:
        raise NotFound(f"There is no EC2 instance {instance_id}.")
    return _start_reading(request, cluster, runcommand.Host.of_ec2_instance(found), back)


def _start_reading(request, cluster, host, back):
    reading = runcommand.start_reading(request.region, cluster.name, host, request.user)
    if request.htmx:
        return _reading_fragment(request, reading)
    # A URL, never a view name: redirect() would try to reverse a "next" such as "hosts".
    return HttpResponseRedirect(_next_url(request, back))


@require_GET
def host_reading(request, pk):
    """A reading as it stands: polled by the panel until every command has ended."""
    # Only the person's account's readings: another's is not there, whatever its number.
    reading = get_object_or_404(
        HostReading, pk=pk, account_id=account_id(), region=request.region
    )
    error = None
    if not reading.has_ended:
        try:
            runcommand.follow(reading)
        except AwsError as failure:
            error = str(failure)
    if not request.htmx:
        return redirect(f"{reading.get_absolute_url()}#host")
    response = _reading_fragment(request, reading, error)
    if reading.has_ended:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_GET
@with_cluster
def what_was_created(request, cluster, stack):
    """The lab's "What did you learn", answered from AWS for this cluster, point by point."""
    if request.htmx and request.GET.get("part") == "host-points":
        # The Host panel has read the host again: redraw points 8 and 9 from its rows.
        try:
            found = inventory.container_instances(request.region, cluster.name)
        except AwsError as error:
            found, host_error = (), str(error)
        else:
            host_error = None
        context = {
            "cluster": cluster,
            "host_points": checklist.host_points(request.region, cluster.name, found),
            "error": host_error,
        }
        return render(request, "hosts/what_was_created.html#host-points", context)
    context = {"cluster": cluster, "points": (), "host_points": (), "host": None}
    try:
        parts = checklist.read_parts(request.region, cluster)
    except AwsError as error:
        context["error"] = str(error)
    else:
        every_point = checklist.points(parts)
        context["points"], context["host_points"] = every_point[:7], every_point[7:]
        context["host"] = next(
            (ci for ci in parts.container_instances if ci.ec2_instance_id and ci.ec2), None
        )
    return render(request, "hosts/what_was_created.html", context)

"""The Host panel, drawn from the latest reading's rows wherever a page shows a host."""

from django import template
from django.urls import reverse

from clusters.aws import account_id

from ..commands import LabCommand
from ..models import HostReading
from ..runcommand import Host

register = template.Library()


def latest_reading(region, ec2_instance_id):
    return (
        HostReading.objects.of_instance(account_id(), region, ec2_instance_id)
        .latest_first()
        .prefetch_related("commands")
        .first()
    )


@register.inclusion_tag("hosts/host_panel.html", takes_context=True)
def host_panel(context, cluster_name, container_instance, next_url=""):
    """The Host panel of a container instance's host."""
    host = Host.of_container_instance(container_instance)
    read_url = reverse("hosts:read", args=[cluster_name, container_instance.id])
    return _panel(context, host, read_url, next_url)


@register.inclusion_tag("hosts/host_panel.html", takes_context=True)
def ec2_host_panel(context, cluster_name, instance):
    """The Host panel of an EC2 instance, registered with the cluster or not: the way to the
    agent's log of an instance that never registered."""
    host = Host.of_ec2_instance(instance)
    read_url = reverse("hosts:read_ec2", args=[cluster_name, instance.instance_id])
    return _panel(context, host, read_url)


def _panel(context, host, read_url, next_url=""):
    request = context["request"]
    document = host.document
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "host": host,
        "document": document,
        "scripts": [lab_command.script(document) for lab_command in LabCommand],
        "reading": latest_reading(request.region, host.ec2_instance_id),
        "read_url": read_url,
        "next_url": next_url,
    }

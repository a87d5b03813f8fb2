"""The Host panel, drawn from the latest reading's rows wherever a page shows a host."""

from django import template
from django.urls import reverse

from ..commands import LabCommand, Document
from ..models import HostReading

register = template.Library()


def latest_reading(region, ec2_instance_id):
    return (
        HostReading.objects.of_instance(region, ec2_instance_id)
        .latest_first()
        .prefetch_related("commands")
        .first()
    )


@register.inclusion_tag("hosts/host_panel.html", takes_context=True)
def host_panel(context, cluster_name, container_instance, next_url=""):
    request = context["request"]
    windows = container_instance.ec2 is not None and container_instance.ec2.platform == "windows"
    document = Document.for_platform(windows)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "instance": container_instance,
        "document": document,
        "scripts": [lab_command.script(document) for lab_command in LabCommand],
        "reading": latest_reading(request.region, container_instance.ec2_instance_id),
        "read_url": reverse("hosts:read", args=[cluster_name, container_instance.id]),
        "next_url": next_url,
    }

"""Pages for the AWS resources a cluster uses, beside the cluster pages."""

import re

from django.contrib import messages
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods

from clusters import inventory, provisioning
from clusters.aws import AwsError
from clusters.views import NotFound, cluster_crumbs, cluster_url, page_or_dialog, with_cluster

from . import reads
from .forms import KeyPairForm, ResourceKind, is_resource_id
from .reads import ResourceNotFound


@require_http_methods(["GET", "POST"])
@never_cache
@sensitive_variables("key_pair")
def create_key_pair(request):
    """Create key pair. Its private key leaves in this one response and is kept nowhere: as a
    .pem attachment to a plain POST (no JavaScript needed), or, to htmx, inside the dialog's
    fragment as a data: URL the download link carries."""
    form = KeyPairForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            key_pair = provisioning.create_key_pair(
                request.region, form.cleaned_data["name"], form.cleaned_data["key_type"]
            )
        except AwsError as error:
            form.add_aws_error(error)
        else:
            inventory.forget_key_pairs(request.region)  # Configure cluster now offers it too
            if request.htmx:
                context = {"key_pair": key_pair}
                return render(request, "resources/key_pair_new.html#form", context)
            response = HttpResponse(key_pair.private_key, content_type="application/x-pem-file")
            response["Content-Disposition"] = content_disposition_header(True, key_pair.file_name)
            return response
    context = {"key_pair_form": form, "select_id": _select_id(request)}
    return page_or_dialog(request, "resources/key_pair_new.html", context)


def _select_id(request):
    """The id of the drop-down the new key pair joins, when the dialog opens beside one."""
    select_id = request.GET.get("for", "")
    return select_id if re.fullmatch(r"id_[A-Za-z0-9_-]{1,64}", select_id) else ""



def _resource_page(request, cluster, kind, resource_id, read, respond):
    """A read-only page of one resource the cluster is made of: respond(resource) once AWS has
    described it; a 404 with AWS's reason when AWS has no such resource (or the id could not be
    one); the cluster page with AWS's reason when AWS could not answer."""
    crumbs = cluster_crumbs(cluster)
    back = (f"Cluster {cluster.name}", cluster_url(cluster.name))
    if not is_resource_id(kind, resource_id):
        raise NotFound(
            f"There is no {kind.label} {resource_id}: that is not how AWS names one.",
            back=back,
            crumbs=crumbs,
        )
    try:
        resource = read(request.region, resource_id)
    except ResourceNotFound as error:
        raise NotFound(f"{kind.label} {resource_id}: {error}", back=back, crumbs=crumbs) from error
    except AwsError as error:
        messages.error(request, f"Could not read {kind.label} {resource_id}: {error}")
        return redirect(cluster_url(cluster.name))
    return respond(resource)


def _page_view(kind, read, template_name):
    """The view of a resource page whose address ends with the resource's id."""

    @with_cluster
    def view(request, cluster, stack, resource_id):
        def respond(resource):
            context = {"cluster": cluster, "kind": kind, "resource": resource}
            return render(request, template_name, context)

        return _resource_page(request, cluster, kind, resource_id, read, respond)

    view.__name__ = kind.replace("-", "_")
    return view


ec2_instance = _page_view(
    ResourceKind.EC2_INSTANCE, reads.instance, "resources/ec2_instance.html"
)
auto_scaling_group = _page_view(
    ResourceKind.AUTO_SCALING_GROUP, reads.auto_scaling_group, "resources/auto_scaling_group.html"
)
launch_template = _page_view(
    ResourceKind.LAUNCH_TEMPLATE, reads.launch_template, "resources/launch_template.html"
)
security_group = _page_view(
    ResourceKind.SECURITY_GROUP, reads.security_group, "resources/security_group.html"
)
iam_role = _page_view(ResourceKind.IAM_ROLE, reads.role, "resources/iam_role.html")


class TemplateFormat(models.TextChoices):
    YAML = "yaml", "YAML"
    JSON = "json", "JSON"


def _stack_with_template(region, stack_name):
    return reads.stack(region, stack_name), reads.stack_template(region, stack_name)


@with_cluster
def stack(request, cluster, stack, resource_id):
    """A CloudFormation stack: status, parameters, resources, events, outputs, and its template
    shown in YAML or JSON (?template=json, so it works without JavaScript)."""
    shown = request.GET.get("template", TemplateFormat.YAML)
    if shown not in TemplateFormat.values:
        shown = TemplateFormat.YAML

    def respond(found):
        described, template = found
        context = {
            "cluster": cluster,
            "kind": ResourceKind.STACK,
            "resource": described,
            "template": template,
            "shown_format": TemplateFormat(shown),
            "formats": TemplateFormat,
        }
        return render(request, "resources/stack.html", context)

    return _resource_page(
        request, cluster, ResourceKind.STACK, resource_id, _stack_with_template, respond
    )


@with_cluster
def stack_template(request, cluster, stack, resource_id, template_format):
    """The stack's template as a file, in YAML or JSON, ready for `aws cloudformation deploy`."""
    template_format = TemplateFormat(template_format)

    def download(template):
        if template_format == TemplateFormat.JSON:
            body, content_type = template.as_json, "application/json"
        else:
            body, content_type = template.as_yaml, "application/yaml"
        response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        file_name = f"{template.stack_name}.{template_format}"
        response["Content-Disposition"] = content_disposition_header(True, file_name)
        return response

    return _resource_page(
        request, cluster, ResourceKind.STACK, resource_id, reads.stack_template, download
    )

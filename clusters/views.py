"""The console's pages: one function per URL, each page serving its own htmx fragments."""

import functools
import re

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from resources.forms import KeyPairForm

from . import inventory, provisioning
from .aws import AwsError
from .configuration import DeleteRequest, ScaleRequest
from .forms import (
    DeleteClusterForm,
    DeregisterForm,
    Ec2LinuxClusterForm,
    Ec2WindowsClusterForm,
    NetworkingOnlyClusterForm,
    ScaleInstancesForm,
    TagFormSet,
    TemplateChoiceForm,
    WizardOptions,
)
from .middleware import is_ecs_region
from .models import Operation, Template
from .tasks import start_operation

CONFIGURE_FORMS = {
    Template.NETWORKING_ONLY: NetworkingOnlyClusterForm,
    Template.EC2_LINUX: Ec2LinuxClusterForm,
    Template.EC2_WINDOWS: Ec2WindowsClusterForm,
}
TEMPLATE_CARDS = [
    {
        "template": Template.NETWORKING_ONLY,
        "subtitle": "Powered by AWS Fargate",
        "resources": ["Cluster", "VPC (optional)", "Subnets (optional)"],
        "body": "Create an empty cluster for Fargate or external workloads, with an optional new "
        "VPC. The cluster uses the FARGATE and FARGATE_SPOT capacity providers.",
    },
    {
        "template": Template.EC2_LINUX,
        "subtitle": "",
        "resources": ["Cluster", "VPC", "Subnets", "Auto Scaling group with Linux AMI"],
        "body": "Create a cluster of EC2 instances running Linux containers, started and kept "
        "at the size you choose by an Auto Scaling group.",
    },
    {
        "template": Template.EC2_WINDOWS,
        "subtitle": "",
        "resources": ["Cluster", "VPC", "Subnets", "Auto Scaling group with Windows AMI"],
        "body": "Create a cluster of EC2 instances running Windows containers, started and kept "
        "at the size you choose by an Auto Scaling group.",
    },
]


@require_POST
def choose_region(request):
    region = request.POST.get("region", "")
    if is_ecs_region(region):
        request.session["region"] = region
    return redirect("clusters:list")


def cluster_list(request):
    try:
        clusters = inventory.clusters(request.region)
        error = None
    except AwsError as aws_error:
        clusters, error = [], str(aws_error)
    return render(request, "clusters/cluster_list.html", {"clusters": clusters, "error": error})


@require_http_methods(["GET", "POST"])
def choose_template(request):
    form = TemplateChoiceForm(request.POST or None, initial={"template": Template.EC2_LINUX})
    if form.is_valid():
        return redirect("clusters:configure", template=form.cleaned_data["template"])
    cards = [{**card, "label": card["template"].label} for card in TEMPLATE_CARDS]
    return render(request, "clusters/choose_template.html", {"form": form, "cards": cards})


@require_http_methods(["GET", "POST"])
def configure_cluster(request, template):
    form_class = CONFIGURE_FORMS.get(template)
    if form_class is None:
        raise Http404("No such cluster template")
    data = request.POST if request.method == "POST" else None
    options = WizardOptions(request.region, template=template)

    if data is not None and ("_add_tag" in data or "_remove_tag" in data):
        # Add tag and Remove are submit buttons, so they work without JavaScript: the page
        # comes back as typed, with the row added or removed, and nothing judged yet.
        form = form_class(initial=form_class.initial_from(data), options=options)
        rows = TagFormSet.rows_from(data, add="_add_tag" in data, remove=data.get("_remove_tag"))
        tags = TagFormSet(prefix="tags", initial=rows)
        tags.extra = 0 if rows else 1
    else:
        form = form_class(data, options=options)
        tags = TagFormSet(data, prefix="tags")
        if data is not None:
            valid = all([form.is_valid(), tags.is_valid()])
            if request.htmx and "_validate" in data:
                return _field_messages(request, form, tags, data["_validate"])
            if valid:
                return _start_and_show(
                    request,
                    Operation.Action.CREATE,
                    form.cleaned_data["cluster_name"],
                    form.configuration(tags.tags),
                    template=template,
                )

    context = {
        "form": form,
        "tags": tags,
        "options": options,
        "template": Template(template),
        "key_pair_form": KeyPairForm(),
    }
    return render(request, "clusters/configure.html", context)


def _field_messages(request, form, tags, name):
    """What the page says about one field as the person leaves it: its message slot (and the
    inbound rule's warning), never an input, so nothing typed since can be overwritten."""
    field = None
    if name in form.fields:
        field = form[name]
    else:
        match = re.fullmatch(r"tags-(\d{1,3})-(key|value)", name)
        if match and int(match.group(1)) < len(tags.forms):
            field = tags.forms[int(match.group(1))][match.group(2)]
    context = {"form": form, "checked_field": field}
    return render(request, "clusters/configure.html#field-messages", context)


def operation_status(request, pk):
    operation = get_object_or_404(Operation.objects.prefetch_related("steps"), pk=pk)
    context = {"operation": operation}
    if request.htmx:
        response = render(request, "clusters/operation.html#status", context)
        if operation.has_ended:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "clusters/operation.html", context)


CLUSTER_TABS = {
    "services": "Services",
    "tasks": "Tasks",
    "ecs-instances": "ECS Instances",
    "metrics": "Metrics",
    "scheduled-tasks": "Scheduled Tasks",
    "tags": "Tags",
    "capacity-providers": "Capacity Providers",
}


def _cluster_or_404(request, name):
    """The cluster of that name in the person's region, live from ECS."""
    cluster = inventory.cluster(request.region, name)
    if cluster is None or cluster["status"] == "INACTIVE":
        raise Http404(f"No cluster {name} in {request.region}")
    return cluster


def _tab_content(tab, region, cluster, query):
    """What one tab shows, read live from AWS for that tab only."""
    name = cluster["clusterName"]
    if tab == "services":
        return {"services": inventory.services(region, name)}
    if tab == "tasks":
        return {"tasks": inventory.tasks(region, name)}
    if tab == "ecs-instances":
        instances = inventory.container_instances(region, name)
        shown = [row for row in instances if _matches(row, query)] if query else instances
        return {"instances": shown, "instance_total": len(instances)}
    if tab == "scheduled-tasks":
        return {"rules": inventory.scheduled_task_rules(region, cluster["clusterArn"])}
    if tab == "capacity-providers":
        strategy = {
            item["capacityProvider"]: item for item in cluster.get("defaultCapacityProviderStrategy", [])
        }
        return {
            "providers": [
                {"name": name, **strategy.get(name, {})} for name in cluster.get("capacityProviders", [])
            ]
        }
    return {}


def _matches(row, query):
    words = (row["id"], row["ec2_instance_id"], row["availability_zone"], row["status"])
    return any(query.lower() in word.lower() for word in words)


def with_cluster(view):
    """Read the cluster and its wizard stack live for the view, or say why they could not be."""

    @functools.wraps(view)
    def wrapper(request, name, *args, **kwargs):
        try:
            cluster = _cluster_or_404(request, name)
            stack = inventory.wizard_stack(request.region, name)
        except AwsError as error:
            messages.error(request, f"Could not read cluster {name}: {error}")
            return redirect("clusters:list")
        return view(request, cluster, stack, *args, **kwargs)

    return wrapper


def _start_and_show(request, action, cluster_name, asked, template=""):
    """Record what the person asked, send it to a worker, and show its progress."""
    operation = Operation.objects.start(
        action=action,
        cluster_name=cluster_name,
        region=request.region,
        user=request.user,
        template=template,
        request=asked,
    )
    start_operation(operation)
    return redirect(operation)


@with_cluster
def cluster_detail(request, cluster, stack, tab="services"):
    if tab not in CLUSTER_TABS:
        raise Http404("No such tab")
    name = cluster["clusterName"]
    query = request.GET.get("q", "").strip()
    statistics = inventory.statistics(cluster)
    context = {
        "cluster": cluster,
        "statistics": statistics,
        "draining_services": statistics.get("drainingEC2ServiceCount", 0)
        + statistics.get("drainingFargateServiceCount", 0),
        "stack": stack,
        "tab": tab,
        "tabs": CLUSTER_TABS,
        "query": query,
        "operations": Operation.objects.for_cluster(request.region, name).unfinished(),
    }
    try:
        context.update(_tab_content(tab, request.region, cluster, query))
    except AwsError as error:
        context["tab_error"] = str(error)
    if tab == "ecs-instances":
        context["instances_settling"] = _instances_settling(context)
    if request.htmx:
        response = render(request, "clusters/cluster_detail.html#cluster-body", context)
        if tab == "ecs-instances" and not context["instances_settling"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "clusters/cluster_detail.html", context)


def _instances_settling(context):
    """Whether instances are still joining or leaving, so the ECS Instances tab keeps polling."""
    if context.get("tab_error"):
        return False
    if context["operations"]:
        return True
    rows = context.get("instances", [])
    if any(row["status"] != "ACTIVE" or not row["agent_connected"] for row in rows):
        return True
    stack = context["stack"]
    return bool(stack) and stack["desired_count"] != context.get("instance_total")


@require_http_methods(["GET", "POST"])
def container_instance_detail(request, name, instance_id):
    try:
        _cluster_or_404(request, name)
        found = inventory.container_instances(request.region, name, ids=[instance_id])
    except AwsError as error:
        if error.code in ("InvalidParameterException", "ClientException"):
            raise Http404(str(error)) from error
        messages.error(request, str(error))
        return redirect("clusters:detail_tab", name=name, tab="ecs-instances")
    if not found:
        raise Http404(f"No container instance {instance_id} in {name}")
    instance = found[0]
    form = DeregisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            provisioning.deregister_container_instance(
                request.region, name, instance["arn"], force=form.cleaned_data["force"]
            )
        except AwsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Container instance {instance_id} deregistered.")
            return redirect("clusters:detail_tab", name=name, tab="ecs-instances")
    context = {"cluster_name": name, "instance": instance, "form": form}
    return render(request, "clusters/container_instance.html", context)


@require_http_methods(["GET", "POST"])
@with_cluster
def scale_instances(request, cluster, stack):
    name = cluster["clusterName"]
    if stack is None:
        messages.error(
            request,
            f"Cluster {name} has no stack made by the Create Cluster wizard: scale its "
            "instances where they were made.",
        )
        return redirect("clusters:detail_tab", name=name, tab="ecs-instances")
    form = ScaleInstancesForm(
        request.POST or None, initial={"instance_count": stack["desired_count"]}
    )
    if request.method == "POST" and form.is_valid():
        asked = ScaleRequest(instance_count=form.cleaned_data["instance_count"])
        return _start_and_show(request, Operation.Action.SCALE, name, asked)
    context = {"cluster": cluster, "stack": stack, "form": form}
    return render(request, "clusters/scale_instances.html", context)


@require_http_methods(["GET", "POST"])
@with_cluster
def delete_cluster(request, cluster, stack):
    form = DeleteClusterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        asked = DeleteRequest(has_stack=stack is not None)
        return _start_and_show(request, Operation.Action.DELETE, cluster["clusterName"], asked)
    context = {"cluster": cluster, "stack": stack, "form": form}
    return render(request, "clusters/delete_cluster.html", context)

"""The console's pages: one function per URL, each page serving its own htmx fragments."""

import functools
import hashlib
import re
from typing import NamedTuple

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseLocation,
    HttpResponseStopPolling,
    trigger_client_event,
)

from accounts.models import AwsIdentity

from . import charts, inventory, plan, provisioning
from .aws import AwsError, account_id
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
    is_cluster_name,
    is_container_instance_id,
)
from .middleware import is_ecs_region
from .models import STACK_RESOURCE_ROWS, Deregistration, Operation, Template
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
    # Kept after a cluster is gone, so a delete's own status page stays reachable.
    recent = Operation.objects.in_region(account_id(), request.region).prefetch_related("steps")[
        :RECENT_OPERATIONS_LENGTH
    ]
    context = {"clusters": clusters, "error": error, "recent_operations": recent}
    return render(request, "clusters/cluster_list.html", context)


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
    options = WizardOptions(request.region, template=template, as_shown=data is not None)
    preview = None

    if data is not None and ("_add_tag" in data or "_remove_tag" in data):
        # Add tag and Remove are submit buttons, so they work without JavaScript: the page
        # comes back as typed, with the row added or removed, and nothing judged yet.
        form = form_class(initial=form_class.initial_from(data), options=options)
        rows = TagFormSet.rows_from(data, add="_add_tag" in data, remove=data.get("_remove_tag"))
        tags = TagFormSet(prefix="tags", initial=rows)
        tags.extra = 0 if rows else 1
    else:
        form = form_class(data, options=options)
        tags = TagFormSet(data, prefix="tags", form_kwargs={"stack_tags": form.makes_stack})
        if data is not None:
            valid = all([form.is_valid(), tags.is_valid()])
            if request.htmx and "_validate" in data:
                return _field_messages(request, form, tags, data["_validate"])
            if valid and "_preview" in data:
                # The page again, as typed, with the calls Create would make.
                preview = plan.preview(
                    form.cleaned_data["cluster_name"], form.configuration(tags.tags)
                )
            elif valid:
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
        "preview": preview,
    }
    return render(request, "clusters/configure.html", context)


def _field_messages(request, form, tags, name):
    """What the page says about one field as the person leaves it: its message slot (and the
    inbound rule's warning), never an input, so nothing typed since can be overwritten."""
    field = None
    if name in form.fields:
        field = form[name]
    else:
        match = re.fullmatch(r"tags-([0-9]{1,3})-(key|value)", name)
        if match and int(match.group(1)) < len(tags.forms):
            field = tags.forms[int(match.group(1))][match.group(2)]
    context = {"form": form, "checked_field": field}
    return render(request, "clusters/configure.html#field-messages", context)


def operation_status(request, pk):
    # Only the person's account's, and what they started in another's (a trainer's Reset of a
    # learner): another's operation is not there, whatever its number. The account is read
    # inside the one query, so the poll stays at three.
    theirs = Operation.objects.seen_by(request.user, AwsIdentity.objects.account_of(request.user))
    operation = theirs.with_steps(pk)
    if operation is None:
        raise NotFound(f"There is no launch, scaling or deletion numbered {pk}.")
    context = {"operation": operation}
    if (
        operation.action == Operation.Action.RESET
        and operation.request.owner != request.user.get_username()
    ):
        # A trainer's Reset of a learner: part of the Class (side navigation and breadcrumb).
        context["nav_section"] = "classroom"
    if request.htmx:
        response = render(request, "clusters/operation.html#status", context)
        if operation.has_ended:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    if operation.action == Operation.Action.CREATE:
        context["sent"] = plan.preview(
            operation.cluster_name, operation.request, operation.request_token
        )
    return render(request, "clusters/operation.html", context)


class NotFound(Http404):
    """A console page that does not exist, told in one sentence with a way back."""

    def __init__(self, sentence, back=None, crumbs=()):
        super().__init__(sentence)
        self.sentence = sentence
        # (label, url) of the page to go back to, and of the crumbs before "Not found".
        self.back = back or ("Clusters", reverse("clusters:list"))
        self.crumbs = crumbs


def page_not_found(request, exception):
    """Django's 404 handler: every missing page is a console page with a way back."""
    if not isinstance(exception, NotFound):
        exception = NotFound(f"There is no page at {request.path}.")
    context = {"sentence": exception.sentence, "back": exception.back, "crumbs": exception.crumbs}
    response = render(request, "404.html", context, status=404)
    if request.htmx:
        # A poll or a tab whose cluster has just gone: show the whole page that says so.
        response["HX-Redirect"] = request.get_full_path()
    return response


CLUSTER_TABS = {
    "services": "Services",
    "tasks": "Tasks",
    "ecs-instances": "ECS Instances",
    "metrics": "Metrics",
    "scheduled-tasks": "Scheduled Tasks",
    "tags": "Tags",
    "capacity-providers": "Capacity Providers",
}


def with_cluster(view):
    """Read the live cluster and its wizard stack for the view: a 404 when ECS has no such
    cluster, the Clusters page with AWS's reason when AWS could not answer."""

    @functools.wraps(view)
    def wrapper(request, name, *args, **kwargs):
        if not is_cluster_name(name):
            raise NotFound(f"There is no cluster {name} in {request.region}.")
        try:
            cluster = inventory.cluster(request.region, name)
            stack = inventory.wizard_stack(request.region, name) if cluster else None
        except AwsError as error:
            messages.error(request, f"Could not read cluster {name}: {error}")
            return redirect("clusters:list")
        if cluster is None:
            raise NotFound(f"There is no cluster {name} in {request.region}.")
        return view(request, cluster, stack, *args, **kwargs)

    return wrapper


def cluster_crumbs(cluster):
    return [("Clusters", reverse("clusters:list")), (cluster.name, cluster_url(cluster.name))]


def cluster_url(name, tab=None):
    if tab is None:
        return reverse("clusters:detail", args=[name])
    return reverse("clusters:detail_tab", args=[name, tab])


# The ECS Instances tab keeps watching its cluster: every POLL_WATCHING_SECONDS after anything
# changed or while something is on its way, every POLL_RESTING_SECONDS once an answer came back
# unchanged. Reads are shared for SHARED_READ_SECONDS (2 s), so a host that registers is in every
# open tab within that plus the resting pace: 4.5 s.
POLL_WATCHING_SECONDS = 2
POLL_RESTING_SECONDS = 2.5


class RowLink(NamedTuple):
    """A URL whose last argument is each row's id: `head` + id + `tail`. Reversing the URL for
    each of 1,000 rows was half of the ECS Instances tab's rendering."""

    head: str
    tail: str

    @classmethod
    def to(cls, view_name, *args):
        marker = "ROW-ID"
        head, tail = reverse(view_name, args=[*args, marker]).rsplit(marker, 1)
        return cls(head, tail)


def _tab_content(request, tab, cluster, stack, query, busy=False):
    """What one tab shows, read live from AWS for that tab only (the ECS Instances tab's read
    is shared by every viewer of the cluster)."""
    region = request.region
    if tab == "services":
        return {"services": inventory.services(region, cluster.name)}
    if tab == "tasks":
        return {"tasks": inventory.tasks(region, cluster.name)}
    if tab == "ecs-instances":
        instances = inventory.cluster_instances(
            region,
            cluster,
            group_name=stack.auto_scaling_group if stack else None,
            deregistered=Deregistration.objects.for_cluster(
                account_id(), region, cluster.name
            ).ec2_instance_ids(),
            busy=busy,
        )
        shown = instances.container_instances
        if query:
            shown = [row for row in shown if row.matches(query)]
        return {
            "instances": instances,
            "shown": shown,
            "instance_link": RowLink.to("clusters:container_instance", cluster.name),
            "ec2_link": RowLink.to("resources:ec2_instance", cluster.name),
        }
    if tab == "scheduled-tasks":
        return {"rules": inventory.scheduled_task_rules(region, cluster.arn)}
    if tab == "metrics" and cluster.container_insights:
        metrics = inventory.cluster_metrics(region, cluster.name)
        return {
            "metrics": metrics,
            "charts": [charts.line_chart(s, metrics.start, metrics.end) for s in metrics.series],
        }
    return {}


def _start(request, action, cluster_name, asked, template=""):
    """Record what the person asked and send it to a worker (or queue it behind what already
    runs on the cluster). Asked twice, it is done once: the person is told, and shown the one
    already on its way."""
    operation, is_new = Operation.objects.submit(
        action=action,
        cluster_name=cluster_name,
        region=request.region,
        user=request.user,
        template=template,
        request=asked,
    )
    if is_new:
        start_operation(operation)
    else:
        messages.info(
            request,
            f"{operation.get_action_display()} of {cluster_name} was already asked for and is "
            f"{operation.get_state_display().lower()}: this is its status.",
        )
    return operation


def _start_and_show(request, action, cluster_name, asked, template=""):
    """Record what the person asked, send it to a worker, and show its progress."""
    return redirect(_start(request, action, cluster_name, asked, template))


def _go_to(request, url):
    """Leave a page or a dialog for another page: htmx follows with a full page load."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def page_or_dialog(request, template_name, context):
    """A dialog's full page (without JavaScript), the dialog itself (opened with htmx), or its
    form again with errors (submitted from the dialog)."""
    if not request.htmx:
        return render(request, template_name, context)
    part = "form" if request.method == "POST" else "dialog"
    return render(request, f"{template_name}#{part}", context)


@with_cluster
def cluster_detail(request, cluster, stack, tab="services"):
    if tab not in CLUSTER_TABS:
        raise NotFound(
            f"Cluster {cluster.name} has no tab {tab}.",
            back=(f"Cluster {cluster.name}", cluster_url(cluster.name)),
            crumbs=cluster_crumbs(cluster),
        )
    return _cluster_page(request, cluster, stack, tab)


def _cluster_page(request, cluster, stack, tab, **extra):
    """The cluster page at one tab, or (asked by htmx) its body alone, tabs and tab included."""
    query = request.GET.get("q", "").strip()
    operations = list(
        Operation.objects.for_cluster(account_id(), request.region, cluster.name).unfinished()
    )
    context = {
        "cluster": cluster,
        "stack": stack,
        "tab": tab,
        "tabs": CLUSTER_TABS,
        "query": query,
        "operations": operations,
        **extra,
    }
    try:
        context.update(_tab_content(request, tab, cluster, stack, query, busy=bool(operations)))
    except AwsError as error:
        context["tab_error"] = str(error)
    # Only the ECS Instances tab watches for news; it slows down while nothing changes.
    if "instances" in context:
        context["seen"] = _fingerprint(cluster, context["instances"], operations)
        unchanged = request.GET.get("seen") == context["seen"]
        on_its_way = bool(operations) or context["instances"].still_changing
        resting = unchanged and not on_its_way
        context["pace"] = "resting" if resting else "watching"
        context["poll_seconds"] = POLL_RESTING_SECONDS if resting else POLL_WATCHING_SECONDS
    if request.htmx:
        response = render(request, "clusters/cluster_detail.html#cluster-body", context)
        if "poll_seconds" not in context:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    context.update(_history(request.region, cluster.name))
    return render(request, "clusters/cluster_detail.html", context)


@require_POST
@with_cluster
def enable_container_insights(request, cluster, stack):
    """The Metrics tab's Enable Container Insights: UpdateClusterSettings, then the tab again,
    read anew with its charts, or with AWS's reason when AWS said no."""
    metrics_tab = cluster_url(cluster.name, "metrics")
    try:
        provisioning.enable_container_insights(request.region, cluster.name)
    except AwsError as error:
        reason = f"Container Insights could not be enabled: {error}"
        if request.htmx:
            return _cluster_page(request, cluster, stack, "metrics", insights_error=reason)
        messages.error(request, reason)
        return redirect(metrics_tab)
    inventory.forget_cluster(request.region, cluster.name)
    if request.htmx:
        # The tab's own address redraws it, the cluster read anew with its new setting.
        return HttpResponseLocation(metrics_tab, target="#cluster-body", swap="morph")
    messages.success(request, f"Container Insights is enabled for cluster {cluster.name}.")
    return redirect(metrics_tab)


# How many of a cluster's operations its page lists, and of a region's the Clusters page lists.
CLUSTER_HISTORY_LENGTH = 20
RECENT_OPERATIONS_LENGTH = 10


def _history(region, cluster_name):
    """The operations asked of the cluster, newest first, and the launch whose Cluster
    Resources the page lists (read from its rows: no AWS call)."""
    history = list(
        Operation.objects.for_cluster(account_id(), region, cluster_name).prefetch_related("steps")[
            :CLUSTER_HISTORY_LENGTH
        ]
    )
    launch = next(
        (op for op in history if op.action == Operation.Action.CREATE and op.has_succeeded), None
    )
    return {"history": history, "launch": launch}


def _fingerprint(cluster, instances, operations):
    """A short digest of what the ECS Instances tab shows, which its next poll sends back: the
    same digest means nothing changed since."""
    shown = repr((cluster, instances, [(op.pk, op.state) for op in operations]))
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


def _container_instance_or_404(request, cluster, instance_id):
    found = ()
    if is_container_instance_id(instance_id):
        found = inventory.container_instances(request.region, cluster.name, ids=[instance_id])
    if not found:
        raise NotFound(
            f"Cluster {cluster.name} has no container instance {instance_id}.",
            back=("ECS Instances", cluster_url(cluster.name, "ecs-instances")),
            crumbs=cluster_crumbs(cluster),
        )
    return found[0]


@with_cluster
def container_instance_detail(request, cluster, stack, instance_id):
    try:
        instance = _container_instance_or_404(request, cluster, instance_id)
    except AwsError as error:
        messages.error(request, str(error))
        return redirect(cluster_url(cluster.name, "ecs-instances"))
    context = {"cluster": cluster, "instance": instance}
    return render(request, "clusters/container_instance.html", context)


@require_http_methods(["GET", "POST"])
@with_cluster
def deregister_container_instance(request, cluster, stack, instance_id):
    instances_tab = cluster_url(cluster.name, "ecs-instances")
    try:
        instance = _container_instance_or_404(request, cluster, instance_id)
    except AwsError as error:
        messages.error(request, str(error))
        return _go_to(request, instances_tab)
    if not instance.status.is_counted:
        messages.info(request, f"Container instance {instance.id} is {instance.status}.")
        return _go_to(
            request, reverse("clusters:container_instance", args=[cluster.name, instance.id])
        )
    form = DeregisterForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            provisioning.deregister_container_instance(
                request.region, cluster.name, instance.arn, force=form.cleaned_data["force"]
            )
        except AwsError as error:
            form.add_error(None, str(error))
        else:
            Deregistration.objects.create(
                account_id=account_id(),
                region=request.region,
                cluster_name=cluster.name,
                container_instance_arn=instance.arn,
                ec2_instance_id=instance.ec2_instance_id,
                created_by=request.user,
            )
            inventory.forget_cluster(request.region, cluster.name)
            messages.success(request, f"Container instance {instance.id} deregistered.")
            return _go_to(request, instances_tab)
    context = {"cluster": cluster, "instance": instance, "form": form}
    return page_or_dialog(request, "clusters/deregister.html", context)


@require_http_methods(["GET", "POST"])
@with_cluster
def scale_instances(request, cluster, stack):
    instances_tab = cluster_url(cluster.name, "ecs-instances")
    if stack is None or stack.auto_scaling_group is None:
        messages.error(
            request,
            f"Cluster {cluster.name} has no Auto Scaling group made by the Create Cluster "
            "wizard: scale its instances where they were made.",
        )
        return _go_to(request, instances_tab)
    form = ScaleInstancesForm(
        request.POST if request.method == "POST" else None,
        initial={"instance_count": stack.desired_count},
    )
    if form.is_valid():
        asked = ScaleRequest(instance_count=form.cleaned_data["instance_count"])
        _start(request, Operation.Action.SCALE, cluster.name, asked)
        if request.htmx:
            # Close the dialog and redraw the tab below it, where the instances arrive.
            response = HttpResponseLocation(instances_tab, target="#cluster-body", swap="morph")
            return trigger_client_event(response, "closeDialog")
        return redirect(instances_tab)
    context = {"cluster": cluster, "stack": stack, "form": form}
    return page_or_dialog(request, "clusters/scale_instances.html", context)


@require_http_methods(["GET", "POST"])
@with_cluster
def delete_cluster(request, cluster, stack):
    form = DeleteClusterForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        asked = DeleteRequest()
        operation = _start(request, Operation.Action.DELETE, cluster.name, asked)
        return _go_to(request, operation.get_absolute_url())
    context = {"cluster": cluster, "stack": stack, "form": form}
    if stack and not (request.htmx and request.method == "POST"):
        try:
            context["stack_resources"] = _what_deleting_the_stack_removes(request.region, stack)
        except AwsError as error:
            context["stack_error"] = str(error)
    return page_or_dialog(request, "clusters/delete_cluster.html", context)


def _what_deleting_the_stack_removes(region, stack):
    """(label, id) of each resource the wizard's stack holds, in the Launch status order."""
    held = {r.logical_id: r for r in inventory.stack_resources(region, stack.stack_id)}
    rows = [
        (label, held.pop(logical_id).physical_id)
        for label, logical_id in STACK_RESOURCE_ROWS
        if logical_id in held
    ]
    return rows + [(resource.resource_type, resource.physical_id) for resource in held.values()]

"""Every page state of the console passes axe-core's WCAG 2.1 A/AA audit in Chromium, with no
serious or critical violation.

The states are lists, one line each, grouped by the account they need: signed out, an account
with no clusters, a launch AWS refused, and the lab's cluster. To audit a new page or state, add
a `PageState` line to the list whose account it needs; `then` is what the person does on the page
before it is audited (a press of a button, say).
"""

import re
from dataclasses import dataclass
from typing import Callable

import pytest
from playwright.sync_api import Page, expect

from clusters.tasks import start_operation

from .accessibility import assert_accessible
from .waiting import wait_until, wait_until_ended

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]


def press(button_name):
    """The person presses a button that submits the page, and the answer loads."""

    def action(page):
        with page.expect_navigation():
            page.get_by_role("button", name=button_name, exact=True).click()

    return action


def choose_spot_and_the_default_vpc_with_its_subnets(page):
    page.get_by_role("radio", name="Spot").check()
    vpc = page.locator("#id_vpc option", has_text="(default)").get_attribute("value")
    page.locator("#id_vpc").select_option(vpc)
    page.get_by_role("button", name="Select all").click()
    page.get_by_role("button", name="Add tag").click()


def leave_the_cidr_as_the_lab_writes_it(page):
    page.locator("#id_ingress_cidr").fill("0.0.0.0")
    page.locator("#id_ingress_cidr").press("Tab")
    expect(page.locator("#id_ingress_cidr_error")).not_to_be_empty()


def open_dialog(opener_name):
    """The person opens a dialog over the page, and it shows."""

    def action(page):
        page.get_by_role("link", name=opener_name, exact=True).click()
        expect(page.locator("dialog[open]")).to_be_visible()

    return action


def read_the_host(page):
    """The person presses Read the host, and the host's answers arrive in the panel."""
    page.get_by_role("button", name=re.compile(r"^Read the host")).click()
    expect(page.locator(".host-summary")).to_have_text(
        re.compile(r"^The host answered at "), timeout=30_000
    )


def enable_container_insights(page):
    """The person enables Container Insights on the Metrics tab, and its charts come in."""
    page.get_by_role("button", name="Enable Container Insights").click()
    expect(page.locator(".metric-chart")).to_have_count(4)


def sign_in_wrongly(page):
    page.get_by_label("User name").fill("lab")
    page.get_by_label("Password").fill("not the password")
    press("Sign in")(page)


def sign_in_wrongly_until_paused(page):
    """Wrong passwords for one name until sign-in pauses for it (5 with the console's limits)."""
    for _ in range(5):
        page.get_by_label("User name").fill("learner")
        page.get_by_label("Password").fill("not the password")
        press("Sign in")(page)
        if page.get_by_role("heading", name="Sign-in paused").count():
            return
    raise AssertionError("Five wrong passwords did not pause sign-in")


@dataclass(frozen=True)
class PageState:
    name: str
    # The page's path; {names} in it are filled from what the account's fixture made.
    path: str
    then: Callable[[Page], None] | None = None


CONFIGURE = "/create-cluster"
CLUSTER = "/clusters/demo-cluster"
STACK = "EC2ContainerService-demo-cluster"

SIGNED_OUT = [
    PageState("Sign in", "/login/"),
    PageState("Sign in, wrong password", "/login/", then=sign_in_wrongly),
    PageState("Sign-in paused", "/login/", then=sign_in_wrongly_until_paused),
]

NO_CLUSTERS = [
    PageState("Get started", "/firstrun/"),
    PageState("Clusters, none yet", "/clusters/"),
    PageState("Select cluster template", f"{CONFIGURE}/"),
    PageState("Configure cluster: Networking only", f"{CONFIGURE}/fargate/"),
    PageState("Configure cluster: EC2 Linux + Networking", f"{CONFIGURE}/ec2-linux/"),
    PageState("Configure cluster: EC2 Windows + Networking", f"{CONFIGURE}/ec2-windows/"),
    PageState("Configure: Networking only, errors", f"{CONFIGURE}/fargate/", then=press("Create")),
    PageState("Configure: EC2 Linux, errors", f"{CONFIGURE}/ec2-linux/", then=press("Create")),
    PageState("Configure: EC2 Windows, errors", f"{CONFIGURE}/ec2-windows/", then=press("Create")),
    PageState(
        "Configure: Spot, the default VPC's subnets, two tag rows",
        f"{CONFIGURE}/ec2-linux/",
        then=choose_spot_and_the_default_vpc_with_its_subnets,
    ),
    PageState(
        "Configure: a CIDR block checked as it is left",
        f"{CONFIGURE}/ec2-linux/",
        then=leave_the_cidr_as_the_lab_writes_it,
    ),
    PageState(
        "Configure: Create key pair dialog",
        f"{CONFIGURE}/ec2-linux/",
        then=open_dialog("Create a new key pair"),
    ),
    PageState("Create key pair page", "/key-pairs/new/"),
    PageState("Launch status: in progress", "{launch_in_progress}"),
    PageState("Page not found", "/clusters/no-such-cluster/"),
]

REFUSED_LAUNCH = [
    PageState("Launch status: failed", "{refused_launch}"),
]

LAB_CLUSTER = [
    PageState("Clusters, with demo-cluster", "/clusters/"),
    PageState("Launch status: succeeded", "{lab_launch}"),
    PageState("Cluster page: Services tab", f"{CLUSTER}/services/"),
    PageState("Cluster page: Tasks tab", f"{CLUSTER}/tasks/"),
    PageState("Cluster page: ECS Instances tab", f"{CLUSTER}/ecs-instances/"),
    PageState("Cluster page: Metrics tab", f"{CLUSTER}/metrics/"),
    PageState(
        "Cluster page: Metrics tab, Container Insights enabled",
        f"{CLUSTER}/metrics/",
        then=enable_container_insights,
    ),
    PageState("Cluster page: Scheduled Tasks tab", f"{CLUSTER}/scheduled-tasks/"),
    PageState("Cluster page: Tags tab", f"{CLUSTER}/tags/"),
    PageState("Cluster page: Capacity Providers tab", f"{CLUSTER}/capacity-providers/"),
    PageState("Container instance", f"{CLUSTER}/container-instances/{{container_instance}}/"),
    PageState(
        "Container instance: the host read through SSM",
        f"{CLUSTER}/container-instances/{{container_instance}}/",
        then=read_the_host,
    ),
    PageState("What was created", f"{CLUSTER}/what-was-created/"),
    PageState("What was created: the host read", f"{CLUSTER}/what-was-created/", then=read_the_host),
    PageState("Scale ECS Instances", f"{CLUSTER}/scale/"),
    PageState(
        "Scale ECS Instances dialog",
        f"{CLUSTER}/ecs-instances/",
        then=open_dialog("Scale ECS Instances"),
    ),
    PageState("Delete cluster", f"{CLUSTER}/delete/"),
    PageState("Delete cluster dialog", f"{CLUSTER}/", then=open_dialog("Delete Cluster")),
    PageState(
        "Deregister", f"{CLUSTER}/container-instances/{{container_instance}}/deregister/"
    ),
    PageState(
        "Deregister dialog",
        f"{CLUSTER}/container-instances/{{container_instance}}/",
        then=open_dialog("Deregister"),
    ),
    PageState("EC2 instance", f"{CLUSTER}/ec2-instances/{{ec2_instance}}/"),
    PageState("Auto Scaling group", f"{CLUSTER}/auto-scaling-groups/{{auto_scaling_group}}/"),
    PageState("Launch template", f"{CLUSTER}/launch-templates/{{launch_template}}/"),
    PageState("Security group", f"{CLUSTER}/security-groups/{{security_group}}/"),
    PageState("IAM role", f"{CLUSTER}/iam-roles/ecsInstanceRole/"),
    PageState("CloudFormation stack", f"{CLUSTER}/stacks/{STACK}/"),
    PageState("CloudFormation stack, template as JSON", f"{CLUSTER}/stacks/{STACK}/?template=json"),
    PageState("Resource not found", f"{CLUSTER}/security-groups/sg-0123456789abcdef0/"),
]


def audit_each(page, base_url, states, subtests, **made):
    """Open each state and audit it; every state is reported, whichever fail."""
    for state in states:
        with subtests.test(state.name):
            page.goto(base_url + state.path.format(**made))
            if state.then:
                state.then(page)
            assert_accessible(page, state.name)


def test_the_signed_out_pages_pass_axe(page, live_server, console_user, subtests):
    audit_each(page, live_server.url, SIGNED_OUT, subtests)


def test_the_pages_of_an_account_with_no_clusters_pass_axe(
    cloud, signed_in_page, live_server, lab_launch, subtests
):
    # Recorded and never sent to a worker: its steps stay in progress.
    launch_in_progress = lab_launch("demo-cluster").get_absolute_url()

    audit_each(
        signed_in_page, live_server.url, NO_CLUSTERS, subtests,
        launch_in_progress=launch_in_progress,
    )


def test_the_status_of_a_launch_aws_refused_passes_axe(
    instance_profile_holding_another_role, signed_in_page, live_server, celery_worker,
    lab_launch, subtests,
):
    refused = lab_launch("refused-cluster")
    start_operation(refused)
    # IAM refuses the role, and the steps after it never start.
    wait_until(
        lambda: refused.has_ended,
        60,
        "the worker to end the launch (its log: test-artifacts/logs/celery-worker.log)",
        interval=0.1,
    )
    assert refused.has_failed

    audit_each(
        signed_in_page, live_server.url, REFUSED_LAUNCH, subtests,
        refused_launch=refused.get_absolute_url(),
    )


def test_the_pages_of_the_lab_cluster_pass_axe(
    cloud, signed_in_page, live_server, celery_worker, lab_launch, subtests
):
    launch = lab_launch("demo-cluster")
    start_operation(launch)
    wait_until_ended(launch)
    assert launch.has_succeeded, list(launch.steps.values_list("kind", "state", "message"))
    ecs = cloud("ecs")
    (arn,) = wait_until(
        lambda: ecs.list_container_instances(cluster="demo-cluster")["containerInstanceArns"],
        60,
        "the local cloud's agent to register demo-cluster's instance",
        interval=0.2,
    )

    (container_instance,) = ecs.describe_container_instances(
        cluster="demo-cluster", containerInstances=[arn]
    )["containerInstances"]
    made = launch.step("stack").outputs["resources"]

    audit_each(
        signed_in_page, live_server.url, LAB_CLUSTER, subtests,
        lab_launch=launch.get_absolute_url(),
        container_instance=arn.rsplit("/", 1)[-1],
        ec2_instance=container_instance["ec2InstanceId"],
        auto_scaling_group=made["EcsInstanceAsg"],
        launch_template=made["EcsInstanceLaunchTemplate"],
        security_group=made["EcsSecurityGroup"],
    )

"""The Create Cluster wizard in Chromium: from Clusters through Launch status to the cluster."""

import re

import pytest
from playwright.sync_api import expect
from tests.lab import CLUSTER_RESOURCE_LABELS

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

# How long a launch may take on a busy 2-core machine; each wait ends as soon as it can.
LAUNCH_MS = 60_000
SUCCEEDED = re.compile(r"\bstatus-succeeded\b")
FAILED = re.compile(r"\bstatus-failed\b")


@pytest.fixture
def launch(signed_in_page, celery_worker, cloud):
    """The lab's walk through the wizard: one t2.micro in a new VPC with SSH open, then Create."""

    def submit(cluster_name):
        page = signed_in_page
        page.locator(".page-header").get_by_role("link", name="Create Cluster").click()
        expect(page.get_by_role("heading", name="Select cluster template")).to_be_visible()
        page.locator("input[name=template][value=ec2-linux]").check()
        page.get_by_role("button", name="Next step").click()

        expect(page.get_by_role("heading", name="Configure cluster")).to_be_visible()
        # The AMI list comes from SSM's ECS-optimized AMI parameters.
        expect(page.locator("#id_ami_id")).to_contain_text("Amazon Linux 2 AMI [ami-")
        page.locator("#id_cluster_name").fill(cluster_name)
        page.locator("#id_instance_type").select_option("t2.micro")
        page.locator("#id_instance_count").fill("1")
        expect(page.locator("#id_vpc")).to_have_value("new")
        page.locator("#id_ingress_port").fill("22")
        page.locator("#id_ingress_port").blur()
        # The inbound rules redraw themselves on change, warning about SSH open to the world;
        # waiting for the warning also keeps Create from racing that redraw.
        expect(page.locator("#security-warning")).to_contain_text("over SSH")
        expect(page.locator("#id_ingress_port")).to_have_value("22")
        page.get_by_role("button", name="Create", exact=True).click()

        expect(page.get_by_role("heading", name="Launch status")).to_be_visible()
        return page

    return submit


def test_it_shows_four_green_checks_the_cluster_resources_and_view_cluster(
    launch, cloud, screenshot
):
    page = launch("demo-cluster")

    cluster = page.locator("#step-cluster")
    role = page.locator("#step-instance-role")
    stack = page.locator("#step-stack")
    instances = page.locator("#step-instances")
    for step in (cluster, role, stack, instances):
        expect(step).to_have_class(SUCCEEDED, timeout=LAUNCH_MS)
        expect(step.get_by_role("img", name="Succeeded")).to_be_visible()
    expect(cluster.locator(".status-message")).to_have_text(
        "ECS cluster demo-cluster successfully created"
    )
    expect(role.locator(".status-message")).to_have_text(
        "IAM Policy for the role ecsInstanceRole successfully attached"
    )
    expect(stack.locator(".status-message")).to_have_text(
        "CloudFormation stack EC2ContainerService-demo-cluster and its resources successfully "
        "created"
    )
    expect(instances.locator(".status-message")).to_have_text(
        "1 of 1 instances registered with cluster demo-cluster"
    )
    # All ended: the page stops asking for news.
    expect(page.locator("#operation-status[hx-trigger]")).to_have_count(0)

    resources = page.get_by_role("region", name="Cluster Resources")
    expect(resources.locator("dt")).to_have_text(CLUSTER_RESOURCE_LABELS)

    def resource(label):
        row = resources.locator("div").filter(has=page.get_by_text(label, exact=True))
        return row.locator("dd")

    (group,) = cloud("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    (vpc,) = [v for v in cloud("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]]
    expect(resource("Instance type")).to_have_text("t2.micro")
    expect(resource("Desired number of instances")).to_have_text("1")
    expect(resource("Key pair")).to_have_text("None")
    expect(resource("ECS AMI ID")).to_have_text(re.compile(r"^Amazon Linux 2 AMI \[ami-\w+\]$"))
    expect(resource("VPC")).to_have_text(vpc["VpcId"])
    expect(resource("Launch template")).to_have_text(group["LaunchTemplate"]["LaunchTemplateId"])
    expect(resource("Auto Scaling group")).to_have_text(group["AutoScalingGroupName"])

    view_cluster = page.get_by_role("link", name="View Cluster")
    expect(view_cluster).to_be_enabled()
    screenshot("launch-status")

    view_cluster.click()
    expect(page.get_by_role("heading", name="Cluster : demo-cluster")).to_be_visible()
    expect(page.locator(".figures")).to_contain_text("ACTIVE")


def test_it_shows_a_red_mark_with_the_aws_reason_when_the_instance_profile_holds_another_role(
    instance_profile_holding_another_role, launch, screenshot
):
    page = launch("refused-cluster")

    role = page.locator("#step-instance-role")
    expect(role).to_have_class(FAILED, timeout=LAUNCH_MS)
    expect(role.get_by_role("img", name="Failed")).to_be_visible()
    expect(role.locator(".status-message")).to_have_text(
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    )
    expect(page.locator("#step-cluster")).to_have_class(SUCCEEDED)
    expect(page.locator("#step-stack").get_by_role("img", name="Succeeded")).to_have_count(0)
    expect(page.get_by_role("link", name="View Cluster")).to_be_disabled()
    expect(page.get_by_role("region", name="Cluster Resources")).to_have_count(0)
    screenshot("launch-status")

"""What the lab's cluster is made of, in Chromium: from the cluster page to each resource's page
and back by its breadcrumb, and the stack's template downloaded and deployed again."""

import os
import re
import shlex
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from .conftest import CONTAINER_INSTANCE_ROWS, LOGS
from .waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

STACK = "EC2ContainerService-demo-cluster"
# The AWS CLI in its own virtualenv on the developer's machine; CI deploys with boto3 instead.
# Debian's awscli, which make test installs (scripts/ensure-system-packages).
AWS_CLI = shutil.which("aws") or "aws"
DEPLOY_SECONDS = 120


def cluster_resource(page, label):
    """The link of one row of the cluster page's Cluster Resources."""
    return page.locator("#cluster-resources > div", has=page.locator("dt", has_text=label)).get_by_role(
        "link"
    )


def back_to_the_cluster_by_its_breadcrumb(page):
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="demo-cluster").click()
    expect(page.get_by_role("heading", name="Cluster : demo-cluster")).to_be_visible()


# (row of Cluster Resources, heading of its page, something the page shows for the lab)
RESOURCE_PAGES = [
    ("CloudFormation stack", f"Stack : {STACK}", "CREATE_COMPLETE"),
    ("ECS instance IAM role", "Role : ecsInstanceRole", "AmazonEC2ContainerServiceforEC2Role"),
    ("Security group", re.compile(r"^Security group : sg-"), "SSH"),
    ("Launch template", re.compile(r"^Launch template : lt-"), "ECS_CLUSTER=demo-cluster"),
    ("Auto Scaling group", re.compile(r"^Auto Scaling group : "), "Launching a new EC2 instance"),
]


def test_each_cluster_resource_opens_its_page_and_its_breadcrumb_leads_back(
    demo_cluster, screenshot
):
    page = demo_cluster
    page.get_by_role("link", name="View Cluster").click()
    expect(page.get_by_role("heading", name="Cluster : demo-cluster")).to_be_visible()
    screenshot("cluster-page-resources-and-operations")

    for label, heading, shown in RESOURCE_PAGES:
        cluster_resource(page, label).click()
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text(shown)
        screenshot(label.lower().replace(" ", "-"))
        back_to_the_cluster_by_its_breadcrumb(page)

    page.get_by_role("navigation", name="Cluster tabs").get_by_role(
        "link", name="ECS Instances"
    ).click()
    rows = page.locator(CONTAINER_INSTANCE_ROWS)
    expect(rows).to_have_count(1)
    ec2_instance_id = rows.first.locator("td").nth(1).inner_text()
    rows.first.get_by_role("link", name=ec2_instance_id).click()
    expect(page.get_by_role("heading", name=f"Instance : {ec2_instance_id}")).to_be_visible()
    expect(page.locator("#ecs-optimized")).to_contain_text("Yes")
    expect(page.get_by_label(f"User data of {ec2_instance_id}")).to_contain_text(
        "echo ECS_CLUSTER=demo-cluster >> /etc/ecs/ecs.config"
    )
    screenshot("ec2-instance")
    back_to_the_cluster_by_its_breadcrumb(page)

    # Usable at 1024 px: the widest pages keep every column, scrolling within their panels.
    page.set_viewport_size({"width": 1024, "height": 800})
    for label in ("CloudFormation stack", "Auto Scaling group"):
        cluster_resource(page, label).click()
        expect(page.get_by_role("navigation", name="Breadcrumb")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
        screenshot(f"{label.lower().replace(' ', '-')}-1024")
        back_to_the_cluster_by_its_breadcrumb(page)


def download_template(page, template_format, folder):
    """Open the stack's page from the cluster's and download its template; the file's path."""
    page.get_by_role("link", name="View Cluster").click()
    cluster_resource(page, "CloudFormation stack").click()
    expect(page.get_by_role("heading", name=f"Stack : {STACK}")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Download {template_format.upper()}").click()
    assert download.value.suggested_filename == f"{STACK}.{template_format}"
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    return path


def parameters_of(cloudformation):
    [stack] = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    return [
        {"ParameterKey": p["ParameterKey"], "ParameterValue": p["ParameterValue"]}
        for p in stack["Parameters"]
    ]


def wait_for_create_complete(cloudformation, name):
    def ended():
        status = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        return None if status.endswith("_IN_PROGRESS") else status

    return wait_until(ended, DEPLOY_SECONDS, f"stack {name} to be created", interval=0.2)


@pytest.mark.parametrize("template_format", ["yaml", "json"])
def test_the_downloaded_template_creates_a_stack_as_it_is(
    demo_cluster, cloud, tmp_path, template_format
):
    path = download_template(demo_cluster, template_format, tmp_path)
    cloudformation = cloud("cloudformation")
    copy = f"{STACK}-copy-{template_format}"

    cloudformation.create_stack(
        StackName=copy, TemplateBody=path.read_text(), Parameters=parameters_of(cloudformation)
    )

    assert wait_for_create_complete(cloudformation, copy) == "CREATE_COMPLETE"
    made = {r["ResourceType"] for r in cloudformation.describe_stack_resources(StackName=copy)["StackResources"]}
    assert {"AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::LaunchTemplate"} <= made


def test_the_downloaded_yaml_deploys_with_aws_cloudformation_deploy(
    demo_cluster, cloud, local_cloud_url, tmp_path
):
    """The page's own command, as a person would paste it, with the local cloud's endpoint."""
    path = download_template(demo_cluster, "yaml", tmp_path)
    command = demo_cluster.locator("#deploy-command").inner_text()
    assert command.startswith(f"aws cloudformation deploy --template-file {STACK}.yaml ")

    finished = subprocess.run(
        [AWS_CLI, "--endpoint-url", local_cloud_url, *shlex.split(command)[1:]],
        cwd=tmp_path,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        timeout=DEPLOY_SECONDS,
    )

    (LOGS / "aws-cloudformation-deploy.log").write_text(finished.stdout + finished.stderr)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    status = wait_for_create_complete(cloud("cloudformation"), f"{STACK}-copy")
    assert status == "CREATE_COMPLETE"

"""The cluster page in Chromium: its ECS Instances tab, scaling the instances and deleting the
cluster through the console's dialogs, and tabs that htmx swaps in with their own URLs."""

import json
import re

import pytest
from playwright.sync_api import expect

from clusters.models import Operation

from .conftest import open_ecs_instances_tab

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

# How long a stack update or delete may take on a busy 2-core machine; each wait ends early.
OPERATION_MS = 60_000
SUCCEEDED = re.compile(r"\bstatus-succeeded\b")
RECOMMENDED_AMI = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"


def test_view_cluster_leads_to_an_ecs_instances_tab_listing_the_t2_micro_with_the_amis_agent(
    demo_cluster, cloud, screenshot
):
    page = demo_cluster
    recommended = json.loads(
        cloud("ssm").get_parameter(Name=RECOMMENDED_AMI)["Parameter"]["Value"]
    )
    page.set_viewport_size({"width": 1366, "height": 900})

    rows = open_ecs_instances_tab(page)

    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/clusters/demo-cluster/ecs-instances/$"))
    (arn,) = cloud("ecs").list_container_instances(cluster="demo-cluster")["containerInstanceArns"]
    container_instance = arn.rsplit("/", 1)[-1]
    expect(rows.first.locator("td")).to_have_text(
        [
            container_instance,
            re.compile(r"^i-[0-9a-f]+$"),
            re.compile(r"^us-east-1[a-f]$"),
            "true",
            "ACTIVE",
            "0",
            "1024",
            re.compile(r"^\d+$"),
            recommended["ecs_agent_version"],
            recommended["ecs_runtime_version"],
        ]
    )
    expect(page.locator("#registered-count")).to_have_text("1")
    # One instance wanted, one registered and connected: the tab asks for news at its resting pace.
    expect(page.locator("#cluster-body[data-pace=resting]")).to_have_count(1)
    screenshot("ecs-instances-1366")

    rows.first.get_by_role("link", name=container_instance).click()
    expect(
        page.get_by_role("heading", name=f"Container Instance : {container_instance}")
    ).to_be_visible()


def test_scaling_from_one_to_two_instances_adds_a_second_row_to_the_ecs_instances_tab(
    demo_cluster, screenshot
):
    page = demo_cluster
    rows = open_ecs_instances_tab(page)
    expect(rows).to_have_count(1)

    page.get_by_role("link", name="Scale ECS Instances").click()
    dialog = page.get_by_role("dialog", name="Scale ECS Instances")
    expect(dialog).to_be_visible()
    expect(page.locator("#id_instance_count")).to_have_value("1")
    page.locator("#id_instance_count").fill("2")
    screenshot("scale-dialog")
    dialog.get_by_role("button", name="Scale").click()

    # The dialog closes over the ECS Instances tab, which polls until both instances are in.
    expect(dialog).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/clusters/demo-cluster/ecs-instances/$"))
    expect(rows).to_have_count(2, timeout=OPERATION_MS)
    expect(page.locator("#registered-count")).to_have_text("2")
    expect(page.locator("#cluster-body[data-pace=resting]")).to_have_count(1)
    scale = Operation.objects.get(action=Operation.Action.SCALE)
    assert scale.has_succeeded, list(scale.steps.values_list("kind", "state", "message"))
    ec2_ids = rows.locator("td:nth-child(2)").all_inner_texts()
    assert len(set(ec2_ids)) == 2 and all(i.startswith("i-") for i in ec2_ids), ec2_ids
    screenshot("ecs-instances-after-scaling")

    page.locator("#instance-filter").fill(ec2_ids[1])
    expect(rows).to_have_count(1)
    expect(rows.locator("td:nth-child(2)")).to_have_text(ec2_ids[1])


def test_deleting_with_delete_me_removes_the_cluster_and_its_stack(
    demo_cluster, live_server, cloud, screenshot
):
    page = demo_cluster
    cloudformation = cloud("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName="EC2ContainerService-demo-cluster")[
        "Stacks"
    ]
    page.get_by_role("link", name="View Cluster").click()

    page.get_by_role("link", name="Delete Cluster").click()
    dialog = page.get_by_role("dialog", name="Delete cluster")
    expect(dialog).to_contain_text(
        "Deleting the cluster also deletes the AWS CloudFormation stack "
        "EC2ContainerService-demo-cluster"
    )
    page.locator("#id_confirmation").fill("delete me")
    screenshot("delete-dialog")
    dialog.get_by_role("button", name="Delete").click()

    expect(page.get_by_role("heading", name="Delete cluster: demo-cluster")).to_be_visible()
    stack_step, cluster_step = page.locator("#step-delete-stack"), page.locator(
        "#step-delete-cluster"
    )
    expect(stack_step.locator(".status-title")).to_have_text("CloudFormation Stack")
    expect(cluster_step.locator(".status-title")).to_have_text("ECS cluster")
    for step in (stack_step, cluster_step):
        expect(step).to_have_class(SUCCEEDED, timeout=OPERATION_MS)
        expect(step.get_by_role("img", name="Succeeded")).to_be_visible()
    expect(page.locator("#operation-status[hx-trigger]")).to_have_count(0)
    screenshot("delete-status")

    page.get_by_role("link", name="Back to clusters").click()
    expect(page.get_by_role("heading", name="Clusters", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="demo-cluster")).to_have_count(0)

    (cluster,) = cloud("ecs").describe_clusters(clusters=["demo-cluster"])["clusters"]
    assert cluster["status"] == "INACTIVE"
    (deleted,) = cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"]
    assert deleted["StackStatus"] == "DELETE_COMPLETE"
    # Its page is gone with it.
    assert page.goto(f"{live_server.url}/clusters/demo-cluster/").status == 404


def test_a_tab_click_swaps_the_tab_in_place_and_its_url_shows_the_same_tab(
    signed_in_page, live_server, cloud, screenshot
):
    page = signed_in_page
    cloud("ecs").create_cluster(
        clusterName="tabbed-cluster", tags=[{"key": "team", "value": "platform"}]
    )
    page.goto(f"{live_server.url}/clusters/tabbed-cluster/")
    tabs = page.get_by_role("navigation", name="Cluster tabs")
    expect(tabs.get_by_role("link", name="Services")).to_have_attribute("aria-current", "page")
    # A full page load would forget this; an htmx swap keeps the same document.
    page.evaluate("window.sameDocument = true")

    # By keyboard: to the Tags tab, and Enter.
    tabs.get_by_role("link", name="Services").focus()
    for _ in ("Tasks", "ECS Instances", "Metrics", "Scheduled Tasks", "Tags"):
        page.keyboard.press("Tab")
    expect(tabs.get_by_role("link", name="Tags")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/clusters/tabbed-cluster/tags/")
    panel = page.get_by_role("region", name="Tags")
    expect(panel.locator("tbody tr td")).to_have_text(["team", "platform"])
    expect(tabs.get_by_role("link", name="Tags")).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link", name="Services")).not_to_have_attribute(
        "aria-current", "page"
    )
    assert page.evaluate("window.sameDocument") is True
    # The redraw kept the person where they were, not on <body>.
    expect(tabs.get_by_role("link", name="Tags")).to_be_focused()
    swapped = words(panel.inner_text())
    screenshot("tags-tab")

    page.goto(page.url)

    assert page.evaluate("window.sameDocument") is None
    expect(tabs.get_by_role("link", name="Tags")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("region", name="Tags").locator("tbody tr td")).to_have_text(
        ["team", "platform"]
    )
    assert words(page.get_by_role("region", name="Tags").inner_text()) == swapped


def words(text):
    return text.split()

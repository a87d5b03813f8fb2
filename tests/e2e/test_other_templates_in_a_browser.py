"""The Windows and Networking only templates in Chromium, from Create Cluster to green checks."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

# How long a launch may take on a busy 2-core machine; each wait ends as soon as it can.
LAUNCH_MS = 60_000
SUCCEEDED = re.compile(r"\bstatus-succeeded\b")


def configure(page, template):
    page.locator(".page-header").get_by_role("link", name="Create Cluster").click()
    expect(page.get_by_role("heading", name="Select cluster template")).to_be_visible()
    page.locator(f"input[name=template][value={template}]").check()
    page.get_by_role("button", name="Next step").click()
    expect(page.get_by_role("heading", name="Configure cluster")).to_be_visible()


def test_a_windows_cluster_with_rdp_open_warns_then_launches(
    signed_in_page, celery_worker, cloud, screenshot
):
    page = signed_in_page
    configure(page, "ec2-windows")
    expect(page.locator("#id_ami_id")).to_contain_text("Windows Server 2019 Full AMI [ami-")
    expect(page.get_by_label("EBS storage (GiB)")).to_have_value("50")
    expect(page.locator("#id_key_name")).to_contain_text("None - unable to RDP")
    page.locator("#id_cluster_name").fill("windows-cluster")
    page.locator("#id_instance_type").select_option("t3.medium")
    # The AMI section redraws for the type; Windows stays the default.
    expect(page.locator("#id_ami_id option:checked")).to_contain_text("Windows Server 2019 Full")
    page.locator("#id_ingress_port").fill("3389")
    page.locator("#id_ingress_port").blur()
    expect(page.locator("#security-warning")).to_contain_text("over RDP")
    screenshot("configure")
    page.get_by_role("button", name="Create", exact=True).click()

    expect(page.get_by_role("heading", name="Launch status")).to_be_visible()
    for step in ("cluster", "instance-role", "stack"):
        expect(page.locator(f"#step-{step}")).to_have_class(SUCCEEDED, timeout=LAUNCH_MS)
    resources = page.get_by_role("region", name="Cluster Resources")
    expect(resources).to_contain_text("Windows Server 2019 Full AMI [ami-")
    expect(resources).to_contain_text("Auto Scaling group")
    screenshot("launch-status")
    (group,) = cloud("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert group["DesiredCapacity"] == 1


def test_a_networking_only_cluster_with_a_new_vpc_launches_its_vpc_stack(
    signed_in_page, celery_worker, cloud, screenshot
):
    page = signed_in_page
    configure(page, "fargate")
    expect(page.get_by_role("heading", name="Instance configuration")).to_have_count(0)
    page.locator("#id_cluster_name").fill("fargate-cluster")
    page.get_by_label("Create a new VPC for this cluster").check()
    expect(page.locator("#id_vpc_cidr")).to_have_value("10.0.0.0/16")
    expect(page.locator("#id_subnet2_cidr")).to_have_value("10.0.1.0/24")
    screenshot("configure")
    page.get_by_role("button", name="Create", exact=True).click()

    expect(page.get_by_role("heading", name="Launch status")).to_be_visible()
    for step in ("cluster", "stack"):
        expect(page.locator(f"#step-{step}")).to_have_class(SUCCEEDED, timeout=LAUNCH_MS)
    expect(page.locator("#step-instance-role")).to_have_count(0)
    resources = page.get_by_role("region", name="Cluster Resources")
    expect(resources.locator("dt").first).to_have_text("VPC")
    expect(resources).not_to_contain_text("Auto Scaling group")
    expect(page.get_by_role("link", name="View Cluster")).to_be_enabled()
    screenshot("launch-status")
    (cluster,) = cloud("ecs").describe_clusters(clusters=["fargate-cluster"])["clusters"]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_choosing_spot_shows_its_choices_and_several_instance_types(
    signed_in_page, cloud, screenshot
):
    page = signed_in_page
    configure(page, "ec2-linux")
    page.get_by_label("Spot").check()

    expect(page.locator("#spot-warning")).to_contain_text("Spot Instances can be interrupted.")
    expect(page.get_by_label("Diversified")).to_be_checked()
    page.locator("#id_instance_type").select_option(["t3.micro", "t3a.micro"])
    page.get_by_label("Maximum bid price (per instance/hour)").fill("0.02")
    expect(page.locator("#id_instance_type option:checked")).to_have_count(2)
    screenshot("spot")

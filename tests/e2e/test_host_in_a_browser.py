"""The lab's points 8 and 9 in Chromium: the Host panel reads the host through SSM Run Command
and shows what it printed, and What was created answers all nine points, turning 8 and 9 green
when the host has been read, without a reload."""

import re

import pytest
from playwright.sync_api import expect

from .accessibility import assert_accessible
from .conftest import open_ecs_instances_tab

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

# A read is four SendCommands and a second's polling; a busy 2-core machine may take longer.
READ_MS = 30_000


def test_the_host_panel_shows_ecs_config_and_the_agent_container_read_through_ssm(
    demo_cluster, screenshot
):
    page = demo_cluster
    page.set_viewport_size({"width": 1280, "height": 900})
    rows = open_ecs_instances_tab(page)
    rows.first.locator("td").first.get_by_role("link").click()
    panel = page.get_by_role("region", name="Host")
    expect(panel.get_by_role("status")).to_have_text("The host has not been read yet.")

    panel.get_by_role("button", name="Read the host").click()

    expect(panel.get_by_role("status")).to_have_text(
        re.compile(r"^The host answered at \d\d:\d\d:\d\d UTC\.$"), timeout=READ_MS
    )
    expect(panel.locator("#host-ecs-config pre")).to_have_text(
        "ECS_CLUSTER=demo-cluster\nECS_BACKEND_HOST=\n"
    )
    expect(panel.locator("#host-docker-ps pre")).to_contain_text("amazon/amazon-ecs-agent:latest")
    expect(panel.locator("#host-docker-ps pre")).to_contain_text("ecs-agent")
    expect(panel.locator("#host-agent-logs pre")).to_contain_text(
        "Instance registration completed successfully"
    )
    expect(panel.locator("#host-agent-metadata pre")).to_contain_text('"Cluster":"demo-cluster"')
    # Polling has stopped: the region no longer asks the server.
    expect(page.locator("#host-reading[hx-get]")).to_have_count(0)
    panel.scroll_into_view_if_needed()
    screenshot("host-panel-1280")


def test_what_was_created_answers_the_nine_points_and_the_host_turns_8_and_9_green(
    demo_cluster, screenshot
):
    page = demo_cluster
    page.set_viewport_size({"width": 1280, "height": 900})
    # As the lab does: the host is seen in ECS Instances first (its agent registers it a moment
    # after the stack completes), then the person asks what was created.
    expect(open_ecs_instances_tab(page)).to_have_count(1)

    page.get_by_role("link", name="What was created").click()

    expect(page.get_by_role("heading", name="What was created: demo-cluster")).to_be_visible()
    points = page.locator("li.checklist-point")
    expect(points).to_have_count(9)
    for number in range(1, 8):
        expect(page.locator(f"#point-{number}")).to_have_attribute("data-verdict", "succeeded")
    expect(page.locator("#point-8")).to_have_attribute("data-verdict", "skipped")
    expect(page.locator("#point-5 pre")).to_have_text(
        "#!/bin/bash\necho ECS_CLUSTER=demo-cluster >> /etc/ecs/ecs.config;"
        "echo ECS_BACKEND_HOST= >> /etc/ecs/ecs.config;"
    )
    screenshot("what-was-created-1280")

    page.get_by_role("region", name="Host").get_by_role("button", name="Read the host").click()

    expect(page.locator("#point-8")).to_have_attribute("data-verdict", "succeeded", timeout=READ_MS)
    expect(page.locator("#point-9")).to_have_attribute("data-verdict", "succeeded")
    expect(page.locator("#point-8 pre")).to_have_text(
        "ECS_CLUSTER=demo-cluster\nECS_BACKEND_HOST=\n"
    )
    expect(page.locator("#point-9 pre")).to_contain_text("amazon/amazon-ecs-agent:latest")
    page.locator("#point-8").scroll_into_view_if_needed()
    screenshot("what-was-created-host-read-1280")


def test_a_host_ssm_does_not_manage_shows_aws_reason_and_the_policy_to_attach(
    demo_cluster, cloud, screenshot
):
    page = demo_cluster
    page.set_viewport_size({"width": 1280, "height": 900})
    # Someone takes the SSM policy off the role: Systems Manager no longer hears from the host.
    cloud("iam").detach_role_policy(
        RoleName="ecsInstanceRole",
        PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    )
    rows = open_ecs_instances_tab(page)
    rows.first.locator("td").first.get_by_role("link").click()
    panel = page.get_by_role("region", name="Host")

    panel.get_by_role("button", name="Read the host").click()

    expect(panel.get_by_role("status")).to_have_text(
        re.compile(r"^Systems Manager refused to run the commands on i-"), timeout=READ_MS
    )
    refusal = panel.locator("#host-refusal")
    expect(refusal).to_contain_text(
        re.compile(
            r"InvalidInstanceId: Instances \[\[i-\w+\]\] not in a valid state for account \d+"
        )
    )
    expect(refusal).to_contain_text(
        "aws iam attach-role-policy --role-name ecsInstanceRole --policy-arn "
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    panel.scroll_into_view_if_needed()
    screenshot("host-refused-1280")
    assert_accessible(page, "Container instance: SSM refused the host")

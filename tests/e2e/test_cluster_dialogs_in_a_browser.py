"""Scale ECS Instances, Delete Cluster and Deregister in Chromium: modal dialogs over the page
that take focus in, keep their errors inside, close on Esc or Cancel and give focus back to the
button that opened them."""

import re

import pytest
from playwright.sync_api import expect

from clusters.models import Operation

from .conftest import open_ecs_instances_tab

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

OPERATION_MS = 60_000


def is_modal(dialog):
    return dialog.evaluate("element => element.matches(':modal')")


def test_scale_opens_over_the_tab_keeps_its_errors_inside_and_returns_to_the_tab(
    demo_cluster, screenshot
):
    page = demo_cluster
    rows = open_ecs_instances_tab(page)
    expect(rows).to_have_count(1)
    scale = page.locator("#scale-instances")
    dialog = page.get_by_role("dialog", name="Scale ECS Instances")

    scale.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    assert is_modal(dialog)
    count = page.get_by_label("Desired number of instances")
    expect(count).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(scale).to_be_focused()

    page.keyboard.press("Enter")
    expect(count).to_be_focused()
    count.fill("1001")
    page.keyboard.press("Enter")
    expect(dialog.locator(".field-error")).to_have_text(
        "Ensure this value is less than or equal to 1000."
    )
    assert is_modal(dialog)
    expect(count).to_be_focused()
    screenshot("scale-dialog-error")

    count.fill("2")
    dialog.get_by_role("button", name="Scale").click()

    expect(dialog).to_have_count(0)
    expect(scale).to_be_focused()
    expect(page).to_have_url(re.compile(r"/clusters/demo-cluster/ecs-instances/$"))
    expect(rows).to_have_count(2, timeout=OPERATION_MS)
    expect(page.locator("#cluster-body[data-pace=resting]")).to_have_count(1)
    expect(scale).to_be_focused()
    assert Operation.objects.get(action=Operation.Action.SCALE).config == {"instance_count": 2}


def test_delete_opens_over_the_cluster_names_the_stack_and_goes_to_its_status_page(
    demo_cluster, screenshot
):
    page = demo_cluster
    page.get_by_role("link", name="View Cluster").click()
    delete = page.locator("#delete-cluster")
    dialog = page.get_by_role("dialog", name="Delete cluster")
    confirmation = page.get_by_label("Type delete me to confirm")

    delete.click()
    expect(dialog).to_be_visible()
    assert is_modal(dialog)
    expect(confirmation).to_be_focused()
    expect(dialog.locator(".deleted-resources li").first).to_contain_text("VPC vpc-")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()

    delete.click()
    confirmation.fill("delete")
    page.keyboard.press("Enter")
    expect(dialog.locator(".field-error")).to_have_text(
        "Type delete me, exactly, to delete the cluster."
    )
    expect(confirmation).to_be_focused()
    screenshot("delete-dialog-error")

    confirmation.fill("delete me")
    dialog.get_by_role("button", name="Delete").click()

    expect(page.get_by_role("heading", name="Delete cluster: demo-cluster")).to_be_visible()
    operation = Operation.objects.get(action=Operation.Action.DELETE)
    expect(page).to_have_url(re.compile(rf"/operations/{operation.pk}/$"))


def test_deregister_asks_to_confirm_then_the_tab_shows_the_host_and_stops_polling(
    demo_cluster, screenshot
):
    page = demo_cluster
    expect(open_ecs_instances_tab(page)).to_have_count(1)
    ec2_id = page.locator("#container-instances tbody tr td:nth-child(2) a").inner_text()

    # The container instance's page, where Deregister is, tells of its EC2 instance too.
    page.locator("#container-instances tbody tr td:first-child a").click()
    section = page.locator("#ec2-instance")
    expect(section.get_by_role("heading")).to_have_text(f"EC2 instance {ec2_id}")
    expect(section).to_contain_text("running")
    deregister = page.locator("#deregister")
    dialog = page.get_by_role("dialog", name="Deregister container instance")

    deregister.click()
    expect(dialog).to_contain_text("Are you sure you want to deregister container instance")
    assert is_modal(dialog)
    expect(page.get_by_label("Force deregistration")).to_be_focused()
    screenshot("deregister-dialog")
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(deregister).to_be_focused()
    expect(page.get_by_role("heading", name=re.compile("^Container Instance : "))).to_be_visible()

    deregister.click()
    dialog.get_by_role("button", name="Deregister").click()

    expect(page).to_have_url(re.compile(r"/clusters/demo-cluster/ecs-instances/$"))
    host = page.locator(f"#group-instance-{ec2_id}")
    expect(host.locator("td")).to_contain_text(
        [ec2_id, re.compile("^us-east-1"), "t2.micro", "running", re.compile("ago$"),
         "Running; deregistered from the cluster"]
    )
    expect(page.locator("#registered-count")).to_have_text("0")
    expect(page.locator("#cluster-body[data-pace=resting]")).to_have_count(1)
    screenshot("after-deregister")

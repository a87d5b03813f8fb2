"""Polls redraw the page around the person: focus stays where they are, and the Launch status
has one live region that stays in the page while its words change, so each outcome is spoken."""

import pytest
from playwright.sync_api import expect

from clusters.configuration import ScaleRequest
from clusters.models import Operation, Step
from clusters.tasks import carry_on_after

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# A JavaScript property set on an element survives a morph (the node stays) and is lost when a
# swap replaces the node: the test's way to tell the two apart.
MARK = "element => { element.keptByTheRedraw = true; }"
STILL_MARKED = "element => element.keptByTheRedraw === true"
COUNT_SWAPS = """() => {
  window.swaps = 0;
  document.addEventListener('htmx:afterSwap', () => { window.swaps += 1; });
}"""


def wait_for_swaps(page, count):
    page.wait_for_function(f"window.swaps >= {count}")


def live_region(page):
    """The page's one live region: what a screen reader speaks when its words change."""
    regions = page.locator("[role=status], [role=alert], [aria-live]")
    expect(regions).to_have_count(1)
    return regions


def open_status_page(page, live_server, operation):
    """The operation's status page, its live region marked to tell a morph from a swap."""
    page.goto(f"{live_server.url}{operation.get_absolute_url()}")
    live = live_region(page)
    live.evaluate(MARK)
    return live


def test_the_launch_status_says_successfully_created_in_the_same_live_region_and_keeps_focus(
    signed_in_page, live_server, lab_launch
):
    page = signed_in_page
    operation = lab_launch("spoken-cluster")
    live = open_status_page(page, live_server, operation)
    before = live.inner_text()
    view_cluster = page.get_by_role("link", name="View Cluster")
    view_cluster.focus()
    expect(view_cluster).to_have_attribute("aria-disabled", "true")

    for step in operation.ordered_steps:
        step.mark_succeeded(f"{step.get_kind_display()} done")

    expect(live).to_contain_text("ECS cluster spoken-cluster successfully created.")
    expect(page.locator("#operation-status[hx-trigger]")).to_have_count(0)
    assert live.evaluate(STILL_MARKED), "the live region was replaced, so it would not be spoken"
    assert live.inner_text() != before
    expect(live_region(page)).to_have_count(1)
    # The person waiting on View Cluster is on it still, and it now leads to the cluster.
    expect(view_cluster).to_be_focused()
    expect(view_cluster).to_have_attribute("href", "/clusters/spoken-cluster/")


def test_a_failure_is_spoken_with_its_reason_and_focus_stays_on_back(
    signed_in_page, live_server, lab_launch
):
    page = signed_in_page
    operation = lab_launch("refused-cluster")
    live = open_status_page(page, live_server, operation)
    back = page.get_by_role("link", name="Back")
    back.focus()

    operation.step(Step.Kind.CLUSTER).mark_succeeded("ECS cluster refused-cluster created")
    operation.step(Step.Kind.INSTANCE_ROLE).mark_failed(
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    )

    expect(live).to_contain_text(
        "Creating cluster refused-cluster failed. The reason AWS gave is shown below. "
        "ECS Instance IAM Policy: Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    )
    expect(page.locator("#operation-status[hx-trigger]")).to_have_count(0)
    assert live.evaluate(STILL_MARKED)
    expect(back).to_be_focused()


def test_the_ecs_instances_poll_keeps_focus_on_the_link_the_person_is_on(
    signed_in_page, live_server, registered_hosts, console_user
):
    page = signed_in_page
    registered_hosts("watched-cluster", 1)
    # A scale of the cluster still under way: the tab watches until it ends.
    scaling = Operation.objects.submit(
        action=Operation.Action.SCALE, cluster_name="watched-cluster", region="us-east-1",
        user=console_user, request=ScaleRequest(instance_count=1),
    ).operation
    page.goto(f"{live_server.url}/clusters/watched-cluster/ecs-instances/")
    page.evaluate(COUNT_SWAPS)
    link = page.locator("#container-instances tbody tr td:first-child a")
    link.focus()
    link.evaluate(MARK)

    wait_for_swaps(page, 2)
    expect(link).to_be_focused()
    # The scale ends as the worker ends it: its last step succeeds, then the operation ends.
    scaled = scaling.step(Step.Kind.SCALE)
    scaled.mark_succeeded("Desired number of instances set to 1")
    carry_on_after(scaled)

    expect(page.locator("#cluster-body[data-pace=resting]")).to_have_count(1)
    expect(link).to_be_focused()
    assert link.evaluate(STILL_MARKED)

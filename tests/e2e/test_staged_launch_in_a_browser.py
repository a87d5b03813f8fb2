"""Lab steps 11-12 as they happen on AWS: at the local cloud's `lab` pace the Launch status page
shows the stack being built, resource by resource, then the instance launching and its agent
registering, before everything turns green."""

import re
import time

import pytest
from playwright.sync_api import expect

from clusters.tasks import start_operation

from .conftest import free_port, start_local_cloud, worker_of_its_own

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.browser]

# The lab's create takes 20-40 s at `lab` pace; the page is given twice that.
STAGED_LAUNCH_MS = 90_000


@pytest.fixture(scope="module")
def local_cloud_url():
    """A local cloud of this module's own at the pace `make run` starts it with."""
    port = free_port()
    server = start_local_cloud(port, "localcloud-lab-pace", pace="lab")
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def celery_worker(local_cloud_url, test_database_path):
    with worker_of_its_own(local_cloud_url, test_database_path, "celery-worker-lab-pace") as worker:
        yield worker


def test_the_launch_comes_up_in_stages_the_person_can_watch(
    signed_in_page, live_server, celery_worker, lab_launch, screenshot
):
    page = signed_in_page
    operation = lab_launch("staged-cluster")
    started = time.monotonic()
    start_operation(operation)
    page.goto(f"{live_server.url}/operations/{operation.pk}/")

    stack = page.locator("#step-stack")
    instances = page.locator("#step-instances")
    # The stack is built in the open: how far it has come, and CloudFormation's own events.
    expect(stack.locator(".status-message")).to_have_text(
        re.compile(r"Creating CloudFormation stack EC2ContainerService-staged-cluster: "
                   r"\d+ resources done, [1-9]\d* in progress"),
        timeout=STAGED_LAUNCH_MS,
    )
    events = stack.locator("details.stack-events")
    expect(events).to_have_attribute("open", "")
    expect(events.get_by_role("cell", name="CREATE_IN_PROGRESS").first).to_be_visible()
    expect(stack.get_by_role("img", name="In progress")).to_be_visible()
    screenshot("stack-being-built")

    # The stack is complete before the instance has registered: the last row says so.
    expect(instances.locator(".status-message")).to_have_text(
        re.compile(r"0 of 1 instances registered with cluster staged-cluster; 1 launched"),
        timeout=STAGED_LAUNCH_MS,
    )
    expect(stack.get_by_role("img", name="Succeeded")).to_be_visible()
    expect(page.get_by_role("link", name="View Cluster")).to_have_attribute("aria-disabled", "true")
    screenshot("instance-registering")

    expect(instances.locator(".status-message")).to_have_text(
        "1 of 1 instances registered with cluster staged-cluster", timeout=STAGED_LAUNCH_MS
    )
    expect(page.locator("#operation-status").get_by_role("img", name="Succeeded")).to_have_count(4)
    expect(page.get_by_role("link", name="View Cluster")).to_be_enabled()
    # Once ended, what CloudFormation did is kept, folded.
    expect(events).not_to_have_attribute("open", "")
    expect(page.get_by_role("status")).to_contain_text(
        "ECS cluster staged-cluster successfully created."
    )
    print(f"\nThe lab's create at lab pace: all green {time.monotonic() - started:.0f} s after Create")

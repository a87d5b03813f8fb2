"""Practising what goes wrong: with the local cloud's `instance-role-without-ecs-policy` scenario
on, the lab's create ends as on AWS (the cluster and stack made, the instance never registered),
and the person finds why from the console's own pages: Launch status names the instance, its page
reads the host, and the agent's log gives AWS's AccessDenied."""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from clusters.tasks import start_operation

from .accessibility import assert_accessible
from .conftest import REPO, worker_of_its_own

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.browser]

CLUSTER = "denied-cluster"


@pytest.fixture(scope="module")
def celery_worker(local_cloud_url, test_database_path):
    """A worker whose launches stop waiting for unregistered instances after 3 s, not 180."""
    with worker_of_its_own(
        local_cloud_url, test_database_path, "celery-worker-scenario",
        INSTANCES_REGISTER_WITHIN_SECONDS="3",
    ) as worker:
        yield worker


def switch_on(scenario, cluster, endpoint_url):
    """As a trainer switches it on, from a shell."""
    done = subprocess.run(
        [sys.executable, "-m", "localcloud", "scenario", "on", scenario, "--cluster", cluster,
         "--region", "us-east-1", "--endpoint", endpoint_url],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_instance_role_without_the_ecs_policy_is_found_from_the_console(
    signed_in_page, live_server, celery_worker, lab_launch, local_cloud_url, screenshot
):
    page = signed_in_page
    switch_on("instance-role-without-ecs-policy", CLUSTER, local_cloud_url)
    operation = lab_launch(CLUSTER)
    start_operation(operation)
    page.goto(f"{live_server.url}/operations/{operation.pk}/")

    instances = page.locator("#step-instances")
    expect(instances.get_by_role("img", name="Warning")).to_be_visible(timeout=60_000)
    expect(instances.locator(".status-message")).to_contain_text(
        f"0 of 1 instances registered with cluster {CLUSTER} after"
    )
    expect(page.locator("#step-stack").get_by_role("img", name="Succeeded")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text(
        f"ECS cluster {CLUSTER} successfully created."
    )
    assert_accessible(page, "Launch status ending with instances not registered")
    screenshot("launch-ends-with-a-warning")

    instances.get_by_role("list", name="Instances not registered").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Host")).to_be_visible()
    page.get_by_role("button", name="Read the host").click()
    logs = page.locator("#host-agent-logs")
    expect(logs.get_by_role("img", name="Succeeded")).to_be_visible()
    expect(logs).to_contain_text("AccessDeniedException")
    expect(logs).to_contain_text("is not authorized to perform: ecs:RegisterContainerInstance")
    assert_accessible(page, "EC2 instance page with the host's agent log")
    screenshot("agent-log-says-why")

"""The Launch status page tells the truth from the rows alone: without JavaScript, and once a
step has failed."""

import re

import pytest
from django.utils.html import strip_tags
from playwright.sync_api import expect

from clusters.tasks import start_operation

from .waiting import wait_until, wait_until_ended

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
ENDED = ["succeeded", "failed"]


@pytest.fixture
def browser_context_options():
    return {"java_script_enabled": False}


@pytest.mark.browser
def test_reloading_the_page_without_javascript_shows_the_same_state(
    signed_in_page, live_server, celery_worker, lab_launch
):
    page = signed_in_page
    operation = lab_launch("reloaded-cluster")
    start_operation(operation)
    page.goto(f"{live_server.url}/operations/{operation.pk}/")
    expect(page.get_by_role("heading", name="Launch status")).to_be_visible()

    wait_until_ended(operation)
    page.reload()
    status = page.locator("#operation-status")
    expect(status.get_by_role("img", name="Succeeded")).to_have_count(4)
    expect(page.get_by_role("link", name="View Cluster")).to_be_enabled()
    seen = status.inner_text()

    page.reload()
    # Without JavaScript nothing changes a loaded page: what it shows is what the server drew.
    assert status.inner_text() == seen


def test_a_launch_aws_refuses_says_it_failed_and_stops_polling(
    instance_profile_holding_another_role, celery_worker, lab_launch, client, console_user
):
    operation = lab_launch("refused-cluster")
    start_operation(operation)
    role = wait_until(
        lambda: operation.steps.filter(kind="instance-role", state__in=ENDED).first(),
        60,
        "the worker to end the IAM step (its log: test-artifacts/logs/celery-worker.log)",
        interval=0.1,
    )
    assert (role.state, role.message) == (
        "failed",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    )

    client.force_login(console_user)
    page = client.get(f"/operations/{operation.pk}/")
    poll = client.get(f"/operations/{operation.pk}/", headers={"HX-Request": "true"})

    # Nothing more will happen to this launch: the stack waits on a step that failed for good.
    # The page's live region says it, with the reason, for a screen reader to speak.
    lead = re.search(r'<p [^>]*id="operation-summary" role="status">(.*?)</p>', page.text, re.S)
    assert " ".join(strip_tags(lead.group(1)).split()) == (
        "Creating cluster refused-cluster failed. The reason AWS gave is shown below. "
        "ECS Instance IAM Policy: Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    )
    # htmx stops polling on HTTP 286, and a fragment without hx-trigger would not poll again.
    assert (poll.status_code, "hx-trigger" in poll.text) == (286, False)

"""The Region selector in Chromium: arrow keys move the choice and nothing else; the region
changes when the person presses Change."""

import re

import boto3
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def half_filled_wizard(cloud, signed_in_page, live_server):
    """Configure cluster with a cluster name typed and not yet submitted."""
    page = signed_in_page
    page.goto(f"{live_server.url}/create-cluster/ec2-linux/")
    page.get_by_role("textbox", name=re.compile(r"^Cluster name")).fill("demo-cluster")
    return page


def test_arrow_down_on_the_region_selector_keeps_the_page_and_what_was_typed(
    half_filled_wizard,
):
    page = half_filled_wizard
    address = page.url
    navigations = []
    page.on(
        "request",
        lambda request: request.is_navigation_request() and navigations.append(request.url),
    )
    selector = page.get_by_role("combobox", name="Region")
    expect(selector).to_have_value("us-east-1")

    selector.focus()
    page.keyboard.press("ArrowDown")

    # The choice moved to the next region in the menu, and that is all that happened.
    expect(selector).to_have_value("us-east-2")
    assert navigations == []
    assert page.url == address
    expect(selector.locator("option:checked")).to_have_text("US East (Ohio)")
    expect(page.get_by_role("textbox", name=re.compile(r"^Cluster name"))).to_have_value(
        "demo-cluster"
    )
    expect(selector).to_be_focused()


def test_change_moves_the_console_to_the_chosen_region(cloud, signed_in_page):
    page = signed_in_page
    boto3.client("ecs", region_name="eu-west-1").create_cluster(clusterName="in-ireland")

    page.get_by_role("combobox", name="Region").select_option(label="Europe (Ireland)")
    change = page.get_by_role("button", name="Change")
    expect(change).to_be_visible()
    change.click()

    expect(page.get_by_role("combobox", name="Region")).to_have_value("eu-west-1")
    expect(page.get_by_role("link", name="in-ireland")).to_be_visible()

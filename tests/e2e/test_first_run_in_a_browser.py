"""The way in, in Chromium: a person who signs in to a region without clusters lands on the
first-run page and leaves it with Cancel, by keyboard, for Clusters (steps 2 and 3 of the lab)."""

import re

import pytest
from playwright.sync_api import expect

from .accessibility import tab_to
from .conftest import ARTIFACTS, CONSOLE_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HEADING = "Getting Started with Amazon Elastic Container Service (Amazon ECS) using Fargate"


@pytest.fixture
def landed(page, live_server, cloud, console_user):
    """The person signs in, as the lab begins, to an account with no clusters."""
    page.goto(f"{live_server.url}/")
    page.get_by_label("User name").fill(console_user.username)
    page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    return page


def test_cancel_at_the_bottom_of_the_first_run_page_leads_to_clusters_by_keyboard(
    landed, live_server, screenshot
):
    page = landed
    diagram = page.get_by_role("figure", name="Diagram of ECS objects and how they relate")
    expect(diagram).to_be_visible()
    screenshot("get-started-1280")

    cancel = page.get_by_role("link", name="Cancel")
    tab_to(page, cancel)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Clusters", exact=True)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/clusters/")
    expect(page.get_by_role("link", name="Create Cluster").first).to_be_visible()


def test_next_does_nothing_and_says_why_to_keyboard_and_mouse_alike(landed):
    page = landed
    address = page.url
    next_button = page.get_by_role("button", name="Next")
    why = (
        "ECS Console does not run the Fargate first-run wizard. Choose Cancel to go to Clusters."
    )

    tab_to(page, next_button)

    expect(next_button).to_have_attribute("aria-disabled", "true")
    expect(next_button).to_have_accessible_description(why)
    expect(next_button).to_have_attribute("title", why)
    # The same words show under the button while it has keyboard focus.
    tooltip = page.locator(f"#{next_button.get_attribute('aria-describedby')}")
    expect(tooltip).to_have_role("tooltip")
    assert tooltip.bounding_box()["width"] > 100
    page.keyboard.press("Enter")
    # Playwright waits for an aria-disabled button to be enabled; a person can click it anyway.
    next_button.click(force=True)
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    assert page.url == address


def test_the_side_menu_leads_back_to_get_started_from_clusters(landed):
    page = landed
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Clusters", exact=True)).to_be_visible()

    get_started = page.get_by_role("navigation", name="Amazon ECS").get_by_role(
        "link", name="Get started"
    )
    get_started.click()

    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    expect(get_started).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_first_run_page_and_top_bar_fit_the_screen(landed, width, screenshot):
    page = landed
    page.set_viewport_size({"width": width, "height": 900})

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    assert overflow <= 0, f"the page is {overflow} px wider than a {width} px window"
    screenshot(f"get-started-{width}")
    page.locator("header.topbar").screenshot(path=ARTIFACTS / f"top-bar-{width}.png")

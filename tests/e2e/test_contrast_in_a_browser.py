"""Contrast in Chromium, measured on the colours the browser paints: the words of the current
side-menu item and tab, a link in a sentence, input borders and the focus ring reach WCAG 2.1 AA
(4.5:1 for text; 3:1 for borders, state indicators and the focus ring)."""

import re

import pytest
from playwright.sync_api import expect

from .accessibility import background_behind, contrast_ratio, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TEXT = 4.5
NON_TEXT = 3.0


def style(locator, name):
    return locator.evaluate(f"element => getComputedStyle(element).{name}")


def assert_current_and_legible(current, bar_colour):
    """The current item's words read at 4.5:1, and the bar that marks it shows at 3:1."""
    expect(current).to_have_attribute("aria-current", "page")
    behind = background_behind(current)
    assert contrast_ratio(style(current, "color"), behind) >= TEXT
    assert contrast_ratio(style(current, bar_colour), behind) >= NON_TEXT


def test_the_current_side_menu_item_reads_at_4_5_to_1_and_its_bar_at_3_to_1(
    cloud, signed_in_page
):
    current = signed_in_page.get_by_role("navigation", name="Amazon ECS").get_by_role(
        "link", name="Clusters"
    )

    assert_current_and_legible(current, "borderLeftColor")


def test_the_current_cluster_tab_reads_at_4_5_to_1_and_its_bar_at_3_to_1(
    cloud, signed_in_page, live_server
):
    cloud("ecs").create_cluster(clusterName="demo-cluster")
    page = signed_in_page
    page.goto(f"{live_server.url}/clusters/demo-cluster/ecs-instances/")
    current = page.get_by_role("navigation", name="Cluster tabs").get_by_role(
        "link", name="ECS Instances"
    )

    assert_current_and_legible(current, "borderBottomColor")


def test_the_link_in_the_empty_clusters_sentence_is_told_apart_from_its_words(
    cloud, signed_in_page
):
    sentence = signed_in_page.get_by_role("cell", name=re.compile(r"^No clusters"))
    link = sentence.get_by_role("link")

    underlined = "underline" in style(link, "textDecorationLine")
    distinct = contrast_ratio(style(link, "color"), style(sentence, "color")) >= NON_TEXT
    assert underlined or distinct


def test_text_inputs_are_framed_at_3_to_1(page, live_server):
    page.goto(f"{live_server.url}/login/")

    for field in (page.get_by_label("User name"), page.get_by_label("Password")):
        border = style(field, "borderTopColor")
        assert contrast_ratio(border, background_behind(field, outside=True)) >= NON_TEXT
        assert contrast_ratio(border, style(field, "backgroundColor")) >= NON_TEXT


def test_the_focus_ring_shows_at_3_to_1_on_the_page_grey_and_on_the_navy_bar(
    cloud, signed_in_page
):
    page = signed_in_page
    on_grey = page.locator(".page-header").get_by_role("link", name="Create Cluster")
    on_navy = page.get_by_role("combobox", name="Region")

    for control in (on_navy, on_grey):
        tab_to(page, control)
        assert style(control, "outlineStyle") != "none"
        ring, behind = style(control, "outlineColor"), background_behind(control, outside=True)
        assert contrast_ratio(ring, behind) >= NON_TEXT, f"{control}: {ring} on {behind}"

"""The top bar's Region selector: the console's names for the regions, and a change that only
happens when the person asks for it."""

import re

import pytest


@pytest.fixture
def header(signed_in, aws):
    page = signed_in.get("/clusters/").content.decode()
    return re.search(r'<form class="region-form".*?</form>', page, re.S).group(0)


def test_it_names_each_region_as_the_console_wrote_it(header):
    assert '<option value="us-east-1" selected>US East (N. Virginia)</option>' in header
    assert '<option value="eu-west-1">Europe (Ireland)</option>' in header
    assert '<option value="ap-northeast-1">Asia Pacific (Tokyo)</option>' in header


def test_it_writes_sao_paulo_with_its_accent_as_the_2020_console_did(header):
    assert '<option value="sa-east-1">South America (São Paulo)</option>' in header


def test_it_lists_the_us_regions_first_then_the_others_by_name(header):
    names = re.findall(r"<option [^>]*>([^<]*)</option>", header)

    assert names[:4] == [
        "US East (N. Virginia)",
        "US East (Ohio)",
        "US West (N. California)",
        "US West (Oregon)",
    ]
    assert names[4:] == sorted(names[4:])


def test_its_change_button_is_there_with_or_without_javascript(header):
    assert re.search(r"<button type=\"submit\"[^>]*>Change</button>", header)
    assert "<noscript>" not in header


def test_a_region_ecs_does_not_run_in_is_refused(signed_in, aws):
    signed_in.post("/region/", {"region": "mars-north-1"})

    page = signed_in.get("/clusters/").content.decode()
    assert '<option value="us-east-1" selected>' in page

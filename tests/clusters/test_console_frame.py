"""Every page is a console page: a missing cluster, tab, container instance, operation or
address, and a fault of the console's own, each answer inside the console's frame with one
sentence and a way back, never a bare error or a traceback."""

import re

import boto3
import pytest
from django.utils.html import strip_tags

from clusters import inventory

from .conftest import REGION


def sentence(page):
    return strip_tags(re.search(r'<p id="not-found-sentence">(.*?)</p>', page, re.S).group(1))


def crumbs(page):
    nav = re.search(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', page, re.S)
    return [strip_tags(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", nav.group(1))]


def assert_console_frame(page):
    assert '<header class="topbar">' in page
    assert "Elastic Container Service" in page
    assert '<nav class="sidenav" aria-label="Amazon ECS">' in page


@pytest.fixture
def demo_cluster(aws):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")


@pytest.mark.parametrize(
    "url, said, trail, back",
    [
        (
            "/clusters/nobody/",
            "There is no cluster nobody in us-east-1.",
            ["Clusters", "Not found"],
            ('href="/clusters/"', "Back to Clusters"),
        ),
        (
            "/clusters/demo-cluster/not-a-tab/",
            "Cluster demo-cluster has no tab not-a-tab.",
            ["Clusters", "demo-cluster", "Not found"],
            ('href="/clusters/demo-cluster/"', "Back to Cluster demo-cluster"),
        ),
        (
            "/clusters/demo-cluster/container-instances/0000-not-there/",
            "Cluster demo-cluster has no container instance 0000-not-there.",
            ["Clusters", "demo-cluster", "Not found"],
            ('href="/clusters/demo-cluster/ecs-instances/"', "Back to ECS Instances"),
        ),
        (
            "/operations/999/",
            "There is no launch, scaling or deletion numbered 999.",
            ["Clusters", "Not found"],
            ('href="/clusters/"', "Back to Clusters"),
        ),
        (
            "/no/such/page/",
            "There is no page at /no/such/page/.",
            ["Clusters", "Not found"],
            ('href="/clusters/"', "Back to Clusters"),
        ),
    ],
)
def test_a_missing_page_is_a_console_page_with_one_sentence_and_a_way_back(
    signed_in, demo_cluster, url, said, trail, back
):
    response = signed_in.get(url)

    page = response.content.decode()
    assert response.status_code == 404
    assert_console_frame(page)
    assert sentence(page) == said
    assert crumbs(page) == trail
    link, label = back
    assert f'<a class="btn" {link}>{label}</a>' in page


def test_a_poll_whose_cluster_has_gone_shows_the_whole_not_found_page(signed_in, aws):
    response = signed_in.get("/clusters/gone/ecs-instances/", headers={"HX-Request": "true"})

    assert response.status_code == 404
    assert response["HX-Redirect"] == "/clusters/gone/ecs-instances/"


def test_a_fault_of_the_console_is_a_console_page_without_a_traceback(
    signed_in, aws, monkeypatch
):
    def broken(region, name):
        raise RuntimeError("the console's own bug, with a secret detail")

    monkeypatch.setattr(inventory, "cluster", broken)
    signed_in.raise_request_exception = False

    response = signed_in.get("/clusters/demo-cluster/")

    page = response.content.decode()
    assert response.status_code == 500
    assert '<header class="topbar">' in page
    assert crumbs(page) == ["Clusters", "Error"]
    assert "ECS Console could not show this page because of a fault of its own" in page
    assert '<a class="btn" href="/clusters/">Back to Clusters</a>' in page
    assert "Traceback" not in page
    assert "secret detail" not in page

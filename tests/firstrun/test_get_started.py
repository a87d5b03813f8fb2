"""A person arrives: a region without clusters opens on the ECS first-run page, whose Cancel
leads to Clusters, as step 2 of the lab describes."""

import re

import boto3
import pytest
from django.test import Client

from clusters.aws import forget_clients
from tests.conftest import REGION

GET_STARTED = "/firstrun/"
HEADING = "Getting Started with Amazon Elastic Container Service (Amazon ECS) using Fargate"


@pytest.fixture
def page(signed_in, aws):
    return signed_in.get(GET_STARTED).content.decode()


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_signing_in_to_a_region_without_clusters_lands_on_the_first_run_page(aws, user):
    person = Client()

    response = person.post(
        "/login/", {"username": "learner", "password": "practise-ecs"}, follow=True
    )

    assert response.redirect_chain[-1] == ("/firstrun/", 302)
    assert f"<h1>{HEADING}</h1>" in response.content.decode()


def test_opening_the_console_with_a_cluster_in_the_region_shows_clusters(signed_in, aws):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")

    response = signed_in.get("/")

    assert (response.status_code, response.url) == (302, "/clusters/")


def test_opening_the_console_in_another_region_without_clusters_shows_the_first_run_page(
    signed_in, aws
):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")
    signed_in.post("/region/", {"region": "eu-west-1"})

    assert signed_in.get("/").url == GET_STARTED


def test_clusters_stays_open_with_no_clusters_so_cancel_does_not_bounce_back(signed_in, aws):
    response = signed_in.get("/clusters/")

    assert response.status_code == 200
    assert "<h1>Clusters</h1>" in response.content.decode()


def test_when_aws_cannot_be_read_the_person_is_sent_to_clusters_which_says_why(
    signed_in, monkeypatch, settings
):
    settings.AWS_MAX_ATTEMPTS = 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    forget_clients()

    response = signed_in.get("/", follow=True)

    forget_clients()
    assert response.redirect_chain == [("/clusters/", 302)]
    assert "Could not list the clusters." in response.content.decode()


def test_cancel_at_the_bottom_of_the_page_is_a_link_to_clusters(page):
    footer = page[page.rindex('<div class="actions">'):]

    assert re.search(r'<a class="btn btn-link" href="/clusters/">Cancel</a>', footer)


def test_it_draws_the_diagram_of_ecs_objects_nested_as_they_relate(page):
    diagram = re.search(r"<figure.*?</figure>", page, re.S).group(0)
    layers = re.findall(r'<p class="diagram-name">(.*?)</p>', diagram)

    assert "<figcaption" in diagram and "Diagram of ECS objects and how they relate" in diagram
    assert [text_of(layer) for layer in layers] == [
        "Cluster default",
        "Service sample-app-service",
        "Task definition first-run-task-definition",
        "Container definition sample-app",
    ]
    # Each object's box opens inside the one before it: no box closes between their names.
    from_cluster_to_container = diagram[diagram.index(layers[0]) : diagram.index(layers[-1])]
    assert "</div>" not in from_cluster_to_container
    assert from_cluster_to_container.count('<div class="diagram-box') == 3


def test_its_step_rail_names_the_four_steps_of_the_first_run_wizard(page):
    rail = re.search(r'<ol class="wizard-steps".*?</ol>', page, re.S).group(0)

    assert [text_of(step) for step in re.findall(r"<li.*?</li>", rail, re.S)] == [
        "Step 1: Container and Task",
        "Step 2: Service",
        "Step 3: Cluster",
        "Step 4: Review",
    ]
    assert '<li aria-current="step">' in rail


def test_it_offers_the_container_definition_tiles_and_the_task_definition_defaults(page):
    tiles = re.findall(r'<h3 class="card-title">(.*?)</h3>', page)
    defaults = dict(
        (text_of(term), text_of(value))
        for term, value in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page, re.S)
    )

    assert tiles == ["sample-app", "nginx", "tomcat-webserver", "custom"]
    assert defaults == {
        "Task definition name": "first-run-task-definition",
        "Network mode": "awsvpc",
        "Task execution role": "Create new",
        "Compatibilities": "FARGATE",
        "Task memory": "0.5GB (512)",
        "Task CPU": "0.25 vCPU (256)",
    }


def test_what_ecs_console_has_not_built_is_a_disabled_button_that_says_so(page):
    main = page[page.index('<main id="main"') :]
    buttons = re.findall(r"<button [^>]*>[^<]*</button>", main)
    labels = [text_of(button) for button in buttons]

    assert labels == ["Configure", "Edit", "Next"]
    for button in buttons:
        assert 'aria-disabled="true"' in button and 'type="button"' in button
        assert re.search(r'title="[^"]+"', button)
        described_by = re.search(r'aria-describedby="([^"]+)"', button).group(1)
        assert re.search(rf'id="{described_by}"[^>]*>[^<]+<', page)


def test_the_side_menu_leads_to_get_started_and_marks_it_current_there(signed_in, aws):
    clusters = signed_in.get("/clusters/").content.decode()
    get_started = signed_in.get(GET_STARTED).content.decode()

    assert '<a href="/firstrun/">Get started</a>' in clusters
    assert '<a href="/firstrun/" aria-current="page">Get started</a>' in get_started

"""After View Cluster: the cluster's figures, its tabs, and the ECS Instances a person came for."""

import boto3
import pytest

from clusters import inventory
from clusters.aws import client
from clusters.models import Operation

from .conftest import REGION

INSTANCES_TAB = "/clusters/demo-cluster/ecs-instances/"


def test_the_ecs_instances_tab_shows_the_host_its_agent_and_its_resources(signed_in, lab_cluster):
    page = signed_in.get(INSTANCES_TAB).content.decode()

    row = inventory.container_instances(REGION, "demo-cluster")[0]
    ssm = boto3.client("ssm", region_name=REGION)
    import json

    ami = json.loads(
        ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended")[
            "Parameter"
        ]["Value"]
    )
    assert row["ec2_instance_id"].startswith("i-")
    assert row["agent_connected"] is True
    assert (row["cpu_available"], row["memory_available"]) == (1024, 979)
    assert row["agent_version"] == ami["ecs_agent_version"]
    assert row["docker_version"] == ami["ecs_runtime_version"]
    assert f'<a href="/clusters/demo-cluster/container-instances/{row["id"]}/">{row["id"]}</a>' in page
    assert f"<td>{row['ec2_instance_id']}</td>" in page
    assert f"<td>{ami['ecs_agent_version']}</td>" in page
    assert "<td>1024</td>" in page


def test_the_header_shows_the_cluster_figures(signed_in, lab_cluster):
    page = signed_in.get("/clusters/demo-cluster/").content.decode()

    assert "Cluster : demo-cluster" in page
    assert 'id="registered-count">1<' in page
    assert "0 Fargate, 0 EC2" in page
    assert "arn:aws:ecs:us-east-1:" in page


@pytest.mark.parametrize(
    "tab, text",
    [
        ("services", "No services in this cluster."),
        ("tasks", "No tasks are running or pending in this cluster."),
        ("metrics", "containerInsights"),
        ("scheduled-tasks", "No scheduled tasks target this cluster."),
        ("tags", "<td>team</td><td>platform</td>"),
        ("capacity-providers", "No capacity providers are associated with this cluster."),
    ],
)
def test_each_tab_has_its_own_address_and_says_what_it_shows(signed_in, lab_cluster, tab, text):
    response = signed_in.get(f"/clusters/demo-cluster/{tab}/")

    assert response.status_code == 200
    assert text in response.content.decode()
    assert f'href="/clusters/demo-cluster/{tab}/"' in response.content.decode()


def test_the_services_tab_lists_what_ecs_returns(signed_in, lab_cluster):
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
    )
    ecs.create_service(cluster="demo-cluster", serviceName="web", taskDefinition="web", desiredCount=0)

    page = signed_in.get("/clusters/demo-cluster/services/").content.decode()

    assert "<td>web</td><td>ACTIVE</td>" in page


def test_a_tab_asked_by_htmx_comes_back_as_the_cluster_body_only(signed_in, lab_cluster):
    response = signed_in.get("/clusters/demo-cluster/tags/", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="cluster-body"')
    assert "<html" not in body


def test_the_instances_table_stops_polling_once_the_instances_match_the_stack(
    signed_in, lab_cluster
):
    response = signed_in.get(INSTANCES_TAB, headers={"HX-Request": "true"})

    assert response.status_code == 286
    assert "hx-trigger" not in response.content.decode().split('id="tab-panel"')[0]


def test_the_instances_table_polls_while_instances_are_still_to_join(signed_in, launch, finish):
    finish(launch())  # the stack wants one instance; no agent has registered it yet

    response = signed_in.get(INSTANCES_TAB, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "every 2s" in response.content.decode()
    assert "Instances are joining or leaving" in response.content.decode()


def test_the_filter_keeps_only_matching_instances(signed_in, lab_cluster):
    row = inventory.container_instances(REGION, "demo-cluster")[0]

    matching = signed_in.get(INSTANCES_TAB, {"q": row["ec2_instance_id"][-6:]}).content.decode()
    other = signed_in.get(INSTANCES_TAB, {"q": "no-such-host"}).content.decode()

    assert row["id"] in matching
    assert row["id"] not in other
    assert "No container instance matches" in other


def test_an_unknown_cluster_or_tab_is_a_404(signed_in, aws):
    assert signed_in.get("/clusters/nobody/").status_code == 404
    assert signed_in.get("/clusters/nobody/not-a-tab/").status_code == 404


def test_250_instances_are_read_in_the_fewest_calls_the_api_allows(big_cluster):
    calls = []
    for service in ("ecs", "ec2"):
        client(service, REGION).meta.events.register(
            "before-call.*.*", lambda model, **kwargs: calls.append(model.name)
        )

    rows = inventory.container_instances(REGION, "big")

    assert len(rows) == 250
    assert all(row["cpu_available"] == 2048 for row in rows)
    assert calls.count("ListContainerInstances") == 3
    assert calls.count("DescribeContainerInstances") == 3
    assert calls.count("DescribeInstances") == 1
    assert len(calls) == 7


def test_the_clusters_page_has_a_region_selector_that_remembers_the_choice(signed_in, aws):
    boto3.client("ecs", region_name="eu-west-1").create_cluster(clusterName="in-ireland")

    before = signed_in.get("/clusters/").content.decode()
    signed_in.post("/region/", {"region": "eu-west-1"})
    after = signed_in.get("/clusters/").content.decode()

    assert "in-ireland" not in before
    assert "in-ireland" in after
    assert '<option value="eu-west-1" selected>' in after
    assert Operation.objects.count() == 0

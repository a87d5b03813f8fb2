"""After View Cluster: the cluster's figures, its tabs, and the ECS Instances a person came for."""

import json
import re

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
    ami = json.loads(
        ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended")[
            "Parameter"
        ]["Value"]
    )
    assert row.ec2_instance_id.startswith("i-")
    assert row.agent_connected is True
    assert (row.cpu_available, row.memory_available) == (1024, 979)
    assert row.agent_version == ami["ecs_agent_version"]
    assert row.docker_version == ami["ecs_runtime_version"]
    assert f'<a href="/clusters/demo-cluster/container-instances/{row.id}/">{row.id}</a>' in page
    # Step 13 of the lab: the EC2 instance id is a link too, to the instance's own page.
    assert (
        f'<a href="/clusters/demo-cluster/ec2-instances/{row.ec2_instance_id}/">'
        f"{row.ec2_instance_id}</a>" in page
    )
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
        ("metrics", "CloudWatch Container Insights"),
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


def test_the_instances_table_rests_once_every_instance_of_the_group_is_registered(
    lab_cluster, poll_twice
):
    response = poll_twice(INSTANCES_TAB)

    assert response.status_code == 200
    assert "hx-trigger=\"every 2.5s [document.visibilityState === 'visible']\"" in (
        response.content.decode()
    )
    assert 'data-pace="resting"' in response.content.decode()


def test_tabs_other_than_ecs_instances_do_not_poll(signed_in, lab_cluster):
    response = signed_in.get("/clusters/demo-cluster/services/", headers={"HX-Request": "true"})

    assert response.status_code == 286
    assert "hx-trigger" not in response.content.decode().split('id="tab-panel"')[0]


def test_the_instances_table_polls_while_instances_are_still_to_join(signed_in, launch, finish):
    finish(launch(), agents_register=False)  # the stack wants one instance, not registered yet

    response = signed_in.get(INSTANCES_TAB, headers={"HX-Request": "true"})

    (instance,) = boto3.client("ec2", region_name=REGION).describe_instances()["Reservations"][0][
        "Instances"
    ]
    page = response.content.decode()
    assert response.status_code == 200
    assert "every 2s" in page
    assert f'<tr id="group-instance-{instance["InstanceId"]}">' in page
    assert "Running; its ECS agent has not registered yet" in page


def test_the_filter_keeps_only_matching_instances(signed_in, lab_cluster):
    row = inventory.container_instances(REGION, "demo-cluster")[0]

    matching = signed_in.get(INSTANCES_TAB, {"q": row.ec2_instance_id[-6:]}).content.decode()
    other = signed_in.get(INSTANCES_TAB, {"q": "no-such-host"}).content.decode()

    assert row.id in matching
    assert row.id not in other
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
    assert all(row.cpu_available == 2048 for row in rows)
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


def test_the_container_instance_page_links_its_ec2_instance_to_its_page_and_sums_it_up(
    signed_in, lab_cluster
):
    (row,) = inventory.container_instances(REGION, "demo-cluster")
    ec2 = boto3.client("ec2", region_name=REGION).describe_instances(
        InstanceIds=[row.ec2_instance_id]
    )["Reservations"][0]["Instances"][0]

    page = signed_in.get(f"/clusters/demo-cluster/container-instances/{row.id}/").content.decode()

    ec2_page = f"/clusters/demo-cluster/ec2-instances/{row.ec2_instance_id}/"
    assert f'<a href="{ec2_page}">{row.ec2_instance_id}</a>' in page
    section = page.split('<section class="panel" id="ec2-instance"')[1].split("</section>")[0]
    for label, value in [
        ("Instance state", "running"),
        ("Instance type", "t2.micro"),
        ("Availability Zone", ec2["Placement"]["AvailabilityZone"]),
        ("Private IP", ec2["PrivateIpAddress"]),
        ("Public IP", ec2.get("PublicIpAddress", "–")),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in section


@pytest.mark.parametrize(
    "tab, button, why",
    [
        ("services", "Create", "ECS Console does not create services yet."),
        ("tasks", "Run new Task", "ECS Console does not run tasks yet."),
        ("ecs-instances", "Drain instances", "ECS Console does not drain instances yet."),
        ("scheduled-tasks", "Create", "ECS Console does not create scheduled tasks yet."),
        ("services", "Update Cluster", "ECS Console does not update clusters yet."),
    ],
)
def test_a_feature_not_built_is_a_disabled_button_that_says_why(
    signed_in, lab_cluster, tab, button, why
):
    page = signed_in.get(f"/clusters/demo-cluster/{tab}/").content.decode()

    found = re.search(
        rf'<button type="button" id="([\w-]+)" class="btn" aria-disabled="true" '
        rf'aria-describedby="([\w-]+)" title="{re.escape(why)}">{re.escape(button)}</button>',
        page,
    )
    assert found, f"no disabled {button} button on {tab}"
    assert f'<span class="tooltip" id="{found.group(2)}" role="tooltip">{why}</span>' in page


def test_the_cluster_pages_speak_with_the_console_voice(signed_in, lab_cluster, launch):
    pages = [signed_in.get(f"/clusters/demo-cluster/{tab}/").content.decode() for tab in (
        "services", "tasks", "ecs-instances", "metrics", "scheduled-tasks", "tags",
        "capacity-providers",
    )]
    pages.append(signed_in.get(lab_cluster.get_absolute_url()).content.decode())
    pages.append(signed_in.get(launch(cluster_name="other").get_absolute_url()).content.decode())

    for page in pages:
        assert "updates itself" not in page
        # What the console has not built is said by its disabled buttons, not by notes.
        assert 'class="help tab-note"' not in page

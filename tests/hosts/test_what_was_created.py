"""What was created: the lab's nine points answered from AWS for the cluster, each red when AWS
no longer holds what the lab expects."""

import html as entities
import re

import boto3

from clusters import inventory
from hosts import checklist
from tests.conftest import REGION
from tests.e2e.waiting import wait_until

HTMX = {"HX-Request": "true"}
PAGE = "/clusters/demo-cluster/what-was-created/"


def verdicts(html):
    found = re.findall(r'<li class="checklist-point" id="point-(\d)" data-verdict="(\w+)">', html)
    return {int(number): verdict for number, verdict in found}


def point_text(html, number):
    """A point's words as a person reads them, tags left out."""
    start = html.index(f'id="point-{number}"')
    return entities.unescape(re.sub(r"<[^>]+>", " ", html[start : html.index("</li>", start)]))


def read_the_host(signed_in):
    [row] = inventory.container_instances(REGION, "demo-cluster")
    signed_in.post(f"/clusters/demo-cluster/container-instances/{row.id}/host/", headers=HTMX)
    from hosts.models import HostReading

    reading = HostReading.objects.latest_first().first()
    wait_until(
        lambda: signed_in.get(f"/host-readings/{reading.pk}/", headers=HTMX).status_code == 286,
        10,
        "the host to answer",
    )


def test_the_cluster_page_leads_to_what_was_created(signed_in, lab_cluster):
    page = signed_in.get("/clusters/demo-cluster/").content.decode()

    assert f'href="{PAGE}"' in page


def test_the_first_seven_points_are_answered_from_aws_and_the_host_ones_wait(
    signed_in, lab_cluster
):
    html = signed_in.get(PAGE).content.decode()

    assert verdicts(html) == {
        1: "succeeded", 2: "succeeded", 3: "succeeded", 4: "succeeded", 5: "succeeded",
        6: "succeeded", 7: "succeeded", 8: "skipped", 9: "skipped",
    }
    [row] = inventory.container_instances(REGION, "demo-cluster")
    assert "amzn2-ami-ecs-hvm" in point_text(html, 1)
    assert row.agent_version in point_text(html, 1)
    assert "us-east-1a, us-east-1b" in point_text(html, 4)
    assert (
        "echo ECS_CLUSTER=demo-cluster >> /etc/ecs/ecs.config;"
        "echo ECS_BACKEND_HOST= >> /etc/ecs/ecs.config;"
    ) in point_text(html, 5)
    assert "tcp 22 0.0.0.0/0" in point_text(html, 6)
    assert "AmazonEC2ContainerServiceforEC2Role" in point_text(html, 7)
    assert "Read the host below to see it." in point_text(html, 8)
    assert 'id="host-heading">Host<' in html


def test_reading_the_host_answers_points_8_and_9(signed_in, lab_cluster):
    read_the_host(signed_in)

    html = signed_in.get(PAGE).content.decode()
    redrawn = signed_in.get(f"{PAGE}?part=host-points", headers=HTMX).content.decode()

    assert verdicts(html)[8] == verdicts(html)[9] == "succeeded"
    assert "ECS_CLUSTER=demo-cluster" in point_text(html, 8)
    assert "amazon/amazon-ecs-agent:latest" in point_text(html, 9)
    assert verdicts(redrawn) == {8: "succeeded", 9: "succeeded"}
    assert 'hx-trigger="host-read from:body"' in redrawn


def test_revoking_port_22_turns_the_security_group_point_red(signed_in, lab_cluster):
    ec2 = boto3.client("ec2", region_name=REGION)
    wizards = [{"Name": "description", "Values": ["ECS Allowed Ports"]}]
    [group] = ec2.describe_security_groups(Filters=wizards)["SecurityGroups"]

    ec2.revoke_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    html = signed_in.get(PAGE).content.decode()

    assert verdicts(html)[6] == "failed"
    assert "The inbound rule Create Cluster made, tcp 22 from 0.0.0.0/0, is gone" in (
        point_text(html, 6)
    )
    assert verdicts(html)[5] == "succeeded"


def test_a_host_whose_file_names_another_cluster_is_red():
    point = checklist._config_point("lesson", "demo-cluster", "ECS_CLUSTER=other\n", "", ())

    assert point.verdict == checklist.Verdict.MISSING
    assert point.problem == "The host's file names cluster other, not demo-cluster."


def test_a_point_links_to_the_page_that_shows_the_resource():
    link = checklist.resource_link("Role", "resources:iam_role", "demo-cluster", "ecsInstanceRole")

    assert link == checklist.Link("Role", "/clusters/demo-cluster/iam-roles/ecsInstanceRole/")

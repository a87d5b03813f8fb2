"""The container instance page's Host panel: the lab's commands run on the host through SSM Run
Command, polled until the host has answered, and AWS's reason when SSM refuses the host."""

import json

import boto3
import pytest

from clusters import inventory
from clusters.models import Step
from hosts.models import HostReading
from tests.conftest import REGION
from tests.e2e.waiting import wait_until

HTMX = {"HX-Request": "true"}


def container_instance_page(cluster="demo-cluster"):
    [row] = inventory.container_instances(REGION, cluster)
    return f"/clusters/{cluster}/container-instances/{row.id}/", row


def read_until_answered(signed_in, page):
    """Press Read the host, then poll as the panel does until the server says it is done."""
    sent = signed_in.post(f"{page}host/", headers=HTMX)
    assert sent.status_code == 200
    reading = HostReading.objects.latest_first().first()

    def answered():
        poll = signed_in.get(f"/host-readings/{reading.pk}/", headers=HTMX)
        return poll if poll.status_code == 286 else None

    return sent, wait_until(answered, 10, "the host to answer the lab's commands")


def test_the_page_offers_to_read_the_host_before_anything_was_sent(signed_in, lab_cluster):
    page, row = container_instance_page()

    shown = signed_in.get(page).content.decode()

    assert 'id="host-heading">Host<' in shown
    assert "The host has not been read yet." in shown
    assert f"run the lab's commands on instance {row.ec2_instance_id}" in shown
    assert "<code>cat /etc/ecs/ecs.config</code>" in shown
    assert "<code>AWS-RunShellScript</code>" in shown


def test_the_host_answers_cat_ecs_config_docker_ps_logs_and_metadata(signed_in, lab_cluster):
    page, row = container_instance_page()

    sent, answered = read_until_answered(signed_in, page)

    first = sent.content.decode()
    assert 'hx-trigger="every 1s' in first
    assert "The host is running the commands" in first
    shown = answered.content.decode()
    assert "hx-trigger" not in shown
    assert json.loads(answered["HX-Trigger"]) == {"host-read": {}}
    assert "ECS_CLUSTER=demo-cluster\nECS_BACKEND_HOST=\n</pre>" in shown
    assert "amazon/amazon-ecs-agent:latest" in shown
    assert "Instance registration completed successfully" in shown
    metadata = json.loads(HostReading.objects.get().output_of("agent-metadata"))
    assert metadata["Cluster"] == "demo-cluster"
    assert metadata["ContainerInstanceArn"] == row.arn
    assert metadata["Version"].startswith(f"Amazon ECS Agent - v{row.agent_version} (")


def test_the_answers_stay_on_the_page_after_a_reload(signed_in, lab_cluster):
    page, _ = container_instance_page()
    read_until_answered(signed_in, page)

    shown = signed_in.get(page).content.decode()

    assert "The host answered at" in shown
    assert "ECS_CLUSTER=demo-cluster" in shown


def test_without_javascript_reading_returns_to_the_panel(signed_in, lab_cluster):
    page, _ = container_instance_page()

    response = signed_in.post(f"{page}host/")

    assert response.status_code == 302
    assert response["Location"] == f"{page}#host"
    assert HostReading.objects.get().commands.count() == 4


@pytest.mark.parametrize("next_url", ["²", "hosts:checklist", "https://elsewhere.example/"])
def test_a_next_address_that_is_not_a_path_of_this_site_returns_to_the_panel(
    signed_in, lab_cluster, next_url
):
    page, _ = container_instance_page()

    response = signed_in.post(f"{page}host/", {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == f"{page}#host"


def test_a_role_without_the_ssm_policy_shows_aws_reason_and_what_to_attach(
    signed_in, launch, finish, agent
):
    operation = finish(launch(ssm_host_access=""))
    agent.sync()
    page, row = container_instance_page()

    shown = signed_in.post(f"{page}host/", headers=HTMX).content.decode()

    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    assert operation.has_succeeded
    assert "Systems Manager refused to run the commands" in shown
    assert (
        f"<strong>InvalidInstanceId:</strong> Instances [[{row.ec2_instance_id}]] not in a valid "
        f"state for account {account}"
    ) in shown
    assert "<strong>AmazonSSMManagedInstanceCore</strong>" in shown
    assert (
        "aws iam attach-role-policy --role-name ecsInstanceRole --policy-arn "
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    ) in shown
    assert "hx-trigger" not in shown
    assert HostReading.objects.get().commands.count() == 0


def test_attaching_the_policy_the_panel_names_lets_the_host_answer(
    signed_in, launch, finish, agent
):
    finish(launch(ssm_host_access=""))
    agent.sync()
    page, _ = container_instance_page()
    signed_in.post(f"{page}host/", headers=HTMX)

    boto3.client("iam", region_name=REGION).attach_role_policy(
        RoleName="ecsInstanceRole",
        PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    )
    _, answered = read_until_answered(signed_in, page)

    assert "ECS_CLUSTER=demo-cluster" in answered.content.decode()


def test_an_instance_whose_agent_never_registered_is_read_from_its_ec2_instance_page(
    signed_in, launch, finish
):
    operation = finish(launch(), agents_register=False)
    (instance,) = operation.step(Step.Kind.INSTANCES).unregistered_instances
    page = f"/clusters/demo-cluster/ec2-instances/{instance.instance_id}/"

    offered = signed_in.get(page).content.decode()
    sent, answered = read_until_answered(signed_in, page)

    assert 'id="host-heading">Host<' in offered
    assert f"run the lab's commands on instance {instance.instance_id}" in offered
    reading = HostReading.objects.get()
    assert reading.container_instance_id == ""
    assert reading.get_absolute_url() == page
    shown = answered.content.decode()
    assert "ECS_CLUSTER=demo-cluster\nECS_BACKEND_HOST=\n</pre>" in shown
    # Not registered: the agent's introspection API does not answer (curl's exit code 7:
    # could not connect).
    metadata = HostReading.objects.get().commands.get(lab_command="agent-metadata")
    assert (metadata.status, metadata.response_code) == ("Failed", 7)
    assert "Failed, exit code 7" in shown


def test_reading_an_ec2_instance_that_does_not_exist_is_a_404(signed_in, lab_cluster):
    response = signed_in.post("/clusters/demo-cluster/ec2-instances/i-0123456789abcdef0/host/")

    assert response.status_code == 404
    assert "There is no EC2 instance i-0123456789abcdef0." in response.content.decode()

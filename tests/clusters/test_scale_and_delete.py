"""Growing, shrinking and removing a cluster the wizard made, and taking an instance out."""

import boto3
import pytest
from django.utils.html import escape

from clusters import inventory
from clusters.models import Operation, Step

from .conftest import REGION

STACK = "EC2ContainerService-demo-cluster"


def asg(region=REGION):
    return boto3.client("autoscaling", region_name=region).describe_auto_scaling_groups()[
        "AutoScalingGroups"
    ][0]


def stack_parameters():
    stack = boto3.client("cloudformation", region_name=REGION).describe_stacks(StackName=STACK)[
        "Stacks"
    ][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


def stack_template():
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    return cloudformation.get_template(StackName=STACK)["TemplateBody"]


def stack_parameter(name):
    return stack_parameters()[name]


def scale_to(signed_in, finish, count):
    response = signed_in.post("/clusters/demo-cluster/scale/", {"instance_count": count})
    operation = Operation.objects.filter(action=Operation.Action.SCALE).latest("created_at")
    # Back on the ECS Instances tab, where the instances arrive.
    assert response.url == "/clusters/demo-cluster/ecs-instances/"
    return finish(operation)


def test_the_scale_dialog_starts_at_the_stack_size_and_warns_about_terminations(
    signed_in, launch, finish
):
    # Two instances, not the wizard's default one, so the number can only come from the stack.
    assert finish(launch(instance_count="2")).has_succeeded

    page = signed_in.get("/clusters/demo-cluster/scale/").content.decode()

    assert 'name="instance_count" value="2"' in page
    assert "randomly selected instances are terminated" in page


def test_scaling_up_updates_the_stack_and_the_new_instances_join(
    signed_in, lab_cluster, finish, agent
):
    before, template = stack_parameters(), stack_template()

    operation = scale_to(signed_in, finish, 3)
    agent.sync()

    assert operation.has_succeeded, operation.step(Step.Kind.SCALE).message
    # Scale is a parameter change: the same template, every other parameter as it was.
    assert stack_parameters() == {**before, "AsgMaxSize": "3"}
    assert stack_template() == template
    assert asg()["DesiredCapacity"] == 3
    rows = inventory.container_instances(REGION, "demo-cluster")
    assert len(rows) == 3
    assert len({row.availability_zone for row in rows}) == 2
    assert inventory.cluster(REGION, "demo-cluster").registered_instances == 3


def test_scaling_down_terminates_instances_and_they_leave_the_cluster(
    signed_in, lab_cluster, finish, agent
):
    scale_to(signed_in, finish, 3)
    agent.sync()

    scale_to(signed_in, finish, 1)
    agent.sync()

    assert stack_parameter("AsgMaxSize") == "1"
    assert len(inventory.container_instances(REGION, "demo-cluster")) == 1
    assert inventory.cluster(REGION, "demo-cluster").registered_instances == 1


@pytest.mark.parametrize(
    "count,reason,field_as_typed",
    [
        ("-1", "Ensure this value is greater than or equal to 0.", 'value="-1"'),
        ("1001", "Ensure this value is less than or equal to 1000.", 'value="1001"'),
        ("", "This field is required.", 'min="0"'),  # left empty, not refilled with the size
    ],
)
def test_the_scale_dialog_refuses_a_number_outside_0_to_1000(
    signed_in, lab_cluster, count, reason, field_as_typed
):
    response = signed_in.post("/clusters/demo-cluster/scale/", {"instance_count": count})

    page = response.content.decode()
    assert response.status_code == 200
    slot = '<div class="field-messages" id="id_instance_count_error">'
    assert f'{slot}<p class="field-error">{reason}</p>' in page
    assert f'<input type="number" name="instance_count" {field_as_typed}' in page
    assert not Operation.objects.filter(action=Operation.Action.SCALE).exists()


def test_a_cluster_without_a_wizard_stack_cannot_be_scaled_here(signed_in, aws):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")

    response = signed_in.get("/clusters/demo-cluster/scale/", follow=True)

    assert response.redirect_chain == [("/clusters/demo-cluster/ecs-instances/", 302)]
    assert "has no Auto Scaling group made by the Create Cluster wizard" in response.text


STACK_GOES_TOO = "Deleting the cluster also deletes the AWS CloudFormation stack"
STACK_UNTOUCHED = "Only the ECS cluster is deleted."


def test_delete_explains_that_the_stack_goes_too(signed_in, lab_cluster):
    page = signed_in.get("/clusters/demo-cluster/delete/").content.decode()

    assert f"{STACK_GOES_TOO} <code>EC2ContainerService-demo-cluster</code>" in page
    assert STACK_UNTOUCHED not in page


def test_delete_of_a_cluster_without_a_wizard_stack_leaves_cloudformation_alone(signed_in, aws):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")

    page = signed_in.get("/clusters/demo-cluster/delete/").content.decode()

    assert STACK_UNTOUCHED in page
    assert STACK_GOES_TOO not in page


def test_delete_needs_the_words_delete_me(signed_in, lab_cluster):
    response = signed_in.post("/clusters/demo-cluster/delete/", {"confirmation": "delete"})

    assert "Type delete me, exactly, to delete the cluster." in response.content.decode()
    assert not Operation.objects.filter(action=Operation.Action.DELETE).exists()


def test_deleting_removes_the_stack_then_the_cluster(signed_in, lab_cluster, finish, agent):
    stack_id = lab_cluster.step(Step.Kind.STACK).outputs["stack_id"]

    signed_in.post("/clusters/demo-cluster/delete/", {"confirmation": "delete me"})
    operation = finish(Operation.objects.get(action=Operation.Action.DELETE))
    agent.sync()

    assert [s.kind for s in operation.ordered_steps] == [Step.Kind.DELETE_STACK, Step.Kind.DELETE_CLUSTER]
    assert operation.has_succeeded, [s.message for s in operation.steps.all()]
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    assert cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == (
        "DELETE_COMPLETE"
    )
    cluster = boto3.client("ecs", region_name=REGION).describe_clusters(clusters=["demo-cluster"])[
        "clusters"
    ][0]
    assert cluster["status"] == "INACTIVE"
    clusters_page = signed_in.get("/clusters/")
    assert "demo-cluster" not in [cluster.name for cluster in clusters_page.context["clusters"]]
    assert signed_in.get("/clusters/demo-cluster/").status_code == 404


def test_a_cluster_with_instances_and_no_stack_is_refused_with_aws_reason_then_retried(
    signed_in, aws, finish, agent, ec2
):
    ami = boto3.client("ssm", region_name=REGION).get_parameter(
        Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
    )["Parameter"]["Value"]
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")
    ec2.run_instances(ImageId=ami, InstanceType="t2.micro", MinCount=1, MaxCount=1,
                      UserData="#!/bin/bash\necho ECS_CLUSTER=demo-cluster >> /etc/ecs/ecs.config\n")
    agent.sync()
    page = signed_in.get("/clusters/demo-cluster/delete/").content.decode()
    assert "Only the ECS cluster is deleted." in page

    signed_in.post("/clusters/demo-cluster/delete/", {"confirmation": "delete me"})
    refused = finish(Operation.objects.get(action=Operation.Action.DELETE))

    assert refused.has_failed
    reason = refused.step(Step.Kind.DELETE_CLUSTER).message
    assert "container instances" in reason.lower()
    status = signed_in.get(refused.get_absolute_url()).content.decode()
    assert escape(reason) in status
    assert "Try again" in status

    row = inventory.container_instances(REGION, "demo-cluster")[0]
    signed_in.post(f"/clusters/demo-cluster/container-instances/{row.id}/deregister/", {})
    signed_in.post("/clusters/demo-cluster/delete/", {"confirmation": "delete me"})
    retried = finish(Operation.objects.filter(action=Operation.Action.DELETE).latest("created_at"))

    assert retried.has_succeeded


def test_the_container_instance_page_shows_its_details(signed_in, lab_cluster):
    row = inventory.container_instances(REGION, "demo-cluster")[0]

    page = signed_in.get(f"/clusters/demo-cluster/container-instances/{row.id}/").content.decode()

    assert f"Container Instance : {row.id}" in page
    assert row.ec2_instance_id in page
    assert "<td>1024</td><td>1024</td>" in page
    # The agent registers the instance's attributes, so the table lists them.
    assert "<td>ecs.os-type</td><td>linux</td>" in page
    assert "No attributes." not in page
    assert f'href="/clusters/demo-cluster/container-instances/{row.id}/deregister/"' in page


def test_deregister_takes_the_instance_out_of_the_cluster(signed_in, lab_cluster):
    row = inventory.container_instances(REGION, "demo-cluster")[0]

    response = signed_in.post(
        f"/clusters/demo-cluster/container-instances/{row.id}/deregister/", {}
    )

    assert response.status_code == 302
    assert inventory.container_instances(REGION, "demo-cluster") == ()
    assert inventory.cluster(REGION, "demo-cluster").registered_instances == 0


def test_an_unknown_container_instance_is_a_404(signed_in, lab_cluster):
    response = signed_in.get("/clusters/demo-cluster/container-instances/0000-not-there/")

    assert response.status_code == 404

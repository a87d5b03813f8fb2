"""The ECS Instances tab watches while something is on its way, and rests once nothing changes:
the header's count and the table agree, and every host of the group is registered or steady."""

from datetime import timedelta

import boto3

from clusters import inventory
from clusters.models import Deregistration, Operation

from .conftest import LAB_CLUSTER_TAB_CALLS, REGION

INSTANCES_TAB = "/clusters/demo-cluster/ecs-instances/"
POLL = {"HX-Request": "true"}


def group_instance_ids():
    groups = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups()
    return [i["InstanceId"] for i in groups["AutoScalingGroups"][0]["Instances"]]


def read(now=None):
    cluster = inventory.cluster(REGION, "demo-cluster")
    stack = inventory.wizard_stack(REGION, "demo-cluster")
    return inventory.cluster_instances(
        REGION, cluster, group_name=stack.auto_scaling_group, now=now
    )


def test_after_deregister_the_tab_rests_and_shows_the_host_still_running(
    signed_in, lab_cluster, agent, poll_twice
):
    (row,) = inventory.container_instances(REGION, "demo-cluster")

    signed_in.post(f"/clusters/demo-cluster/container-instances/{row.id}/deregister/", {})
    agent.sync()  # the agent leaves a deregistered instance out
    poll = poll_twice(INSTANCES_TAB)

    page = poll.content.decode()
    assert 'data-pace="resting"' in page
    assert 'id="registered-count">0<' in page
    assert f'<tr id="group-instance-{row.ec2_instance_id}">' in page
    assert "<td>running</td>" in page
    assert "Running; deregistered from the cluster" in page
    assert Deregistration.objects.get().ec2_instance_id == row.ec2_instance_id


def test_a_stopped_host_stays_registered_disconnected_and_the_tab_rests(
    signed_in, lab_cluster, agent, ec2, poll_twice
):
    (instance_id,) = group_instance_ids()
    (row,) = inventory.container_instances(REGION, "demo-cluster")

    ec2.stop_instances(InstanceIds=[instance_id])
    agent.sync()  # as on AWS, a stopped instance stays registered, its agent disconnected
    poll = poll_twice(INSTANCES_TAB)

    page = poll.content.decode()
    assert 'data-pace="resting"' in page
    assert 'id="registered-count">1<' in page
    assert f'<tr id="container-instance-{row.id}">' in page
    assert "<td>false</td>" in page  # Agent Connected
    (stopped,) = inventory.container_instances(REGION, "demo-cluster")
    assert stopped.agent_connected is False
    assert stopped.ec2.state == inventory.Ec2State.STOPPED
    assert f'<tr id="group-instance-{instance_id}">' not in page


def test_a_host_whose_agent_never_registers_is_waited_for_only_while_it_may_still_start(
    launch, finish
):
    finish(launch(), agents_register=False)  # the group launched one instance, not registered
    (instance_id,) = group_instance_ids()
    launched = boto3.client("ec2", region_name=REGION).describe_instances(
        InstanceIds=[instance_id]
    )["Reservations"][0]["Instances"][0]["LaunchTime"]

    just_launched = read(now=launched + timedelta(seconds=30))
    long_after = read(now=launched + inventory.AGENT_REGISTRATION_GRACE["linux"])

    assert just_launched.still_changing is True
    assert [h.situation for h in just_launched.unregistered] == [
        inventory.HostSituation.STARTING
    ]
    assert long_after.still_changing is False
    assert [h.situation for h in long_after.unregistered] == [
        inventory.HostSituation.NOT_REGISTERED
    ]


def test_a_disconnected_host_is_a_steady_state(lab_cluster):
    connected = read()
    (registered,) = connected.container_instances
    disconnected = inventory.ClusterInstances(
        cluster=connected.cluster,
        container_instances=(
            inventory.ContainerInstance(
                arn=registered.arn,
                status=inventory.ContainerInstanceStatus.ACTIVE,
                agent_connected=False,
                ec2_instance_id=registered.ec2_instance_id,
                ec2=registered.ec2,
            ),
        ),
        group=connected.group,
    )

    assert connected.still_changing is False
    assert disconnected.still_changing is False


def test_the_tab_keeps_looking_while_the_header_count_and_the_table_disagree(lab_cluster):
    agreeing = read()
    header_ahead = inventory.ClusterInstances(
        cluster=inventory.Cluster.from_aws(
            {
                "clusterName": "demo-cluster",
                "clusterArn": agreeing.cluster.arn,
                "status": "ACTIVE",
                "registeredContainerInstancesCount": 2,
            }
        ),
        container_instances=agreeing.container_instances,
        group=agreeing.group,
    )

    assert (agreeing.counts_agree, agreeing.still_changing) == (True, False)
    assert (header_ahead.counts_agree, header_ahead.still_changing) == (False, True)


def test_after_scaling_the_tab_names_the_running_operation_and_watches_the_instances_arrive(
    signed_in, lab_cluster, finish, agent, poll_twice
):
    signed_in.post("/clusters/demo-cluster/scale/", {"instance_count": "3"})
    scale = Operation.objects.get(action=Operation.Action.SCALE)

    while_scaling = signed_in.get(INSTANCES_TAB, headers=POLL)
    finish(scale)  # the group launches two more; their agents have not registered yet
    arriving = signed_in.get(INSTANCES_TAB, headers=POLL)
    agent.sync()
    arrived = poll_twice(INSTANCES_TAB)

    assert while_scaling.status_code == 200
    assert (
        f'<a href="/operations/{scale.pk}/">Scale ECS Instances</a> to 3 instances is in progress.'
        in while_scaling.content.decode()
    )
    assert arriving.status_code == 200
    assert 'id="registered-count">1<' in arriving.content.decode()
    assert arriving.content.decode().count("Running; its ECS agent has not registered yet") == 2
    assert 'data-pace="watching"' in arriving.content.decode()
    assert 'data-pace="resting"' in arrived.content.decode()
    assert 'id="registered-count">3<' in arrived.content.decode()
    assert arrived.content.decode().count('<tr id="container-instance-') == 3
    assert f"/operations/{scale.pk}/" not in arrived.content.decode()


def test_a_poll_of_the_lab_cluster_asks_aws_six_questions(signed_in, lab_cluster, aws_calls):
    signed_in.get(INSTANCES_TAB, headers=POLL)

    assert sorted(aws_calls) == LAB_CLUSTER_TAB_CALLS

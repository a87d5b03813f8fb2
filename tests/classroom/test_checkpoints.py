"""The lab's checkpoints, checked in a learner's account on the local cloud: each reached when the
learner did what the lab says, each naming what is missing or wrong otherwise."""

import boto3

from classroom.checkpoints import CHECKPOINTS
from classroom.models import CheckpointReached
from classroom.progress import check_learner
from clusters.models import Operation
from tests.conftest import REGION

EVERY_CHECKPOINT_BUT_CLEANING_UP = [
    "Cluster exists",
    "Stack complete",
    "t2.micro",
    "Subnets in every AZ",
    "Port 22 open",
    "Key pair set",
    "Instance registered",
]


def reached(results):
    return [name for name, result in results.items() if result.reached]


def missing(results, name):
    return results[name].missing


def test_the_checkpoints_are_the_labs_in_its_order():
    assert [checkpoint.name for checkpoint in CHECKPOINTS] == [
        *EVERY_CHECKPOINT_BUT_CLEANING_UP,
        "Cleaned up",
    ]


def test_a_learner_who_has_not_started_has_reached_nothing_and_is_told_what_comes_first(user, aws):
    results = check_learner(user, REGION).results

    assert reached(results) == []
    assert missing(results, "Cluster exists") == "There is no cluster demo-cluster yet."
    assert missing(results, "Instance registered") == (
        "There is no cluster demo-cluster for an instance to join."
    )
    # An empty account is not a cleaned-up one: the lab has not been done yet.
    assert missing(results, "Cleaned up") == (
        "At the end of the lab, once the cluster has been made."
    )
    assert not CheckpointReached.objects.exists()


def test_the_lab_done_as_it_says_reaches_every_checkpoint_but_cleaning_up(user, lab_as_asked):
    lab_as_asked()

    results = check_learner(user, REGION).results

    assert reached(results) == EVERY_CHECKPOINT_BUT_CLEANING_UP
    assert not results["Cleaned up"].wrong
    assert missing(results, "Cleaned up").startswith(
        "Still there: cluster demo-cluster; the lab's stack (CREATE_COMPLETE); instance i-"
    )
    assert sorted(CheckpointReached.objects.values_list("checkpoint", flat=True)) == sorted(
        EVERY_CHECKPOINT_BUT_CLEANING_UP
    )


def test_port_80_open_instead_of_22_is_named(user, lab_as_asked):
    lab_as_asked(ingress_port="80")

    result = check_learner(user, REGION).results["Port 22 open"]

    assert not result.reached
    assert result.wrong
    assert result.missing == "Port 80 is open to 0.0.0.0/0 instead of 22."


def test_port_22_open_to_one_network_only_names_it(user, lab_as_asked):
    lab_as_asked(ingress_cidr="10.0.0.0/16")

    result = check_learner(user, REGION).results["Port 22 open"]

    assert result.missing == "Port 22 is open to 10.0.0.0/16 only, not to 0.0.0.0/0."


def test_a_range_that_holds_22_is_open_on_22(user, lab_as_asked):
    lab_as_asked(ingress_port="20-25")

    assert check_learner(user, REGION).results["Port 22 open"].reached


def test_another_instance_type_is_named(user, lab_as_asked):
    lab_as_asked(instance_type="t3.small")

    result = check_learner(user, REGION).results["t2.micro"]

    assert result.wrong
    assert result.missing == "The instances are t3.small, not t2.micro."


def test_no_key_pair_is_wrong(user, lab_as_asked):
    lab_as_asked(key_name="")

    result = check_learner(user, REGION).results["Key pair set"]

    assert result.wrong
    assert result.missing == "The instances have no key pair: no one can connect to them with SSH."


def test_a_new_vpc_in_two_zones_leaves_the_others_out(user, lab_cluster, ec2):
    zones = sorted(
        zone["ZoneName"]
        for zone in ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}]
        )["AvailabilityZones"]
    )

    result = check_learner(user, REGION).results["Subnets in every AZ"]

    assert result.wrong
    assert result.missing == (
        f"Its subnets are in {zones[0]}, {zones[1]}; none is in {', '.join(zones[2:])}."
    )


def test_an_instance_whose_agent_never_registered_is_not_yet_registered(
    user, ec2, launch, finish, default_vpc_subnets
):
    vpc, subnets = default_vpc_subnets
    finish(launch(vpc=vpc, subnet_ids=subnets), agents_register=False)

    results = check_learner(user, REGION).results

    assert results["Stack complete"].reached
    assert missing(results, "Instance registered") == (
        "No instance has registered with demo-cluster yet."
    )


def test_an_agent_that_disconnected_is_named(user, lab_as_asked, agent):
    lab_as_asked()
    ecs = boto3.client("ecs", region_name=REGION)
    [arn] = ecs.list_container_instances(cluster="demo-cluster")["containerInstanceArns"]
    [described] = ecs.describe_container_instances(
        cluster="demo-cluster", containerInstances=[arn]
    )["containerInstances"]
    instance_id = described["ec2InstanceId"]
    boto3.client("ec2", region_name=REGION).stop_instances(InstanceIds=[instance_id])
    agent.sync()

    result = check_learner(user, REGION).results["Instance registered"]

    assert not result.reached
    assert result.missing == f"{instance_id} registered, but no agent is connected and active."


def delete_demo_cluster(signed_in, finish):
    signed_in.post("/clusters/demo-cluster/delete/", {"confirmation": "delete me"})
    operation = finish(Operation.objects.get(action=Operation.Action.DELETE))
    assert operation.has_succeeded, [step.message for step in operation.steps.all()]


def test_cleaning_up_reaches_the_last_checkpoint_and_keeps_every_earlier_one(
    user, signed_in, lab_as_asked, finish
):
    lab_as_asked()
    check_learner(user, REGION)
    first_times = dict(CheckpointReached.objects.values_list("checkpoint", "reached_at"))

    delete_demo_cluster(signed_in, finish)
    results = check_learner(user, REGION).results

    assert reached(results) == ["Cleaned up"]
    assert missing(results, "Cluster exists") == "There is no cluster demo-cluster yet."
    kept = dict(CheckpointReached.objects.values_list("checkpoint", "reached_at"))
    assert set(kept) == {*EVERY_CHECKPOINT_BUT_CLEANING_UP, "Cleaned up"}
    assert {name: kept[name] for name in first_times} == first_times


def test_an_instance_left_running_is_not_cleaned_up(user, signed_in, lab_as_asked, finish, ec2):
    lab_as_asked()
    check_learner(user, REGION)
    delete_demo_cluster(signed_in, finish)
    ami = boto3.client("ssm", region_name=REGION).get_parameter(
        Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
    )["Parameter"]["Value"]
    [left] = ec2.run_instances(ImageId=ami, InstanceType="t2.micro", MinCount=1, MaxCount=1)[
        "Instances"
    ]

    result = check_learner(user, REGION).results["Cleaned up"]

    assert not result.reached
    assert result.missing == f"Still there: instance {left['InstanceId']} (running)."

"""Spot instances: the form's rules, the mixed instances policy, and the group AWS runs."""

import boto3
import pytest

from clusters.configuration import ScaleRequest, Spot, SpotAllocationStrategy
from clusters.forms import Ec2LinuxClusterForm
from clusters.models import Operation, Step, Template

from .conftest import REGION
from .test_provisioning import run_to_the_end
from .test_stack_template import created, with_instances

SPOT = {"provisioning_model": "spot", "instance_type": ["t3.micro", "t3a.micro"]}
SPOT_CONFIG = with_instances(instance_types=("t3.micro", "t3a.micro"), spot=Spot())


def spot_form(options, lab_data, **changes):
    form = Ec2LinuxClusterForm({**lab_data, **SPOT, **changes}, options=options)
    form.is_valid()
    return form


def test_spot_takes_several_instance_types_and_defaults_to_diversified(options, lab_data):
    form = spot_form(options, lab_data)

    assert form.errors == {}
    instances = form.configuration(tags=[]).instances
    assert instances.instance_types == ("t3.micro", "t3a.micro")
    assert instances.instance_type == "t3.micro"
    assert instances.spot == Spot(SpotAllocationStrategy.DIVERSIFIED, max_price="")


def test_the_maximum_price_is_kept_as_typed_without_trailing_zeros(options, lab_data):
    instances = spot_form(options, lab_data, spot_max_price="0.0150").configuration([]).instances

    assert instances.spot.max_price == "0.015"


@pytest.mark.parametrize("price", ["0", "-0.01"])
def test_the_maximum_price_must_be_more_than_nothing(options, lab_data, price):
    assert spot_form(options, lab_data, spot_max_price=price).errors["spot_max_price"] == [
        "A maximum price is more than $0 an hour."
    ]


def test_the_maximum_price_must_be_a_number(options, lab_data):
    assert spot_form(options, lab_data, spot_max_price="cheap").errors["spot_max_price"] == [
        "Enter a number."
    ]


def test_every_spot_type_must_suit_the_ami_architecture(options, lab_data):
    errors = spot_form(options, lab_data, instance_type=["t3.micro", "t4g.micro"]).errors

    assert "t4g.micro has none" in errors["ami_id"][0]


def test_t2_unlimited_is_not_asked_when_one_spot_type_is_not_burstable(options, lab_data):
    form = spot_form(options, lab_data, instance_type=["t3.micro", "m5.large"], t2_unlimited="on")

    assert form.errors == {}
    assert form.offers_t2_unlimited is False
    assert form.configuration(tags=[]).instances.t2_unlimited is False


def test_diversified_spot_is_a_group_with_a_price_capacity_optimized_mixed_policy(
    lab_stack_config,
):
    types = SPOT_CONFIG.instances.instance_types
    made = created(with_instances(lab_stack_config, instance_types=types, spot=Spot()))

    group = made.group
    assert "LaunchTemplate" not in group
    policy = group["MixedInstancesPolicy"]
    assert policy["LaunchTemplate"]["Overrides"] == [
        {"InstanceType": "t3.micro"},
        {"InstanceType": "t3a.micro"},
    ]
    spec = policy["LaunchTemplate"]["LaunchTemplateSpecification"]
    assert spec["LaunchTemplateId"] == made.resources["EcsInstanceLaunchTemplate"]
    assert policy["InstancesDistribution"] == {
        "OnDemandBaseCapacity": 0,
        "OnDemandPercentageAboveBaseCapacity": 0,
        "SpotAllocationStrategy": "price-capacity-optimized",
    }
    assert group["MaxSize"] == group["DesiredCapacity"] == 1
    assert made.instances[0]["InstanceLifecycle"] == "spot"


def test_lowest_price_spot_draws_from_the_cheapest_pool_up_to_the_maximum_price(
    lab_stack_config,
):
    config = with_instances(
        lab_stack_config,
        instance_types=SPOT_CONFIG.instances.instance_types,
        spot=Spot(SpotAllocationStrategy.LOWEST_PRICE, "0.02"),
    )

    distribution = created(config).group["MixedInstancesPolicy"]["InstancesDistribution"]

    assert distribution["SpotAllocationStrategy"] == "lowest-price"
    assert distribution["SpotInstancePools"] == 1
    assert distribution["SpotMaxPrice"] == "0.02"


def test_every_chosen_type_is_an_override_in_the_order_chosen(lab_stack_config):
    chosen = ("t3.micro", "t3a.micro", "t3.small", "t3a.small", "m5.large")

    made = created(with_instances(lab_stack_config, instance_types=chosen, spot=Spot()))

    overrides = made.group["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
    assert [o["InstanceType"] for o in overrides] == list(chosen)
    assert made.parameters["EcsInstanceType"] == ",".join(chosen)
    assert made.launch_template["InstanceType"] == "t3.micro"


def test_spot_needs_no_spot_fleet_and_no_spot_fleet_role(lab_stack_config):
    made = created(with_instances(lab_stack_config, instance_types=("t3.micro",), spot=Spot()))

    described = boto3.client("cloudformation", region_name=REGION).describe_stack_resources(
        StackName=made.stack["StackId"]
    )["StackResources"]
    assert "AWS::EC2::SpotFleet" not in {r["ResourceType"] for r in described}


@pytest.fixture
def spot_launch(db, user, options, lab_data):
    form = Ec2LinuxClusterForm(
        {**lab_data, **SPOT, "instance_count": "2", "spot_max_price": "0.05"}, options=options
    )
    assert form.is_valid(), form.errors
    return Operation.objects.submit(
        action=Operation.Action.CREATE,
        template=Template.EC2_LINUX,
        cluster_name="demo-cluster",
        region=REGION,
        user=user,
        request=form.configuration(tags=[]),
    ).operation


def test_the_spot_stack_runs_a_group_with_the_mixed_instances_policy(spot_launch):
    run_to_the_end(spot_launch.step(Step.Kind.INSTANCE_ROLE))
    step = run_to_the_end(spot_launch.step(Step.Kind.STACK))

    assert step.state == Step.State.SUCCEEDED, step.message
    group = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups(
        AutoScalingGroupNames=[step.outputs["resources"]["EcsInstanceAsg"]]
    )["AutoScalingGroups"][0]
    policy = group["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == [
        "t3.micro",
        "t3a.micro",
    ]
    assert policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
    assert policy["InstancesDistribution"]["SpotMaxPrice"] == "0.05"
    assert len(group["Instances"]) == 2
    roles = boto3.client("iam", region_name=REGION).list_roles()["Roles"]
    assert "ecsSpotFleetRole" not in {role["RoleName"] for role in roles}


def test_scaling_a_spot_stack_keeps_its_mixed_instances_policy(spot_launch):
    run_to_the_end(spot_launch.step(Step.Kind.INSTANCE_ROLE))
    created = run_to_the_end(spot_launch.step(Step.Kind.STACK))
    scale = Operation.objects.submit(
        action=Operation.Action.SCALE,
        cluster_name="demo-cluster",
        region=REGION,
        user=spot_launch.created_by,
        request=ScaleRequest(instance_count=3),
    ).operation

    step = run_to_the_end(scale.step(Step.Kind.SCALE))

    assert step.state == Step.State.SUCCEEDED, step.message
    group = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups(
        AutoScalingGroupNames=[created.outputs["resources"]["EcsInstanceAsg"]]
    )["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 3
    assert len(group["Instances"]) == 3
    assert len(group["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]) == 2


def test_a_spot_launch_has_the_on_demand_steps_and_each_succeeds(spot_launch):
    kinds = [step.kind for step in spot_launch.ordered_steps]

    assert kinds == [
        Step.Kind.CLUSTER, Step.Kind.INSTANCE_ROLE, Step.Kind.STACK, Step.Kind.INSTANCES
    ]
    for step in spot_launch.ordered_steps:
        assert run_to_the_end(step).state == Step.State.SUCCEEDED


def test_cluster_resources_name_every_spot_instance_type(spot_launch):
    for step in spot_launch.ordered_steps:
        run_to_the_end(step)

    assert dict(spot_launch.cluster_resources())["Instance type"] == "t3.micro, t3a.micro"

"""A group with a mixed instances policy runs Spot and On-Demand instances of the types it names,
as Auto Scaling does."""

from collections import Counter

from .cloud import auto_scaling_group, recommended, two_zone_vpc

TYPES = ["t3.micro", "t3a.micro"]
ALL_SPOT = {"OnDemandBaseCapacity": 0, "OnDemandPercentageAboveBaseCapacity": 0}


def mixed_group(aws, distribution, desired, types=TYPES):
    _, subnets = two_zone_vpc(aws)
    template_id = aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={"ImageId": recommended(aws)["image_id"], "InstanceType": types[0]},
    )["LaunchTemplate"]["LaunchTemplateId"]
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ecs",
        MixedInstancesPolicy={
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {
                    "LaunchTemplateId": template_id,
                    "Version": "$Latest",
                },
                "Overrides": [{"InstanceType": name} for name in types],
            },
            "InstancesDistribution": distribution,
        },
        MinSize=0,
        MaxSize=10,
        DesiredCapacity=desired,
        VPCZoneIdentifier=",".join(subnets),
    )


def instances(aws):
    """(market, type) of each running instance, as DescribeInstances reports them."""
    reservations = aws.ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}]
    )["Reservations"]
    return Counter(
        (i.get("InstanceLifecycle", "on-demand"), i["InstanceType"])
        for r in reservations
        for i in r["Instances"]
    )


def test_an_all_spot_group_marks_its_instances_spot_and_spreads_them_over_the_types(aws):
    mixed_group(aws, {**ALL_SPOT, "SpotAllocationStrategy": "price-capacity-optimized"}, 4)

    assert instances(aws) == {("spot", "t3.micro"): 2, ("spot", "t3a.micro"): 2}
    [group] = aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert Counter(i["InstanceType"] for i in group["Instances"]) == {
        "t3.micro": 2,
        "t3a.micro": 2,
    }


def test_lowest_price_from_one_pool_takes_a_single_type(aws):
    mixed_group(
        aws, {**ALL_SPOT, "SpotAllocationStrategy": "lowest-price", "SpotInstancePools": 1}, 3
    )

    assert instances(aws) == {("spot", "t3.micro"): 3}


def test_on_demand_base_and_percentage_split_the_group_rounding_up_for_on_demand(aws):
    # Base 1 On-Demand; of the 4 above it 50 % On-Demand (2) and the rest Spot (2).
    mixed_group(aws, {"OnDemandBaseCapacity": 1, "OnDemandPercentageAboveBaseCapacity": 50}, 5)

    markets = Counter()
    for (market, _), count in instances(aws).items():
        markets[market] += count
    assert markets == {"on-demand": 3, "spot": 2}
    # On-Demand instances take the first type (the prioritized strategy, the default).
    assert instances(aws)[("on-demand", "t3.micro")] == 3


def test_scaling_out_a_spot_group_keeps_the_types_balanced(aws):
    mixed_group(aws, ALL_SPOT, 1)

    aws.autoscaling.set_desired_capacity(AutoScalingGroupName="ecs", DesiredCapacity=4)

    assert instances(aws) == {("spot", "t3.micro"): 2, ("spot", "t3a.micro"): 2}


def test_a_group_without_a_mixed_policy_stays_on_demand_of_its_templates_type(aws):
    _, subnets = two_zone_vpc(aws)
    auto_scaling_group(aws, subnets, desired=2)

    assert instances(aws) == {("on-demand", "t2.micro"): 2}

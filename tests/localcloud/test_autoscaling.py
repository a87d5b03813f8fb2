"""Auto Scaling groups spread their instances over their subnets' zones, as AWS balances them."""

from collections import Counter

from .cloud import auto_scaling_group, recommended, two_zone_vpc


def zones(aws):
    [group] = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["ecs"])[
        "AutoScalingGroups"
    ]
    return Counter(instance["AvailabilityZone"] for instance in group["Instances"])


def subnets_of_instances(aws):
    reservations = aws.ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}]
    )["Reservations"]
    return Counter(i["SubnetId"] for r in reservations for i in r["Instances"])


def test_a_new_group_spreads_its_instances_over_its_subnets_zones(aws):
    _, subnets = two_zone_vpc(aws)

    auto_scaling_group(aws, subnets, desired=4)

    assert zones(aws) == {"us-east-1a": 2, "us-east-1b": 2}
    assert subnets_of_instances(aws) == {subnets[0]: 2, subnets[1]: 2}


def test_an_odd_count_puts_the_extra_instance_in_the_first_zone(aws):
    _, subnets = two_zone_vpc(aws)

    auto_scaling_group(aws, subnets, desired=3)

    assert zones(aws) == {"us-east-1a": 2, "us-east-1b": 1}


def test_scaling_out_keeps_the_zones_balanced(aws):
    _, subnets = two_zone_vpc(aws)
    auto_scaling_group(aws, subnets, desired=1)

    aws.autoscaling.set_desired_capacity(AutoScalingGroupName="ecs", DesiredCapacity=4)

    assert zones(aws) == {"us-east-1a": 2, "us-east-1b": 2}


def test_scaling_in_terminates_instances_from_the_fullest_zone(aws):
    _, subnets = two_zone_vpc(aws)
    auto_scaling_group(aws, subnets, desired=3)

    aws.autoscaling.update_auto_scaling_group(AutoScalingGroupName="ecs", DesiredCapacity=2)

    assert zones(aws) == {"us-east-1a": 1, "us-east-1b": 1}


def test_each_launch_and_termination_is_an_activity_newest_first(aws):
    """DescribeScalingActivities lists what the group did, with AWS's Description and Cause."""
    _, subnets = two_zone_vpc(aws)
    auto_scaling_group(aws, subnets, desired=1)
    [first] = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["ecs"])[
        "AutoScalingGroups"
    ][0]["Instances"]

    aws.autoscaling.set_desired_capacity(AutoScalingGroupName="ecs", DesiredCapacity=0)

    activities = aws.autoscaling.describe_scaling_activities(AutoScalingGroupName="ecs")[
        "Activities"
    ]
    assert [a["Description"] for a in activities] == [
        f"Terminating EC2 instance: {first['InstanceId']}",
        f"Launching a new EC2 instance: {first['InstanceId']}",
    ]
    assert {a["StatusCode"] for a in activities} == {"Successful"}
    assert "a user request created an AutoScalingGroup changing the desired capacity from 0 to 1." in (
        activities[1]["Cause"]
    )
    assert "shrinking the capacity from 1 to 0." in activities[0]["Cause"]
    assert aws.autoscaling.describe_scaling_activities(AutoScalingGroupName="other")[
        "Activities"
    ] == []


def test_a_group_whose_launch_template_names_no_instance_type_launches_m1_small(aws):
    # EC2 API Reference, RunInstances: InstanceType "Default: m1.small".
    _, subnets = two_zone_vpc(aws)
    template = aws.ec2.create_launch_template(
        LaunchTemplateName="no-type", LaunchTemplateData={"ImageId": recommended(aws)["image_id"]}
    )["LaunchTemplate"]

    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ecs",
        MixedInstancesPolicy={"LaunchTemplate": {"LaunchTemplateSpecification": {
            "LaunchTemplateId": template["LaunchTemplateId"], "Version": "$Default",
        }}},
        MinSize=2,
        MaxSize=2,
        VPCZoneIdentifier=",".join(subnets),
    )

    reservations = aws.ec2.describe_instances()["Reservations"]
    assert [i["InstanceType"] for r in reservations for i in r["Instances"]] == ["m1.small"] * 2


def test_a_launch_template_type_still_wins_over_the_default(aws):
    _, subnets = two_zone_vpc(aws)

    auto_scaling_group(aws, subnets, desired=1)

    [reservation] = aws.ec2.describe_instances()["Reservations"]
    assert reservation["Instances"][0]["InstanceType"] == "t2.micro"

"""Instances take their launch template's monitoring and market unless the launch names its own,
as EC2 does."""

import inspect

import pytest
from moto.ec2.responses.instances import InstanceResponse

from .cloud import recommended, two_zone_vpc


def template(aws, **data):
    return aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={
            "ImageId": recommended(aws)["image_id"],
            "InstanceType": "t2.micro",
            **data,
        },
    )["LaunchTemplate"]["LaunchTemplateId"]


def group_instances(aws, template_id, desired=2):
    _, subnets = two_zone_vpc(aws)
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ecs",
        LaunchTemplate={"LaunchTemplateId": template_id, "Version": "$Latest"},
        MinSize=0,
        MaxSize=desired,
        DesiredCapacity=desired,
        VPCZoneIdentifier=",".join(subnets),
    )
    return described_instances(
        aws, Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": ["ecs"]}]
    )


def described_instances(aws, **kwargs):
    reservations = aws.ec2.describe_instances(**kwargs)["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def run_from(aws, template_id, **kwargs):
    [instance] = aws.ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template_id}, MinCount=1, MaxCount=1, **kwargs
    )["Instances"]
    return described_instances(aws, InstanceIds=[instance["InstanceId"]])[0]


@pytest.mark.parametrize("enabled,state", [(True, "enabled"), (False, "disabled")])
def test_a_groups_instances_have_the_monitoring_their_launch_template_asks_for(
    aws, enabled, state
):
    instances = group_instances(aws, template(aws, Monitoring={"Enabled": enabled}))

    assert [i["Monitoring"]["State"] for i in instances] == [state, state]


def test_run_instances_from_a_template_takes_its_monitoring_unless_the_request_names_one(aws):
    template_id = template(aws, Monitoring={"Enabled": True})

    assert run_from(aws, template_id)["Monitoring"]["State"] == "enabled"
    overridden = run_from(aws, template_id, Monitoring={"Enabled": False})
    assert overridden["Monitoring"]["State"] == "disabled"


def test_an_instance_without_monitoring_in_its_template_has_it_disabled(aws):
    assert run_from(aws, template(aws))["Monitoring"]["State"] == "disabled"


def test_a_template_that_asks_for_spot_launches_spot_instances(aws):
    template_id = template(aws, InstanceMarketOptions={"MarketType": "spot"})

    assert run_from(aws, template_id)["InstanceLifecycle"] == "spot"
    assert [i.get("InstanceLifecycle") for i in group_instances(aws, template_id, 1)] == ["spot"]


def test_an_on_demand_launch_has_no_instance_lifecycle(aws):
    assert "InstanceLifecycle" not in run_from(aws, template(aws))


def test_the_response_method_the_local_cloud_wraps_keeps_its_signature():
    original = InstanceResponse._localcloud_original_run_instances
    assert list(inspect.signature(original).parameters) == ["self"]
    source = inspect.getsource(original)
    assert '"Monitoring.Enabled"' in source
    assert '"InstanceMarketOptions.MarketType"' in source

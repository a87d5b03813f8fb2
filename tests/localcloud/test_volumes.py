"""An instance's EBS volumes go with it when their DeleteOnTermination says so, as on AWS."""

import json

import pytest

from .cloud import console_stack_template, launch, recommended
from .test_cloudformation import STACK

AL1 = "/aws/service/ecs/optimized-ami/amazon-linux/recommended"


def volumes(aws):
    return {v["VolumeId"]: (v["State"], v["Size"]) for v in aws.ec2.describe_volumes()["Volumes"]}


def mappings(aws, instance_id):
    [reservation] = aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return {
        m["DeviceName"]: (m["Ebs"]["VolumeId"], m["Ebs"]["DeleteOnTermination"])
        for m in reservation["Instances"][0]["BlockDeviceMappings"]
    }


@pytest.mark.parametrize("parameter", [None, AL1])
def test_terminating_an_ecs_instance_deletes_the_volumes_its_ami_maps(aws, parameter):
    # The ECS-optimized AMIs map every volume with DeleteOnTermination true.
    image_id = recommended(aws, parameter)["image_id"] if parameter else None
    [instance_id] = launch(aws, image_id=image_id)
    assert all(delete for _, delete in mappings(aws, instance_id).values())

    aws.ec2.terminate_instances(InstanceIds=[instance_id])

    assert volumes(aws) == {}


def run_with_template(aws, ebs):
    template_id = aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={
            "ImageId": recommended(aws)["image_id"],
            "InstanceType": "t2.micro",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": ebs}],
        },
    )["LaunchTemplate"]["LaunchTemplateId"]
    [instance] = aws.ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template_id}, MinCount=1, MaxCount=1
    )["Instances"]
    return instance["InstanceId"]


def test_a_template_volume_that_says_nothing_is_deleted_with_its_instance(aws):
    # EC2 API Reference, LaunchTemplateEbsBlockDeviceRequest.DeleteOnTermination: default true.
    instance_id = run_with_template(aws, {"VolumeSize": 40, "VolumeType": "gp2"})

    aws.ec2.terminate_instances(InstanceIds=[instance_id])

    assert volumes(aws) == {}


def test_a_template_volume_kept_on_termination_is_left_available(aws):
    instance_id = run_with_template(aws, {"VolumeSize": 40, "DeleteOnTermination": False})
    [(volume_id, delete)] = mappings(aws, instance_id).values()
    assert delete is False

    aws.ec2.terminate_instances(InstanceIds=[instance_id])

    assert volumes(aws) == {volume_id: ("available", 40)}


def test_deleting_the_labs_stack_leaves_no_volume_behind(aws):
    template = json.loads(console_stack_template("demo", recommended(aws)["image_id"]))
    data = template["Resources"]["EcsInstanceLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    data["BlockDeviceMappings"] = [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "VolumeType": "gp2"}}
    ]
    aws.cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "2"}],
    )
    assert [state for state, _ in volumes(aws).values()] == ["in-use", "in-use"]

    aws.cloudformation.delete_stack(StackName=STACK)

    assert volumes(aws) == {}

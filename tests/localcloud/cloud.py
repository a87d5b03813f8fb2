"""What the local cloud's tests do to a cloud: launch instances, read container instances."""

import json

REGION = "us-east-1"
AL2 = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"


def recommended(aws, name=AL2):
    return json.loads(aws.ssm.get_parameter(Name=name)["Parameter"]["Value"])


def linux_user_data(cluster):
    return f"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n"


def windows_user_data(cluster):
    return (
        "<powershell>Import-Module ECSTools; "
        f"Initialize-ECSAgent -Cluster '{cluster}' -EnableTaskIAMRole</powershell>"
    )


def launch(aws, user_data="", instance_type="t2.micro", image_id=None, count=1):
    """Run instances of an ECS-optimized AMI (AL2 unless told) and return their ids."""
    image_id = image_id or recommended(aws)["image_id"]
    kwargs = {"UserData": user_data} if user_data else {}
    reservation = aws.ec2.run_instances(
        ImageId=image_id, InstanceType=instance_type, MinCount=count, MaxCount=count, **kwargs
    )
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def container_instances(aws, cluster, status=None):
    kwargs = {"status": status} if status else {}
    arns = aws.ecs.list_container_instances(cluster=cluster, **kwargs)["containerInstanceArns"]
    if not arns:
        return []
    return aws.ecs.describe_container_instances(cluster=cluster, containerInstances=arns)[
        "containerInstances"
    ]


def resource(container_instance, name, key="registeredResources"):
    found = next(r for r in container_instance[key] if r["name"] == name)
    return found.get("stringSetValue", found["integerValue"])


def two_zone_vpc(aws):
    """A VPC with one subnet in each of the region's first two zones: (vpc id, [subnet ids])."""
    vpc_id = aws.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        aws.ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for cidr, zone in (("10.0.0.0/24", "a"), ("10.0.1.0/24", "b"))
    ]
    return vpc_id, subnets

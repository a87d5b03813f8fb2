"""Instances get their AMI's disks and their launch template's settings, and key pairs their
fingerprints, as on AWS."""

import base64
import hashlib
import inspect
import json
import struct

import pytest
from botocore.exceptions import ClientError

from cryptography.hazmat.primitives import serialization
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2 import ec2_backends
from moto.ec2.models.key_pairs import KeyPairBackend

from .cloud import REGION, launch, recommended


def volumes_of(aws, instance_id):
    [reservation] = aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    mappings = reservation["Instances"][0]["BlockDeviceMappings"]
    ids = [m["Ebs"]["VolumeId"] for m in mappings]
    sizes = {v["VolumeId"]: v["Size"] for v in aws.ec2.describe_volumes(VolumeIds=ids)["Volumes"]}
    return {m["DeviceName"]: sizes[m["Ebs"]["VolumeId"]] for m in mappings}


def test_an_instance_of_the_al2_ecs_ami_has_one_30_gib_root_on_xvda(aws):
    image_id = recommended(aws)["image_id"]

    [instance] = aws.ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"]

    assert volumes_of(aws, instance["InstanceId"]) == {"/dev/xvda": 30}


def test_a_bigger_root_in_the_launch_template_replaces_the_amis_root(aws):
    image_id = recommended(aws)["image_id"]
    template = aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={
            "ImageId": image_id,
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 40, "VolumeType": "gp2"}}
            ],
        },
    )["LaunchTemplate"]

    [instance] = aws.ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]}, MinCount=1, MaxCount=1
    )["Instances"]

    assert volumes_of(aws, instance["InstanceId"]) == {"/dev/xvda": 40}


def test_a_template_volume_that_leaves_delete_on_termination_out_is_deleted_on_termination(aws):
    """EC2 API Reference, LaunchTemplateEbsBlockDeviceRequest: DeleteOnTermination "Default:
    true"; the console's launch template leaves it out."""
    image_id = recommended(aws)["image_id"]
    template = aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={
            "ImageId": image_id,
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "VolumeType": "gp2"}},
                {
                    "DeviceName": "/dev/xvdb",
                    "Ebs": {"VolumeSize": 8, "VolumeType": "gp2", "DeleteOnTermination": False},
                },
            ],
        },
    )["LaunchTemplate"]

    [instance] = aws.ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]}, MinCount=1, MaxCount=1
    )["Instances"]

    [reservation] = aws.ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"]
    mappings = reservation["Instances"][0]["BlockDeviceMappings"]
    kept = {m["DeviceName"]: m["Ebs"]["DeleteOnTermination"] for m in mappings}
    assert kept == {"/dev/xvda": True, "/dev/xvdb": False}


def test_an_al1_instance_has_its_docker_volume_sized_by_the_launch_template(aws):
    image_id = recommended(aws, "/aws/service/ecs/optimized-ami/amazon-linux/recommended")[
        "image_id"
    ]
    template = aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={
            "ImageId": image_id,
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/xvdcz", "Ebs": {"VolumeSize": 50, "VolumeType": "gp2"}}
            ],
        },
    )["LaunchTemplate"]

    [instance] = aws.ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]}, MinCount=1, MaxCount=1
    )["Instances"]

    assert volumes_of(aws, instance["InstanceId"]) == {"/dev/xvda": 8, "/dev/xvdcz": 50}


def test_instances_launched_from_a_template_carry_its_instance_profile(aws):
    aws.iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=json.dumps({}))
    aws.iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")
    aws.iam.add_role_to_instance_profile(
        InstanceProfileName="ecsInstanceRole", RoleName="ecsInstanceRole"
    )
    template = aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={
            "ImageId": recommended(aws)["image_id"],
            "IamInstanceProfile": {"Name": "ecsInstanceRole"},
        },
    )["LaunchTemplate"]

    [instance] = aws.ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]}, MinCount=1, MaxCount=1
    )["Instances"]

    [reservation] = aws.ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"]
    profile = reservation["Instances"][0]["IamInstanceProfile"]
    assert profile["Arn"].endswith(":instance-profile/ecsInstanceRole")


def test_a_template_subnet_that_maps_public_ips_gives_its_instances_one(aws):
    template = {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Public": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "CidrBlock": "10.0.0.0/24",
                    "MapPublicIpOnLaunch": True,
                },
            },
        }
    }
    aws.cloudformation.create_stack(StackName="net", TemplateBody=json.dumps(template))
    [subnet] = aws.ec2.describe_subnets(
        Filters=[{"Name": "cidr-block", "Values": ["10.0.0.0/24"]}]
    )["Subnets"]

    [instance] = aws.ec2.run_instances(
        ImageId=recommended(aws)["image_id"], SubnetId=subnet["SubnetId"], MinCount=1, MaxCount=1
    )["Instances"]

    assert subnet["MapPublicIpOnLaunch"] is True
    [reservation] = aws.ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"]
    assert reservation["Instances"][0].get("PublicIpAddress")


def test_a_templates_network_interface_decides_the_public_ip_and_security_groups(aws):
    vpc_id = aws.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = aws.ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    group_id = aws.ec2.create_security_group(
        GroupName="ecs", Description="ECS Allowed Ports", VpcId=vpc_id
    )["GroupId"]
    template = aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={
            "ImageId": recommended(aws)["image_id"],
            "InstanceType": "t2.micro",
            "NetworkInterfaces": [
                {"DeviceIndex": 0, "AssociatePublicIpAddress": True, "Groups": [group_id]}
            ],
        },
    )["LaunchTemplate"]
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ecs",
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]},
        MinSize=1,
        MaxSize=1,
        VPCZoneIdentifier=subnet_id,
    )

    [reservation] = aws.ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}]
    )["Reservations"]

    instance = reservation["Instances"][0]
    assert instance.get("PublicIpAddress")
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [group_id]


# EC2 API Reference, CreateKeyPair; EC2 User Guide, "Verify the fingerprint of your key pair".
def test_a_created_rsa_key_pair_is_pkcs1_with_the_sha1_of_its_pkcs8_private_key_as_fingerprint(
    aws,
):
    created = aws.ec2.create_key_pair(KeyName="lab-rsa", KeyType="rsa")

    material = created["KeyMaterial"].encode()
    assert material.startswith(b"-----BEGIN RSA PRIVATE KEY-----\n")  # PKCS#1, unencrypted
    pkcs8_der = serialization.load_pem_private_key(material, password=None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # What `openssl pkcs8 -topk8 -nocrypt -outform DER | openssl sha1 -c` prints.
    expected = ":".join(f"{b:02x}" for b in hashlib.sha1(pkcs8_der).digest())
    assert created["KeyFingerprint"] == expected
    [described] = aws.ec2.describe_key_pairs(KeyNames=["lab-rsa"])["KeyPairs"]
    assert (described["KeyFingerprint"], described["KeyType"]) == (expected, "rsa")


def test_a_created_ed25519_key_pair_has_the_base64_sha256_openssh_fingerprint(aws):
    created = aws.ec2.create_key_pair(KeyName="lab-ed25519", KeyType="ed25519")

    material = created["KeyMaterial"].encode()
    assert material.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----\n")
    raw = (
        serialization.load_ssh_private_key(material, password=None)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    # The SSH wire form of an Ed25519 public key (RFC 8709): string "ssh-ed25519", string key.
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", len(raw)) + raw
    # What `ssh-keygen -l` prints after "SHA256:", with the = padding EC2 keeps.
    expected = base64.b64encode(hashlib.sha256(blob).digest()).decode()
    assert created["KeyFingerprint"] == expected
    [described] = aws.ec2.describe_key_pairs(KeyNames=["lab-ed25519"])["KeyPairs"]
    assert (described["KeyFingerprint"], described["KeyType"]) == (expected, "ed25519")


def test_a_key_pair_created_without_a_type_is_rsa(aws):
    aws.ec2.create_key_pair(KeyName="lab-default")

    [described] = aws.ec2.describe_key_pairs(KeyNames=["lab-default"])["KeyPairs"]
    assert described["KeyType"] == "rsa"


def test_the_key_pair_method_the_local_cloud_wraps_keeps_its_signature():
    # An upgrade of moto that changes it must fail here, not quietly skip the fix.
    original = KeyPairBackend._localcloud_original_create_key_pair
    assert list(inspect.signature(original).parameters) == ["self", "name", "key_type", "tags"]


def test_the_instance_type_catalogue_is_the_same_each_time_with_a_request_id_per_call(aws):
    first = aws.ec2.describe_instance_types()
    second = aws.ec2.describe_instance_types()

    assert first["InstanceTypes"] == second["InstanceTypes"]
    assert "t2.micro" in {t["InstanceType"] for t in first["InstanceTypes"]}
    assert (
        first["ResponseMetadata"]["RequestId"] != second["ResponseMetadata"]["RequestId"]
    )


def test_a_question_about_other_instance_types_gets_its_own_answer(aws):
    asked = aws.ec2.describe_instance_types(InstanceTypes=["t2.micro", "m5.large"])
    everything = aws.ec2.describe_instance_types()

    assert sorted(t["InstanceType"] for t in asked["InstanceTypes"]) == ["m5.large", "t2.micro"]
    assert len(everything["InstanceTypes"]) > 100


def test_an_unknown_instance_type_is_refused_as_aws_refuses_it(aws):
    with pytest.raises(ClientError) as refused:
        aws.ec2.describe_instance_types(InstanceTypes=["t2.gigantic"])

    assert refused.value.response["Error"]["Code"] == "InvalidInstanceType"


def test_each_instance_answers_its_own_tags_without_a_look_through_every_tag(aws, monkeypatch):
    # AWS describes 1,000 instances of an Auto Scaling group (each one tagged) in time with the
    # instances. moto looked each instance's tags up with DescribeTags, matching every tagged
    # resource of the region: for a class's big cluster, millions of matches per describe.
    grouped, named, untagged = launch(aws, count=3)
    aws.ec2.create_tags(
        Resources=[grouped, named],
        Tags=[{"Key": "aws:autoscaling:groupName", "Value": "EC2ContainerService-demo-asg"}],
    )
    aws.ec2.create_tags(Resources=[named], Tags=[{"Key": "Name", "Value": "ECS Instance"}])

    def look_through_every_tag(*args, **kwargs):
        raise AssertionError("DescribeInstances looked through every tag of the region")

    monkeypatch.setattr(
        ec2_backends[DEFAULT_ACCOUNT_ID][REGION], "describe_tags", look_through_every_tag
    )
    described = {
        instance["InstanceId"]: instance.get("Tags")
        for reservation in aws.ec2.describe_instances(InstanceIds=[grouped, named, untagged])[
            "Reservations"
        ]
        for instance in reservation["Instances"]
    }

    group_tag = {"Key": "aws:autoscaling:groupName", "Value": "EC2ContainerService-demo-asg"}
    assert described == {
        grouped: [group_tag],
        named: [group_tag, {"Key": "Name", "Value": "ECS Instance"}],
        untagged: None,
    }
    # What moto answers the same question with, through DescribeTags.
    monkeypatch.undo()
    assert aws.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [named]}])["Tags"] == [
        {"Key": key, "ResourceId": named, "ResourceType": "instance", "Value": value}
        for key, value in (
            ("aws:autoscaling:groupName", "EC2ContainerService-demo-asg"),
            ("Name", "ECS Instance"),
        )
    ]

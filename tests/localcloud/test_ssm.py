"""SSM publishes the ECS-optimized AMIs as AWS does, and those AMIs exist in EC2."""

import json

import pytest

from clusters.inventory import WINDOWS_AMI_PARAMETER_ROOT, WINDOWS_AMIS

from .cloud import recommended

ROOT = "/aws/service/ecs/optimized-ami"
LINUX = [
    f"{ROOT}/amazon-linux-2/recommended",
    f"{ROOT}/amazon-linux-2/arm64/recommended",
    f"{ROOT}/amazon-linux-2/gpu/recommended",
    f"{ROOT}/amazon-linux/recommended",
]
WINDOWS_EDITIONS = [
    ("2019", "Full"),
    ("2019", "Core"),
    ("2016", "Full"),
    ("2022", "Full"),
    ("2022", "Core"),
]


def test_the_console_reads_all_four_linux_recommendations_in_one_call_as_json(aws):
    found = aws.ssm.get_parameters(Names=LINUX)

    assert found["InvalidParameters"] == []
    for parameter in found["Parameters"]:
        value = json.loads(parameter["Value"])
        assert value["image_id"].startswith("ami-")
        assert value["image_name"]
        assert value["ecs_agent_version"]
        assert value["ecs_runtime_version"].startswith("Docker version ")
        assert value["os"].startswith("Amazon Linux")


@pytest.mark.parametrize("name", LINUX)
def test_each_field_of_a_recommendation_is_also_its_own_parameter(aws, name):
    value = recommended(aws, name)

    for field in ("image_id", "image_name", "ecs_agent_version", "ecs_runtime_version", "os"):
        member = aws.ssm.get_parameter(Name=f"{name}/{field}")["Parameter"]["Value"]
        assert member == str(value[field])


def test_the_amazon_linux_2_ami_exists_with_a_30_gib_root_on_xvda(aws):
    value = recommended(aws, f"{ROOT}/amazon-linux-2/recommended")

    [image] = aws.ec2.describe_images(ImageIds=[value["image_id"]])["Images"]

    assert image["Name"] == value["image_name"]
    assert image["Architecture"] == "x86_64"
    assert image["RootDeviceName"] == "/dev/xvda"
    [root] = image["BlockDeviceMappings"]
    assert root["DeviceName"] == "/dev/xvda"
    assert root["Ebs"]["VolumeSize"] == 30
    [snapshot] = aws.ec2.describe_snapshots(SnapshotIds=[root["Ebs"]["SnapshotId"]])["Snapshots"]
    assert snapshot["VolumeSize"] == 30


def test_the_arm64_ami_is_an_arm64_image(aws):
    value = recommended(aws, f"{ROOT}/amazon-linux-2/arm64/recommended")

    [image] = aws.ec2.describe_images(ImageIds=[value["image_id"]])["Images"]

    assert image["Architecture"] == "arm64"


def test_the_amazon_linux_1_ami_has_an_8_gib_root_and_a_22_gib_docker_volume(aws):
    value = recommended(aws, f"{ROOT}/amazon-linux/recommended")

    [image] = aws.ec2.describe_images(ImageIds=[value["image_id"]])["Images"]

    volumes = {m["DeviceName"]: m["Ebs"]["VolumeSize"] for m in image["BlockDeviceMappings"]}
    assert volumes == {"/dev/xvda": 8, "/dev/xvdcz": 22}


@pytest.mark.parametrize("year,edition", WINDOWS_EDITIONS)
def test_windows_ecs_amis_are_published_as_on_aws_and_exist_in_ec2(aws, year, edition):
    latest = (
        f"/aws/service/ami-windows-latest/Windows_Server-{year}-English-{edition}-ECS_Optimized"
    )
    family = f"{ROOT}/windows_server/{year}/english/{edition.lower()}/recommended"

    image_id = aws.ssm.get_parameter(Name=f"{latest}/image_id")["Parameter"]["Value"]
    value = recommended(aws, family)

    assert value["image_id"] == image_id
    assert aws.ssm.get_parameter(Name=f"{family}/image_id")["Parameter"]["Value"] == image_id
    assert value["ecs_agent_version"] and value["ecs_runtime_version"]
    [image] = aws.ec2.describe_images(ImageIds=[image_id])["Images"]
    assert image["Platform"] == "windows"
    assert image["Name"] == value["image_name"]
    assert image["Name"].startswith(f"Windows_Server-{year}-English-{edition}-ECS_Optimized-")


# AWS's ECS developer guide, "Retrieving Amazon ECS-optimized Windows AMI metadata"
# (docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_windows_AMI.html;
# awsdocs/amazon-ecs-developer-guide doc_source/retrieve-ecs-optimized_windows_AMI.md): each
# /aws/service/ami-windows-latest/Windows_Server-…-ECS_Optimized parameter is the AMI's metadata,
# a JSON object, and each of its fields can be queried as a sub-parameter below it (its
# CloudFormation example reads …/Windows_Server-2019-English-Full-ECS_Optimized/image_id).
WINDOWS_FIELDS = (
    "schema_version",
    "image_id",
    "image_name",
    "os",
    "ecs_agent_version",
    "ecs_runtime_version",
)


@pytest.mark.parametrize("windows", WINDOWS_AMIS)
def test_each_windows_ami_the_console_offers_is_json_metadata_with_each_field_below_it(
    aws, windows
):
    name = f"{WINDOWS_AMI_PARAMETER_ROOT}/{windows}-ECS_Optimized"

    value = recommended(aws, name)

    assert set(value) == set(WINDOWS_FIELDS)
    assert value["image_name"].startswith(f"{windows}-ECS_Optimized-")
    for field in WINDOWS_FIELDS:
        member = aws.ssm.get_parameter(Name=f"{name}/{field}")["Parameter"]["Value"]
        assert member == str(value[field])
    [image] = aws.ec2.describe_images(ImageIds=[value["image_id"]])["Images"]
    assert image["Name"] == value["image_name"]


def test_the_windows_latest_parameters_are_found_by_path(aws):
    found = aws.ssm.get_parameters_by_path(Path="/aws/service/ami-windows-latest")["Parameters"]

    assert any(p["Name"].endswith("Windows_Server-2019-English-Full-ECS_Optimized") for p in found)

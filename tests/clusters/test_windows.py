"""EC2 Windows + Networking: Windows Server AMIs, RDP, 50 GiB, and an agent told by PowerShell."""

import base64
import json

import boto3
import pytest

from clusters import inventory
from clusters.aws import client
from clusters.configuration import ClusterConfiguration
from clusters.forms import Ec2WindowsClusterForm, WizardOptions
from clusters.models import Operation, Step, Template
from localcloud.agent import EcsAgentEmulator

from .conftest import REGION
from .test_provisioning import run_to_the_end

WINDOWS_2019_FULL = "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-ECS_Optimized"


@pytest.fixture
def windows_options(aws):
    return WizardOptions(REGION, template=Template.EC2_WINDOWS)


@pytest.fixture
def windows_data(windows_options, lab_data):
    return {**lab_data, "ami_id": windows_options.amis[0].image_id, "volume_size": "50",
            "ingress_port": "3389"}


def windows_form(options, data, **changes):
    form = Ec2WindowsClusterForm({**data, **changes}, options=options)
    form.is_valid()
    return form


def test_it_offers_the_five_windows_server_ecs_amis_2019_full_first(windows_options):
    ssm = boto3.client("ssm", region_name=REGION)
    latest = ssm.get_parameter(Name=f"{WINDOWS_2019_FULL}/image_id")["Parameter"]["Value"]

    form = Ec2WindowsClusterForm(options=windows_options)

    assert [label for _, label in form.fields["ami_id"].choices] == [
        f"Windows Server {version} AMI [{ami.image_id}]"
        for version, ami in zip(
            ["2019 Full", "2019 Core", "2016 Full", "2022 Full", "2022 Core"], windows_options.amis
        )
    ]
    assert form["ami_id"].value() == latest


def test_each_windows_ami_carries_the_agent_and_docker_versions_aws_publishes_for_it(aws):
    ssm = boto3.client("ssm", region_name=REGION)
    root = inventory.WINDOWS_AMI_PARAMETER_ROOT
    published = [
        json.loads(ssm.get_parameter(Name=f"{root}/{os}-ECS_Optimized")["Parameter"]["Value"])
        for os in inventory.WINDOWS_AMIS
    ]
    asked = []
    client("ssm", REGION).meta.events.register(
        "provide-client-params.ssm.GetParameters",
        lambda params, **kwargs: asked.append(params["Names"]),
    )

    amis = inventory.windows_ecs_amis(REGION)

    assert [(a.image_id, a.image_name, a.agent_version, a.runtime_version) for a in amis] == [
        (p["image_id"], p["image_name"], p["ecs_agent_version"], p["ecs_runtime_version"])
        for p in published
    ]
    assert all(ami.agent_version and ami.runtime_version for ami in amis)
    assert [len(names) for names in asked] == [len(inventory.WINDOWS_AMIS)]


def test_its_storage_is_ebs_storage_of_50_gib_and_the_key_pair_is_for_rdp(windows_options):
    form = Ec2WindowsClusterForm(options=windows_options)

    assert form.fields["volume_size"].label == "EBS storage (GiB)"
    assert form["volume_size"].value() == 50
    assert form.fields["key_name"].choices[0] == ("", "None - unable to RDP")
    assert "RDP" in form.fields["key_name"].help_text
    assert form["ingress_port"].value() == "80"


def test_windows_storage_cannot_be_smaller_than_its_30_gib_snapshot(windows_options, windows_data):
    form = windows_form(windows_options, windows_data, volume_size="29")

    assert form.errors["volume_size"] == [
        "Windows Server 2019 Full AMI needs at least 30 GiB, the size of its snapshot."
    ]


def test_rdp_open_to_the_world_warns_without_blocking(windows_options, windows_data):
    form = windows_form(windows_options, windows_data)

    assert form.errors == {}
    assert "over RDP" in form.security_warning


def test_windows_refuses_a_graviton_instance_type(windows_options, windows_data):
    form = windows_form(windows_options, windows_data, instance_type="t4g.micro")

    assert "runs on x86_64 processors; t4g.micro has none" in form.errors["ami_id"][0]


def test_an_empty_windows_cluster_needs_only_a_name(windows_options):
    form = windows_form(windows_options, {"cluster_name": "empty-windows", "empty_cluster": "on",
                                          "provisioning_model": "on-demand",
                                          "auto_assign_public_ip": "subnet"})

    assert form.errors == {}
    assert form.configuration(tags=[]) == ClusterConfiguration()


@pytest.fixture
def windows_launch(db, user, windows_options, windows_data):
    form = Ec2WindowsClusterForm(windows_data, options=windows_options)
    assert form.is_valid(), form.errors
    return Operation.objects.submit(
        action=Operation.Action.CREATE,
        template=Template.EC2_WINDOWS,
        cluster_name="demo-cluster",
        region=REGION,
        user=user,
        request=form.configuration(tags=[]),
    ).operation


def test_a_windows_launch_makes_a_launch_template_whose_user_data_names_the_cluster(
    windows_launch, ec2
):
    for step in windows_launch.ordered_steps:
        assert run_to_the_end(step).state == Step.State.SUCCEEDED, step.message
    resources = windows_launch.step(Step.Kind.STACK).outputs["resources"]

    data = ec2.describe_launch_template_versions(
        LaunchTemplateId=resources["EcsInstanceLaunchTemplate"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert "Initialize-ECSAgent -Cluster 'demo-cluster'" in base64.b64decode(data["UserData"]).decode()
    instances = windows_launch.request.instances
    assert data["ImageId"] == instances.ami_id
    assert data["BlockDeviceMappings"][0]["DeviceName"] == "/dev/sda1"
    assert instances.ami_display.startswith("Windows Server 2019 Full AMI [ami-")


def test_the_windows_instance_joins_its_cluster(windows_launch):
    for step in windows_launch.ordered_steps:
        run_to_the_end(step)

    EcsAgentEmulator(regions=[REGION]).sync()

    ecs = boto3.client("ecs", region_name=REGION)
    assert len(ecs.list_container_instances(cluster="demo-cluster")["containerInstanceArns"]) == 1

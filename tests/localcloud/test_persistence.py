"""A snapshot of the cloud brings back the same resources, ids and all."""

import json

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ssm.models import ssm_backends

from localcloud import persistence

from .cloud import REGION, launch, linux_user_data


def test_a_restored_snapshot_has_the_same_clusters_instances_and_parameters(aws):
    cluster_arn = aws.ecs.create_cluster(clusterName="demo")["cluster"]["clusterArn"]
    [instance_id] = launch(aws, linux_user_data("demo"))
    aws.ssm.put_parameter(Name="/app/colour", Value="blue", Type="String")
    data = persistence.snapshot()
    aws.ecs.delete_cluster(cluster="demo")
    aws.ec2.terminate_instances(InstanceIds=[instance_id])

    persistence.restore(data)

    assert aws.ecs.list_clusters()["clusterArns"] == [cluster_arn]
    [reservation] = aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    assert reservation["Instances"][0]["State"]["Name"] == "running"
    assert aws.ssm.get_parameter(Name="/app/colour")["Parameter"]["Value"] == "blue"
    assert aws.ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended")


def test_a_snapshot_from_an_older_local_cloud_gets_the_windows_metadata_aws_publishes(aws):
    latest = "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-ECS_Optimized"
    image_id = aws.ssm.get_parameter(Name=f"{latest}/image_id")["Parameter"]["Value"]
    # What the local cloud saved before it published the Windows metadata as AWS does.
    parameters = ssm_backends[DEFAULT_ACCOUNT_ID][REGION]._parameters
    dict.__getitem__(parameters, latest)[-1].value = image_id
    vars(parameters).pop("_localcloud_ecs_amis_published", None)
    data = persistence.snapshot()

    persistence.restore(data)

    value = aws.ssm.get_parameter(Name=latest)["Parameter"]["Value"]
    assert json.loads(value)["image_id"] == image_id


def test_a_snapshot_from_another_moto_is_refused(aws, monkeypatch):
    data = persistence.snapshot()
    monkeypatch.setattr(persistence.moto, "__version__", "0.0.1")

    with pytest.raises(persistence.StateError):
        persistence.restore(data)


def test_saving_then_loading_gives_back_the_bytes_and_an_empty_dir_gives_none(tmp_path):
    persistence.save(tmp_path, b"state")

    assert persistence.load(tmp_path) == b"state"
    assert persistence.load(tmp_path / "nothing-here") is None

"""ECS answers as AWS does: registrations keep what the agent sends, clusters count and refuse."""

import json
import re

import pytest
from botocore.exceptions import ClientError

from .cloud import container_instances, launch, resource

VERSION = {
    "agentVersion": "1.107.0",
    "agentHash": "4f0a7d1c",
    "dockerVersion": "Docker version 25.0.16",
}
RESOURCES = [
    {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
    {"name": "MEMORY", "type": "INTEGER", "integerValue": 3904},
    {
        "name": "PORTS",
        "type": "STRINGSET",
        "stringSetValue": ["22", "2375", "2376", "51678", "51679"],
    },
    {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []},
]


def register(aws, cluster, instance_id, **extra):
    return aws.ecs.register_container_instance(
        cluster=cluster,
        instanceIdentityDocument=json.dumps({"instanceId": instance_id}),
        versionInfo=VERSION,
        totalResources=RESOURCES,
        **extra,
    )["containerInstance"]


def test_registering_keeps_the_version_info_resources_attributes_and_tags_sent(aws):
    aws.ecs.create_cluster(clusterName="demo")
    [instance_id] = launch(aws, instance_type="t3.medium")

    registered = register(
        aws,
        "demo",
        instance_id,
        attributes=[
            {"name": "ecs.os-family", "value": "LINUX"},
            {"name": "ecs.capability.task-eni"},
        ],
        tags=[{"key": "team", "value": "blue"}],
    )

    [described] = container_instances(aws, "demo")
    assert described["versionInfo"] == VERSION
    assert resource(described, "CPU") == 2048
    assert resource(described, "MEMORY") == 3904
    assert described["remainingResources"] == described["registeredResources"]
    attributes = {a["name"]: a.get("value") for a in described["attributes"]}
    assert attributes["ecs.os-family"] == "LINUX"
    assert "ecs.capability.task-eni" in attributes
    assert attributes["ecs.instance-type"] == "t3.medium"
    tags = aws.ecs.list_tags_for_resource(resourceArn=registered["containerInstanceArn"])["tags"]
    assert tags == [{"key": "team", "value": "blue"}]


def test_registering_the_same_instance_twice_returns_the_same_container_instance(aws):
    aws.ecs.create_cluster(clusterName="demo")
    [instance_id] = launch(aws)

    first = register(aws, "demo", instance_id)
    second = register(aws, "demo", instance_id)

    assert second["containerInstanceArn"] == first["containerInstanceArn"]
    assert len(container_instances(aws, "demo")) == 1
    cluster = aws.ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] == 1


def test_a_container_instance_arn_is_the_long_format_with_32_hex_digits(aws):
    # AWS: arn:aws:ecs:<region>:<account>:container-instance/<cluster name>/<32 hex digits>,
    # the only format since the long ARN opt-out ended (2021); moto's id is a UUID.
    aws.ecs.create_cluster(clusterName="demo")
    [instance_id] = launch(aws)

    arn = register(aws, "demo", instance_id)["containerInstanceArn"]

    assert re.fullmatch(
        r"arn:aws:ecs:us-east-1:\d{12}:container-instance/demo/[0-9a-f]{32}", arn
    ), arn
    assert aws.ecs.list_container_instances(cluster="demo")["containerInstanceArns"] == [arn]
    by_id = aws.ecs.describe_container_instances(
        cluster="demo", containerInstances=[arn.rsplit("/", 1)[1]]
    )["containerInstances"]
    assert [ci["containerInstanceArn"] for ci in by_id] == [arn]


def test_registering_into_an_unknown_cluster_is_a_cluster_not_found_error(aws):
    [instance_id] = launch(aws)

    with pytest.raises(ClientError) as error:
        register(aws, "nowhere", instance_id)

    assert error.value.response["Error"]["Code"] == "ClusterNotFoundException"


def test_deregistering_lowers_the_count_and_leaves_the_instance_described_as_inactive(aws):
    aws.ecs.create_cluster(clusterName="demo")
    arn = register(aws, "demo", launch(aws)[0])["containerInstanceArn"]

    deregistered = aws.ecs.deregister_container_instance(cluster="demo", containerInstance=arn)

    assert deregistered["containerInstance"]["status"] == "INACTIVE"
    assert aws.ecs.list_container_instances(cluster="demo")["containerInstanceArns"] == []
    described = aws.ecs.describe_container_instances(cluster="demo", containerInstances=[arn])
    assert described["containerInstances"][0]["status"] == "INACTIVE"
    assert described["failures"] == []
    cluster = aws.ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] == 0


def test_describe_clusters_includes_statistics_settings_and_tags_when_asked(aws):
    aws.ecs.create_cluster(
        clusterName="demo",
        tags=[{"key": "owner", "value": "lab"}],
        settings=[{"name": "containerInsights", "value": "enabled"}],
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
    )

    [cluster] = aws.ecs.describe_clusters(
        clusters=["demo"], include=["STATISTICS", "SETTINGS", "TAGS"]
    )["clusters"]

    assert [s["name"] for s in cluster["statistics"]] == [
        "runningEC2TasksCount",
        "runningFargateTasksCount",
        "pendingEC2TasksCount",
        "pendingFargateTasksCount",
        "activeEC2ServiceCount",
        "activeFargateServiceCount",
        "drainingEC2ServiceCount",
        "drainingFargateServiceCount",
    ]
    assert {s["value"] for s in cluster["statistics"]} == {"0"}
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert cluster["tags"] == [{"key": "owner", "value": "lab"}]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["defaultCapacityProviderStrategy"] == []


def test_plain_describe_clusters_gives_the_counts_and_leaves_statistics_and_tags_out(aws):
    # DescribeClusters, include: "If this field is omitted, this information isn't included."
    aws.ecs.create_cluster(clusterName="demo", tags=[{"key": "owner", "value": "lab"}])

    [cluster] = aws.ecs.describe_clusters(clusters=["demo"])["clusters"]

    assert cluster["status"] == "ACTIVE"
    assert cluster["runningTasksCount"] == 0
    assert cluster["pendingTasksCount"] == 0
    assert cluster["activeServicesCount"] == 0
    assert cluster["registeredContainerInstancesCount"] == 0
    assert "statistics" not in cluster and "tags" not in cluster
    assert "settings" not in cluster


def test_a_cluster_without_tags_has_no_tags_key_even_when_tags_are_asked_for(aws):
    aws.ecs.create_cluster(clusterName="demo")

    [cluster] = aws.ecs.describe_clusters(clusters=["demo"], include=["TAGS"])["clusters"]

    assert "tags" not in cluster


def test_describe_clusters_counts_running_tasks_by_launch_type(aws):
    aws.ecs.create_cluster(clusterName="demo")
    register(aws, "demo", launch(aws)[0])
    aws.ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
    )
    aws.ecs.run_task(cluster="demo", taskDefinition="web", launchType="EC2")

    [cluster] = aws.ecs.describe_clusters(clusters=["demo"], include=["STATISTICS"])["clusters"]

    statistics = {s["name"]: s["value"] for s in cluster["statistics"]}
    assert cluster["runningTasksCount"] == 1
    assert statistics["runningEC2TasksCount"] == "1"
    assert statistics["runningFargateTasksCount"] == "0"


def test_creating_an_existing_active_cluster_returns_it_unchanged(aws):
    first = aws.ecs.create_cluster(clusterName="demo", tags=[{"key": "v", "value": "1"}])["cluster"]
    register(aws, "demo", launch(aws)[0])

    again = aws.ecs.create_cluster(clusterName="demo", tags=[{"key": "v", "value": "2"}])["cluster"]

    assert again["clusterArn"] == first["clusterArn"]
    [cluster] = aws.ecs.describe_clusters(clusters=["demo"], include=["TAGS"])["clusters"]
    assert cluster["tags"] == [{"key": "v", "value": "1"}]
    assert cluster["registeredContainerInstancesCount"] == 1


def test_delete_cluster_refuses_while_container_instances_are_registered(aws):
    aws.ecs.create_cluster(clusterName="demo")
    arn = register(aws, "demo", launch(aws)[0])["containerInstanceArn"]

    with pytest.raises(ClientError) as error:
        aws.ecs.delete_cluster(cluster="demo")
    assert error.value.response["Error"]["Code"] == "ClusterContainsContainerInstancesException"

    aws.ecs.deregister_container_instance(cluster="demo", containerInstance=arn)
    assert aws.ecs.delete_cluster(cluster="demo")["cluster"]["status"] == "INACTIVE"


def test_a_deleted_cluster_is_no_longer_listed_but_still_described_as_inactive(aws):
    arn = aws.ecs.create_cluster(clusterName="demo")["cluster"]["clusterArn"]

    aws.ecs.delete_cluster(cluster="demo")

    assert arn not in aws.ecs.list_clusters()["clusterArns"]
    [cluster] = aws.ecs.describe_clusters(clusters=["demo"])["clusters"]
    assert cluster["status"] == "INACTIVE"


def test_a_cluster_made_again_under_a_deleted_ones_name_is_active_and_empty(aws):
    aws.ecs.create_cluster(clusterName="demo")
    aws.ecs.delete_cluster(cluster="demo")

    cluster = aws.ecs.create_cluster(clusterName="demo")["cluster"]

    assert cluster["status"] == "ACTIVE"
    assert aws.ecs.list_container_instances(cluster="demo")["containerInstanceArns"] == []


def test_list_container_instances_answers_at_most_100_a_page_with_a_token_for_the_rest(aws):
    aws.ecs.create_cluster(clusterName="paged")
    for instance_id in launch(aws, count=120):
        register(aws, "paged", instance_id)

    first = aws.ecs.list_container_instances(cluster="paged")
    second = aws.ecs.list_container_instances(cluster="paged", nextToken=first["nextToken"])

    assert len(first["containerInstanceArns"]) == 100
    assert len(second["containerInstanceArns"]) == 20
    assert "nextToken" not in second
    assert not set(first["containerInstanceArns"]) & set(second["containerInstanceArns"])


def settings_of(aws, cluster):
    [described] = aws.ecs.describe_clusters(clusters=[cluster], include=["SETTINGS"])["clusters"]
    return described["settings"]


def test_update_cluster_settings_turns_container_insights_on_as_aws_does(aws):
    # moto 5.2.5 has no UpdateClusterSettings; AWS sets each named setting and answers the
    # cluster with its settings.
    aws.ecs.create_cluster(clusterName="demo")

    answered = aws.ecs.update_cluster_settings(
        cluster="demo", settings=[{"name": "containerInsights", "value": "enabled"}]
    )["cluster"]

    assert answered["clusterName"] == "demo"
    assert answered["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert settings_of(aws, "demo") == [{"name": "containerInsights", "value": "enabled"}]


def test_update_cluster_settings_refuses_an_unknown_value_and_changes_nothing(aws):
    aws.ecs.create_cluster(clusterName="demo")

    with pytest.raises(ClientError) as refused:
        aws.ecs.update_cluster_settings(
            cluster="demo", settings=[{"name": "containerInsights", "value": "on"}]
        )

    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert settings_of(aws, "demo") == [{"name": "containerInsights", "value": "disabled"}]


def test_update_cluster_settings_of_a_missing_cluster_is_cluster_not_found(aws):
    with pytest.raises(ClientError) as refused:
        aws.ecs.update_cluster_settings(
            cluster="nowhere", settings=[{"name": "containerInsights", "value": "enabled"}]
        )

    assert refused.value.response["Error"]["Code"] == "ClusterNotFoundException"

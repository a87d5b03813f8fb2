"""`python -m localcloud` serves the cloud over HTTP, runs the agent and keeps state when asked."""

import json

from localcloud.server import running_local_cloud
from tests.e2e.waiting import wait_until

from .cloud import linux_user_data


def clients(session, endpoint_url):
    return {
        service: session.client(service, endpoint_url=endpoint_url)
        for service in ("ecs", "ec2", "ssm")
    }


def wait_for(predicate, timeout=15):
    """Poll the server (the agent works on its own clock) until predicate holds."""
    return wait_until(predicate, timeout, "the local cloud", interval=0.2)


def test_a_launched_instance_becomes_a_container_instance_with_the_amis_agent(session):
    with running_local_cloud() as endpoint_url:
        assert endpoint_url.startswith("http://127.0.0.1:")
        aws = clients(session, endpoint_url)
        ami = json.loads(
            aws["ssm"].get_parameter(
                Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"
            )["Parameter"]["Value"]
        )
        aws["ecs"].create_cluster(clusterName="demo")
        aws["ec2"].run_instances(
            ImageId=ami["image_id"],
            InstanceType="t2.micro",
            MinCount=1,
            MaxCount=1,
            UserData=linux_user_data("demo"),
        )

        arns = wait_for(
            lambda: aws["ecs"].list_container_instances(cluster="demo")["containerInstanceArns"]
        )

        [container_instance] = aws["ecs"].describe_container_instances(
            cluster="demo", containerInstances=arns
        )["containerInstances"]
        assert container_instance["versionInfo"]["agentVersion"] == ami["ecs_agent_version"]
        assert container_instance["agentConnected"] is True


def test_clusters_survive_a_restart_with_a_state_dir_and_an_empty_dir_starts_clean(
    session, tmp_path
):
    state_dir = tmp_path / "state"
    with running_local_cloud(state_dir=state_dir) as endpoint_url:
        ecs = clients(session, endpoint_url)["ecs"]
        arn = ecs.create_cluster(clusterName="kept")["cluster"]["clusterArn"]
        wait_for(lambda: (state_dir / "moto-state.pickle").exists())

    with running_local_cloud(state_dir=state_dir) as endpoint_url:
        ecs = clients(session, endpoint_url)["ecs"]
        assert ecs.list_clusters()["clusterArns"] == [arn]

    with running_local_cloud(state_dir=tmp_path / "empty") as endpoint_url:
        ecs = clients(session, endpoint_url)["ecs"]
        assert ecs.list_clusters()["clusterArns"] == []

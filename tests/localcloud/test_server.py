"""`python -m localcloud` serves the cloud over HTTP, runs the agent and keeps state when asked."""

import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from localcloud.agent import EcsAgentEmulator
from localcloud.server import CATALOGUE_WRITTEN_LINE, running_local_cloud, start_local_cloud
from tests.e2e.waiting import cpu_seconds, wait_until, wait_until_idle

from .cloud import REGION, console_stack_template, container_instances, linux_user_data, recommended

# The agent's first pass comes an hour after start: what the test does is all that happens.
AGENT_AWAY = ("--sync-interval", "3600")


def clients(session, endpoint_url):
    return SimpleNamespace(
        **{
            service: session.client(service, endpoint_url=endpoint_url)
            for service in ("ecs", "ec2", "ssm", "cloudformation", "autoscaling", "cloudwatch")
        }
    )


def wait_for(predicate, timeout=15):
    """Poll the server (the agent works on its own clock) until predicate holds."""
    return wait_until(predicate, timeout, "the local cloud", interval=0.2)


def launch_a_t2_micro(aws, cluster):
    """One instance of the recommended ECS AMI whose agent joins `cluster`."""
    aws.ec2.run_instances(
        ImageId=recommended(aws)["image_id"],
        InstanceType="t2.micro",
        MinCount=1,
        MaxCount=1,
        UserData=linux_user_data(cluster),
    )


def test_a_launched_instance_becomes_a_container_instance_with_the_amis_agent(session):
    with running_local_cloud() as endpoint_url:
        assert endpoint_url.startswith("http://127.0.0.1:")
        aws = clients(session, endpoint_url)
        ami = recommended(aws)
        aws.ecs.create_cluster(clusterName="demo")
        aws.ec2.run_instances(
            ImageId=ami["image_id"],
            InstanceType="t2.micro",
            MinCount=1,
            MaxCount=1,
            UserData=linux_user_data("demo"),
        )

        [container_instance] = wait_for(lambda: container_instances(aws, "demo"))

        assert container_instance["versionInfo"]["agentVersion"] == ami["ecs_agent_version"]
        assert container_instance["agentConnected"] is True


def test_a_clusters_metrics_are_published_as_soon_as_its_first_instance_registers(session):
    with running_local_cloud() as endpoint_url:
        aws = clients(session, endpoint_url)
        aws.ecs.create_cluster(clusterName="demo")
        started = datetime.now(timezone.utc) - timedelta(minutes=1)
        launch_a_t2_micro(aws, "demo")

        def reservation():
            return aws.cloudwatch.get_metric_statistics(
                Namespace="AWS/ECS",
                MetricName="CPUReservation",
                Dimensions=[{"Name": "ClusterName", "Value": "demo"}],
                StartTime=started,
                EndTime=started + timedelta(hours=1),
                Period=60,
                Statistics=["Average"],
            )["Datapoints"]

        # Not a minute later: the first sample follows the registration.
        [datapoint] = wait_for(reservation)

    assert datapoint["Average"] == 0.0
    assert datapoint["Unit"] == "Percent"


def test_the_agent_rests_while_nothing_changes_and_wakes_for_a_new_instance(session):
    cloud = start_local_cloud(extra_args=("--sync-interval", "0.1"))
    try:
        aws = clients(session, cloud.endpoint_url)
        for number in range(10):
            aws.ecs.create_cluster(clusterName=f"class-{number}")
            aws.ec2.run_instances(
                ImageId=recommended(aws)["image_id"],
                InstanceType="t2.micro",
                MinCount=5,
                MaxCount=5,
                UserData=linux_user_data(f"class-{number}"),
            )
        wait_for(lambda: len(container_instances(aws, "class-9")) == 5, timeout=60)
        # The one piece of work a new cloud does unasked, once: the catalogue written ahead.
        wait_for(lambda: cloud.has_printed(CATALOGUE_WRITTEN_LINE), timeout=60)

        # From the first second of rest: not the tail of the pass that made the registrations.
        wait_until_idle(cloud.process.pid, timeout=60)
        before = cpu_seconds(cloud.process.pid)
        time.sleep(2)  # twenty intervals of rest, measured: nothing is waited for here
        at_rest = cpu_seconds(cloud.process.pid) - before
        launch_a_t2_micro(aws, "class-0")
        joined = wait_for(lambda: len(container_instances(aws, "class-0")) == 6)
    finally:
        cloud.stop()

    # Before, the agent described every instance and every cluster ten times a second.
    assert at_rest < 0.1
    assert joined


def test_clusters_survive_a_restart_with_a_state_dir_and_an_empty_dir_starts_clean(
    session, tmp_path
):
    state_dir = tmp_path / "state"
    with running_local_cloud(state_dir=state_dir) as endpoint_url:
        arn = clients(session, endpoint_url).ecs.create_cluster(clusterName="kept")["cluster"][
            "clusterArn"
        ]

    with running_local_cloud(state_dir=state_dir) as endpoint_url:
        assert clients(session, endpoint_url).ecs.list_clusters()["clusterArns"] == [arn]

    with running_local_cloud(state_dir=tmp_path / "empty") as endpoint_url:
        assert clients(session, endpoint_url).ecs.list_clusters()["clusterArns"] == []


def stack_resources(aws, stack_id):
    return {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for resource in aws.cloudformation.list_stack_resources(StackName=stack_id)[
            "StackResourceSummaries"
        ]
    }


def instances(aws):
    return {
        instance["InstanceId"]: (instance["State"]["Name"], instance["SubnetId"])
        for reservation in aws.ec2.describe_instances()["Reservations"]
        for instance in reservation["Instances"]
    }


def group_instances(aws, name):
    [group] = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ]
    return sorted(instance["InstanceId"] for instance in group["Instances"])


def registrations(aws, cluster):
    return {
        ci["containerInstanceArn"]: (ci["ec2InstanceId"], ci["status"], ci["agentConnected"])
        for ci in container_instances(aws, cluster)
    }


def create_console_cluster(aws, name, hosts=2):
    """What the console's Create does: the ECS cluster, then the stack with its VPC and group."""
    cluster_arn = aws.ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    stack_id = aws.cloudformation.create_stack(
        StackName=f"EC2ContainerService-{name}",
        TemplateBody=console_stack_template(name, recommended(aws)["image_id"]),
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": str(hosts)}],
    )["StackId"]
    return cluster_arn, stack_id


def test_an_acknowledged_change_survives_the_server_being_killed(session, tmp_path):
    state_dir = tmp_path / "state"
    cloud = start_local_cloud(state_dir=state_dir, extra_args=AGENT_AWAY)
    try:
        aws = clients(session, cloud.endpoint_url)
        cluster_arn, stack_id = create_console_cluster(aws, "demo")
        resources = stack_resources(aws, stack_id)
        launched = instances(aws)
        hosts = group_instances(aws, resources["EcsInstanceAsg"])
        # Each host's agent registers it, through ECS's API, as the real agent does.
        agent = EcsAgentEmulator([REGION], cloud.endpoint_url, session)
        registered = {c.container_instance_arn: c.ec2_instance_id for c in agent.sync()}
        # The last registration has been answered: the cloud dies at once.
        cloud.kill()
    finally:
        cloud.stop()

    with running_local_cloud(state_dir=state_dir, extra_args=AGENT_AWAY) as endpoint_url:
        aws = clients(session, endpoint_url)
        assert aws.ecs.list_clusters()["clusterArns"] == [cluster_arn]
        [stack] = aws.cloudformation.describe_stacks(StackName=stack_id)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert stack_resources(aws, stack_id) == resources
        [vpc] = aws.ec2.describe_vpcs(VpcIds=[resources["Vpc"]])["Vpcs"]
        assert vpc["CidrBlock"] == "10.0.0.0/16"
        assert instances(aws) == launched
        assert group_instances(aws, resources["EcsInstanceAsg"]) == hosts
        assert sorted(registered.values()) == hosts
        assert registrations(aws, "demo") == {
            arn: (instance_id, "ACTIVE", True) for arn, instance_id in registered.items()
        }
        [cluster] = aws.ecs.describe_clusters(clusters=["demo"])["clusters"]
        assert cluster["registeredContainerInstancesCount"] == 2


def test_the_agents_registrations_survive_the_server_being_killed(session, tmp_path):
    state_dir = tmp_path / "state"
    cloud = start_local_cloud(state_dir=state_dir, extra_args=("--sync-interval", "0.2"))
    try:
        aws = clients(session, cloud.endpoint_url)
        aws.ecs.create_cluster(clusterName="demo")
        aws.ec2.run_instances(
            ImageId=recommended(aws)["image_id"],
            InstanceType="t2.micro",
            MinCount=2,
            MaxCount=2,
            UserData=linux_user_data("demo"),
        )
        # As soon as both registrations are seen, they were acknowledged to the agent.
        registered = wait_for(
            lambda: len(found := registrations(aws, "demo")) == 2 and found
        )
        cloud.kill()
    finally:
        cloud.stop()

    # Without an agent of its own, a restarted cloud shows only what it kept.
    with running_local_cloud(state_dir=state_dir, extra_args=AGENT_AWAY) as endpoint_url:
        assert registrations(clients(session, endpoint_url), "demo") == registered


def journal_bytes(state_dir):
    return sum(path.stat().st_size for path in state_dir.glob("journal.*"))


def test_compaction_keeps_everything_and_bounds_the_journal(session, tmp_path):
    state_dir = tmp_path / "state"
    compact_after = 2**20
    cloud = start_local_cloud(
        state_dir=state_dir, extra_args=(*AGENT_AWAY, "--compact-after-mb", "1")
    )
    try:
        aws = clients(session, cloud.endpoint_url)
        made = {}
        for number in range(8):
            made[f"demo-{number}"] = create_console_cluster(aws, f"demo-{number}", hosts=1)

        def settled():
            # No compaction running, and none due: what the journal holds is all it may.
            snapshot = state_dir / "snapshot"
            return (
                snapshot.exists()
                and not (state_dir / "snapshot.partial").exists()
                and journal_bytes(state_dir) < max(compact_after, snapshot.stat().st_size)
            )

        wait_for(settled, timeout=60)
        snapshot_bytes = (state_dir / "snapshot").stat().st_size
        compactions = "".join(cloud.output).count("Compacted the journal")
        print(
            f"\n{compactions} compactions; {journal_bytes(state_dir) / 1e6:.1f} MB of journal "
            f"beside a {snapshot_bytes / 1e6:.1f} MB snapshot"
        )
        # Once at start, with the backends moto made, and again when the clusters outgrew it.
        assert compactions >= 2
        made["last"] = create_console_cluster(aws, "last", hosts=1)
        cloud.kill()
    finally:
        cloud.stop()

    with running_local_cloud(state_dir=state_dir, extra_args=AGENT_AWAY) as endpoint_url:
        aws = clients(session, endpoint_url)
        assert sorted(aws.ecs.list_clusters()["clusterArns"]) == sorted(
            cluster_arn for cluster_arn, _ in made.values()
        )
        for cluster_arn, stack_id in made.values():
            [stack] = aws.cloudformation.describe_stacks(StackName=stack_id)["Stacks"]
            assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert len(instances(aws)) == len(made)


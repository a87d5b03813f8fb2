"""ECS publishes each cluster's AWS/ECS metrics every minute from what its agents report."""

from datetime import datetime, timedelta, timezone

from localcloud.agent import ClusterMetricsReporter, EcsAgentEmulator
from localcloud.server import LocalCloud

from .cloud import in_account, launch, linux_user_data

METRICS = ("CPUReservation", "CPUUtilization", "MemoryReservation", "MemoryUtilization")


def cluster_metrics(aws, cluster, since):
    """The last hour's 1-minute averages of the cluster's four metrics, oldest first, as the
    console's Metrics tab asks for them."""
    answer = aws.cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": name.lower(),
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ECS",
                        "MetricName": name,
                        "Dimensions": [{"Name": "ClusterName", "Value": cluster}],
                    },
                    "Period": 60,
                    "Stat": "Average",
                },
            }
            for name in METRICS
        ],
        StartTime=since,
        EndTime=since + timedelta(hours=1),
        ScanBy="TimestampAscending",
    )["MetricDataResults"]
    return {result["Id"]: result["Values"] for result in answer}


def a_cluster_with_one_registered_t2_micro(aws, name="demo"):
    aws.ecs.create_cluster(clusterName=name)
    launch(aws, linux_user_data(name))
    EcsAgentEmulator(session=aws.session).sync()


def run_a_task(aws, cluster, cpu, memory):
    definition = aws.ecs.register_task_definition(
        family="web",
        containerDefinitions=[
            {"name": "web", "image": "nginx", "cpu": cpu, "memory": memory, "essential": True}
        ],
    )["taskDefinition"]
    aws.ecs.run_task(cluster=cluster, taskDefinition=definition["taskDefinitionArn"], count=1)


def test_an_idle_cluster_reports_zero_reservation_and_zero_use(aws):
    a_cluster_with_one_registered_t2_micro(aws)
    start = datetime.now(timezone.utc) - timedelta(minutes=1)

    assert ClusterMetricsReporter().report() == 1

    assert cluster_metrics(aws, "demo", start) == {
        "cpureservation": [0.0],
        "cpuutilization": [0.0],
        "memoryreservation": [0.0],
        "memoryutilization": [0.0],
    }


def test_a_task_reserves_its_share_of_what_the_instances_registered(aws):
    a_cluster_with_one_registered_t2_micro(aws)  # 1024 CPU units, 979 MiB
    run_a_task(aws, "demo", cpu=256, memory=489)
    start = datetime.now(timezone.utc) - timedelta(minutes=1)

    ClusterMetricsReporter().report()

    metrics = cluster_metrics(aws, "demo", start)
    assert metrics["cpureservation"] == [25.0]
    assert metrics["memoryreservation"] == [49.95]
    # A task at rest uses a little of what it reserves, never more.
    assert 0 < metrics["cpuutilization"][0] < 25.0
    assert 0 < metrics["memoryutilization"][0] < 49.95


def test_it_publishes_once_a_minute_and_not_for_clusters_without_instances(aws):
    a_cluster_with_one_registered_t2_micro(aws)
    aws.ecs.create_cluster(clusterName="empty")
    reporter = ClusterMetricsReporter()
    start = datetime.now(timezone.utc) - timedelta(minutes=1)

    first = reporter.report(now=start + timedelta(seconds=30))
    within_the_minute = reporter.report(now=start + timedelta(seconds=70))
    a_minute_later = reporter.report(now=start + timedelta(seconds=90))

    assert (first, within_the_minute, a_minute_later) == (1, 0, 1)
    assert len(cluster_metrics(aws, "demo", start)["cpureservation"]) == 2
    assert cluster_metrics(aws, "empty", start)["cpureservation"] == []


def test_it_waits_a_whole_period_when_no_cluster_has_instances(aws):
    aws.ecs.create_cluster(clusterName="empty")
    reporter = ClusterMetricsReporter()

    assert reporter.report() == 0
    assert reporter.seconds_to_next() == 60


def test_a_cluster_made_again_under_its_name_gets_its_first_sample_at_once(aws):
    a_cluster_with_one_registered_t2_micro(aws)
    reporter = ClusterMetricsReporter()
    start = datetime.now(timezone.utc) - timedelta(minutes=1)
    reporter.report(now=start + timedelta(seconds=10))
    for arn in aws.ecs.list_container_instances(cluster="demo")["containerInstanceArns"]:
        aws.ecs.deregister_container_instance(cluster="demo", containerInstance=arn, force=True)
    aws.ecs.delete_cluster(cluster="demo")

    aws.ecs.create_cluster(clusterName="demo")
    EcsAgentEmulator(session=aws.session).sync()

    assert reporter.report(now=start + timedelta(seconds=20)) == 1


def test_a_learners_cluster_gets_its_metrics_in_the_learners_account_only(aws):
    learner = in_account(aws, "111111111111")
    learner.ecs.create_cluster(clusterName="demo")
    launch(learner, linux_user_data("demo"))
    EcsAgentEmulator(session=aws.session, places=LocalCloud().places).sync()
    start = datetime.now(timezone.utc) - timedelta(minutes=1)

    assert ClusterMetricsReporter().report() == 1

    assert cluster_metrics(learner, "demo", start)["cpureservation"] == [0.0]
    assert cluster_metrics(aws, "demo", start)["cpureservation"] == []

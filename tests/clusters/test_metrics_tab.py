"""The Metrics tab: the cluster's CPU and memory charts from CloudWatch with Container Insights
on, and the way to turn it on when it is off."""

import re
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from django.test import Client

from clusters.charts import line_chart
from clusters.inventory import MetricPoint, MetricSeries
from localcloud.agent import ClusterMetricsReporter

from .conftest import REGION

METRICS_TAB = "/clusters/demo-cluster/metrics/"
ENABLE_URL = "/clusters/demo-cluster/container-insights/"


def container_insights(cluster):
    [described] = boto3.client("ecs", region_name=REGION).describe_clusters(
        clusters=[cluster], include=["SETTINGS"]
    )["clusters"]
    return {s["name"]: s["value"] for s in described["settings"]}["containerInsights"]


def run_a_task(cluster, cpu, memory):
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.register_task_definition(
        family="web",
        containerDefinitions=[{"name": "web", "image": "nginx", "cpu": cpu, "memory": memory}],
    )
    ecs.run_task(cluster=cluster, taskDefinition="web", count=1)


def test_with_container_insights_off_it_says_so_and_offers_to_enable_it(signed_in, lab_cluster):
    page = signed_in.get(METRICS_TAB).content.decode()

    assert "Container Insights is not enabled for this cluster" in page
    assert f'action="{ENABLE_URL}"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "<svg" not in page.split('id="tab-panel"')[1]


def test_enable_turns_container_insights_on_and_redraws_the_tab(signed_in, lab_cluster):
    response = signed_in.post(ENABLE_URL, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert '"path": "/clusters/demo-cluster/metrics/"' in response["HX-Location"]
    assert '"target": "#cluster-body"' in response["HX-Location"]
    assert container_insights("demo-cluster") == "enabled"
    tab = signed_in.get(METRICS_TAB, headers={"HX-Request": "true"}).content.decode()
    assert "CloudWatch Container Insights: <strong>Enabled</strong>" in tab


def test_enable_without_javascript_comes_back_to_the_tab_with_a_message(signed_in, lab_cluster):
    response = signed_in.post(ENABLE_URL, follow=True)

    assert response.redirect_chain == [(METRICS_TAB, 302)]
    assert "Container Insights is enabled for cluster demo-cluster." in response.content.decode()


def test_enable_is_refused_without_the_csrf_token(user, lab_cluster):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    assert browser.post(ENABLE_URL).status_code == 403
    assert container_insights("demo-cluster") == "disabled"


def test_enable_is_a_post_only(signed_in, lab_cluster):
    assert signed_in.get(ENABLE_URL).status_code == 405


def test_the_charts_show_what_ecs_published_for_the_cluster(signed_in, lab_cluster):
    signed_in.post(ENABLE_URL)
    run_a_task("demo-cluster", cpu=256, memory=489)  # of a t2.micro's 1024 units and 979 MiB
    ClusterMetricsReporter().report()

    page = signed_in.get(METRICS_TAB).content.decode()

    charts = re.findall(r'<figure class="metric-chart" id="metric-([a-z]+)"', page)
    assert charts == ["cpureservation", "cpuutilization", "memoryreservation", "memoryutilization"]
    assert page.count('role="img"') == 4
    assert '<title id="metric-cpureservation-title">CPU reservation of demo-cluster' in page
    assert re.search(r'<desc id="metric-cpureservation-desc">Latest 25\.0% at \d\d:\d\d UTC', page)
    assert '<span class="metric-latest">50.0%</span>' in page  # memory: 489 of 979 MiB
    assert "<td>25.00%</td>" in page  # the data table a screen reader can read
    assert re.search(r'<polyline class="metric-line" points="[0-9.]+,[0-9.]+"', page)


def test_with_insights_on_but_no_data_yet_it_says_when_data_comes(signed_in, lab_cluster):
    signed_in.post(ENABLE_URL)

    page = signed_in.get(METRICS_TAB).content.decode()

    assert "CloudWatch has no data for this cluster in the last hour." in page
    assert page.count('role="img"') == 4
    assert "No data points in the last hour." in page


def test_aws_refusing_the_change_is_told_in_the_tab_not_a_500(signed_in, aws, settings):
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="short-lived")
    settings.SHARED_READ_SECONDS = 60
    signed_in.get("/clusters/short-lived/metrics/")  # the page, as read a moment ago
    ecs.delete_cluster(cluster="short-lived")  # by someone else, meanwhile

    response = signed_in.post(
        "/clusters/short-lived/container-insights/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 286  # the cluster's body, as every tab that does not poll
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="cluster-body"')
    assert re.search(
        r'id="container-insights-error">Container Insights could not be enabled: \S', body
    )


def test_the_tab_reads_the_cluster_once_and_cloudwatch_once(signed_in, lab_cluster, aws_calls):
    signed_in.post(ENABLE_URL)
    aws_calls.clear()

    signed_in.get(METRICS_TAB, headers={"HX-Request": "true"})

    assert sorted(aws_calls) == ["DescribeClusters", "DescribeStacks", "GetMetricData"]


def test_a_chart_spans_the_hour_and_its_axis_rises_past_100_when_cpu_bursts():
    start = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    end = start + timedelta(hours=1)
    series = MetricSeries(
        "CPUUtilization",
        "CPU utilization",
        (MetricPoint(start, 0.0), MetricPoint(end, 130.0)),
    )

    chart = line_chart(series, start, end)

    first, last = chart.points.split()
    assert first == f"{chart.left:.1f},{chart.baseline:.1f}"  # 0 % at the start: bottom left
    assert last.startswith(f"{chart.right_edge:.1f},")
    assert [tick.label for tick in chart.y_ticks] == ["0%", "75%", "150%"]
    assert [tick.label for tick in chart.x_ticks] == ["09:00", "09:30", "10:00"]

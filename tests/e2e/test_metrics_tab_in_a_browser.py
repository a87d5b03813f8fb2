"""The Metrics tab in Chromium: Container Insights off, enabled with its button, then the
cluster's CPU and memory charts that the local cloud's ECS published."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from .waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

CHART_NAMES = ["CPU reservation", "CPU utilization", "Memory reservation", "Memory utilization"]


def published_reservation(cloud, cluster):
    """The cluster's CPUReservation samples of the last few minutes, as CloudWatch holds them."""
    now = datetime.now(timezone.utc)
    return cloud("cloudwatch").get_metric_statistics(
        Namespace="AWS/ECS",
        MetricName="CPUReservation",
        Dimensions=[{"Name": "ClusterName", "Value": cluster}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Average"],
    )["Datapoints"]


def test_enabling_container_insights_shows_the_clusters_cpu_and_memory_charts(
    demo_cluster, cloud, screenshot
):
    page = demo_cluster
    page.get_by_role("link", name="View Cluster").click()
    page.get_by_role("navigation", name="Cluster tabs").get_by_role("link", name="Metrics").click()
    expect(page).to_have_url(re.compile(r"/clusters/demo-cluster/metrics/$"))
    panel = page.get_by_role("region", name="Metrics")
    expect(
        panel.get_by_role("heading", name="Container Insights is not enabled for this cluster")
    ).to_be_visible()
    screenshot("insights-off-1280")
    # ECS publishes the cluster's first sample once its host has registered.
    wait_until(
        lambda: published_reservation(cloud, "demo-cluster"),
        60,
        "the local cloud to publish demo-cluster's metrics (its log: test-artifacts/logs/)",
        interval=0.2,
    )

    panel.get_by_role("button", name="Enable Container Insights").click()

    charts = panel.get_by_role("img")
    expect(charts).to_have_count(4)
    for chart, name in zip(charts.all(), CHART_NAMES):
        expect(chart).to_have_accessible_name(f"{name} of demo-cluster, percent, last hour")
        expect(chart).to_have_accessible_description(
            re.compile(r"^Latest 0\.0% at \d\d:\d\d UTC; lowest 0\.0%, highest 0\.0% over ")
        )
    expect(page.locator("#metric-cpureservation .metric-latest")).to_have_text("0.0%")
    expect(page).to_have_url(re.compile(r"/clusters/demo-cluster/metrics/$"))
    settings = cloud("ecs").describe_clusters(clusters=["demo-cluster"], include=["SETTINGS"])
    assert settings["clusters"][0]["settings"] == [{"name": "containerInsights", "value": "enabled"}]

    panel.get_by_text("Data points").first.click()
    expect(panel.get_by_role("table").first).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("metrics-1280")

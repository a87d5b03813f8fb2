"""From the cluster's pages to what it is made of, and back to every operation asked of it."""

import re

import pytest
from django.urls import reverse

from clusters import inventory
from clusters.configuration import DeleteRequest, ScaleRequest
from clusters.models import Operation
from clusters.stack_template import LogicalId
from tests.conftest import REGION

STACK = "EC2ContainerService-demo-cluster"


def asked(user, action, request):
    """An operation on demo-cluster, recorded as its dialog records it."""
    return Operation.objects.submit(
        action=action, cluster_name="demo-cluster", region=REGION, user=user, request=request
    ).operation


def links_of(html):
    return set(re.findall(r'href="([^"]+)"', html))


def expected_resource_links(lab_cluster):
    made = lab_cluster.step("stack").outputs["resources"]
    return {
        f"/clusters/demo-cluster/stacks/{STACK}/",
        "/clusters/demo-cluster/iam-roles/ecsInstanceRole/",
        f"/clusters/demo-cluster/security-groups/{made[LogicalId.SECURITY_GROUP]}/",
        f"/clusters/demo-cluster/launch-templates/{made[LogicalId.LAUNCH_TEMPLATE]}/",
        f"/clusters/demo-cluster/auto-scaling-groups/{made[LogicalId.AUTO_SCALING_GROUP]}/",
        f"/clusters/demo-cluster/stacks/{STACK}/#resource-Vpc",
        f"/clusters/demo-cluster/stacks/{STACK}/#resource-PubSubnetAz1",
    }


def test_each_cluster_resource_on_the_launch_status_page_leads_to_its_page(
    signed_in, lab_cluster
):
    html = signed_in.get(lab_cluster.get_absolute_url()).content.decode()

    assert expected_resource_links(lab_cluster) <= links_of(html)
    # The role and the stack are linked from their steps: the rows stay the console's own.
    resources = html[html.index('id="cluster-resources"') :]
    assert "<dt>CloudFormation stack</dt>" not in resources
    assert "View IAM role ecsInstanceRole</a>" in html
    assert f"View stack {STACK}</a>" in html


def test_the_cluster_page_lists_its_resources_and_the_operations_that_made_and_scaled_it(
    signed_in, lab_cluster, user, finish
):
    scale = finish(asked(user, Operation.Action.SCALE, ScaleRequest(instance_count=2)))

    html = signed_in.get("/clusters/demo-cluster/").content.decode()

    assert expected_resource_links(lab_cluster) <= links_of(html)
    history = html[html.index('id="cluster-history"') :]
    assert history.index(f'href="/operations/{scale.pk}/"') < history.index(
        f'href="/operations/{lab_cluster.pk}/"'
    ), "newest first"
    assert "<td>Scale ECS Instances to 2 instances</td>" in history
    assert f'<a href="/operations/{scale.pk}/">Succeeded</a>' in history
    assert signed_in.get(f"/operations/{lab_cluster.pk}/").status_code == 200


def test_each_ecs_instance_leads_to_its_ec2_instance_page(signed_in, lab_cluster):
    [row] = inventory.container_instances(REGION, "demo-cluster")

    tab = signed_in.get("/clusters/demo-cluster/ecs-instances/").content.decode()
    container_instance = signed_in.get(
        f"/clusters/demo-cluster/container-instances/{row.id}/"
    ).content.decode()

    ec2_page = f"/clusters/demo-cluster/ec2-instances/{row.ec2_instance_id}/"
    assert ec2_page in links_of(tab)
    assert ec2_page in links_of(container_instance)
    assert signed_in.get(ec2_page).status_code == 200


def test_after_a_delete_the_clusters_page_keeps_the_delete_within_reach(
    signed_in, lab_cluster, user, finish
):
    delete = finish(asked(user, Operation.Action.DELETE, DeleteRequest()))
    assert delete.has_succeeded, [s.message for s in delete.steps.all()]

    html = signed_in.get(reverse("clusters:list")).content.decode()

    assert "No clusters in us-east-1 yet." in html
    recent = html[html.index('id="recent-operations"') :]
    assert re.search(
        rf'<td>Delete cluster</td>\s*<td>demo-cluster</td>\s*<td><a href="/operations/{delete.pk}/">',
        recent,
    )
    assert f'<a href="/operations/{lab_cluster.pk}/">Succeeded</a>' in recent
    assert signed_in.get(f"/operations/{delete.pk}/").status_code == 200
    assert signed_in.get("/clusters/demo-cluster/").status_code == 404


@pytest.mark.django_db
def test_the_clusters_page_of_a_region_without_operations_has_no_recent_operations(
    signed_in, aws
):
    html = signed_in.get(reverse("clusters:list")).content.decode()

    assert "Recent operations" not in html

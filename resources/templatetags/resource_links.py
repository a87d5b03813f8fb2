"""Links from the cluster pages to the pages of the resources a cluster is made of."""

from django import template
from django.urls import reverse

from clusters.models import STACK_RESOURCE_ROWS
from clusters.stack_template import LogicalId, stack_name_for

register = template.Library()

# The page of each CloudFormation resource type that has one.
PAGES_BY_TYPE = {
    "AWS::EC2::Instance": "resources:ec2_instance",
    "AWS::AutoScaling::AutoScalingGroup": "resources:auto_scaling_group",
    "AWS::EC2::LaunchTemplate": "resources:launch_template",
    "AWS::EC2::SecurityGroup": "resources:security_group",
    "AWS::IAM::Role": "resources:iam_role",
}
PAGES_BY_LOGICAL_ID = {
    LogicalId.SECURITY_GROUP: "resources:security_group",
    LogicalId.LAUNCH_TEMPLATE: "resources:launch_template",
    LogicalId.AUTO_SCALING_GROUP: "resources:auto_scaling_group",
}
LOGICAL_IDS_BY_LABEL = dict(STACK_RESOURCE_ROWS)


@register.simple_tag
def stack_resource_url(cluster_name, resource_type, physical_id):
    """The page of a stack's resource, or "" when the console has none for its type."""
    page = PAGES_BY_TYPE.get(resource_type)
    if page is None or not physical_id:
        return ""
    return reverse(page, args=[cluster_name, physical_id])


@register.simple_tag
def cluster_resource_url(cluster_name, label, value):
    """Where a Cluster Resources row leads: the resource's own page, or its line in the stack's
    resources; "" for rows that are settings (instance type, key pair) rather than resources."""
    logical_id = LOGICAL_IDS_BY_LABEL.get(label)
    if logical_id is None or not value:
        return ""
    page = PAGES_BY_LOGICAL_ID.get(logical_id)
    if page:
        return reverse(page, args=[cluster_name, value])
    stack_url = reverse("resources:stack", args=[cluster_name, stack_name_for(cluster_name)])
    return f"{stack_url}#resource-{logical_id}"

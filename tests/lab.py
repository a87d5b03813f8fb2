"""The ECS lab's answers, and what the console shows for them: facts several suites share."""

from clusters.configuration import (
    AmiFamily,
    ClusterConfiguration,
    IngressRule,
    Instances,
    Network,
    NewVpc,
)

# Cluster Resources on the Launch status page, in the console's order (spec §3).
CLUSTER_RESOURCE_LABELS = [
    "Instance type",
    "Desired number of instances",
    "Key pair",
    "ECS AMI ID",
    "VPC",
    "Subnet 1",
    "Subnet 1 route table association",
    "Subnet 2",
    "Subnet 2 route table association",
    "VPC Availability Zones",
    "Security group",
    "Internet gateway",
    "Route table",
    "Amazon EC2 route",
    "Virtual private gateway attachment",
    "Launch template",
    "Auto Scaling group",
]


def lab_configuration(ami_id="ami-0123456789abcdef0"):
    """The configuration the wizard records for the lab: t2.micro, one instance, SSH open."""
    return ClusterConfiguration(
        instances=Instances(
            instance_types=("t2.micro",),
            count=1,
            ami_id=ami_id,
            ami_family=AmiFamily.AMAZON_LINUX_2,
            ami_display=f"Amazon Linux 2 AMI [{ami_id}]",
            volume_size=30,
            instance_role="ecsInstanceRole",
            # Let ECS Console read the host (SSM) is on unless the person unticks it.
            ssm_host_access=True,
        ),
        network=Network(
            new_vpc=NewVpc("10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24"),
            ingress=IngressRule("0.0.0.0/0", 22, 22),
        ),
    )

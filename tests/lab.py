"""The ECS lab's answers, and what the console shows for them: facts several suites share."""

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


def lab_config(ami_id="ami-0123456789abcdef0", cluster_name="demo-cluster"):
    """The configuration the wizard records for the lab: t2.micro, one instance, SSH open."""
    return {
        "cluster_name": cluster_name,
        "empty_cluster": False,
        "tags": [],
        "container_insights": False,
        "provisioning_model": "on-demand",
        "instance_type": "t2.micro",
        "t2_unlimited": False,
        "instance_count": 1,
        "ami_id": ami_id,
        "ami_family": "amazon-linux-2",
        "ami_display": f"Amazon Linux 2 AMI [{ami_id}]",
        "volume_size": 30,
        "key_name": "",
        "vpc": "new",
        "vpc_cidr": "10.0.0.0/16",
        "subnet1_cidr": "10.0.0.0/24",
        "subnet2_cidr": "10.0.1.0/24",
        "auto_assign_public_ip": "subnet",
        "security_group": "new",
        "ingress_cidr": "0.0.0.0/0",
        "ingress_from_port": 22,
        "ingress_to_port": 22,
        "instance_role": "ecsInstanceRole",
    }

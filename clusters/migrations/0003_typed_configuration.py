"""Create operations stored their configuration as one flat dict; it is now a typed value's JSON.

The conversion is written out here, as the flat shape was, so it never changes with the code.
"""

from django.db import migrations

FARGATE_CAPACITY_PROVIDERS = ["FARGATE", "FARGATE_SPOT"]


def typed_shape(config, template):
    instances = network = None
    if config.get("instance_type"):
        spot = None
        if config.get("provisioning_model") == "spot":
            spot = {
                "allocation_strategy": config.get("spot_allocation_strategy", "diversified"),
                "max_price": config.get("spot_max_price", ""),
            }
        instances = {
            "instance_types": config.get("instance_types") or [config["instance_type"]],
            "count": config["instance_count"],
            "ami_id": config["ami_id"],
            "ami_family": config["ami_family"],
            "ami_display": config["ami_display"],
            "volume_size": config["volume_size"],
            "instance_role": config["instance_role"],
            "key_name": config.get("key_name", ""),
            "t2_unlimited": config.get("t2_unlimited", False),
            "spot": spot,
        }
    new_vpc = None
    if config.get("vpc") == "new" or config.get("create_vpc"):
        new_vpc = {
            "cidr": config["vpc_cidr"],
            "subnet1_cidr": config["subnet1_cidr"],
            "subnet2_cidr": config["subnet2_cidr"],
        }
    if instances or new_vpc:
        ingress = None
        if instances and config.get("security_group") == "new":
            ingress = {
                "cidr": config["ingress_cidr"],
                "from_port": config["ingress_from_port"],
                "to_port": config["ingress_to_port"],
            }
        network = {
            "new_vpc": new_vpc,
            "vpc_id": "" if new_vpc else config.get("vpc", ""),
            "subnet_ids": config.get("subnet_ids", []),
            "public_ip": config.get("auto_assign_public_ip", "subnet"),
            "security_group_id": ""
            if config.get("security_group", "new") == "new"
            else config["security_group"],
            "ingress": ingress,
        }
    return {
        "tags": config.get("tags", []),
        "container_insights": config.get("container_insights", False),
        "capacity_providers": FARGATE_CAPACITY_PROVIDERS if template == "fargate" else [],
        "instances": instances,
        "network": network,
    }



def forwards(apps, schema_editor):
    Operation = apps.get_model("clusters", "Operation")
    for operation in Operation.objects.filter(action="create"):
        if "cluster_name" not in operation.config:
            continue  # already typed
        operation.config = typed_shape(operation.config, operation.template)
        operation.save(update_fields=["config"])


class Migration(migrations.Migration):
    dependencies = [("clusters", "0002_scale_label")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

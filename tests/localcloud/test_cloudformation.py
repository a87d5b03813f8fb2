"""Stacks report each resource, roll back on failure and delete everything they made, as on AWS."""

import json

import pytest
from botocore.exceptions import ClientError

from localcloud.agent import EcsAgentEmulator

from .cloud import console_stack_template, container_instances, recommended

STACK = "EC2ContainerService-demo"


def create(aws, count=2, **kwargs):
    template = kwargs.pop("template", None) or console_stack_template(
        "demo", recommended(aws)["image_id"]
    )
    return aws.cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=template,
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": str(count)}],
        **kwargs,
    )["StackId"]


def status(aws, stack_id):
    return aws.cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]


def events(aws, stack_id):
    return aws.cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]


def custom_vpcs(aws):
    return [v["VpcId"] for v in aws.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]]


def running_instances(aws):
    reservations = aws.ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}]
    )["Reservations"]
    return [i["InstanceId"] for r in reservations for i in r["Instances"]]


def test_each_resource_reports_its_creation_in_the_stack_events(aws):
    stack_id = create(aws)

    completed = {
        e["LogicalResourceId"]
        for e in events(aws, stack_id)
        if e["ResourceStatus"] == "CREATE_COMPLETE"
    }

    assert status(aws, stack_id) == "CREATE_COMPLETE"
    assert {
        "Vpc",
        "PubSubnetAz1",
        "PubSubnetAz2",
        "EcsInstanceLaunchTemplate",
        "EcsInstanceAsg",
        STACK,
    } <= completed


def test_get_azs_of_the_stacks_own_region_places_the_subnets_in_its_first_two_zones(aws):
    create(aws)

    subnets = aws.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": custom_vpcs(aws)}])[
        "Subnets"
    ]

    assert sorted(s["AvailabilityZone"] for s in subnets) == ["us-east-1a", "us-east-1b"]


def test_deleting_a_vpc_stack_removes_everything_it_made(aws):
    stack_id = create(aws)

    aws.cloudformation.delete_stack(StackName=STACK)

    assert status(aws, stack_id) == "DELETE_COMPLETE"
    assert custom_vpcs(aws) == []
    assert aws.ec2.describe_internet_gateways()["InternetGateways"] == []
    assert aws.ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert running_instances(aws) == []
    groups = aws.ec2.describe_security_groups()["SecurityGroups"]
    assert [g["GroupName"] for g in groups if g["GroupName"] != "default"] == []


def test_a_deleted_stack_is_listed_as_delete_complete_and_found_only_by_its_id(aws):
    stack_id = create(aws)

    aws.cloudformation.delete_stack(StackName=STACK)

    [summary] = aws.cloudformation.list_stacks()["StackSummaries"]
    assert (summary["StackId"], summary["StackStatus"]) == (stack_id, "DELETE_COMPLETE")
    with pytest.raises(aws.cloudformation.exceptions.ClientError):
        aws.cloudformation.describe_stacks(StackName=STACK)
    deleted = [e for e in events(aws, stack_id) if e["ResourceStatus"] == "DELETE_COMPLETE"]
    assert {"Vpc", "EcsInstanceAsg", STACK} <= {e["LogicalResourceId"] for e in deleted}


def test_deleting_the_stack_deregisters_its_instances_so_the_cluster_can_go(aws):
    aws.ecs.create_cluster(clusterName="demo")
    create(aws)
    agent = EcsAgentEmulator(session=aws.session)
    agent.sync()
    assert len(container_instances(aws, "demo")) == 2

    aws.cloudformation.delete_stack(StackName=STACK)

    cluster = aws.ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] == 0
    assert aws.ecs.delete_cluster(cluster="demo")["cluster"]["status"] == "INACTIVE"


def test_scaling_in_through_update_stack_terminates_instances_and_deregisters_them(aws):
    aws.ecs.create_cluster(clusterName="demo")
    stack_id = create(aws, count=3)
    agent = EcsAgentEmulator(session=aws.session)
    agent.sync()

    aws.cloudformation.update_stack(
        StackName=stack_id,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "1"}],
    )

    assert status(aws, stack_id) == "UPDATE_COMPLETE"
    assert len(running_instances(aws)) == 1
    assert agent.sync() == []
    cluster = aws.ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] == 1


def test_an_update_reports_only_the_resources_it_changes(aws):
    stack_id = create(aws, count=1)

    aws.cloudformation.update_stack(
        StackName=stack_id,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "2"}],
    )

    updated = {
        e["LogicalResourceId"]
        for e in events(aws, stack_id)
        if e["ResourceStatus"] in ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE")
    }
    # The gateway, whose template has no Properties, was "modified" by every update.
    assert updated == {"EcsInstanceAsg", STACK}


def test_resources_start_only_once_what_they_refer_to_is_complete(aws):
    template = json.loads(console_stack_template("demo", recommended(aws)["image_id"]))
    # The group first, its launch template next, their security group last, as the console's
    # template lists them: moto made them in that order.
    resources = template["Resources"]
    first = ["EcsInstanceAsg", "EcsInstanceLaunchTemplate"]
    template["Resources"] = {
        **{name: resources[name] for name in first},
        **{name: body for name, body in resources.items() if name not in first},
    }
    stack_id = create(aws, template=json.dumps(template))

    order = [
        (e["LogicalResourceId"], e["ResourceStatus"])
        for e in reversed(events(aws, stack_id))
        if e["ResourceStatus"] in ("CREATE_IN_PROGRESS", "CREATE_COMPLETE")
    ]

    assert order.index(("EcsInstanceAsg", "CREATE_IN_PROGRESS")) > order.index(
        ("EcsInstanceLaunchTemplate", "CREATE_COMPLETE")
    )
    assert order.index(("EcsInstanceLaunchTemplate", "CREATE_IN_PROGRESS")) > order.index(
        ("EcsSecurityGroup", "CREATE_COMPLETE")
    )


def test_scaling_a_stack_keeps_its_groups_mixed_instances_policy_as_aws_does(aws):
    template = json.loads(console_stack_template("demo", recommended(aws)["image_id"]))
    group = template["Resources"]["EcsInstanceAsg"]["Properties"]
    group["MixedInstancesPolicy"] = {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": group.pop("LaunchTemplate"),
            "Overrides": [{"InstanceType": "t3.micro"}, {"InstanceType": "t3a.micro"}],
        },
        "InstancesDistribution": {
            "OnDemandPercentageAboveBaseCapacity": 0,
            "SpotAllocationStrategy": "price-capacity-optimized",
        },
    }
    stack_id = create(aws, count=1, template=json.dumps(template))

    aws.cloudformation.update_stack(
        StackName=stack_id,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "3"}],
    )

    assert status(aws, stack_id) == "UPDATE_COMPLETE"
    [described] = aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert described["DesiredCapacity"] == 3
    assert len(running_instances(aws)) == 3
    policy = described["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]] == [
        "t3.micro",
        "t3a.micro",
    ]
    assert policy["InstancesDistribution"]["SpotAllocationStrategy"] == "price-capacity-optimized"


def test_a_failing_resource_rolls_the_stack_back_and_the_event_gives_the_reason(aws):
    template = console_stack_template(
        "demo", recommended(aws)["image_id"], subnet2_cidr="10.9.0.0/24"
    )

    stack_id = create(aws, template=template)

    assert status(aws, stack_id) == "ROLLBACK_COMPLETE"
    [failed] = [e for e in events(aws, stack_id) if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "PubSubnetAz2"
    assert "10.9.0.0/24" in failed["ResourceStatusReason"]
    assert custom_vpcs(aws) == []
    assert running_instances(aws) == []


def test_an_unknown_instance_type_fails_the_stack_as_aws_refuses_it(aws):
    template = console_stack_template(
        "demo", recommended(aws)["image_id"], instance_type="t2.gigantic"
    )

    stack_id = create(aws, template=template)

    assert status(aws, stack_id) == "ROLLBACK_COMPLETE"
    [failed] = [e for e in events(aws, stack_id) if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "EcsInstanceAsg"
    assert "t2.gigantic" in failed["ResourceStatusReason"]


def test_on_failure_do_nothing_leaves_the_stack_create_failed_with_what_it_made(aws):
    template = console_stack_template(
        "demo", recommended(aws)["image_id"], subnet2_cidr="10.9.0.0/24"
    )

    stack_id = create(aws, template=template, OnFailure="DO_NOTHING")

    assert status(aws, stack_id) == "CREATE_FAILED"
    assert len(custom_vpcs(aws)) == 1


def test_on_failure_delete_leaves_a_deleted_stack(aws):
    template = console_stack_template(
        "demo", recommended(aws)["image_id"], subnet2_cidr="10.9.0.0/24"
    )

    stack_id = create(aws, template=template, OnFailure="DELETE")

    assert status(aws, stack_id) == "DELETE_COMPLETE"
    assert custom_vpcs(aws) == []


def test_a_subnet_route_table_association_associates_and_has_its_rtbassoc_id(aws):
    stack_id = create(aws)

    resources = aws.cloudformation.describe_stack_resources(StackName=stack_id)["StackResources"]
    made = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    table = aws.ec2.describe_route_tables(RouteTableIds=[made["RouteViaIgw"]])["RouteTables"][0]
    associated = {a["RouteTableAssociationId"]: a.get("SubnetId") for a in table["Associations"]}

    assert made["PubSubnet1RouteTableAssociation"].startswith("rtbassoc-")
    assert associated[made["PubSubnet1RouteTableAssociation"]] == made["PubSubnetAz1"]
    assert associated[made["PubSubnet2RouteTableAssociation"]] == made["PubSubnetAz2"]


def cluster_stack_template(cluster_name):
    """A cluster with a service on it, as moto's own ECS CloudFormation tests make them."""
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": cluster_name}},
                "TaskDefinition": {
                    "Type": "AWS::ECS::TaskDefinition",
                    "Properties": {
                        "ContainerDefinitions": [
                            {"Name": "web", "Image": "nginx", "Memory": 128, "Essential": True}
                        ]
                    },
                },
                "Service": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "Cluster": {"Ref": "Cluster"},
                        "TaskDefinition": {"Ref": "TaskDefinition"},
                        "DesiredCount": 0,
                    },
                },
            },
        }
    )


def cluster_status(aws, name):
    return aws.ecs.describe_clusters(clusters=[name])["clusters"][0]["status"]


def test_renaming_a_cluster_makes_the_new_one_and_deletes_the_old_one_at_clean_up(aws):
    # CloudFormation user guide, "Update behaviors of stack resources": a replacement is created
    # first, what refers to it is updated, and the old resource is deleted during clean-up.
    stack_id = aws.cloudformation.create_stack(
        StackName="cluster", TemplateBody=cluster_stack_template("first")
    )["StackId"]

    aws.cloudformation.update_stack(StackName=stack_id, TemplateBody=cluster_stack_template("second"))

    assert status(aws, stack_id) == "UPDATE_COMPLETE"
    assert cluster_status(aws, "first") == "INACTIVE"
    assert cluster_status(aws, "second") == "ACTIVE"
    assert len(aws.ecs.list_services(cluster="second")["serviceArns"]) == 1
    order = [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("PhysicalResourceId"))
        for e in reversed(events(aws, stack_id))
    ]
    assert order.index(("cluster", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", stack_id)) < order.index(
        ("Cluster", "DELETE_COMPLETE", "first")
    )


def test_an_old_cluster_that_cannot_go_is_delete_failed_and_the_update_still_completes(aws):
    stack_id = aws.cloudformation.create_stack(
        StackName="cluster", TemplateBody=cluster_stack_template("first")
    )["StackId"]
    family = aws.ecs.list_task_definitions()["taskDefinitionArns"][0]
    # A service the stack does not own keeps the old cluster busy.
    aws.ecs.create_service(cluster="first", serviceName="by-hand", taskDefinition=family)

    aws.cloudformation.update_stack(StackName=stack_id, TemplateBody=cluster_stack_template("second"))

    assert status(aws, stack_id) == "UPDATE_COMPLETE"
    assert cluster_status(aws, "first") == "ACTIVE"
    [failed] = [e for e in events(aws, stack_id) if e["ResourceStatus"] == "DELETE_FAILED"]
    assert failed["LogicalResourceId"] == "Cluster"
    assert failed["PhysicalResourceId"] == "first"
    assert failed["ResourceStatusReason"] == (
        'Resource handler returned message: "The Cluster cannot be deleted while Services are '
        'active."'
    )


def test_an_update_of_the_groups_tags_tags_the_group_and_the_instances_launched_after_it(aws):
    # CloudFormation template reference, AutoScalingGroup TagProperty: "Update requires: No
    # interruption"; Auto Scaling API Reference, CreateOrUpdateTags: "instances that are already
    # running will not get the new or updated tag".
    stack_id = create(aws, count=1)
    [before] = running_instances(aws)
    template = json.loads(console_stack_template("demo", recommended(aws)["image_id"]))
    template["Resources"]["EcsInstanceAsg"]["Properties"]["Tags"] = [
        {"Key": "team", "Value": "blue", "PropagateAtLaunch": True},
        {"Key": "group-only", "Value": "yes", "PropagateAtLaunch": False},
    ]

    aws.cloudformation.update_stack(
        StackName=stack_id,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "2"}],
    )

    assert status(aws, stack_id) == "UPDATE_COMPLETE"
    [group] = aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert {(t["Key"], t["Value"], t["PropagateAtLaunch"]) for t in group["Tags"]} == {
        ("team", "blue", True),
        ("group-only", "yes", False),
    }
    assert [i for i in running_instances(aws) if i != before] != []

    def tags(instance_id):
        [reservation] = aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return {t["Key"]: t["Value"] for t in reservation["Instances"][0].get("Tags", [])}

    assert "team" not in tags(before)
    [after] = [i for i in running_instances(aws) if i != before]
    assert tags(after)["team"] == "blue"
    assert "group-only" not in tags(after)


def test_a_resource_that_fails_to_update_rolls_the_update_back_instead_of_failing_the_call(aws):
    # CloudFormation user guide, "Stack status codes": UPDATE_ROLLBACK_IN_PROGRESS "as a result
    # of a failed stack update", then UPDATE_ROLLBACK_COMPLETE; the resource is UPDATE_FAILED.
    stack_id = aws.cloudformation.create_stack(
        StackName="cluster", TemplateBody=cluster_stack_template("first")
    )["StackId"]
    template = json.loads(cluster_stack_template("second"))
    template["Resources"]["Service"]["Properties"]["TaskDefinition"] = "missing:1"

    aws.cloudformation.update_stack(StackName=stack_id, TemplateBody=json.dumps(template))

    assert status(aws, stack_id) == "UPDATE_ROLLBACK_COMPLETE"
    [failed] = [e for e in events(aws, stack_id) if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert failed["LogicalResourceId"] == "Service"
    assert failed["ResourceStatusReason"].startswith("Resource handler returned message:")
    stack_statuses = [
        e["ResourceStatus"] for e in reversed(events(aws, stack_id)) if e["LogicalResourceId"] == "cluster"
    ]
    assert stack_statuses[-4:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    # The old cluster keeps its service; the one the update made is gone again.
    assert cluster_status(aws, "first") == "ACTIVE"
    assert len(aws.ecs.list_services(cluster="first")["serviceArns"]) == 1
    assert cluster_status(aws, "second") == "INACTIVE"
    template_body = aws.cloudformation.get_template(StackName=stack_id)["TemplateBody"]
    assert "missing:1" not in json.dumps(template_body)


def importing(export_name):
    return json.dumps({
        "Parameters": {"Export": {"Type": "String", "Default": export_name}},
        "Resources": {
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "imports its VPC",
                    "VpcId": {"Fn::ImportValue": {"Ref": "Export"}},
                },
            }
        },
    })


def test_importing_an_export_no_stack_has_is_refused_by_create_stack_itself(aws):
    # AWS answers CreateStack with ValidationError "No export named … found." and makes no stack.
    with pytest.raises(ClientError) as refused:
        aws.cloudformation.create_stack(StackName="importer", TemplateBody=importing("shared-vpc"))

    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert refused.value.response["Error"]["Message"] == "No export named shared-vpc found."
    assert aws.cloudformation.describe_stacks()["Stacks"] == []


def test_importing_an_export_another_stack_has_creates_the_stack(aws):
    vpc_id = aws.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    aws.cloudformation.create_stack(StackName="exporter", TemplateBody=json.dumps({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"Vpc": {"Value": vpc_id, "Export": {"Name": "shared-vpc"}}},
    }))

    stack_id = aws.cloudformation.create_stack(
        StackName="importer", TemplateBody=importing("shared-vpc")
    )["StackId"]

    assert status(aws, stack_id) == "CREATE_COMPLETE"


VPC_TEMPLATE = {
    "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}},
    "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}},
}
VPC_TEMPLATE_YAML = """
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
Outputs:
  VpcId:
    Value: !Ref Vpc
"""


def test_a_json_template_is_read_as_json_and_a_yaml_one_still_as_yaml(aws, monkeypatch):
    # CloudFormation reads a JSON template as JSON. moto read every template with PyYAML first
    # (JSON is YAML), a tenth of the local cloud's work while a class created its clusters.
    import moto.cloudformation.models as cloudformation_models

    read_as_yaml = []
    yaml_load = cloudformation_models.yaml.load
    monkeypatch.setattr(
        cloudformation_models.yaml,
        "load",
        lambda *args, **kwargs: read_as_yaml.append(args[0]) or yaml_load(*args, **kwargs),
    )

    aws.cloudformation.create_stack(StackName="json", TemplateBody=json.dumps(VPC_TEMPLATE))
    aws.cloudformation.create_stack(StackName="yaml", TemplateBody=VPC_TEMPLATE_YAML)

    assert read_as_yaml == [VPC_TEMPLATE_YAML]
    for name in ("json", "yaml"):
        [stack] = aws.cloudformation.describe_stacks(StackName=name)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert stack["Outputs"][0]["OutputValue"].startswith("vpc-")

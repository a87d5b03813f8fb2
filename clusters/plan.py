"""The AWS calls that create a cluster, built once: provisioning makes them, and Configure
cluster's "View what Create will do" shows them as AWS CLI commands beside the stack template."""

import json
import shlex
from dataclasses import dataclass

import botocore.session
from botocore import xform_name

from . import stack_template
from .configuration import MADE_BY_CONSOLE

EC2_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class Call:
    """One AWS API call: the service, boto3's name of the operation, and its arguments."""

    service: str
    operation: str
    arguments: dict

    def make(self, aws_client):
        return getattr(aws_client, self.operation)(**self.arguments)

    def as_cli(self, files=None):
        """The same call as an AWS CLI command; `files` names arguments given as file://."""
        return cli_command(self, files or {})


def create_cluster(cluster_name, configuration):
    tags = (*configuration.tags, MADE_BY_CONSOLE)
    arguments = {
        "clusterName": cluster_name,
        "tags": [{"key": tag.key, "value": tag.value} for tag in tags],
    }
    if configuration.container_insights:
        arguments["settings"] = [{"name": "containerInsights", "value": "enabled"}]
    if configuration.capacity_providers:
        arguments["capacityProviders"] = list(configuration.capacity_providers)
    return Call("ecs", "create_cluster", arguments)


def console_tags():
    """ECS Console's own tag, as IAM, CloudFormation and EC2 take tags."""
    return [{"Key": MADE_BY_CONSOLE.key, "Value": MADE_BY_CONSOLE.value}]


def instance_role(instances):
    """The IAM calls of the ECS Instance IAM Policy step, in order."""
    role = instances.instance_role
    policies = [stack_template.ECS_INSTANCE_ROLE_POLICY]
    if instances.ssm_host_access:
        policies.append(stack_template.SSM_MANAGED_INSTANCE_POLICY)
    return [
        Call(
            "iam",
            "create_role",
            {
                "RoleName": role,
                "AssumeRolePolicyDocument": json.dumps(EC2_TRUST_POLICY),
                "Description": "Allows EC2 instances in an ECS cluster to access ECS.",
                "Tags": console_tags(),
            },
        ),
        *(Call("iam", "attach_role_policy", {"RoleName": role, "PolicyArn": p}) for p in policies),
        Call(
            "iam", "create_instance_profile", {"InstanceProfileName": role, "Tags": console_tags()}
        ),
        Call(
            "iam",
            "add_role_to_instance_profile",
            {"InstanceProfileName": role, "RoleName": role},
        ),
    ]


def create_stack(cluster_name, configuration, request_token):
    arguments = {
        "StackName": stack_template.stack_name_for(cluster_name),
        "TemplateBody": stack_template.template_body(),
        "Parameters": stack_template.stack_parameters(cluster_name, configuration),
        "OnFailure": "ROLLBACK",
        "ClientRequestToken": request_token,
        "Tags": stack_template.stack_tags(configuration),
    }
    return Call("cloudformation", "create_stack", arguments)


def create_calls(cluster_name, configuration, request_token):
    """Every call Create makes that changes the account, in the order provisioning makes them."""
    calls = [create_cluster(cluster_name, configuration)]
    if configuration.instances:
        calls += instance_role(configuration.instances)
    if configuration.makes_stack:
        calls.append(create_stack(cluster_name, configuration, request_token))
    return calls


# Before Create the operation has no id yet: the preview shows where the token goes.
PREVIEW_REQUEST_TOKEN = "ecs-console-<operation>"


@dataclass(frozen=True)
class Preview:
    """What Create will do: the CLI commands, and the stack's template and parameters, each
    with the file name the commands give it."""

    commands: tuple[str, ...]
    template_file: str
    template: str
    parameters_file: str = ""
    parameters: str = ""


def stack_files(cluster_name):
    """The files create-stack reads its template and parameters from, as the preview names them."""
    stack_name = stack_template.stack_name_for(cluster_name)
    return {"TemplateBody": f"{stack_name}.json", "Parameters": f"{stack_name}-parameters.json"}


def preview(cluster_name, configuration, request_token=PREVIEW_REQUEST_TOKEN):
    """What Create will do for a form as typed or, given a launch's token, what it did.

    Every cluster's stack has the same template: what this cluster is made of is in its
    parameters, shown beside the template as the file the command reads them from."""
    calls = create_calls(cluster_name, configuration, request_token)
    files = stack_files(cluster_name)
    commands = tuple(call.as_cli(files) for call in calls)
    if not configuration.makes_stack:
        return Preview(commands=commands, template_file="", template="")
    return Preview(
        commands=commands,
        template_file=files["TemplateBody"],
        template=json.dumps(stack_template.build_template(), indent=2),
        parameters_file=files["Parameters"],
        parameters=json.dumps(
            stack_template.stack_parameters(cluster_name, configuration), indent=2
        ),
    )


_models = {}


def _operation_model(service, operation):
    if service not in _models:
        _models[service] = botocore.session.get_session().get_service_model(service)
    model = _models[service]
    name = next(n for n in model.operation_names if xform_name(n) == operation)
    return model.operation_model(name)


def _cli_name(member):
    return "--" + xform_name(member, "-")


def _cli_value(shape, value):
    if shape.type_name == "string":
        return shlex.quote(value)
    if shape.type_name in ("integer", "long", "boolean"):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if shape.type_name == "list" and shape.member.type_name == "string":
        return " ".join(shlex.quote(item) for item in value)
    return shlex.quote(json.dumps(value, separators=(",", ":")))


def cli_command(call, files):
    """`aws <service> <operation> --member value …`, each value as the CLI takes it."""
    model = _operation_model(call.service, call.operation)
    words = ["aws", call.service, xform_name(model.name, "-")]
    members = model.input_shape.members
    for member, value in call.arguments.items():
        if member in files and files[member]:
            words += [_cli_name(member), f"file://{files[member]}"]
        else:
            words += [_cli_name(member), _cli_value(members[member], value)]
    return " ".join(words)

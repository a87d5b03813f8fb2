"""View what Create will do: the AWS CLI commands and the stack template for the form as typed,
built by the code provisioning sends them with, so the preview is what Create does."""

from botocore import xform_name
from django.urls import reverse
from django.utils.html import escape

from clusters import plan
from clusters.aws import client
from clusters.configuration import Tag
from clusters.models import Operation

from .conftest import REGION

CONFIGURE = reverse("clusters:configure", args=["ec2-linux"])


def record_changes(services):
    """Every call that changes the account (not a Describe, Get or List), as boto3 was asked."""
    recorded = []

    def record(params, model, **kwargs):
        if not model.name.startswith(("Describe", "Get", "List")):
            recorded.append((model.service_model.service_name, xform_name(model.name), params))

    for service in services:
        client(service, REGION).meta.events.register(f"provide-client-params.{service}.*", record)
    return recorded


def test_the_preview_is_the_calls_provisioning_makes_against_the_local_cloud(launch, finish):
    recorded = record_changes(["ecs", "iam", "cloudformation"])
    operation = launch()

    finish(operation)

    assert operation.has_succeeded
    planned = plan.create_calls("demo-cluster", operation.request, f"ecs-console-{operation.pk}")
    assert [(c.service, c.operation, c.arguments) for c in planned] == recorded
    assert [operation for _, operation, _ in recorded] == [
        "create_cluster",
        "create_role",
        "attach_role_policy",
        "attach_role_policy",
        "create_instance_profile",
        "add_role_to_instance_profile",
        "create_stack",
    ]


def test_the_launch_status_page_shows_the_calls_that_launch_made(launch, finish, signed_in):
    recorded = record_changes(["ecs", "iam", "cloudformation"])
    operation = launch()
    finish(operation)

    page = signed_in.get(operation.get_absolute_url()).content.decode()

    assert "What Create sent" in page
    files = plan.stack_files("demo-cluster")
    for service, operation_name, arguments in recorded:
        sent = plan.Call(service, operation_name, arguments).as_cli(files)
        assert escape(sent) in page
    assert f"--client-request-token ecs-console-{operation.pk}" in page


def test_view_what_create_will_do_shows_the_commands_and_keeps_what_was_typed(
    signed_in, lab_data
):
    data = {**lab_data, "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0", "_preview": "1"}

    response = signed_in.post(CONFIGURE, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert not Operation.objects.exists()
    assert 'value="demo-cluster"' in page
    assert (
        "aws ecs create-cluster --cluster-name demo-cluster --tags "
        + escape("""'[{"key":"ecs-console:made-by","value":"ECS Console"}]'""")
        + "\n"
    ) in page
    assert (
        "aws iam attach-role-policy --role-name ecsInstanceRole --policy-arn "
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    ) in page
    assert (
        "aws cloudformation create-stack --stack-name EC2ContainerService-demo-cluster "
        "--template-body file://EC2ContainerService-demo-cluster.json "
        "--parameters file://EC2ContainerService-demo-cluster-parameters.json"
    ) in page
    assert "<h3>EC2ContainerService-demo-cluster.json</h3>" in page
    assert "EcsInstanceLaunchTemplate" in page
    # The template is every cluster's; what was typed is in the parameters beside it.
    assert "<h3>EC2ContainerService-demo-cluster-parameters.json</h3>" in page
    assert escape('"ParameterKey": "SecurityIngressFromPort",\n    "ParameterValue": "22"') in page


def test_structures_go_to_the_cli_as_quoted_json_and_strings_as_words():
    call = plan.Call(
        "ecs",
        "create_cluster",
        {"clusterName": "demo", "tags": [{"key": "team", "value": "platform ops"}]},
    )

    assert call.as_cli() == (
        "aws ecs create-cluster --cluster-name demo "
        """--tags '[{"key":"team","value":"platform ops"}]'"""
    )


def test_the_commands_carry_the_tags_and_insights_the_form_asked_for(launch):
    operation = launch(container_insights="on")
    configuration = operation.request
    tagged = plan.create_cluster("demo-cluster", configuration)

    # The person's tags, then ECS Console's own, by which a Reset knows what the console made.
    assert tagged.arguments["tags"] == [
        {"key": "team", "value": "platform"},
        {"key": "ecs-console:made-by", "value": "ECS Console"},
    ]
    assert tagged.arguments["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert Tag("team", "platform") in configuration.tags

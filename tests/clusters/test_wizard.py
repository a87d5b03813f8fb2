"""A person walks the Create Cluster wizard: template, configuration, Create."""

import boto3
import pytest
from django.urls import reverse

from clusters import tasks
from clusters.aws import client as aws_client
from clusters.models import Operation, Step

from .conftest import REGION

CONFIGURE_URL = "/create-cluster/ec2-linux/"


@pytest.fixture
def sent(monkeypatch):
    steps = []
    monkeypatch.setattr(tasks.run_step, "delay", steps.append)
    return steps


def test_every_page_needs_sign_in(client, db):
    response = client.get("/clusters/")

    assert response.status_code == 302
    assert response.url == "/login/?next=/clusters/"


def test_the_first_step_offers_the_three_templates(signed_in, aws):
    page = signed_in.get(reverse("clusters:create")).content.decode()

    for name in ("Networking only", "EC2 Linux + Networking", "EC2 Windows + Networking"):
        assert name in page
    assert "Resources to be created:" in page
    assert "Auto Scaling group with Linux AMI" in page


def test_next_step_leads_to_configure_cluster_for_the_chosen_template(signed_in, aws):
    response = signed_in.post(reverse("clusters:create"), {"template": "ec2-linux"})

    assert response.status_code == 302
    assert response.url == CONFIGURE_URL


@pytest.mark.parametrize("template", ["fargate", "ec2-windows"])
def test_every_template_leads_to_its_own_configure_cluster(signed_in, aws, template):
    response = signed_in.post(reverse("clusters:create"), {"template": template})

    assert response.url == f"/create-cluster/{template}/"
    assert signed_in.get(response.url).status_code == 200


def test_windows_configure_cluster_offers_windows_amis_rdp_and_50_gib(signed_in, aws):
    page = signed_in.get("/create-cluster/ec2-windows/").content.decode()

    assert "Windows Server 2019 Full AMI [ami-" in page
    assert "None - unable to RDP" in page
    assert "EBS storage (GiB)" in page and 'name="volume_size" value="50"' in page
    assert "Amazon Linux" not in page


def test_networking_only_asks_for_a_name_a_vpc_tags_and_insights_only(signed_in, aws):
    page = signed_in.get("/create-cluster/fargate/").content.decode()

    assert "Create a new VPC for this cluster" in page
    assert 'name="vpc_cidr"' not in page
    assert "Instance configuration" not in page and "instance_type" not in page
    assert "Enable Container Insights" in page


def test_checking_create_vpc_shows_its_cidr_blocks(signed_in, aws):
    fragment = signed_in.post(
        "/create-cluster/fargate/",
        {"cluster_name": "fargate", "create_vpc": "on", "_refresh": "new-vpc",
         "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0"},
        headers={"HX-Request": "true"},
    ).content.decode()

    assert fragment.lstrip().startswith('<section class="panel" aria-labelledby="vpc-heading"')
    assert 'name="vpc_cidr" value="10.0.0.0/16"' in fragment
    assert 'name="subnet2_cidr" value="10.0.1.0/24"' in fragment


def test_a_networking_only_launch_with_a_vpc_plans_the_cluster_and_the_stack(signed_in, aws, sent):
    signed_in.post(
        "/create-cluster/fargate/",
        {"cluster_name": "fargate", "create_vpc": "on", "vpc_cidr": "10.0.0.0/16",
         "subnet1_cidr": "10.0.0.0/24", "subnet2_cidr": "10.0.1.0/24",
         "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0"},
    )

    operation = Operation.objects.get()
    assert operation.template == "fargate"
    assert [s.kind for s in operation.ordered_steps] == [Step.Kind.CLUSTER, Step.Kind.STACK]


def test_choosing_spot_redraws_the_instance_panel_with_its_choices(signed_in, lab_data):
    fragment = signed_in.post(
        CONFIGURE_URL,
        {**lab_data, "provisioning_model": "spot", "_refresh": "instance-panel"},
        headers={"HX-Request": "true"},
    ).content.decode()

    assert fragment.lstrip().startswith('<section class="panel" aria-labelledby="instance-heading"')
    assert "Spot Instances can be interrupted." in fragment
    assert 'value="diversified" checked' in fragment
    assert "Maximum bid price (per instance/hour)" in fragment
    assert 'name="instance_type" id="id_instance_type" multiple' in fragment
    assert '<option value="t2.micro" selected>' in fragment


def test_a_graviton_instance_type_moves_the_ami_to_arm64(signed_in, lab_data, options):
    arm = next(ami for ami in options.amis if ami.family == "amazon-linux-2-arm64")

    fragment = signed_in.post(
        CONFIGURE_URL,
        {**lab_data, "instance_type": "t4g.micro", "_refresh": "instance",
         "_changed": "instance_type"},
        headers={"HX-Request": "true"},
    ).content.decode()

    assert fragment.lstrip().startswith('<div id="instance-ami"')
    assert f'<option value="{arm.image_id}" selected>' in fragment
    assert "Root EBS Volume Size (GiB)" in fragment


def test_a_spot_launch_with_two_types_is_recorded(signed_in, lab_data, sent):
    signed_in.post(
        CONFIGURE_URL,
        {**lab_data, "provisioning_model": "spot", "instance_type": ["t3.micro", "t3a.micro"],
         "spot_allocation_strategy": "lowestPrice", "spot_max_price": "0.02"},
    )

    config = Operation.objects.get().config
    assert config["instance_types"] == ["t3.micro", "t3a.micro"]
    assert (config["spot_allocation_strategy"], config["spot_max_price"]) == ("lowestPrice", "0.02")


def test_configure_cluster_shows_the_console_fields_filled_from_aws(signed_in, aws):
    page = signed_in.get(CONFIGURE_URL).content.decode()

    assert '<label for="id_cluster_name">Cluster name' in page
    assert '<option value="t2.micro">t2.micro</option>' in page
    assert "Amazon Linux 2 AMI [ami-" in page
    assert "None - unable to SSH" in page
    assert "(default)" in page  # the default VPC is marked
    assert 'value="10.0.0.0/16"' in page
    assert 'name="instance_count" value="1"' in page
    assert 'value="spot">' in page


def test_create_records_the_launch_and_sends_its_first_step_after_commit(
    signed_in, lab_data, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(CONFIGURE_URL, lab_data)

    operation = Operation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("clusters:operation", args=[operation.pk])
    assert operation.cluster_name == "demo-cluster"
    assert operation.config["instance_type"] == "t2.micro"
    assert [(s.kind, s.state) for s in operation.ordered_steps] == [
        (Step.Kind.CLUSTER, Step.State.PENDING),
        (Step.Kind.INSTANCE_ROLE, Step.State.PENDING),
        (Step.Kind.STACK, Step.State.PENDING),
    ]
    assert sent == [operation.step(Step.Kind.CLUSTER).pk]


def test_an_empty_cluster_launch_has_only_the_cluster_step(signed_in, aws, sent):
    signed_in.post(
        CONFIGURE_URL,
        {"cluster_name": "empty", "empty_cluster": "on", "provisioning_model": "on-demand",
         "auto_assign_public_ip": "subnet", "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0"},
    )

    assert [s.kind for s in Operation.objects.get().ordered_steps] == [Step.Kind.CLUSTER]


def test_a_refused_submission_keeps_everything_typed_and_says_what_is_wrong(signed_in, lab_data):
    data = {
        **lab_data,
        "cluster_name": "demo cluster",
        "ingress_port": "22",
        "subnet2_cidr": "10.9.0.0/24",
        "tags-TOTAL_FORMS": "1",
        "tags-INITIAL_FORMS": "0",
        "tags-0-key": "team",
        "tags-0-value": "platform",
    }

    response = signed_in.post(CONFIGURE_URL, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert Operation.objects.count() == 0
    assert 'value="demo cluster"' in page
    assert "Use only letters (uppercase and lowercase)" in page
    assert "10.9.0.0/24 is not inside the VPC&#x27;s CIDR block 10.0.0.0/16." in page
    assert 'value="platform"' in page
    assert '<option value="t2.micro" selected>' in page


def test_choosing_an_existing_vpc_redraws_networking_with_its_subnets(signed_in, lab_data, ec2):
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnet_ids = [
        s["SubnetId"]
        for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [default_vpc["VpcId"]]}]
        )["Subnets"]
    ]

    response = signed_in.post(
        CONFIGURE_URL,
        {**lab_data, "vpc": default_vpc["VpcId"], "_refresh": "networking"},
        headers={"HX-Request": "true"},
    )

    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section class="panel" aria-labelledby="networking-heading"')
    assert all(subnet_id in fragment for subnet_id in subnet_ids)
    assert "Subnet 1" not in fragment
    assert "field-error" not in fragment
    assert Operation.objects.count() == 0


def test_opening_ssh_to_the_world_warns_as_soon_as_the_port_is_typed(signed_in, lab_data):
    response = signed_in.post(
        CONFIGURE_URL, {**lab_data, "_refresh": "inbound-rules"}, headers={"HX-Request": "true"}
    )

    assert "allow all IP addresses to access your instances over SSH" in response.content.decode()


def test_add_tag_adds_a_row_and_keeps_the_ones_typed(signed_in, lab_data):
    data = {**lab_data, "tags-TOTAL_FORMS": "1", "tags-INITIAL_FORMS": "0",
            "tags-0-key": "team", "tags-0-value": "blue", "_add_tag": "1", "_refresh": "tags"}

    fragment = signed_in.post(CONFIGURE_URL, data, headers={"HX-Request": "true"}).content.decode()

    assert 'name="tags-TOTAL_FORMS" value="2"' in fragment
    assert 'name="tags-0-key" value="team"' in fragment
    assert 'name="tags-1-key"' in fragment


def test_add_tag_works_without_javascript_too(signed_in, lab_data):
    data = {**lab_data, "tags-TOTAL_FORMS": "1", "tags-INITIAL_FORMS": "0",
            "tags-0-key": "team", "tags-0-value": "blue", "_add_tag": "1"}

    response = signed_in.post(CONFIGURE_URL, data)

    assert response.status_code == 200
    assert Operation.objects.count() == 0
    assert 'name="tags-TOTAL_FORMS" value="2"' in response.content.decode()


def test_an_unknown_section_name_is_an_ordinary_submit(signed_in, lab_data, sent):
    response = signed_in.post(CONFIGURE_URL, {**lab_data, "_refresh": "../../secrets"})

    assert response.status_code == 302


def test_an_unreachable_endpoint_is_explained_on_the_page_not_a_500(
    signed_in, monkeypatch, settings
):
    settings.AWS_MAX_ATTEMPTS = 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    aws_client.cache_clear()

    configure = signed_in.get(CONFIGURE_URL)
    clusters = signed_in.get("/clusters/")

    aws_client.cache_clear()
    assert configure.status_code == 200
    assert "Could not reach AWS" in configure.content.decode()
    assert clusters.status_code == 200
    assert "Could not list the clusters." in clusters.content.decode()


def test_the_clusters_page_lists_the_region_clusters_made_anywhere(signed_in, aws):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="made-with-the-cli")

    page = signed_in.get("/clusters/").content.decode()

    assert '<a href="/clusters/made-with-the-cli/">made-with-the-cli</a>' in page
    assert "ACTIVE" in page

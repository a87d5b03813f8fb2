"""A person walks the Create Cluster wizard: template, configuration, Create."""

import re

import boto3
import pytest
from django.urls import reverse

from clusters import tasks
from clusters.aws import forget_clients
from clusters.configuration import Spot, SpotAllocationStrategy
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
    assert '<div data-when="create_vpc=on" hidden>' in page
    assert "Instance configuration" not in page and "instance_type" not in page
    assert "Enable Container Insights" in page


def test_a_new_vpcs_cidr_blocks_wait_in_the_page_shown_once_create_vpc_is_checked(signed_in, aws):
    page = signed_in.post(
        "/create-cluster/fargate/",
        {"cluster_name": "demo cluster", "create_vpc": "on", "vpc_cidr": "10.0.0.0/16",
         "subnet1_cidr": "10.0.0.0/24", "subnet2_cidr": "10.0.1.0/24",
         "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0"},
    ).content.decode()

    assert '<div data-when="create_vpc=on">' in page
    assert 'name="vpc_cidr" value="10.0.0.0/16"' in page
    assert 'name="subnet2_cidr" value="10.0.1.0/24"' in page


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


def test_the_spot_choices_are_in_the_page_and_shown_when_spot_is_chosen(signed_in, lab_data):
    on_demand = signed_in.get(CONFIGURE_URL).content.decode()
    spot = signed_in.post(
        CONFIGURE_URL, {**lab_data, "cluster_name": "", "provisioning_model": "spot"}
    ).content.decode()

    assert '<div class="spot-options" data-when="provisioning_model=spot" hidden>' in on_demand
    assert '<div class="spot-options" data-when="provisioning_model=spot">' in spot
    assert "Spot Instances can be interrupted." in spot
    assert 'value="diversified" checked' in spot
    assert "Maximum bid price (per instance/hour)" in spot
    assert 'id="id_instance_type" aria-required="true"' in spot
    assert 'multiple size="8"' in spot and 'multiple size="8"' not in on_demand
    assert "<option selected data-burstable>t2.micro</option>" in spot


def test_a_spot_launch_with_two_types_is_recorded(signed_in, lab_data, sent):
    signed_in.post(
        CONFIGURE_URL,
        {**lab_data, "provisioning_model": "spot", "instance_type": ["t3.micro", "t3a.micro"],
         "spot_allocation_strategy": "lowestPrice", "spot_max_price": "0.02"},
    )

    instances = Operation.objects.get().request.instances
    assert instances.instance_types == ("t3.micro", "t3a.micro")
    assert instances.spot == Spot(SpotAllocationStrategy.LOWEST_PRICE, "0.02")


def test_configure_cluster_shows_the_console_fields_filled_from_aws(signed_in, aws):
    page = signed_in.get(CONFIGURE_URL).content.decode()

    assert '<label for="id_cluster_name" id="id_cluster_name_label">Cluster name' in page
    assert "<option data-burstable>t2.micro</option>" in page
    assert '<optgroup label="Commonly used">' in page
    assert "Amazon Linux 2 AMI [ami-" in page
    assert "None - unable to SSH" in page
    assert "(default)" in page  # the default VPC is marked
    assert 'value="10.0.0.0/16"' in page
    assert 'name="instance_count" value="1"' in page
    assert 'name="provisioning_model" value="spot"' in page


def test_create_records_the_launch_and_sends_its_first_step_after_commit(
    signed_in, lab_data, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(CONFIGURE_URL, lab_data)

    operation = Operation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("clusters:operation", args=[operation.pk])
    assert operation.cluster_name == "demo-cluster"
    assert operation.request.instances.instance_type == "t2.micro"
    assert [(s.kind, s.state) for s in operation.ordered_steps] == [
        (Step.Kind.CLUSTER, Step.State.PENDING),
        (Step.Kind.INSTANCE_ROLE, Step.State.PENDING),
        (Step.Kind.STACK, Step.State.PENDING),
        (Step.Kind.INSTANCES, Step.State.PENDING),
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
    assert "<option selected data-burstable>t2.micro</option>" in page


def test_every_vpcs_subnets_are_in_the_page_and_only_the_chosen_ones_shown(
    signed_in, lab_data, ec2
):
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc["VpcId"]]}])

    page = signed_in.post(
        CONFIGURE_URL, {**lab_data, "cluster_name": "", "vpc": default_vpc["VpcId"]}
    ).content.decode()

    assert f'<div class="subnet-group" data-when="vpc={default_vpc["VpcId"]}">' in page
    for subnet in subnets["Subnets"]:
        assert f'value="{subnet["SubnetId"]}" id="subnet-{subnet["SubnetId"]}"' in page
        assert subnet["AvailabilityZone"] in page and subnet["CidrBlock"] in page
    assert '<div data-when="vpc=new" hidden>' in page
    assert Operation.objects.count() == 0


def test_leaving_a_field_checks_it_and_answers_only_message_slots_never_an_input(
    signed_in, lab_data
):
    response = signed_in.post(
        CONFIGURE_URL,
        {**lab_data, "ingress_cidr": "0.0.0.0", "_validate": "ingress_cidr"},
        headers={"HX-Request": "true"},
    )

    answer = response.content.decode()
    assert response.status_code == 200
    assert '<div class="field-messages" id="id_ingress_cidr_error" hx-swap-oob="true"' in answer
    assert "type 0.0.0.0/0 to allow any address" in answer
    assert "<input" not in answer and "<select" not in answer
    assert "id_cluster_name_error" not in answer
    assert Operation.objects.count() == 0


def test_opening_ssh_to_the_world_warns_as_the_port_is_left(signed_in, lab_data):
    answer = signed_in.post(
        CONFIGURE_URL, {**lab_data, "_validate": "ingress_port"}, headers={"HX-Request": "true"}
    ).content.decode()

    assert '<div id="security-warning" class="field-note" hx-swap-oob="true">' in answer
    assert "allow all IP addresses to access your instances over SSH" in answer
    assert 'data-invalid="false"' in answer


def test_a_tag_is_checked_as_its_key_is_left(signed_in, lab_data):
    data = {**lab_data, "tags-TOTAL_FORMS": "1", "tags-INITIAL_FORMS": "0",
            "tags-0-key": "aws:owner", "tags-0-value": "me", "_validate": "tags-0-key"}

    answer = signed_in.post(CONFIGURE_URL, data, headers={"HX-Request": "true"}).content.decode()

    assert '<div class="field-messages" id="id_tags-0-key_error" hx-swap-oob="true"' in answer
    assert "Tag keys may not start with aws:" in answer


def test_add_tag_works_without_javascript_too(signed_in, lab_data):
    data = {**lab_data, "tags-TOTAL_FORMS": "1", "tags-INITIAL_FORMS": "0",
            "tags-0-key": "team", "tags-0-value": "blue", "_add_tag": "1"}

    response = signed_in.post(CONFIGURE_URL, data)

    assert response.status_code == 200
    assert Operation.objects.count() == 0
    assert 'name="tags-TOTAL_FORMS" value="2"' in response.content.decode()


def test_remove_works_without_javascript_and_keeps_the_other_rows(signed_in, lab_data):
    data = {**lab_data, "tags-TOTAL_FORMS": "2", "tags-INITIAL_FORMS": "0",
            "tags-0-key": "team", "tags-0-value": "blue",
            "tags-1-key": "env", "tags-1-value": "lab", "_remove_tag": "0"}

    page = signed_in.post(CONFIGURE_URL, data).content.decode()

    assert Operation.objects.count() == 0
    assert 'name="tags-TOTAL_FORMS" value="1"' in page
    assert 'name="tags-0-key" value="env"' in page and "team" not in page
    assert 'value="demo-cluster"' in page and "field-error" not in page


@pytest.mark.parametrize("name", ["../../secrets", "tags-99-key", "tags-x-key", ""])
def test_checking_an_unknown_field_answers_no_field_and_creates_nothing(signed_in, lab_data, name):
    response = signed_in.post(
        CONFIGURE_URL, {**lab_data, "_validate": name}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "field-messages" not in response.content.decode()
    assert Operation.objects.count() == 0


def test_an_unreachable_endpoint_is_explained_on_the_page_not_a_500(
    signed_in, monkeypatch, settings
):
    settings.AWS_MAX_ATTEMPTS = 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    forget_clients()

    configure = signed_in.get(CONFIGURE_URL)
    clusters = signed_in.get("/clusters/")

    forget_clients()
    assert configure.status_code == 200
    assert "Could not reach AWS" in configure.content.decode()
    assert clusters.status_code == 200
    assert "Could not list the clusters." in clusters.content.decode()


def test_the_clusters_page_lists_the_region_clusters_made_anywhere(signed_in, aws):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="made-with-the-cli")

    page = signed_in.get("/clusters/").content.decode()

    assert '<a href="/clusters/made-with-the-cli/">made-with-the-cli</a>' in page
    assert "ACTIVE" in page


def test_after_a_refused_create_each_field_in_error_says_so_and_names_its_message(
    signed_in, lab_data
):
    data = {**lab_data, "cluster_name": "demo cluster", "ingress_cidr": "0.0.0.0",
            "tags-TOTAL_FORMS": "1", "tags-INITIAL_FORMS": "0",
            "tags-0-key": "aws:owner", "tags-0-value": "me"}

    page = signed_in.post(CONFIGURE_URL, data).content.decode()

    ids = set(re.findall(r'\sid="([^"]+)"', page))
    described_by = re.findall(r'aria-describedby="([^"]+)"', page)
    assert described_by and all(i in ids for value in described_by for i in value.split())
    for field in ("id_cluster_name", "id_ingress_cidr", "id_tags-0-key"):
        tag = re.search(rf'<input [^>]*id="{field}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in tag and f"{field}_error" in tag
        assert f'<a href="#{field}">' in page  # the summary links to the field
    assert 'id="error-summary" tabindex="-1" autofocus' in page

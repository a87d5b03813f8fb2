"""Configure cluster refuses what the console refused, each rule with its own message."""

import boto3
import pytest

from clusters.configuration import ClusterConfiguration, IngressRule, Tag
from clusters.forms import Ec2LinuxClusterForm, TagFormSet, WizardOptions

from .conftest import REGION


def form_for(options, data, **changes):
    form = Ec2LinuxClusterForm({**data, **changes}, options=options)
    form.is_valid()
    return form


def errors_of(options, data, field, **changes):
    return form_for(options, data, **changes).errors.get(field, [])


def test_the_lab_configuration_is_accepted(options, lab_data):
    form = form_for(options, lab_data)

    assert form.errors == {}
    assert form.cleaned_data["cluster_name"] == "demo-cluster"
    config = form.configuration(tags=[])
    assert config.instances.instance_types == ("t2.micro",)
    assert config.network.ingress == IngressRule("0.0.0.0/0", 22, 22)
    assert config.instances.ami_display.startswith("Amazon Linux 2 AMI [ami-")
    assert config.instances.instance_role == "ecsInstanceRole"


@pytest.mark.parametrize("name", ["demo cluster", "demo.cluster", "démo", "a/b"])
def test_it_refuses_a_cluster_name_with_other_characters(options, lab_data, name):
    assert errors_of(options, lab_data, "cluster_name", cluster_name=name) == [
        "Use only letters (uppercase and lowercase), numbers, hyphens and underscores."
    ]


def test_it_refuses_a_cluster_name_longer_than_255(options, lab_data):
    errors = errors_of(options, lab_data, "cluster_name", cluster_name="a" * 256)

    assert "at most 255 characters" in errors[0]


def test_it_accepts_a_name_of_255_letters_digits_hyphens_and_underscores(options, lab_data):
    name = ("Ab-9_" * 51)[:255]

    assert errors_of(options, lab_data, "cluster_name", cluster_name=name) == []


def test_it_refuses_the_name_of_a_cluster_that_is_already_active(options, lab_data):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")

    assert errors_of(options, lab_data, "cluster_name") == [
        "A cluster named demo-cluster already exists in us-east-1. Choose another name."
    ]


def test_on_demand_instances_are_of_one_type(options, lab_data):
    errors = errors_of(options, lab_data, "instance_type", instance_type=["t2.micro", "t3.micro"])

    assert errors == [
        "On-Demand instances are all of one type. Choose one, or choose Spot to mix several."
    ]


def test_it_needs_an_instance_type(options, lab_data):
    assert errors_of(options, lab_data, "instance_type", instance_type="") == [
        "Select an EC2 instance type."
    ]


def test_it_refuses_an_instance_type_the_region_does_not_offer(options, lab_data):
    errors = errors_of(options, lab_data, "instance_type", instance_type="t9.enormous")

    assert "not one of the available choices" in errors[0]


@pytest.mark.parametrize("count", ["-1", "1001", "1.5", "many"])
def test_it_refuses_a_number_of_instances_outside_0_to_1000(options, lab_data, count):
    assert errors_of(options, lab_data, "instance_count", instance_count=count)


@pytest.mark.parametrize("count", ["0", "1000"])
def test_it_accepts_0_and_1000_instances(options, lab_data, count):
    assert errors_of(options, lab_data, "instance_count", instance_count=count) == []


def test_the_amazon_linux_2_root_volume_cannot_be_smaller_than_its_30_gib_snapshot(
    options, lab_data
):
    assert errors_of(options, lab_data, "volume_size", volume_size="29") == [
        "Amazon Linux 2 AMI needs at least 30 GiB, the size of its snapshot."
    ]


def test_amazon_linux_1_storage_may_be_22_gib_but_not_less(options, lab_data):
    al1 = next(ami for ami in options.amis if ami.family == "amazon-linux")

    assert errors_of(options, lab_data, "volume_size", ami_id=al1.image_id, volume_size="22") == []
    assert errors_of(options, lab_data, "volume_size", ami_id=al1.image_id, volume_size="21")


def test_a_volume_cannot_pass_16384_gib(options, lab_data):
    assert errors_of(options, lab_data, "volume_size", volume_size="16385") == [
        "An EBS volume can be at most 16384 GiB."
    ]


def test_the_storage_field_is_the_root_volume_of_30_gib_and_says_why_not_the_labs_22(options):
    form = Ec2LinuxClusterForm(options=options)

    assert form.fields["volume_size"].label == "Root EBS Volume Size (GiB)"
    assert form["volume_size"].value() == 30
    assert "22 GiB" in form.fields["volume_size"].help_text
    assert "Amazon Linux 1" in form.fields["volume_size"].help_text


def test_the_storage_label_follows_the_ami_and_keeps_the_size_typed(options):
    al1 = next(ami for ami in options.amis if ami.family == "amazon-linux")

    form = Ec2LinuxClusterForm({"ami_id": al1.image_id, "volume_size": "40"}, options=options)

    assert form.fields["volume_size"].label == "EBS storage (GiB)"
    assert form["volume_size"].value() == "40"


def test_it_refuses_an_ami_of_another_architecture_than_the_instance_type(options, lab_data):
    assert errors_of(options, lab_data, "ami_id", instance_type="t4g.micro") == [
        "Amazon Linux 2 AMI runs on x86_64 processors; t4g.micro has none. "
        "Choose an AMI for the instance type's architecture."
    ]
    arm = next(ami for ami in options.amis if ami.family == "amazon-linux-2-arm64")
    assert errors_of(options, lab_data, "ami_id", instance_type="t4g.micro", ami_id=arm.image_id) == []


def test_t2_unlimited_is_asked_only_for_burstable_types(options, lab_data):
    burstable = form_for(options, lab_data, t2_unlimited="on")
    other = form_for(options, lab_data, t2_unlimited="on", instance_type="m5.large")

    assert (burstable.errors, other.errors) == ({}, {})
    assert burstable.offers_t2_unlimited and not other.offers_t2_unlimited
    assert burstable.configuration(tags=[]).instances.t2_unlimited is True
    assert other.configuration(tags=[]).instances.t2_unlimited is False


@pytest.mark.parametrize(
    "value, message",
    [
        ("10.0.0.0", "AWS needs CIDR notation: type 10.0.0.0/32 for this address alone, or "
         "0.0.0.0/0 to allow any address."),
        ("vpc", "Enter the VPC CIDR block in CIDR notation, such as 10.0.0.0/16 or 0.0.0.0/0."),
        ("1" * 5000, "That is not a VPC CIDR block: it is too long to be one."),
        ("10.0.0.300/16", "10.0.0.300/16 is not a valid CIDR block."),
        ("10.0.0.1/16", "10.0.0.1/16 has host bits set; the block it names is 10.0.0.0/16."),
        ("10.0.0.0/8", "A VPC CIDR block must be between /16 and /28; 10.0.0.0/8 is /8."),
    ],
)
def test_it_refuses_a_vpc_cidr_block_aws_would_refuse(options, lab_data, value, message):
    assert errors_of(options, lab_data, "vpc_cidr", vpc_cidr=value) == [message]


def test_a_subnet_must_lie_inside_the_vpc(options, lab_data):
    assert errors_of(options, lab_data, "subnet1_cidr", subnet1_cidr="10.1.0.0/24") == [
        "10.1.0.0/24 is not inside the VPC's CIDR block 10.0.0.0/16."
    ]


def test_the_two_subnets_must_not_overlap(options, lab_data):
    assert errors_of(options, lab_data, "subnet2_cidr", subnet2_cidr="10.0.0.128/25") == [
        "10.0.0.128/25 overlaps Subnet 1 (10.0.0.0/24)."
    ]


def test_an_existing_vpc_needs_at_least_one_of_its_subnets(aws, lab_data):
    default_vpc = WizardOptions(REGION).default_vpc
    options = WizardOptions(REGION)

    assert errors_of(options, lab_data, "subnet_ids", vpc=default_vpc.vpc_id) == [
        "Select at least one subnet of the VPC."
    ]
    chosen = [subnet.subnet_id for subnet in options.subnets[:2]]
    form = form_for(options, {**lab_data, "vpc": default_vpc.vpc_id}, subnet_ids=chosen)
    assert form.errors == {}
    assert form.configuration(tags=[]).network.subnet_ids == tuple(chosen)


def test_only_the_chosen_vpcs_subnets_are_taken(aws, lab_data):
    ec2 = boto3.client("ec2", region_name=REGION)
    other = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    stranger = ec2.create_subnet(VpcId=other, CidrBlock="172.31.0.0/24")["Subnet"]["SubnetId"]
    options = WizardOptions(REGION)
    default_vpc = options.default_vpc
    own = options.subnets_of(default_vpc.vpc_id)[0].subnet_id

    alone = errors_of(options, lab_data, "subnet_ids", vpc=default_vpc.vpc_id, subnet_ids=[stranger])
    form = form_for(options, lab_data, vpc=default_vpc.vpc_id, subnet_ids=[stranger, own])

    # A subnet ticked under another VPC stays in the page, but is not the chosen VPC's.
    assert alone == ["Select at least one subnet of the VPC."]
    assert form.configuration(tags=[]).network.subnet_ids == (own,)


def test_a_subnet_that_does_not_exist_is_refused(options, lab_data):
    errors = errors_of(
        options, lab_data, "subnet_ids", vpc=options.default_vpc.vpc_id, subnet_ids=["subnet-nope"]
    )

    assert "not one of the available choices" in errors[0]


def test_a_security_group_of_another_vpc_is_refused(aws, lab_data):
    ec2 = boto3.client("ec2", region_name=REGION)
    other = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=other)["GroupId"]
    options = WizardOptions(REGION)
    vpc = options.default_vpc.vpc_id
    subnet = options.subnets_of(vpc)[0].subnet_id

    errors = errors_of(
        options, lab_data, "security_group", vpc=vpc, subnet_ids=[subnet], security_group=group
    )

    assert errors == [
        f"{group} belongs to {other}, not to {vpc}. Choose one of the VPC's security groups, "
        "or a new one."
    ]


@pytest.mark.parametrize(
    "port, message",
    [
        ("http", "Enter one port (80) or a range (8000-8080)."),
        ("2" * 5000, "Enter one port (80) or a range (8000-8080)."),
        ("70000", "Ports go from 0 to 65535."),
        ("90-80", "The range starts after it ends (90 > 80)."),
    ],
)
def test_it_refuses_a_port_range_aws_would_refuse(options, lab_data, port, message):
    assert errors_of(options, lab_data, "ingress_port", ingress_port=port) == [message]


def test_it_takes_a_port_range_as_from_and_to(options, lab_data):
    form = form_for(options, lab_data, ingress_port="8000-8080")

    assert form.configuration(tags=[]).network.ingress == IngressRule("0.0.0.0/0", 8000, 8080)


def test_the_labs_0_0_0_0_is_refused_with_what_to_type_and_nothing_else_changes(
    options, lab_data
):
    form = form_for(options, lab_data, ingress_cidr="0.0.0.0")

    assert form.errors == {
        "ingress_cidr": ["AWS needs CIDR notation: type 0.0.0.0/0 to allow any address."]
    }
    assert form["ingress_cidr"].value() == "0.0.0.0"
    assert form["ingress_port"].value() == "22"


@pytest.mark.parametrize("port, warned", [("22", True), ("3389", True), ("20-25", True), ("80", False)])
def test_ssh_or_rdp_open_to_the_world_warns_without_blocking(options, lab_data, port, warned):
    form = form_for(options, lab_data, ingress_port=port)

    assert form.errors == {}
    assert bool(form.security_warning) is warned


def test_no_warning_when_the_rule_is_limited_to_known_addresses(options, lab_data):
    form = form_for(options, lab_data, ingress_cidr="203.0.113.0/24")

    assert form.security_warning == ""


def test_an_empty_cluster_needs_only_a_name(options):
    form = form_for(options, {"cluster_name": "empty-one", "empty_cluster": "on",
                              "provisioning_model": "on-demand", "auto_assign_public_ip": "subnet"})

    assert form.errors == {}
    assert form.configuration(tags=[]) == ClusterConfiguration()


def test_fields_the_choices_hide_are_neither_judged_nor_kept(options, lab_data):
    form = form_for(
        options,
        lab_data,
        provisioning_model="on-demand",
        spot_max_price="cheap",
        security_group="new",
        vpc="new",
        subnet_ids=["subnet-nope"],
    )

    assert form.errors == {}
    assert form.configuration(tags=[]).instances.spot is None


def tag_data(*pairs):
    data = {"tags-TOTAL_FORMS": str(len(pairs)), "tags-INITIAL_FORMS": "0"}
    for index, (key, value) in enumerate(pairs):
        data[f"tags-{index}-key"] = key
        data[f"tags-{index}-value"] = value
    return data


def tag_errors(*pairs):
    formset = TagFormSet(tag_data(*pairs), prefix="tags")
    formset.is_valid()
    return [error for form in formset.errors for errors in form.values() for error in errors] + list(
        formset.non_form_errors()
    )


def test_tags_are_kept_in_order_and_empty_rows_ignored():
    formset = TagFormSet(tag_data(("team", "blue"), ("", ""), ("Env", "")), prefix="tags")

    assert formset.is_valid()
    assert formset.tags == (Tag("team", "blue"), Tag("Env", ""))


def test_a_tag_key_may_not_use_the_aws_prefix():
    assert tag_errors(("aws:owner", "me")) == [
        "Tag keys may not start with aws:, which AWS keeps for itself."
    ]


def test_a_tag_key_is_at_most_128_and_a_value_at_most_256_characters():
    assert tag_errors(("k" * 128, "v" * 256)) == []
    assert len(tag_errors(("k" * 129, "v" * 257))) == 2


def test_tag_keys_are_unique_and_case_sensitive():
    assert tag_errors(("Team", "a"), ("team", "b")) == []
    assert tag_errors(("team", "a"), ("team", "b")) == [
        "The key team is used twice; keys must be unique."
    ]


def test_a_cluster_takes_at_most_49_tags_of_the_persons_beside_ecs_consoles_own():
    assert tag_errors(*[(f"key{i}", "v") for i in range(49)]) == []
    assert tag_errors(*[(f"key{i}", "v") for i in range(51)]) == [
        "A cluster can have at most 49 tags of yours (ECS Console adds its own, "
        "ecs-console:made-by); remove 2."
    ]


def test_a_tag_key_may_not_take_ecs_consoles_prefix():
    assert tag_errors(("ecs-console:made-by", "me")) == [
        "Tag keys may not start with ecs-console:, which ECS Console keeps for the tag that "
        "marks what it made."
    ]


@pytest.mark.parametrize(
    "key, value",
    [("team", "blue"), ("équipe 2", "Ünïcode ½"), ("cost/centre:42", "a+b=c_d-e@f.g")],
)
def test_a_tag_may_use_letters_numbers_spaces_and_the_marks_ecs_takes(key, value):
    assert tag_errors((key, value)) == []


@pytest.mark.parametrize(
    "key, value, refused",
    [("team#1", "blue", "# in a tag key"), ("team", "<b>", "< > in a tag value"),
     ("owner", "me, you", ", in a tag value")],
)
def test_a_tag_with_a_character_ecs_refuses_names_it(key, value, refused):
    assert tag_errors((key, value)) == [
        f"ECS does not take {refused}: use letters, numbers, spaces and _ . : / = + - @ only."
    ]


def test_a_tag_without_a_value_is_refused_only_when_a_cloudformation_stack_carries_the_tags():
    data = tag_data(("team", ""))
    for_the_stack = TagFormSet(data, prefix="tags", form_kwargs={"stack_tags": True})
    for_ecs_alone = TagFormSet(data, prefix="tags")

    assert not for_the_stack.is_valid()
    assert for_the_stack.errors[0]["value"] == [
        "Enter a value: this cluster's CloudFormation stack carries its tags, and CloudFormation "
        "takes a tag only with a value (1 to 256 characters)."
    ]
    assert for_ecs_alone.is_valid()
    assert for_ecs_alone.tags == (Tag("team", ""),)

"""Configure cluster reads the account's lists (key pairs, VPCs, subnets, security groups, roles)
once each time the page is drawn: leaving a field and Create are judged against the lists the
page showed, as the console's own page judges them in the browser, and a key pair made in the
page's dialog joins them. The ECS-optimized AMIs, public and the same in every account, are
read once for everyone."""

from django.test import Client

CONFIGURE = "/create-cluster/ec2-linux/"
HTMX = {"HX-Request": "true"}
NOT_OFFERED = "is not one of the available choices"
ACCOUNT_LISTS = [
    "DescribeKeyPairs", "DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcs", "ListRoles",
]


def test_leaving_each_field_and_previewing_ask_aws_nothing_the_page_already_read(
    signed_in, lab_data, aws_calls
):
    signed_in.get(CONFIGURE)
    assert sorted(set(aws_calls) & set(ACCOUNT_LISTS)) == ACCOUNT_LISTS
    aws_calls.clear()

    for field in ("instance_type", "volume_size", "key_name", "vpc_cidr", "ingress_port"):
        answer = signed_in.post(CONFIGURE, {**lab_data, "_validate": field}, headers=HTMX)
        assert answer.status_code == 200
    preview = signed_in.post(CONFIGURE, {**lab_data, "_preview": "1"})

    assert "What Create will do" in preview.content.decode()
    # Only the name is checked against ECS as it is now, each time: another person of the
    # account may have made a cluster of that name since.
    assert set(aws_calls) == {"DescribeClusters"}


def test_the_page_drawn_again_reads_the_lists_again(signed_in, aws_calls):
    signed_in.get(CONFIGURE)
    aws_calls.clear()

    signed_in.get(CONFIGURE)

    assert sorted(set(aws_calls) & set(ACCOUNT_LISTS)) == ACCOUNT_LISTS


def test_a_key_pair_made_in_the_dialog_is_taken_though_the_page_showed_none(
    signed_in, lab_data
):
    page = signed_in.get(CONFIGURE).content.decode()
    assert 'value="lab-key"' not in page
    refused = signed_in.post(
        CONFIGURE, {**lab_data, "key_name": "lab-key", "_validate": "key_name"}, headers=HTMX
    )
    assert NOT_OFFERED in refused.content.decode()

    signed_in.post(
        "/key-pairs/new/", {"key_pair-name": "lab-key", "key_pair-key_type": "rsa"}, headers=HTMX
    )
    checked = signed_in.post(
        CONFIGURE, {**lab_data, "key_name": "lab-key", "_validate": "key_name"}, headers=HTMX
    )

    assert checked.status_code == 200
    assert NOT_OFFERED not in checked.content.decode()


def test_two_people_s_pages_read_the_public_ami_parameters_once(
    signed_in, django_user_model, aws_calls
):
    classmate = Client()
    classmate.force_login(django_user_model.objects.create_user("classmate", password="x"))

    for browser in (signed_in, classmate, signed_in):
        assert browser.get(CONFIGURE).status_code == 200

    assert aws_calls.count("GetParameters") == 1

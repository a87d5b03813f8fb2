"""Bad input never answers 500 and never reaches AWS unjudged: each cause a fuzzer found on an
older version, and the rules that keep what a person sends inside what AWS accepts."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from clusters.aws import client as aws_client, forget_clients
from clusters.models import Operation

from .conftest import REGION

CONFIGURE_URL = "/create-cluster/ec2-linux/"
HTMX = {"HX-Request": "true"}
SERVICES = ("ec2", "ecs", "iam", "ssm", "cloudformation", "autoscaling")


@pytest.fixture
def aws_calls(aws):
    """The parameters of every AWS call the console makes from here on."""
    calls = []
    for service in SERVICES:
        aws_client(service, REGION).meta.events.register(
            "provide-client-params.*.*",
            lambda params, model, **kwargs: calls.append((model.name, params)),
        )
    return calls


def sent_to_aws(calls, value):
    return [name for name, params in calls if value in repr(params)]


def two_tags(**changes):
    return {
        "tags-TOTAL_FORMS": "2",
        "tags-INITIAL_FORMS": "0",
        "tags-0-key": "team",
        "tags-0-value": "blue",
        "tags-1-key": "env",
        "tags-1-value": "lab",
        **changes,
    }


@pytest.mark.parametrize("remove", ["²", "١", "1" * 5000, "-1", "x", "2", ""])
def test_remove_with_a_row_number_that_is_not_one_keeps_every_row(signed_in, lab_data, remove):
    response = signed_in.post(CONFIGURE_URL, {**lab_data, **two_tags(_remove_tag=remove)})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="tags-TOTAL_FORMS" value="2"' in page
    assert 'value="team"' in page and 'value="env"' in page
    assert Operation.objects.count() == 0


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["submitted", "checked-as-left"])
def test_a_port_of_thousands_of_digits_is_a_message_beside_the_port(signed_in, lab_data, headers):
    data = {**lab_data, "ingress_port": "8" * 4301, "_validate": "ingress_port"}

    response = signed_in.post(CONFIGURE_URL, data, headers=headers)

    assert response.status_code == 200
    assert "Enter one port (80) or a range (8000-8080)." in response.content.decode()
    assert Operation.objects.count() == 0


@pytest.mark.parametrize(
    "price", ["1e999999999", "1e99999999999999999", "-1e999999999", "NaN", "Infinity", "1" * 5000]
)
def test_a_spot_price_beyond_any_number_is_a_message_beside_the_price(signed_in, lab_data, price):
    data = {**lab_data, "provisioning_model": "spot", "spot_max_price": price}

    submitted = signed_in.post(CONFIGURE_URL, data)
    checked = signed_in.post(CONFIGURE_URL, {**data, "_validate": "spot_max_price"}, headers=HTMX)

    assert submitted.status_code == checked.status_code == 200
    assert 'id="id_spot_max_price_error" hx-swap-oob="true" data-invalid="true"' in (
        checked.content.decode()
    )
    assert Operation.objects.count() == 0


@pytest.mark.parametrize(
    "field, value",
    [
        ("vpc", "vpc-("),
        ("subnet_ids", "subnet-("),
        ("security_group", "sg-0123456789abcdef0"),
        ("key_name", "someone-elses-key"),
        ("ami_id", "ami-0123456789abcdef0"),
        ("instance_role", "AdministratorRole"),
        ("instance_type", "t2.colossal"),
        ("auto_assign_public_ip", "always"),
    ],
)
def test_an_id_the_page_did_not_offer_is_refused_before_aws_hears_of_it(
    signed_in, lab_data, aws_calls, field, value
):
    data = {**lab_data, field: value}
    if field == "subnet_ids":
        data["vpc"] = boto3.client("ec2", region_name=REGION).describe_vpcs()["Vpcs"][0]["VpcId"]

    response = signed_in.post(CONFIGURE_URL, data)

    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert "is not one of the available choices" in response.content.decode()
    assert sent_to_aws(aws_calls, value) == []
    assert Operation.objects.count() == 0


class AnswersEverythingWithAProxyPage(BaseHTTPRequestHandler):
    """An endpoint that is not AWS: a proxy that refuses every call with a page of plain text,
    which botocore's XML parser cannot read."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"Forbidden by the proxy\n"
        self.send_response(403)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def not_aws(monkeypatch, settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), AnswersEverythingWithAProxyPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.AWS_MAX_ATTEMPTS = 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_port}")
    forget_clients()
    yield
    forget_clients()
    server.shutdown()
    server.server_close()


def test_an_answer_botocore_cannot_parse_is_told_on_the_page_not_a_500(signed_in, not_aws):
    configure = signed_in.get(CONFIGURE_URL)
    submitted = signed_in.post(CONFIGURE_URL, {"cluster_name": "demo-cluster"})

    assert configure.status_code == submitted.status_code == 200
    assert "could not be read as an AWS answer" in configure.content.decode()
    assert "Could not check the name with ECS" in submitted.content.decode()
    assert Operation.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/clusters/demo%20cluster/",
        "/clusters/demo-cluster%0A/scale/",
        "/clusters/" + "a" * 256 + "/delete/",
        "/clusters/d%C3%A9mo/ecs-instances/",
    ],
)
def test_a_cluster_name_that_cannot_be_one_is_not_found_without_asking_aws(
    signed_in, aws_calls, path
):
    response = signed_in.get(path)

    assert response.status_code == 404
    assert aws_calls == []


@pytest.mark.parametrize(
    "instance_id", ["not-an-id", "1" * 5000, "3330a8a91d15464ea30662d5840164c"]
)
@pytest.mark.parametrize("action", ["", "deregister/"])
def test_a_container_instance_id_that_cannot_be_one_is_not_found_without_asking_ecs_for_it(
    signed_in, aws_calls, instance_id, action
):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="plain")

    response = signed_in.get(f"/clusters/plain/container-instances/{instance_id}/{action}")

    assert response.status_code == 404
    assert "Cluster plain has no container instance" in response.content.decode()
    assert sent_to_aws(aws_calls, instance_id) == []


KEY_ONLY_TAG = {
    "tags-TOTAL_FORMS": "1", "tags-INITIAL_FORMS": "0", "tags-0-key": "team", "tags-0-value": ""
}


@pytest.mark.parametrize(
    "url, data",
    [
        (CONFIGURE_URL, {}),
        ("/create-cluster/fargate/", {"cluster_name": "fargate", "create_vpc": "on",
                                      "vpc_cidr": "10.0.0.0/16", "subnet1_cidr": "10.0.0.0/24",
                                      "subnet2_cidr": "10.0.1.0/24"}),
    ],
    ids=["ec2-instances", "fargate-with-a-vpc"],
)
def test_a_tag_without_a_value_is_refused_where_a_stack_would_carry_it(
    signed_in, lab_data, url, data
):
    form = data or lab_data
    response = signed_in.post(url, {**form, **KEY_ONLY_TAG})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_tags-0-value_error"' in page
    assert "CloudFormation takes a tag only with a value (1 to 256 characters)." in page
    assert Operation.objects.count() == 0


@pytest.mark.parametrize(
    "url, data",
    [
        (CONFIGURE_URL, {"cluster_name": "keyed", "empty_cluster": "on",
                         "provisioning_model": "on-demand", "auto_assign_public_ip": "subnet"}),
        ("/create-cluster/fargate/", {"cluster_name": "keyed"}),
    ],
    ids=["ec2-empty-cluster", "fargate-without-a-vpc"],
)
def test_a_tag_without_a_value_on_a_cluster_without_a_stack_is_created_green(
    signed_in, aws, finish, url, data
):
    response = signed_in.post(url, {**data, **KEY_ONLY_TAG})

    operation = finish(Operation.objects.get())
    assert response.status_code == 302
    assert operation.has_succeeded, [step.message for step in operation.steps.all()]
    (cluster,) = boto3.client("ecs", region_name=REGION).describe_clusters(
        clusters=["keyed"], include=["TAGS"]
    )["clusters"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["tags"] == [
        {"key": "team", "value": ""},
        {"key": "ecs-console:made-by", "value": "ECS Console"},
    ]


# 21 characters that would read as the number 1, which every one of these fields takes.
ONE_WRITTEN_LONG = "0" * 20 + "1"


@pytest.mark.parametrize(
    "field, changes, message",
    [
        ("instance_count", {}, "Enter a whole number."),
        ("volume_size", {}, "Enter a whole number."),
        ("spot_max_price", {"provisioning_model": "spot"}, "Enter a number."),
    ],
)
def test_a_number_longer_than_any_the_wizard_takes_is_refused_unread(
    signed_in, lab_data, field, changes, message
):
    data = {**lab_data, **changes, field: ONE_WRITTEN_LONG, "_validate": field}

    answer = signed_in.post(CONFIGURE_URL, data, headers=HTMX).content.decode()

    assert f'id="id_{field}_error" hx-swap-oob="true" data-invalid="true"' in answer
    assert message in answer


def test_a_scale_to_a_number_longer_than_any_is_refused_unread(signed_in, lab_cluster):
    response = signed_in.post(
        "/clusters/demo-cluster/scale/", {"instance_count": ONE_WRITTEN_LONG}, headers=HTMX
    )

    assert response.status_code == 200
    assert "Enter a whole number." in response.content.decode()
    assert not Operation.objects.filter(action=Operation.Action.SCALE).exists()

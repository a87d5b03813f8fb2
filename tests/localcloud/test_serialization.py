"""The local cloud's answers are the documents moto's own serializer writes, only sooner: the
ECS Instances tab's calls (ListContainerInstances, DescribeContainerInstances, DescribeInstances)
and the errors AWS gives for them, byte for byte (request ids aside)."""

import contextlib
import inspect
import re

import boto3
import pytest
import xmltodict
from botocore.exceptions import ClientError
from moto.core import responses as moto_responses
from moto.ec2.responses import EC2Response
from moto.core.serialize import (
    AttributePicker,
    BaseXMLSerializer,
    EC2Serializer,
    ResponseSerializer,
    XFormedAttributePicker,
)

from localcloud import serialization
from localcloud.agent import EcsAgentEmulator

from .cloud import REGION, launch, linux_user_data

PATCHED = (
    (ResponseSerializer, "get_value"),
    (ResponseSerializer, "_serialize_type_structure"),
    (BaseXMLSerializer, "_serialize_body"),
    (EC2Serializer, "_serialize_body"),
)
REQUEST_ID = re.compile(rb"<(requestId|RequestId|RequestID)>[^<]*</\1>")


@contextlib.contextmanager
def moto_serializing():
    """moto's own serializer for a while, as it was before the local cloud changed it."""
    fast = [(owner, name, vars(owner)[name]) for owner, name in PATCHED]
    for owner, name, _ in fast:
        setattr(owner, name, getattr(owner, f"_localcloud_original_{name}"))
    try:
        yield
    finally:
        for owner, name, function in fast:
            setattr(owner, name, function)


def answered(client, operation, **kwargs):
    """(the body the cloud answered, request ids blanked, and what boto3 made of it or the error
    code it raised)."""
    bodies = []

    def keep(response_dict, **_):
        bodies.append(REQUEST_ID.sub(rb"<\1/>", response_dict["body"]))

    client.meta.events.register("before-parse", keep)
    try:
        parsed = getattr(client, operation)(**kwargs)
        parsed.pop("ResponseMetadata")
    except ClientError as error:
        parsed = ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])
    finally:
        client.meta.events.unregister("before-parse", keep)
    return bodies[-1], parsed


def assert_moto_answers_the_same(client, operation, **kwargs):
    fast = answered(client, operation, **kwargs)
    with moto_serializing():
        slow = answered(client, operation, **kwargs)
    assert fast == slow
    return fast[1]


@pytest.fixture
def hosts(aws):
    """Cluster "big" with seven hosts, one tagged, registered by the agent, and one of them
    deregistered (INACTIVE); an eighth instance in no cluster, stopped. Each in a reservation of
    its own, so that DescribeInstances has pages."""
    aws.ecs.create_cluster(clusterName="big", tags=[{"key": "team", "value": "<blue & green>"}])
    ids = [instance_id for _ in range(7) for instance_id in launch(aws, linux_user_data("big"))]
    aws.ec2.create_tags(
        Resources=[ids[0]],
        Tags=[{"Key": "Name", "Value": 'web "1" & <2>'}, {"Key": "empty", "Value": ""}],
    )
    [loner] = launch(aws)
    aws.ec2.stop_instances(InstanceIds=[loner])
    EcsAgentEmulator(regions=[REGION]).sync()
    arns = aws.ecs.list_container_instances(cluster="big")["containerInstanceArns"]
    aws.ecs.deregister_container_instance(cluster="big", containerInstance=arns[-1], force=True)
    return ids + [loner], arns


def test_describe_instances_answers_what_moto_answers_for_ids_filters_and_pages(aws, hosts):
    ids, _ = hosts

    everything = assert_moto_answers_the_same(aws.ec2, "describe_instances")
    assert sum(len(r["Instances"]) for r in everything["Reservations"]) == 8
    assert_moto_answers_the_same(aws.ec2, "describe_instances", InstanceIds=ids[:3])
    assert_moto_answers_the_same(
        aws.ec2,
        "describe_instances",
        Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}],
    )
    first = assert_moto_answers_the_same(aws.ec2, "describe_instances", MaxResults=5)
    assert_moto_answers_the_same(
        aws.ec2, "describe_instances", MaxResults=5, NextToken=first["NextToken"]
    )


def test_describe_instances_of_an_unknown_id_is_the_same_invalid_instance_id_error(aws, hosts):
    error = assert_moto_answers_the_same(
        aws.ec2, "describe_instances", InstanceIds=["i-0123456789abcdef0"]
    )
    assert error[:2] == ("error", "InvalidInstanceID.NotFound")


def test_errors_answered_again_and_again_keep_nothing_more(aws, hosts):
    # moto makes an error's shape afresh each time: keeping its plans would grow without end.
    def kept():
        return len(serialization._members) + len(serialization._structures)

    def fail_twice():
        answered(
            aws.ecs, "describe_container_instances", cluster="nowhere", containerInstances=["x"]
        )
        answered(aws.ec2, "describe_instances", InstanceIds=["i-0123456789abcdef0"])

    fail_twice()
    before = kept()
    for _ in range(20):
        fail_twice()
    assert kept() == before


def test_describe_container_instances_answers_what_moto_answers_with_inactive_and_unknown(
    aws, hosts
):
    _, arns = hosts
    unknown = arns[0].rsplit("/", 1)[0] + "/0123456789abcdef0123456789abcdef"

    described = assert_moto_answers_the_same(
        aws.ecs,
        "describe_container_instances",
        cluster="big",
        containerInstances=arns + [unknown],
        include=["TAGS"],
    )
    assert [ci["status"] for ci in described["containerInstances"]].count("INACTIVE") == 1
    assert [f["reason"] for f in described["failures"]] == ["MISSING"]
    error = assert_moto_answers_the_same(
        aws.ecs, "describe_container_instances", cluster="nowhere", containerInstances=arns[:1]
    )
    assert error[:2] == ("error", "ClusterNotFoundException")


def test_list_container_instances_answers_what_moto_answers_page_by_page(aws, hosts):
    first = assert_moto_answers_the_same(
        aws.ecs, "list_container_instances", cluster="big", maxResults=4
    )
    assert len(first["containerInstanceArns"]) == 4
    rest = assert_moto_answers_the_same(
        aws.ecs,
        "list_container_instances",
        cluster="big",
        maxResults=4,
        nextToken=first["nextToken"],
    )
    assert "nextToken" not in rest
    assert_moto_answers_the_same(
        aws.ecs, "list_container_instances", cluster="big", status="ACTIVE"
    )


def test_the_tab_s_other_reads_answer_what_moto_answers(aws, hosts):
    # The cluster's header, and query-protocol XML (CloudFormation, Auto Scaling) besides EC2's.
    assert_moto_answers_the_same(
        aws.ecs, "describe_clusters", clusters=["big"], include=["STATISTICS", "SETTINGS", "TAGS"]
    )
    assert_moto_answers_the_same(aws.ec2, "describe_images", Owners=["amazon"], MaxResults=5)
    assert_moto_answers_the_same(aws.autoscaling, "describe_auto_scaling_groups")
    assert_moto_answers_the_same(aws.cloudformation, "describe_stacks", StackName="nowhere")
    assert_moto_answers_the_same(aws.iam, "list_roles")


@pytest.mark.parametrize(
    "body",
    [
        {"R": {"a": "x & <y> \"z\"", "b": None, "c": "", "d": [], "e": ["1", "2"], "f": True}},
        {"R": {"@xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "g": {"#text": "t", "h": 1}}},
        {"R": {"@attr": "it's \"quoted\"\n", "i": [{"j": None}, "k", 2.5, b"bytes"], "l": ()}},
        {"R": {"m": {"n": {}}, "o": [[1, 2]], "p": {"#text": ""}, "q": {"#text": None}}},
    ],
)
def test_the_xml_written_is_xmltodict_s_text_for_the_same_document(body):
    for full_document in (True, False):
        assert serialization.unparse(body, full_document) == xmltodict.unparse(
            body, full_document=full_document, short_empty_elements=True
        )


@pytest.mark.parametrize(
    "body",
    [
        {"R": {"#comment": "note"}},
        {"R": {"bad name": "x"}},
        {"R": "one", "S": "two"},
        {"R": ["one", "two"]},
        {"R": {"@xmlns": {"ec2": "http://ec2.amazonaws.com/"}}},
    ],
)
def test_a_document_xmltodict_treats_specially_is_left_to_xmltodict(body):
    with pytest.raises(serialization._NotPlain):
        serialization.unparse(body, full_document=True)


def test_moto_still_serializes_through_the_methods_the_local_cloud_replaces():
    # An upgrade of moto that moves them must fail here, not quietly answer slowly or otherwise.
    assert serialization.uses_moto_picker()
    for owner, name in PATCHED:
        assert callable(getattr(owner, f"_localcloud_original_{name}")), (owner, name)
    assert "_serialize_structure_member" in vars(ResponseSerializer)
    assert "get_possible_keys" in vars(XFormedAttributePicker)
    # The picker whose choice is kept: names from get_possible_keys, tried in order, then the
    # first transformer whose path ends the member's.
    picking = inspect.getsource(AttributePicker.__call__)
    assert "self.get_possible_keys(context)" in picking
    assert "key_path.endswith(transform_path)" in picking
    execute = inspect.getsource(moto_responses.ActionResult.execute_result)
    assert "XFormedAttributePicker(" in execute
    for owner in (EC2Serializer, BaseXMLSerializer):
        body = inspect.getsource(owner._localcloud_original__serialize_body)
        assert "xmltodict.unparse" in body and "short_empty_elements=True" in body


def test_each_answer_keeps_its_own_choice_of_what_to_include(aws):
    # AWS answers each request on its own. moto's services record a request's choice (here
    # IncludePublicKey) in their response class's one dict, which every answer being written at
    # once then shares: another answer's serializer failed with "dictionary changed size".
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.create_key_pair(KeyName="lab")
    shared = dict(EC2Response.RESPONSE_KEY_PATH_TO_TRANSFORMER)

    with_key = ec2.describe_key_pairs(IncludePublicKey=True)["KeyPairs"][0]
    without_key = ec2.describe_key_pairs()["KeyPairs"][0]

    assert "PublicKey" in with_key
    assert "PublicKey" not in without_key
    assert EC2Response.RESPONSE_KEY_PATH_TO_TRANSFORMER == shared

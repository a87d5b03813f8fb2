"""One local cloud serves many AWS accounts as AWS does: the server's own keys act in its own
account, STS AssumeRole gives keys acting in the role's account, a key AWS never issued is
refused, and a new account starts as a new AWS account does."""

import json
import urllib.error
from datetime import timedelta
import urllib.parse
import urllib.request
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from clusters.plan import EC2_TRUST_POLICY
from localcloud import pace, persistence, scenarios
from localcloud.accounts import EXPIRED_KEY, Caller, Gate, issuing_account, refuse
from localcloud.server import running_local_cloud, start_local_cloud
from tests.e2e.waiting import wait_until

from .cloud import (
    REGION,
    container_instances,
    in_account,
    launch,
    linux_user_data,
    recommended,
)

SERVICES = ("ecs", "ec2", "ssm", "iam", "sts", "cloudformation", "autoscaling")
SOURCE_ACCOUNT = "123456789012"  # moto's default: the server's own keys act in it


def clients(session, endpoint_url):
    return SimpleNamespace(
        session=session, **{s: session.client(s, endpoint_url=endpoint_url) for s in SERVICES}
    )


def signed_with(endpoint_url, key, secret="secret", token=None):
    session = boto3.session.Session(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=REGION,
    )
    return clients(session, endpoint_url)


def learner(endpoint_url, account, name="alice"):
    """Clients with the keys STS gives the server's own credentials for the learner's role."""
    source = signed_with(endpoint_url, "testing", "testing")
    credentials = source.sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/ECSConsoleLearner", RoleSessionName=name
    )["Credentials"]
    return signed_with(
        endpoint_url,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )


def refusal(call):
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["ResponseMetadata"]["HTTPStatusCode"], refused.value.response[
        "Error"
    ]["Code"], refused.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def endpoint_url():
    with running_local_cloud() as url:
        yield url


def test_a_key_aws_never_issued_is_refused_in_each_services_own_words(endpoint_url):
    stranger = signed_with(endpoint_url, "AKIASTRANGER0000000")

    assert refusal(stranger.ecs.list_clusters) == (
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    assert refusal(stranger.ssm.describe_parameters)[:2] == (400, "UnrecognizedClientException")
    assert refusal(stranger.ec2.describe_vpcs) == (
        401,
        "AuthFailure",
        "AWS was not able to validate the provided access credentials",
    )
    for query_call in (
        stranger.sts.get_caller_identity,
        stranger.iam.list_roles,
        stranger.cloudformation.list_stacks,
        stranger.autoscaling.describe_auto_scaling_groups,
    ):
        assert refusal(query_call) == (
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )


def test_a_refused_key_changes_nothing_in_the_servers_own_account(endpoint_url):
    stranger = signed_with(endpoint_url, "AKIASTRANGER0000001")
    refusal(lambda: stranger.ecs.create_cluster(clusterName="stranger-cluster"))

    own = signed_with(endpoint_url, "testing", "testing")
    assert not [a for a in own.ecs.list_clusters()["clusterArns"] if "stranger" in a]


def test_assumed_role_keys_act_in_the_roles_account_and_identify_as_its_role(endpoint_url):
    alice = learner(endpoint_url, "111111111111", "alice")

    identity = alice.sts.get_caller_identity()

    assert identity["Account"] == "111111111111"
    assert identity["Arn"] == "arn:aws:sts::111111111111:assumed-role/ECSConsoleLearner/alice"


def test_two_accounts_each_see_only_their_own_cluster_of_the_same_name(endpoint_url):
    alice = learner(endpoint_url, "111111111112", "alice")
    bob = learner(endpoint_url, "222222222222", "bob")

    alice_arn = alice.ecs.create_cluster(clusterName="demo-cluster")["cluster"]["clusterArn"]
    bob_arn = bob.ecs.create_cluster(clusterName="demo-cluster")["cluster"]["clusterArn"]
    bob.ecs.delete_cluster(cluster="demo-cluster")

    assert alice_arn == "arn:aws:ecs:us-east-1:111111111112:cluster/demo-cluster"
    assert bob_arn == "arn:aws:ecs:us-east-1:222222222222:cluster/demo-cluster"
    [alice_cluster] = alice.ecs.describe_clusters(clusters=["demo-cluster"])["clusters"]
    assert alice_cluster["status"] == "ACTIVE"
    own = signed_with(endpoint_url, "testing", "testing")
    assert not own.ecs.describe_clusters(clusters=["demo-cluster"])["clusters"]


def test_a_learner_cannot_name_another_account_with_motos_account_header(endpoint_url):
    alice = learner(endpoint_url, "111111111113", "alice")
    bob = learner(endpoint_url, "222222222223", "bob")
    bob.ecs.create_cluster(clusterName="bobs")

    def name_bobs_account(request, **kwargs):
        request.headers["x-moto-account-id"] = "222222222223"

    alice.ecs.meta.events.register("before-sign", name_bobs_account)

    # AWS ignores a header it does not know: the call acts in the caller's own account.
    assert alice.ecs.list_clusters()["clusterArns"] == []


def test_a_new_account_has_a_default_vpc_with_a_subnet_per_zone_and_nothing_of_its_own(
    endpoint_url,
):
    fresh = learner(endpoint_url, "333333333333")

    [vpc] = fresh.ec2.describe_vpcs()["Vpcs"]
    zones = [z["ZoneName"] for z in fresh.ec2.describe_availability_zones()["AvailabilityZones"]]
    subnets = fresh.ec2.describe_subnets()["Subnets"]

    assert vpc["IsDefault"] is True
    assert vpc["OwnerId"] == "333333333333"
    assert sorted(s["AvailabilityZone"] for s in subnets) == sorted(zones)
    assert all(s["DefaultForAz"] and s["VpcId"] == vpc["VpcId"] for s in subnets)
    assert fresh.ec2.describe_key_pairs()["KeyPairs"] == []
    assert fresh.iam.list_roles()["Roles"] == []
    with pytest.raises(ClientError) as missing:
        fresh.iam.get_role(RoleName="ecsInstanceRole")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    assert fresh.ecs.list_clusters()["clusterArns"] == []


def test_the_agent_registers_a_host_in_the_account_its_instance_runs_in(endpoint_url):
    alice = learner(endpoint_url, "111111111114", "alice")
    bob = learner(endpoint_url, "222222222224", "bob")
    for each in (alice, bob):
        each.ecs.create_cluster(clusterName="demo-cluster")
    launch(alice, linux_user_data("demo-cluster"))

    [host] = wait_until(
        lambda: container_instances(alice, "demo-cluster"), 15, "alice's host", interval=0.2
    )

    assert host["containerInstanceArn"].startswith(
        "arn:aws:ecs:us-east-1:111111111114:container-instance/demo-cluster/"
    )
    assert container_instances(bob, "demo-cluster") == []


def test_a_second_accounts_resources_and_keys_survive_a_restart_in_that_account(
    session, tmp_path
):
    cloud = start_local_cloud(state_dir=tmp_path)
    try:
        alice = learner(cloud.endpoint_url, "444444444444")
        alice.ecs.create_cluster(clusterName="demo-cluster")
        alice.ec2.create_key_pair(KeyName="lab")
    finally:
        cloud.stop()

    with running_local_cloud(state_dir=tmp_path) as endpoint_url:
        # The keys STS issued before the restart still act in the role's account.
        kept = alice.session.get_credentials()
        again = signed_with(endpoint_url, kept.access_key, kept.secret_key, kept.token)
        assert again.sts.get_caller_identity()["Account"] == "444444444444"
        assert again.ecs.list_clusters()["clusterArns"] == [
            "arn:aws:ecs:us-east-1:444444444444:cluster/demo-cluster"
        ]
        assert [k["KeyName"] for k in again.ec2.describe_key_pairs()["KeyPairs"]] == ["lab"]
        own = signed_with(endpoint_url, "testing", "testing")
        assert own.ecs.list_clusters()["clusterArns"] == []
        assert own.ec2.describe_key_pairs()["KeyPairs"] == []


def test_the_servers_source_keys_are_set_by_option_and_others_refused(session):
    with running_local_cloud(extra_args=("--source-key", "classroom")) as endpoint_url:
        classroom = signed_with(endpoint_url, "classroom")
        assert classroom.sts.get_caller_identity()["Account"] == SOURCE_ACCOUNT
        assert refusal(signed_with(endpoint_url, "testing").ecs.list_clusters)[0] == 400


def test_with_any_key_accepted_an_unknown_key_acts_in_the_default_account_as_in_plain_moto(
    session,
):
    with running_local_cloud(extra_args=("--accept-any-key",)) as endpoint_url:
        anyone = signed_with(endpoint_url, "FOOBARKEY")
        anyone.ecs.create_cluster(clusterName="peer")

        assert anyone.sts.get_caller_identity()["Account"] == SOURCE_ACCOUNT
        own = signed_with(endpoint_url, "testing", "testing")
        assert own.ecs.list_clusters()["clusterArns"] == [
            f"arn:aws:ecs:us-east-1:{SOURCE_ACCOUNT}:cluster/peer"
        ]



def post_form(url, fields):
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(fields).encode(), headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def test_a_scenario_on_for_one_learners_account_leaves_anothers_same_cluster_alone(endpoint_url):
    alice = learner(endpoint_url, "111111111115", "alice")
    bob = learner(endpoint_url, "222222222225", "bob")
    post_form(
        endpoint_url + scenarios.PATH,
        {"scenario": "no-route-to-ecs", "account": "111111111115", "cluster": "demo-cluster"},
    )
    for each in (alice, bob):
        each.ecs.create_cluster(clusterName="demo-cluster")
    # Alice's first: the agent's pass that registers Bob's host has looked at hers.
    launch(alice, linux_user_data("demo-cluster"))
    launch(bob, linux_user_data("demo-cluster"))

    wait_until(lambda: container_instances(bob, "demo-cluster"), 15, "bob's host", interval=0.2)

    assert container_instances(alice, "demo-cluster") == []


def test_a_learners_account_can_have_a_pace_of_its_own(endpoint_url):
    alice = learner(endpoint_url, "111111111116", "alice")
    bob = learner(endpoint_url, "222222222226", "bob")

    answer = post_form(endpoint_url + pace.PATH, {"account": "111111111116", "pace": "lab"})
    [alices] = launch(alice)
    [bobs] = launch(bob)

    assert answer["accounts"] == {"111111111116": "lab"}
    assert answer["pace"] == "instant"

    def state(aws, instance_id):
        [reservation] = aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservation["Instances"][0]["State"]["Name"]

    assert state(alice, alices) == "pending"
    assert state(bob, bobs) == "running"
    back = post_form(endpoint_url + pace.PATH, {"account": "111111111116", "pace": ""})
    assert back["accounts"] == {}


def test_an_accounts_pace_is_refused_for_an_account_that_cannot_be(endpoint_url):
    with pytest.raises(urllib.error.HTTPError) as refused:
        post_form(endpoint_url + pace.PATH, {"account": "alice", "pace": "lab"})

    assert refused.value.code == 400
    assert json.load(refused.value)["error"] == "account 'alice' is not 12 digits"


def test_an_accounts_own_pace_is_kept_across_a_restart(tmp_path):
    with running_local_cloud(state_dir=tmp_path) as endpoint_url:
        post_form(endpoint_url + pace.PATH, {"account": "555555555555", "pace": "aws"})

    with running_local_cloud(state_dir=tmp_path) as endpoint_url:
        with urllib.request.urlopen(endpoint_url + pace.PATH, timeout=10) as answer:
            assert json.load(answer)["accounts"] == {"555555555555": "aws"}


def test_looking_a_key_up_marks_no_account_as_used_by_the_request_being_served(aws):
    persistence.install()
    in_account(aws, "666666666666")  # an account with an IAM backend, and a key in it

    with persistence.noting_backends() as used:
        assert issuing_account("AKIASTRANGER0000002") is None

    # Otherwise the request served meanwhile would picture every account's IAM.
    assert used == []


def test_two_accounts_each_keep_their_own_resources_of_the_same_names_in_every_service(
    endpoint_url,
):
    alice = learner(endpoint_url, "111111111117", "alice")
    bob = learner(endpoint_url, "222222222227", "bob")
    template = {"Resources": {"Cluster": {"Type": "AWS::ECS::Cluster"}}}
    for each, colour in ((alice, "blue"), (bob, "green")):
        each.ec2.create_key_pair(KeyName="lab")
        each.iam.create_role(
            RoleName="ecsInstanceRole", AssumeRolePolicyDocument=json.dumps(EC2_TRUST_POLICY)
        )
        each.ssm.put_parameter(Name="/lab/colour", Value=colour, Type="String")
        each.cloudformation.create_stack(
            StackName="EC2ContainerService-demo-cluster", TemplateBody=json.dumps(template)
        )
        subnet = each.ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        each.autoscaling.create_launch_configuration(
            LaunchConfigurationName="lab",
            ImageId=recommended(each)["image_id"],
            InstanceType="t2.micro",
        )
        each.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="lab",
            LaunchConfigurationName="lab",
            MinSize=0,
            MaxSize=1,
            VPCZoneIdentifier=subnet,
        )
    bob.ec2.delete_key_pair(KeyName="lab")
    bob.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="lab")

    assert [k["KeyName"] for k in alice.ec2.describe_key_pairs()["KeyPairs"]] == ["lab"]
    assert alice.iam.get_role(RoleName="ecsInstanceRole")["Role"]["Arn"] == (
        "arn:aws:iam::111111111117:role/ecsInstanceRole"
    )
    assert alice.ssm.get_parameter(Name="/lab/colour")["Parameter"]["Value"] == "blue"
    [stack] = alice.cloudformation.describe_stacks(
        StackName="EC2ContainerService-demo-cluster"
    )["Stacks"]
    assert stack["StackId"].startswith("arn:aws:cloudformation:us-east-1:111111111117:stack/")
    [group] = alice.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert group["AutoScalingGroupARN"].startswith("arn:aws:autoscaling:us-east-1:111111111117:")


def signed_environ(key, service, **environ):
    return {
        "HTTP_AUTHORIZATION": (
            f"AWS4-HMAC-SHA256 Credential={key}/20261202/{REGION}/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0"
        ),
        **environ,
    }


def test_an_assumed_roles_key_is_refused_as_expired_once_its_session_has_ended(aws):
    # AWS: temporary credentials work until their Expiration, then every call is refused as
    # expired (the console then takes the person's role again); moto took them for ever.
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn="arn:aws:iam::111111111118:role/ECSConsoleLearner",
        RoleSessionName="alice",
        DurationSeconds=900,
    )["Credentials"]
    key = credentials["AccessKeyId"]
    gate = Gate()

    assert gate.caller(signed_environ(key, "ecs")) == Caller("111111111118")
    with freeze_time(credentials["Expiration"] + timedelta(seconds=1)):
        assert gate.caller(signed_environ(key, "ecs")) is EXPIRED_KEY


@pytest.mark.parametrize(
    "service, environ, status, words",
    [
        ("ecs", {"HTTP_X_AMZ_TARGET": "AmazonEC2ContainerServiceV20141113.ListClusters"},
         "400 Bad Request", '"__type": "ExpiredTokenException"'),
        ("ec2", {"CONTENT_TYPE": "application/x-www-form-urlencoded"},
         "400 Bad Request", "<Code>RequestExpired</Code>"),
        ("sts", {"CONTENT_TYPE": "application/x-www-form-urlencoded"},
         "403 Forbidden", "<Code>ExpiredToken</Code>"),
    ],
)
def test_an_expired_key_gets_each_services_own_words_for_it(service, environ, status, words):
    answered = {}
    body = b"".join(
        refuse(
            EXPIRED_KEY,
            signed_environ("ASIAEXPIRED", service, **environ),
            lambda given, headers: answered.update(status=given),
        )
    ).decode()

    assert answered["status"] == status
    assert words in body

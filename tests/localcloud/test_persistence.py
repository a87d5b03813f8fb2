"""Pictures of backends bring back the same resources, ids and all, and objects stay shared."""

import json
import threading

import pytest
from moto.autoscaling.models import autoscaling_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BaseBackend
from moto.ec2.models import ec2_backends
from moto.ecr.models import ecr_backends
from moto.ecs.models import ecs_backends
from moto.iam import models as iam_models
from moto.sqs.models import sqs_backends
from moto.ssm.models import ssm_backends

from clusters.stack_template import ECS_INSTANCE_ROLE_POLICY
from localcloud import persistence

from .cloud import REGION, auto_scaling_group, launch, linux_user_data, two_zone_vpc



@pytest.fixture(autouse=True)
def noting():
    persistence.install()


def put_back(*pictures):
    persistence.forget_everything()
    with persistence.restoring():
        for data in pictures:
            persistence.put_back(data)


def picture(*backends):
    everything = persistence.backends()
    names = {id(backend): key for key, backend in everything.items()}
    return persistence.picture({names[id(b)]: b for b in backends}, names)


def picture_everything():
    everything = persistence.backends()
    return persistence.picture(everything, {id(b): k for k, b in everything.items()})


def test_a_picture_put_back_has_the_same_clusters_instances_and_parameters(aws):
    cluster_arn = aws.ecs.create_cluster(clusterName="demo")["cluster"]["clusterArn"]
    [instance_id] = launch(aws, linux_user_data("demo"))
    aws.ssm.put_parameter(Name="/app/colour", Value="blue", Type="String")
    data = picture_everything()
    aws.ecs.delete_cluster(cluster="demo")
    aws.ec2.terminate_instances(InstanceIds=[instance_id])

    put_back(data)

    assert aws.ecs.list_clusters()["clusterArns"] == [cluster_arn]
    [reservation] = aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    assert reservation["Instances"][0]["State"]["Name"] == "running"
    assert aws.ssm.get_parameter(Name="/app/colour")["Parameter"]["Value"] == "blue"
    assert aws.ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended")


def test_an_instance_an_auto_scaling_group_shares_with_ec2_is_one_object_in_its_latest_state(aws):
    _, subnets = two_zone_vpc(aws)
    auto_scaling_group(aws, subnets, desired=1)
    # As the journal holds them: every backend when it was made, then the group's alone.
    everything = picture_everything()
    group_picture = picture(autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION])
    [instance] = autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION].autoscaling_groups[
        "ecs"
    ].instance_states
    # A later change that only EC2's picture holds.
    aws.ec2.stop_instances(InstanceIds=[instance.instance.id])
    ec2_picture = picture(ec2_backends[DEFAULT_ACCOUNT_ID][REGION])

    put_back(everything, group_picture, ec2_picture)

    [kept] = autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION].autoscaling_groups[
        "ecs"
    ].instance_states
    ec2 = ec2_backends[DEFAULT_ACCOUNT_ID][REGION]
    assert kept.instance is ec2.get_instance(instance.instance.id)
    assert kept.instance.state == "stopped"
    # The group's EC2 is EC2's own backend, not a copy made with the group.
    assert autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION].ec2_backend is ec2


def test_a_picture_from_an_older_local_cloud_gets_the_windows_metadata_aws_publishes(aws):
    latest = "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-ECS_Optimized"
    image_id = aws.ssm.get_parameter(Name=f"{latest}/image_id")["Parameter"]["Value"]
    # What the local cloud saved before it published the Windows metadata as AWS does.
    parameters = ssm_backends[DEFAULT_ACCOUNT_ID][REGION]._parameters
    dict.__getitem__(parameters, latest)[-1].value = image_id
    vars(parameters).pop("_localcloud_ecs_amis_published", None)
    data = picture_everything()

    put_back(data)

    value = aws.ssm.get_parameter(Name=latest)["Parameter"]["Value"]
    assert json.loads(value)["image_id"] == image_id


def test_a_backend_that_cannot_be_pickled_fails_naming_it(aws):
    aws.ecs.create_cluster(clusterName="demo")
    backend = ecs_backends[DEFAULT_ACCOUNT_ID][REGION]
    # A generator cannot be pickled (a lock can: persistence.py pictures it as a new one).
    backend.pending = (n for n in range(3))

    naming_it = f"ecs backend of account {DEFAULT_ACCOUNT_ID} in {REGION}"
    with pytest.raises(persistence.StateError, match=naming_it):
        picture(backend)


def test_a_lock_moto_keeps_on_a_backend_is_pictured_as_a_new_free_one(aws):
    # ECR's backend keeps an RLock for its registry scanning configuration: the state saver
    # refused every ECR change with "cannot pickle '_thread.RLock' object".
    ecr = aws.session.client("ecr")
    ecr.create_repository(repositoryName="web")
    held = ecr_backends[DEFAULT_ACCOUNT_ID][REGION].registry_scanning_configuration_update_lock
    with held:
        data = picture(ecr_backends[DEFAULT_ACCOUNT_ID][REGION])

        put_back(data)

        assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == ["web"]
        lock = ecr_backends[DEFAULT_ACCOUNT_ID][REGION].registry_scanning_configuration_update_lock
        assert type(lock) is type(threading.RLock())
        # Free, though the one pictured is held: another thread takes it at once.
        taken = []
        other = threading.Thread(target=lambda: taken.append(lock.acquire(blocking=False)))
        other.start()
        other.join()
        assert taken == [True]


def test_a_picture_naming_a_backend_no_picture_holds_is_refused(aws):
    aws.autoscaling.describe_auto_scaling_groups()
    # The group backend names EC2's, which this picture does not hold.
    data = picture(autoscaling_backends[DEFAULT_ACCOUNT_ID][REGION])
    persistence.forget_everything()

    with pytest.raises(persistence.StateError, match="ec2 backend"):
        with persistence.restoring():
            persistence.put_back(data)


def test_only_the_backends_a_request_uses_are_noted(aws):
    aws.ec2.describe_vpcs()
    aws.iam.list_roles()

    with persistence.noting_backends() as used:
        aws.ecs.create_cluster(clusterName="demo")

    assert used == [ecs_backends[DEFAULT_ACCOUNT_ID][REGION]]


def test_registering_a_container_instance_changes_ecs_alone(aws):
    aws.ecs.create_cluster(clusterName="demo")
    [instance_id] = launch(aws, linux_user_data("demo"))

    with persistence.noting_backends() as used:
        aws.ecs.register_container_instance(
            cluster="demo", instanceIdentityDocument=json.dumps({"instanceId": instance_id})
        )

    assert used == [ecs_backends[DEFAULT_ACCOUNT_ID][REGION]]
    [registered] = aws.ecs.describe_container_instances(
        cluster="demo", containerInstances=aws.ecs.list_container_instances(cluster="demo")[
            "containerInstanceArns"
        ]
    )["containerInstances"]
    assert any(a["name"] == "ecs.subnet-id" for a in registered["attributes"])


def test_the_names_noting_relies_on_are_still_in_moto():
    # Looking a request's access key up in IAM is not a change; upgrades must keep these names.
    assert callable(iam_models.get_account_id_from)
    assert callable(iam_models.mark_account_as_visited)
    # AWS managed policy documents are pictured by name, as moto's catalogue has them.
    assert "document" in vars(iam_models.PolicyVersion("arn", "{}"))
    assert BaseBackend.__getattribute__ is persistence._noting_getattribute


def test_a_picture_names_aws_managed_policy_documents_and_copies_an_accounts_own(aws):
    aws.iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument="{}")
    aws.iam.attach_role_policy(RoleName="ecsInstanceRole", PolicyArn=ECS_INSTANCE_ROLE_POLICY)
    own_document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}],
        }
    )
    own_arn = aws.iam.create_policy(PolicyName="own", PolicyDocument=own_document)["Policy"]["Arn"]
    version = aws.iam.get_policy(PolicyArn=ECS_INSTANCE_ROLE_POLICY)["Policy"]["DefaultVersionId"]
    managed = aws.iam.get_policy_version(PolicyArn=ECS_INSTANCE_ROLE_POLICY, VersionId=version)
    data = picture_everything()

    put_back(data)

    assert len(data) < 1_500_000
    again = aws.iam.get_policy_version(PolicyArn=ECS_INSTANCE_ROLE_POLICY, VersionId=version)
    assert again["PolicyVersion"]["Document"] == managed["PolicyVersion"]["Document"]
    own = aws.iam.get_policy_version(PolicyArn=own_arn, VersionId="v1")["PolicyVersion"]
    assert own["Document"] == json.loads(own_document)
    [attached] = aws.iam.list_attached_role_policies(RoleName="ecsInstanceRole")[
        "AttachedPolicies"
    ]
    assert attached["PolicyArn"] == ECS_INSTANCE_ROLE_POLICY


def test_an_sqs_queue_a_stack_makes_is_saved_with_a_new_condition_for_its_messages(aws):
    # moto's queue keeps its messages' lock, a threading.Condition over an RLock: every stack
    # with a queue was refused with "cannot pickle '_thread.RLock' object".
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}
    aws.cloudformation.create_stack(StackName="queue", TemplateBody=json.dumps(template))
    sqs = aws.session.client("sqs")
    [url] = sqs.list_queues()["QueueUrls"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    data = picture_everything()

    put_back(data)

    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert message["Body"] == "kept"
    [queue] = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues.values()
    assert type(queue._messages_lock) is threading.Condition


def test_a_kms_key_and_a_lambda_function_a_stack_makes_are_saved_and_still_work(aws):
    # A KMS key holds its key material as a cryptography object, Lambda its functions by ARN in
    # a WeakValueDictionary: neither could be pickled, so those stacks were refused with 500.
    kms = aws.session.client("kms")
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]
    signature = kms.sign(
        KeyId=key_id, Message=b"kept", SigningAlgorithm="RSASSA_PSS_SHA_256"
    )["Signature"]
    awslambda = aws.session.client("lambda")
    role = aws.iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    awslambda.create_function(
        FunctionName="fn", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    data = picture_everything()

    put_back(data)

    assert kms.verify(
        KeyId=key_id, Message=b"kept", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256"
    )["SignatureValid"]
    arn = awslambda.get_function(FunctionName="fn")["Configuration"]["FunctionArn"]
    assert awslambda.get_function(FunctionName=arn)["Configuration"]["FunctionName"] == "fn"

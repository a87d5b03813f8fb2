"""A trainer resets a learner, and anyone cleans up their own account: what the lab made in that
one account goes, in every region the console offers, seen go on a Launch-status-like page;
another learner's account is never touched nor reachable, checkpoints reached stay, and on an
account an admin assigned only what ECS Console tagged goes."""

import json
import re

import pytest

from accounts.models import AwsIdentity
from classroom.models import CheckpointReached
from clusters import cleanup, provisioning
from clusters.aws import acting_for, client
from clusters.configuration import MADE_BY_CONSOLE
from clusters.models import Operation, Outcome, Step
from localcloud.agent import EcsAgentEmulator
from tests.accounts.conftest import learner_in  # noqa: F401
from tests.conftest import REGION

ALICES_ACCOUNT = "111111111111"
ALICES_ACCOUNT_SHOWN = "1111-1111-1111"  # as AWS's console writes an account
BOBS_ACCOUNT = "222222222222"
ANOTHER_REGION = "eu-west-1"
FARGATE_DEMO_CLUSTER = {
    "cluster_name": "demo-cluster",
    "tags-TOTAL_FORMS": "0",
    "tags-INITIAL_FORMS": "0",
}


@pytest.fixture
def agent(aws):
    """The local cloud's agent on every instance of both learners' accounts."""
    return EcsAgentEmulator(
        places=lambda accounts: [(ALICES_ACCOUNT, REGION), (BOBS_ACCOUNT, REGION)]
    )


@pytest.fixture
def alice(aws, learner_in):  # noqa: F811
    return learner_in("alice", ALICES_ACCOUNT)


@pytest.fixture
def bob(aws, learner_in):  # noqa: F811
    return learner_in("bob", BOBS_ACCOUNT)


def in_account_of(learner, service, region=REGION):
    with acting_for(learner.person):
        return client(service, region)


def active_clusters(learner, region=REGION):
    ecs = in_account_of(learner, "ecs", region)
    arns = ecs.list_clusters()["clusterArns"]
    described = ecs.describe_clusters(clusters=arns)["clusters"] if arns else []
    return sorted(c["clusterName"] for c in described if c["status"] == "ACTIVE")


def stacks(learner):
    found = in_account_of(learner, "cloudformation").describe_stacks()["Stacks"]
    return [s["StackName"] for s in found if s["StackStatus"] != "DELETE_COMPLETE"]


def instances_not_terminated(learner):
    reservations = in_account_of(learner, "ec2").describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": cleanup.NOT_YET_TERMINATED}]
    )["Reservations"]
    return [i["InstanceId"] for r in reservations for i in r["Instances"]]


def key_pairs(learner):
    found = in_account_of(learner, "ec2").describe_key_pairs()["KeyPairs"]
    return sorted(key_pair["KeyName"] for key_pair in found)


def has_instance_role(learner):
    roles = in_account_of(learner, "iam").list_roles()["Roles"]
    profiles = in_account_of(learner, "iam").list_instance_profiles()["InstanceProfiles"]
    names = {r["RoleName"] for r in roles} | {p["InstanceProfileName"] for p in profiles}
    return "ecsInstanceRole" in names


def lab_cluster_in_account_of(learner, launch, finish):
    """The lab's demo-cluster, made by the wizard's steps in the learner's account, its instance
    registered by its agent; and a key pair made in the wizard's dialog."""
    with acting_for(learner.person):
        provisioning.create_key_pair(REGION, "lab-key", "rsa")
        operation = finish(launch())
    assert operation.has_succeeded, [s.message for s in operation.steps.all()]
    assert operation.account_id == learner.person.account_id
    return operation


def reset_by(browser, learner_name):
    """The trainer's Reset of one learner, confirmed; the operation it shows."""
    page = browser.post(f"/class/learners/{learner_name}/reset/", {"confirmation": learner_name})
    assert page.status_code == 302, page.content.decode()
    return Operation.objects.get(pk=re.fullmatch(r"/operations/(\d+)/", page.url).group(1))


def test_resetting_a_learner_empties_their_account_and_leaves_anothers_alone(
    settings, alice, bob, trainer_browser, launch, finish, agent
):
    # The console made each learner's account for them alone: everything in it is theirs.
    settings.CONSOLE_ACCOUNTS = "per-user-local"
    lab_cluster_in_account_of(alice, launch, finish)
    in_account_of(alice, "ecs", ANOTHER_REGION).create_cluster(clusterName="tried-in-ireland")
    in_account_of(alice, "ec2").create_key_pair(KeyName="made-with-the-cli")
    CheckpointReached.objects.record(alice.user, ["Cluster exists", "Instance registered"])
    bobs = bob.browser.post("/create-cluster/fargate/", FARGATE_DEMO_CLUSTER)
    finish(Operation.objects.get(pk=bobs.url.rstrip("/").rsplit("/", 1)[1]))
    in_account_of(bob, "ec2").create_key_pair(KeyName="bobs-key")
    assert instances_not_terminated(alice) and has_instance_role(alice)

    reset = finish(reset_by(trainer_browser, "alice"))

    assert reset.has_succeeded, [(s.kind, s.message) for s in reset.ordered_steps]
    assert (reset.account_id, reset.role_arn) == (ALICES_ACCOUNT, alice.person.role_arn)
    assert active_clusters(alice) == [] and active_clusters(alice, ANOTHER_REGION) == []
    assert stacks(alice) == []
    assert instances_not_terminated(alice) == []
    assert key_pairs(alice) == []
    assert not has_instance_role(alice)
    # Bob's demo-cluster and key pair, in his own account, are untouched.
    assert active_clusters(bob) == ["demo-cluster"]
    assert key_pairs(bob) == ["bobs-key"]
    # What Alice reached stays reached: the Class page keeps its green checks.
    assert set(alice.user.checkpoints_reached.values_list("checkpoint", flat=True)) == {
        "Cluster exists",
        "Instance registered",
    }
    # The trainer follows it on its status page, each resource with what became of it.
    page = trainer_browser.get(reset.get_absolute_url()).content.decode()
    assert "<h1>Reset alice</h1>" in page
    # Part of the Class, where the trainer came from; the account as the top bar writes one.
    assert '<li><a href="/class/" aria-current="page">Class</a></li>' in page
    assert f"({ALICES_ACCOUNT_SHOWN})" in page
    assert "Cluster <code>tried-in-ireland</code> (eu-west-1): removed" in page
    assert "Stack <code>EC2ContainerService-demo-cluster</code> (us-east-1): removed" in page
    assert "IAM role <code>ecsInstanceRole</code> (global): removed" in page
    assert 'href="/class/"' in page


def test_a_learner_cannot_reset_anyone_by_url_or_form(alice, bob):
    for learner_name in ("bob", "alice"):
        url = f"/class/learners/{learner_name}/reset/"
        assert alice.browser.get(url).status_code == 403
        assert alice.browser.post(url, {"confirmation": learner_name}).status_code == 403
    assert not Operation.objects.filter(action=Operation.Action.RESET).exists()


def test_a_trainer_resets_learners_only_never_a_trainer_or_an_admin(
    trainer_browser, django_user_model, aws
):
    django_user_model.objects.create_user("root", password="x", is_staff=True)

    for username in ("trainer", "root", "nobody"):
        url = f"/class/learners/{username}/reset/"
        assert trainer_browser.get(url).status_code == 404
        assert trainer_browser.post(url, {"confirmation": username}).status_code == 404
    assert not Operation.objects.filter(action=Operation.Action.RESET).exists()


def test_reset_asks_for_the_learners_name_typed_and_does_nothing_without_it(alice, trainer_browser):
    page = trainer_browser.get("/class/learners/alice/reset/").content.decode()
    assert "Type alice to confirm" in page and ALICES_ACCOUNT_SHOWN in page

    wrong = trainer_browser.post("/class/learners/alice/reset/", {"confirmation": "bob"})

    assert wrong.status_code == 200
    assert "Type alice, exactly, to go on." in wrong.content.decode()
    assert not Operation.objects.filter(action=Operation.Action.RESET).exists()


def test_the_class_page_offers_reset_for_each_learner(alice, bob, trainer_browser):
    page = trainer_browser.get("/class/").content.decode()

    assert 'href="/class/learners/alice/reset/"' in page
    assert 'href="/class/learners/bob/reset/"' in page


def test_clean_up_my_account_acts_in_my_own_account_only(alice, bob):
    page = alice.browser.post("/account/clean-up/", {"confirmation": "clean up", "owner": "bob"})

    assert page.status_code == 302
    operation = Operation.objects.get(action=Operation.Action.RESET)
    assert (operation.account_id, operation.role_arn) == (ALICES_ACCOUNT, alice.person.role_arn)
    assert operation.request.owner == "alice"
    assert alice.browser.get(page.url).status_code == 200
    # Bob can follow neither it, by its number, nor its poll.
    assert bob.browser.get(page.url).status_code == 404
    assert bob.browser.get(page.url, headers={"HX-Request": "true"}).status_code == 404


def test_everyone_finds_clean_up_my_account_in_the_top_bar(alice):
    page = alice.browser.get("/clusters/").content.decode()

    assert 'href="/account/clean-up/"' in page


def test_on_an_account_an_admin_assigned_only_what_ecs_console_tagged_goes(
    alice, launch, finish, monkeypatch
):
    # The rule, not the regions, is under test: one region keeps it quick.
    monkeypatch.setattr(cleanup, "regions", lambda: [REGION])
    lab_cluster_in_account_of(alice, launch, finish)
    # What someone else made in the shared account, with the CLI, untagged.
    in_account_of(alice, "ecs").create_cluster(clusterName="team-service")
    in_account_of(alice, "ec2").create_key_pair(KeyName="team-key")
    iam = in_account_of(alice, "iam")
    iam.create_role(RoleName="teamRole", AssumeRolePolicyDocument="{}")

    page = alice.browser.post("/account/clean-up/", {"confirmation": "clean up"})
    operation = finish(Operation.objects.get(action=Operation.Action.RESET))

    assert operation.has_succeeded, [(s.kind, s.message) for s in operation.ordered_steps]
    assert operation.request.scope == "made-by-console"
    assert active_clusters(alice) == ["team-service"]
    assert key_pairs(alice) == ["team-key"]
    assert stacks(alice) == []
    assert not has_instance_role(alice)
    assert "teamRole" in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    shown = alice.browser.get(page.url).content.decode()
    assert "<h1>Clean up account alice</h1>" in shown
    assert "Cluster <code>team-service</code> (us-east-1): left alone. Not tagged" in shown
    assert "Key pair <code>team-key</code> (us-east-1): left alone" in shown


def test_an_untagged_instance_role_is_left_alone_on_a_shared_account(alice, finish, monkeypatch):
    monkeypatch.setattr(cleanup, "regions", lambda: [REGION])
    iam = in_account_of(alice, "iam")
    iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument="{}")

    alice.browser.post("/account/clean-up/", {"confirmation": "clean up"})
    operation = finish(Operation.objects.get(action=Operation.Action.RESET))

    role_step = operation.step(Step.Kind.RESET_INSTANCE_ROLE)
    assert [(r.name, r.outcome) for r in role_step.cleaned] == [("ecsInstanceRole", "left-alone")]
    assert iam.get_role(RoleName="ecsInstanceRole")["Role"]["RoleName"] == "ecsInstanceRole"


def test_a_learner_without_an_account_cannot_be_reset(trainer_browser, django_user_model, aws):
    newcomer = django_user_model.objects.create_user("newcomer", password="x")
    AwsIdentity.objects.filter(user=newcomer).delete()

    page = trainer_browser.post("/class/learners/newcomer/reset/", {"confirmation": "newcomer"})

    assert page.status_code == 302 and page.url == "/class/"
    assert not Operation.objects.filter(action=Operation.Action.RESET).exists()


def a_cluster_with_a_service(learner, tags=()):
    ecs = in_account_of(learner, "ecs")
    ecs.create_cluster(clusterName="with-a-service", tags=list(tags))
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
    )
    ecs.create_service(
        cluster="with-a-service", serviceName="web", taskDefinition="web", desiredCount=2
    )


def test_a_cluster_with_services_and_tasks_goes_from_an_account_that_is_the_learners_alone(
    settings, alice, launch, finish, agent, monkeypatch
):
    settings.CONSOLE_ACCOUNTS = "per-user-local"
    monkeypatch.setattr(cleanup, "regions", lambda: [REGION])
    a_cluster_with_a_service(alice)
    # Tasks of their own, run as the CLI would: on the lab's host, and on Fargate.
    lab_cluster_in_account_of(alice, launch, finish)
    ecs = in_account_of(alice, "ecs")
    (on_the_host,) = ecs.run_task(cluster="demo-cluster", taskDefinition="web")["tasks"]
    subnet = in_account_of(alice, "ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    (on_fargate,) = ecs.run_task(
        cluster="with-a-service",
        taskDefinition="web",
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}},
    )["tasks"]

    alice.browser.post("/account/clean-up/", {"confirmation": "clean up"})
    operation = finish(Operation.objects.get(action=Operation.Action.RESET))

    assert operation.has_succeeded, [(s.kind, s.message) for s in operation.ordered_steps]
    assert active_clusters(alice) == []
    clusters = operation.step(Step.Kind.RESET_CLUSTERS)
    assert sorted((r.name, r.outcome) for r in clusters.cleaned) == [
        ("demo-cluster", "removed"),
        ("with-a-service", "removed"),
    ]
    stopped = {
        task["taskArn"]: task["stoppedReason"]
        for cluster, task_arn in (
            ("demo-cluster", on_the_host["taskArn"]),
            ("with-a-service", on_fargate["taskArn"]),
        )
        for task in ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"]
    }
    # The stack went first, and the host's tasks with it, as ECS stops them; the clean-up
    # stopped the one on Fargate.
    assert stopped[on_the_host["taskArn"]].startswith("Host EC2 (instance i-")
    assert stopped[on_fargate["taskArn"]] == "Cleaned up by ECS Console"


def test_what_aws_refuses_to_remove_is_shown_with_its_reason_and_can_be_tried_again(
    alice, finish, monkeypatch
):
    # A shared account: ECS Console's cluster, holding a service someone else made in it, which
    # is not the clean-up's to remove, so ECS refuses to delete the cluster.
    monkeypatch.setattr(cleanup, "regions", lambda: [REGION])
    made_by_console = {"Key": MADE_BY_CONSOLE.key, "Value": MADE_BY_CONSOLE.value}
    a_cluster_with_a_service(
        alice, tags=[{"key": made_by_console["Key"], "value": made_by_console["Value"]}]
    )
    in_account_of(alice, "ec2").create_key_pair(
        KeyName="lab-key",
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [made_by_console]}],
    )

    page = alice.browser.post("/account/clean-up/", {"confirmation": "clean up"})
    operation = finish(Operation.objects.get(action=Operation.Action.RESET))

    clusters = operation.step(Step.Kind.RESET_CLUSTERS)
    assert clusters.state == Step.State.FAILED
    assert "The Cluster cannot be deleted while Services are active." in clusters.message
    # The steps after it did not start: the key pair is still there for Try again to remove.
    assert operation.step(Step.Kind.RESET_KEY_PAIRS).state == Step.State.PENDING
    assert key_pairs(alice) == ["lab-key"]
    shown = alice.browser.get(page.url).content.decode()
    assert (
        "Cluster <code>with-a-service</code> (us-east-1): not removed. The Cluster cannot be "
        "deleted while Services are active."
    ) in shown
    assert 'href="/account/clean-up/">Try again</a>' in shown


def test_cleaning_up_again_finds_nothing_left_and_its_poll_reads_only_its_rows(
    settings, alice, finish, monkeypatch, django_assert_max_num_queries
):
    settings.CONSOLE_ACCOUNTS = "per-user-local"
    monkeypatch.setattr(cleanup, "regions", lambda: [REGION])
    in_account_of(alice, "ecs").create_cluster(clusterName="demo-cluster")
    alice.browser.post("/account/clean-up/", {"confirmation": "clean up"})
    finish(Operation.objects.get(action=Operation.Action.RESET))

    page = alice.browser.post("/account/clean-up/", {"confirmation": "clean up"})
    again = finish(Operation.objects.filter(action=Operation.Action.RESET).first())

    assert Operation.objects.filter(action=Operation.Action.RESET).count() == 2
    assert again.has_succeeded
    assert [step.message for step in again.ordered_steps] == [
        "No stacks to remove",
        "No instances to remove",
        "No clusters to remove",
        "No key pairs to remove",
        "No IAM roles to remove",
    ]
    with django_assert_max_num_queries(3):
        poll = alice.browser.get(page.url, headers={"HX-Request": "true"})
    assert poll.status_code == 286  # ended: htmx stops polling


def test_a_cluster_whose_deleted_services_still_drain_is_looked_at_again_not_failed():
    # AWS: a deleted service is DRAINING until its tasks stop, and DeleteCluster refuses while
    # it is (ClusterContainsServicesException). The local cloud drops a service at once, so
    # AWS's answers are given here by botocore's Stubber.
    import boto3
    from botocore.stub import Stubber

    ecs = boto3.client("ecs", region_name=REGION)
    with Stubber(ecs) as aws:
        aws.add_client_error(
            "delete_cluster",
            service_error_code="ClusterContainsServicesException",
            service_message="The Cluster cannot be deleted while Services are active.",
        )
        aws.add_response("delete_cluster", {"cluster": {"clusterName": "with-a-service"}})

        assert cleanup._delete_once_drained(ecs, "with-a-service") == Outcome.REMOVING
        assert cleanup._delete_once_drained(ecs, "with-a-service") == Outcome.REMOVED


def test_what_is_still_being_removed_after_the_clean_ups_wait_is_named_not_waited_for_for_ever(
    settings, alice, finish, monkeypatch
):
    # A stack deleted at AWS's own pace takes minutes; a clean-up that may wait no time at all
    # names it as not removed, with how long it waited, rather than looking again for ever.
    from localcloud import pace

    settings.CONSOLE_ACCOUNTS = "per-user-local"
    settings.CLEAN_UP_WAITS_SECONDS = 0
    monkeypatch.setattr(cleanup, "regions", lambda: [REGION])
    template = {"Resources": {"Cluster": {"Type": "AWS::ECS::Cluster"}}}
    in_account_of(alice, "cloudformation").create_stack(
        StackName="EC2ContainerService-slow", TemplateBody=json.dumps(template)
    )
    pace.set_pace("aws", ALICES_ACCOUNT)
    try:
        alice.browser.post("/account/clean-up/", {"confirmation": "clean up"})
        operation = finish(Operation.objects.get(action=Operation.Action.RESET))
    finally:
        pace.forget_account_paces()

    stacks_step = operation.step(Step.Kind.RESET_STACKS)
    assert stacks_step.state == Step.State.FAILED
    (stack,) = stacks_step.cleaned
    assert stack.outcome == "failed"
    assert re.fullmatch(
        r"Still being removed after \d+ s, when ECS Console stopped waiting\.", stack.reason
    )

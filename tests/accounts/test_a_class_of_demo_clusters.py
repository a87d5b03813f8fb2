"""A class where everyone names their cluster demo-cluster: each learner works in their own
account, sees only their own cluster, and cannot reach another's by URL, by form, by replaying
a request, by operation number, by container instance page, through the shared poll cache or
through a worker step."""

import contextvars

import boto3
import pytest

from django.core.cache import cache

from clusters import inventory, provisioning, tasks
from clusters.aws import acting_for, assumed_credentials, client
from clusters.models import Operation
from hosts.models import HostReading
from localcloud.agent import EcsAgentEmulator
from tests.conftest import REGION

ALICES_ACCOUNT = "111111111111"
BOBS_ACCOUNT = "222222222222"
POLL = {"HX-Request": "true"}
# Create Cluster's Networking only template as the lab fills it in.
DEMO_CLUSTER = {"cluster_name": "demo-cluster", "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0"}


@pytest.fixture
def alice(aws, learner_in):
    return learner_in("alice", ALICES_ACCOUNT)


@pytest.fixture
def bob(aws, learner_in):
    return learner_in("bob", BOBS_ACCOUNT)


def create_demo_cluster(learner):
    """Create Cluster's Networking only template, as the learner submits it; its step run by a
    worker, in a thread of its own that acts for nobody until the step says whom."""
    page = learner.browser.post("/create-cluster/fargate/", DEMO_CLUSTER)
    assert page.status_code == 302, page.content.decode()
    operation = Operation.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[1])
    contextvars.Context().run(tasks.run_step, operation.ordered_steps[0].pk)
    operation.refresh_from_db()
    assert operation.has_succeeded, [step.message for step in operation.steps.all()]
    return operation


def start_a_host(learner):
    """One ECS-optimized instance in the learner's account whose user data joins demo-cluster,
    registered by its agent (the local cloud's, with that account's credentials); its container
    instance id."""
    with acting_for(learner.person):
        ami = client("ssm", REGION).get_parameter(
            Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
        )["Parameter"]["Value"]
        client("ec2", REGION).run_instances(
            ImageId=ami,
            InstanceType="t2.micro",
            MinCount=1,
            MaxCount=1,
            UserData="#!/bin/bash\necho ECS_CLUSTER=demo-cluster >> /etc/ecs/ecs.config\n",
        )
        keys = assumed_credentials(learner.person)
        session = boto3.session.Session(
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
            aws_session_token=keys.session_token,
        )
        EcsAgentEmulator(regions=[REGION], session=session).sync()
        arns = client("ecs", REGION).list_container_instances(cluster="demo-cluster")
    [arn] = arns["containerInstanceArns"]
    return arn.rsplit("/", 1)[1]


def test_two_learners_each_create_demo_cluster_in_their_own_account(alice, bob):
    alices = create_demo_cluster(alice)
    bobs = create_demo_cluster(bob)

    assert (alices.account_id, alices.role_arn) == (ALICES_ACCOUNT, alice.person.role_arn)
    assert (bobs.account_id, bobs.role_arn) == (BOBS_ACCOUNT, bob.person.role_arn)
    for learner, account in ((alice, ALICES_ACCOUNT), (bob, BOBS_ACCOUNT)):
        with acting_for(learner.person):
            found = client("ecs", REGION).describe_clusters(clusters=["demo-cluster"])["clusters"]
        assert [c["clusterArn"] for c in found] == [
            f"arn:aws:ecs:us-east-1:{account}:cluster/demo-cluster"
        ]
    # Nothing landed in the account of the console's own credentials.
    own = boto3.client("ecs", region_name=REGION).describe_clusters(clusters=["demo-cluster"])
    assert [c for c in own["clusters"] if c["status"] == "ACTIVE"] == []


def test_two_learners_creating_demo_cluster_at_once_both_run_neither_queued(alice, bob):
    alice.browser.post("/create-cluster/fargate/", DEMO_CLUSTER)
    bob.browser.post("/create-cluster/fargate/", DEMO_CLUSTER)

    running = Operation.objects.running().values_list("account_id", flat=True)
    assert sorted(running) == [ALICES_ACCOUNT, BOBS_ACCOUNT]


def test_each_learner_sees_only_their_own_operations(alice, bob):
    alices = create_demo_cluster(alice)
    bobs = create_demo_cluster(bob)

    alices_list = alice.browser.get("/clusters/").content.decode()
    bobs_page = bob.browser.get("/clusters/demo-cluster/").content.decode()

    assert f'href="/operations/{alices.pk}/"' in alices_list
    assert f'href="/operations/{bobs.pk}/"' not in alices_list
    assert f'href="/operations/{bobs.pk}/"' in bobs_page
    assert f'href="/operations/{alices.pk}/"' not in bobs_page


def test_a_learner_cannot_open_anothers_launch_status_by_its_number(alice, bob):
    alices = create_demo_cluster(alice)

    assert alice.browser.get(f"/operations/{alices.pk}/").status_code == 200
    assert bob.browser.get(f"/operations/{alices.pk}/").status_code == 404
    assert bob.browser.get(f"/operations/{alices.pk}/", headers=POLL).status_code == 404


def test_a_learner_cannot_delete_or_scale_anothers_cluster_by_replaying_the_form(alice, bob):
    create_demo_cluster(alice)

    deleting = bob.browser.post("/clusters/demo-cluster/delete/", {"confirmation": "delete me"})
    scaling = bob.browser.post("/clusters/demo-cluster/scale/", {"instance_count": "3"})

    assert (deleting.status_code, scaling.status_code) == (404, 404)
    assert Operation.objects.exclude(action=Operation.Action.CREATE).count() == 0
    with acting_for(alice.person):
        found = client("ecs", REGION).describe_clusters(clusters=["demo-cluster"])["clusters"]
    assert found[0]["status"] == "ACTIVE"


def test_a_learner_cannot_open_anothers_container_instance_page(alice, bob):
    create_demo_cluster(alice)
    create_demo_cluster(bob)
    instance_id = start_a_host(alice)
    url = f"/clusters/demo-cluster/container-instances/{instance_id}/"

    assert alice.browser.get(url).status_code == 200
    assert bob.browser.get(url).status_code == 404
    assert bob.browser.post(f"{url}deregister/", {"force": "on"}).status_code == 404
    with acting_for(alice.person):
        still = client("ecs", REGION).list_container_instances(cluster="demo-cluster")
    assert len(still["containerInstanceArns"]) == 1


def test_the_shared_poll_cache_answers_each_account_with_its_own_reading(alice, bob, settings):
    settings.SHARED_READ_SECONDS = 60
    create_demo_cluster(alice)
    create_demo_cluster(bob)
    start_a_host(alice)
    tab = "/clusters/demo-cluster/ecs-instances/"

    alices_poll = alice.browser.get(tab, headers=POLL).content.decode()
    bobs_poll = bob.browser.get(tab, headers=POLL).content.decode()

    assert 'id="registered-count">1<' in alices_poll
    assert 'id="registered-count">0<' in bobs_poll


def test_a_learner_cannot_follow_anothers_host_reading_by_its_number(alice, bob):
    reading = HostReading.objects.create(
        account_id=ALICES_ACCOUNT,
        region=REGION,
        cluster_name="demo-cluster",
        ec2_instance_id="i-0123456789abcdef0",
        document="AWS-RunShellScript",
        requested_by=alice.user,
        refusal="Instances [i-0123456789abcdef0] not in a valid state for account",
    )

    assert alice.browser.get(f"/host-readings/{reading.pk}/").status_code == 302
    assert bob.browser.get(f"/host-readings/{reading.pk}/").status_code == 404


def test_the_beat_ends_a_learners_finished_operation_acting_for_them(alice, settings):
    settings.SHARED_READ_SECONDS = 60
    alice.browser.post("/create-cluster/fargate/", DEMO_CLUSTER)
    operation = Operation.objects.get(account_id=ALICES_ACCOUNT)
    # Its worker ran its one step, then died before ending the operation.
    step = operation.ordered_steps[0]
    assert step.claim()
    with acting_for(alice.person):
        provisioning.run(step)
    alice.browser.get("/clusters/demo-cluster/")  # read once, kept for everyone for 60 s
    with acting_for(alice.person):
        read_of_her_cluster = inventory._cluster_key(REGION, "cluster", "demo-cluster")
    assert cache.get(read_of_her_cluster) is not None

    contextvars.Context().run(tasks.resume_unfinished_work)

    operation.refresh_from_db()
    assert operation.state == Operation.State.ENDED
    assert cache.get(read_of_her_cluster) is None  # forgotten, in her account's keys

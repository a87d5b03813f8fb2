"""A trainer resets a learner on the local cloud over HTTP: a real worker, assuming the learner's
role, empties that learner's account of the lab's cluster in every region the console offers,
while another learner's demo-cluster stays."""

import pytest
from django.test import Client

from accounts.models import AwsIdentity, role_arn_in
from classroom.learners import make_trainer
from clusters.aws import Person, acting_for
from clusters.models import Operation
from clusters.tasks import start_operation
from tests.conftest import REGION

from .test_a_class_on_the_local_cloud import in_account
from .waiting import wait_until_ended

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ALICES_ACCOUNT = "111111111111"
BOBS_ACCOUNT = "222222222222"


def test_a_real_worker_resets_one_learners_account_and_leaves_the_others(
    celery_worker, cloud, lab_launch, django_user_model, settings
):
    settings.CONSOLE_ACCOUNTS = "per-user-local"
    alice = django_user_model.objects.create_user("alice", password="x")
    AwsIdentity.objects.filter(user=alice).update(role_arn=role_arn_in(ALICES_ACCOUNT))
    trainer = django_user_model.objects.create_user("trainer", password="x")
    make_trainer(trainer)
    with acting_for(Person("alice", role_arn_in(ALICES_ACCOUNT))):
        launch = lab_launch("demo-cluster")
    start_operation(launch)
    wait_until_ended(launch)
    assert launch.has_succeeded, [step.message for step in launch.ordered_steps]
    in_account(BOBS_ACCOUNT, "ecs").create_cluster(clusterName="demo-cluster")
    browser = Client()
    browser.force_login(trainer)

    page = browser.post("/class/learners/alice/reset/", {"confirmation": "alice"})
    reset = Operation.objects.get(action=Operation.Action.RESET)
    wait_until_ended(reset, timeout=120)

    assert page.url == reset.get_absolute_url()
    assert reset.has_succeeded, [(step.kind, step.message) for step in reset.ordered_steps]
    alices_ecs = in_account(ALICES_ACCOUNT, "ecs")
    assert alices_ecs.describe_clusters(clusters=["demo-cluster"])["clusters"][0]["status"] == (
        "INACTIVE"
    )
    stacks = in_account(ALICES_ACCOUNT, "cloudformation").describe_stacks()["Stacks"]
    assert {s["StackStatus"] for s in stacks} <= {"DELETE_COMPLETE"}
    assert in_account(ALICES_ACCOUNT, "iam").list_instance_profiles()["InstanceProfiles"] == []
    bobs = in_account(BOBS_ACCOUNT, "ecs").describe_clusters(clusters=["demo-cluster"])
    assert bobs["clusters"][0]["status"] == "ACTIVE"
    assert REGION in browser.get(page.url).content.decode()

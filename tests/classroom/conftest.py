"""Fixtures of the classroom's tests: a trainer, and a learner's demo-cluster made by the wizard as
the lab asks (or otherwise) and registered by the local cloud's agent. The learner is
tests/conftest.py's `user`, who launches through tests/clusters/conftest.py's `launch`."""

import pytest

from classroom.learners import make_trainer
from tests.clusters.conftest import agent, aws_calls, finish, lab_cluster, launch  # noqa: F401


@pytest.fixture(autouse=True)
def every_pass_in_the_page(settings):
    """In-process AWS answers in milliseconds, but a busy machine can make a pass slower than
    the page's wait: a test that looks again expects the pass that look set off."""
    settings.CLASS_PAGE_WAIT_SECONDS = 60


@pytest.fixture
def trainer(django_user_model, db):
    person = django_user_model.objects.create_user("trainer", password="teach-ecs")
    make_trainer(person)
    return person


@pytest.fixture
def trainer_browser(trainer):
    from django.test import Client

    browser = Client()
    browser.force_login(trainer)
    return browser


@pytest.fixture
def default_vpc_subnets(ec2):
    """The default VPC and every one of its subnets: a subnet in each zone of the region."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    return vpc["VpcId"], sorted(subnet["SubnetId"] for subnet in subnets["Subnets"])


@pytest.fixture
def lab_as_asked(ec2, launch, finish, agent, default_vpc_subnets):
    """Launch demo-cluster as the lab's steps 6 and 7 say, with any field changed, and run it to
    its end: t2.micro, a key pair, the default VPC with all its subnets, a new security group
    open on 22 from 0.0.0.0/0."""

    def make(**changes):
        ec2.create_key_pair(KeyName="lab-key")
        vpc, subnets = default_vpc_subnets
        fields = {"vpc": vpc, "subnet_ids": subnets, "key_name": "lab-key", **changes}
        operation = finish(launch(**fields))
        assert operation.has_succeeded, [step.message for step in operation.steps.all()]
        agent.sync()
        return operation

    return make

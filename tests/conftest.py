"""Fixtures every suite shares: in-process AWS as the local cloud makes moto behave, and a
signed-in person."""

import boto3
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_save
from moto import mock_aws

import localcloud
from localcloud import persistence
from clusters.aws import Person, acting_for, forget_clients
from clusters.forms import WizardOptions
from clusters.inventory import INSTANCE_TYPE_CATALOGUE_KEY, forget_what_the_process_kept
from clusters.middleware import ecs_regions

REGION = "us-east-1"
# Until the local cloud serves other accounts to the tests, every test person works in moto's
# default account, where the tests' own boto3 calls (made with the environment's keys) land.
TESTS_ROLE_ARN = "arn:aws:iam::123456789012:role/ECSConsoleTests"
# The person a test acts as when it calls the console's code directly: the `user` fixture's.
LEARNER = "learner"


def pytest_collection_modifyitems(items):
    """Mark `database` every test that opens the database: `make test` runs them again on
    PostgreSQL (`-m database`). A test that never opens it cannot behave differently there."""
    for item in items:
        if "django_db_setup" in item.fixturenames or item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.database)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests sign people in by the hundred: the real hasher's deliberate slowness buys nothing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# A region's instance type catalogue is moto's fixed list of some 1,400 types: reading it takes
# seconds, and the console keeps it a day (INSTANCE_TYPE_CATALOGUE_SECONDS). Each test process
# reads it once and finds it in every later test's new cache, as a person finds it after the
# first look; tests/localcloud/test_ec2.py reads it from the cloud itself.
_catalogues_read = {}


@pytest.fixture(autouse=True)
def cache_of_its_own(settings):
    """Each test gets an in-process cache holding only the catalogues read before, and reads of
    AWS shared for no time at all: a test that acts and then looks sees what it did. Tests of the
    sharing set their own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests",
        }
    }
    settings.SHARED_READ_SECONDS = 0
    cache.clear()
    forget_what_the_process_kept()
    cache.set_many(_catalogues_read, None)
    yield
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        keys = [INSTANCE_TYPE_CATALOGUE_KEY.format(region=r.code) for r in ecs_regions()]
        _catalogues_read.update(cache.get_many(keys))


@pytest.fixture(autouse=True)
def people_work_in_the_tests_account(settings):
    """Each user a test makes is given the tests' role, as an admin would give one, and what a
    test calls directly acts for the learner its requests sign in as."""
    settings.CONSOLE_ACCOUNTS = "admin-assigned"

    def give_the_tests_role(sender, instance, created, raw=False, **kwargs):
        from accounts.models import AwsIdentity

        if created and not raw:
            AwsIdentity.objects.create(user=instance, role_arn=TESTS_ROLE_ARN)

    user_model = get_user_model()
    post_save.connect(give_the_tests_role, sender=user_model, dispatch_uid="tests-role")
    try:
        with acting_for(Person(LEARNER, TESTS_ROLE_ARN)):
            yield
    finally:
        post_save.disconnect(sender=user_model, dispatch_uid="tests-role")


@pytest.fixture
def aws():
    """In-process AWS (moto) with the local cloud's fixes, so it behaves as AWS documents."""
    forget_clients()
    mock = mock_aws()
    mock.start()
    localcloud.install()
    try:
        yield
    finally:
        # moto's reset at stop builds every backend anew (EC2's 1,300 AMIs, IAM's 1,500 policies)
        # only to drop it: dropping them first saves the rebuild, and the next test starts empty.
        persistence.forget_everything()
        mock.stop()
        forget_clients()


@pytest.fixture
def ec2(aws):
    return boto3.client("ec2", region_name=REGION)


@pytest.fixture
def options(aws):
    return WizardOptions(REGION)


@pytest.fixture
def lab_data(options):
    """What a person following the ECS lab types into Configure cluster."""
    return {
        "cluster_name": "demo-cluster",
        "provisioning_model": "on-demand",
        # The browser sends the Spot strategy's default too: its part is in the page, hidden.
        "spot_allocation_strategy": "diversified",
        "instance_type": "t2.micro",
        "instance_count": "1",
        "ami_id": options.amis[0].image_id,
        "volume_size": "30",
        "key_name": "",
        "vpc": "new",
        "vpc_cidr": "10.0.0.0/16",
        "subnet1_cidr": "10.0.0.0/24",
        "subnet2_cidr": "10.0.1.0/24",
        "auto_assign_public_ip": "subnet",
        "security_group": "new",
        "ingress_cidr": "0.0.0.0/0",
        # Checked by default: the browser sends it unless the person unticks it.
        "ssm_host_access": "on",
        "ingress_port": "22",
        "instance_role": "create",
        "tags-TOTAL_FORMS": "0",
        "tags-INITIAL_FORMS": "0",
    }


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(LEARNER, password="practise-ecs")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client

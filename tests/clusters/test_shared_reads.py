"""Everyone watching a cluster shares one read of AWS: thirty open ECS Instances tabs cost what
one costs, a new host still shows within seconds, and a cache that is gone costs nothing but
the sharing."""

import pytest

from clusters import inventory
from clusters.models import Operation
from tests.e2e.conftest import free_port, start_redis
from tests.e2e.waiting import wait_until

from .conftest import LAB_CLUSTER_TAB_CALLS, REGION

INSTANCES_TAB = "/clusters/demo-cluster/ecs-instances/"
POLL = {"HX-Request": "true"}


@pytest.fixture
def another_person(client, django_user_model, lab_cluster):
    """A second learner of the same account, in a browser of their own."""
    from django.test import Client

    browser = Client()
    browser.force_login(django_user_model.objects.create_user("classmate", password="x"))
    return browser


def test_thirty_polls_from_two_people_ask_aws_what_one_poll_asks(
    signed_in, another_person, aws_calls, settings
):
    settings.SHARED_READ_SECONDS = 60

    pages = [
        browser.get(INSTANCES_TAB, headers=POLL)
        for _ in range(15)
        for browser in (signed_in, another_person)
    ]

    assert {page.status_code for page in pages} == {200}
    assert all('id="registered-count">1<' in page.content.decode() for page in pages)
    assert sorted(aws_calls) == LAB_CLUSTER_TAB_CALLS


def test_a_new_host_shows_in_an_open_tab_within_five_seconds_without_rereading_the_rest(
    signed_in, lab_cluster, agent, start_hosts, aws_calls, settings
):
    settings.SHARED_READ_SECONDS = 2
    signed_in.get(INSTANCES_TAB, headers=POLL)

    start_hosts("demo-cluster", 1)
    agent.sync()

    def tab_with_two_hosts():
        page = signed_in.get(INSTANCES_TAB, headers=POLL).content.decode()
        return 'id="registered-count">2<' in page and page

    shown = wait_until(tab_with_two_hosts, 5, "the new host in the tab", interval=0.5)

    assert shown.count('<tr id="container-instance-') == 2
    # The stack was read once: it changes only through the console's own operations.
    assert aws_calls.count("DescribeStacks") == 1


def test_an_operation_that_ends_is_shown_at_once(signed_in, lab_cluster, finish, agent, settings):
    settings.SHARED_READ_SECONDS = 60
    signed_in.get(INSTANCES_TAB, headers=POLL)

    signed_in.post("/clusters/demo-cluster/scale/", {"instance_count": "2"})
    finish(Operation.objects.get(action=Operation.Action.SCALE))
    page = signed_in.get(INSTANCES_TAB, headers=POLL).content.decode()

    assert "Desired capacity 2" in page


@pytest.fixture
def redis_cache(settings):
    """Django's cache on a real Redis of its own, as `make run` has it; yields the server."""
    port = free_port()
    server = start_redis(port, name="redis-cache")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "ecsconsole-cache",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield server
    server.stop()


def test_the_tab_reads_aws_itself_when_redis_is_killed(
    signed_in, lab_cluster, agent, start_hosts, redis_cache, aws_calls, settings
):
    settings.SHARED_READ_SECONDS = 60
    shared = [signed_in.get(INSTANCES_TAB, headers=POLL) for _ in range(2)]
    calls_while_shared = len(aws_calls)

    redis_cache.process.kill()
    redis_cache.process.wait()
    start_hosts("demo-cluster", 1)
    agent.sync()
    alone = signed_in.get(INSTANCES_TAB, headers=POLL)

    assert [page.status_code for page in shared] == [200, 200]
    assert calls_while_shared == 6
    assert alone.status_code == 200
    assert 'id="registered-count">2<' in alone.content.decode()
    assert len(aws_calls) == 12


def test_every_page_of_the_cluster_answers_when_redis_was_never_there(
    signed_in, lab_cluster, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    settings.SHARED_READ_SECONDS = 60

    answers = [
        signed_in.get(url).status_code
        for url in ("/clusters/demo-cluster/", INSTANCES_TAB, "/create-cluster/ec2-linux/")
    ]

    assert answers == [200, 200, 200]
    assert inventory.cluster(REGION, "demo-cluster").registered_instances == 1


def test_the_instance_types_read_once_are_offered_again_without_redis_or_aws(
    signed_in, redis_cache, aws_calls
):
    # 1,400 types are costlier to unpickle from Redis than the rest of the page: each process
    # keeps the catalogue it read for its day.
    first = signed_in.get("/create-cluster/ec2-linux/")
    redis_cache.process.kill()
    redis_cache.process.wait()
    aws_calls.clear()

    again = signed_in.get("/create-cluster/ec2-linux/")

    assert first.status_code == again.status_code == 200
    assert "<option data-burstable>t2.micro</option>" in again.content.decode()
    assert "DescribeInstanceTypes" not in aws_calls
    assert "DescribeInstanceTypeOfferings" not in aws_calls

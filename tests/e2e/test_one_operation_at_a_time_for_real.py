"""With the real parts: two identical Creates posted at the same moment over HTTP make one
operation, and a Delete asked while a create runs leaves nothing behind in the local cloud."""

import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from clusters.configuration import DeleteRequest
from clusters.models import Operation
from clusters.tasks import start_operation

from .conftest import REGION
from .waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CSRF = "a" * 32  # a CSRF secret of our own, sent as cookie and as form field


def signed_in_cookies(user):
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"


def post_the_lab(live_server, cookies, ami_id):
    form = {
        "csrfmiddlewaretoken": CSRF,
        "cluster_name": "twice-cluster", "provisioning_model": "on-demand",
        "spot_allocation_strategy": "diversified", "instance_type": "t2.micro",
        "instance_count": "1", "ami_id": ami_id, "volume_size": "30", "key_name": "",
        "vpc": "new", "vpc_cidr": "10.0.0.0/16", "subnet1_cidr": "10.0.0.0/24",
        "subnet2_cidr": "10.0.1.0/24", "auto_assign_public_ip": "subnet",
        "security_group": "new", "ingress_cidr": "0.0.0.0/0", "ingress_port": "22",
        "instance_role": "create", "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0",
    }
    request = urllib.request.Request(
        f"{live_server.url}/create-cluster/ec2-linux/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Cookie": cookies, "Referer": live_server.url},
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=60)
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers["Location"]
    raise AssertionError("Create answered without sending the person on")


def test_two_creates_posted_at_the_same_moment_make_one_operation(
    cloud, live_server, console_user
):
    ami_id = cloud("ssm").get_parameter(
        Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
    )["Parameter"]["Value"]
    cookies = signed_in_cookies(console_user)
    # No worker here: the operation stays recorded and running, which is what counts (its
    # message finds no broker, and the row keeps it).

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: post_the_lab(live_server, cookies, ami_id), range(2)))

    operation = Operation.objects.get()
    assert answers == [(302, operation.get_absolute_url())] * 2


def test_a_delete_asked_while_the_create_runs_leaves_nothing_behind(
    cloud, celery_worker, lab_launch, console_user
):
    create = lab_launch("short-lived")
    start_operation(create)
    delete, is_new = Operation.objects.submit(
        action=Operation.Action.DELETE, cluster_name="short-lived", region=REGION,
        user=console_user, request=DeleteRequest(),
    )
    assert is_new and delete.state == Operation.State.QUEUED

    wait_until(
        lambda: Operation.objects.get(pk=delete.pk).state == Operation.State.ENDED,
        120,
        "the create, then the delete, to end (test-artifacts/logs/celery-worker.log)",
        interval=0.1,
    )

    assert Operation.objects.get(pk=create.pk).has_succeeded
    assert Operation.objects.get(pk=delete.pk).has_succeeded
    stacks = cloud("cloudformation").list_stacks()["StackSummaries"]
    statuses = {s["StackStatus"] for s in stacks if s["StackName"] == create.stack_name}
    assert statuses == {"DELETE_COMPLETE"}
    assert cloud("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []
    reservations = cloud("ec2").describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    )["Reservations"]
    assert reservations == []
    (cluster,) = cloud("ecs").describe_clusters(clusters=["short-lived"])["clusters"]
    assert cluster["status"] == "INACTIVE"

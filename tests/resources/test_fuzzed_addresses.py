"""Random ids in the resource pages' addresses never answer 5xx: text of any kind, and ids of
the right shape that AWS has never made, so both the judging and the 404s are exercised."""

import logging
import os
from collections import Counter
from urllib.parse import quote

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REGION

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
ROUTES = {
    "ec2-instances": "i-",
    "auto-scaling-groups": "",
    "launch-templates": "lt-",
    "security-groups": "sg-",
    "iam-roles": "",
    "stacks": "Stack",
}
SUFFIXES = ["", "template.yaml", "template.json"]


def shaped(prefix):
    """An id of the form AWS gives that kind, naming nothing."""
    digits = st.text("0123456789abcdef", min_size=8, max_size=17)
    return st.builds(lambda d: prefix + d, digits)


def ids_for(route):
    return st.one_of(shaped(ROUTES[route]), st.text(min_size=1, max_size=300))


addresses = st.sampled_from(sorted(ROUTES)).flatmap(
    lambda route: st.tuples(st.just(route), ids_for(route), st.sampled_from(SUFFIXES))
)


def test_no_random_resource_address_answers_a_server_error(signed_in, aws, caplog):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")
    signed_in.raise_request_exception = True  # a view's exception fails with its traceback
    caplog.set_level(logging.ERROR, logger="django.request")  # expected 404s
    answers = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(address=addresses)
    def get(address):
        route, resource_id, suffix = address
        if suffix and route != "stacks":
            suffix = ""
        path = f"/clusters/demo-cluster/{route}/{quote(resource_id, safe='')}/{suffix}"
        response = signed_in.get(path)
        answers[route, response.status_code] += 1
        assert response.status_code < 500, path

    get()
    assert {route for route, _ in answers} == set(ROUTES)
    assert {status for _, status in answers} <= {200, 302, 404}

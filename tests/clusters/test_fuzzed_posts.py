"""Random posts never answer 5xx: Configure cluster for the three templates, the field checked
as it is left, Add tag and Remove, Scale, Delete, Deregister and Create key pair, with values
from the page and from the edges (huge numbers, unicode, empty, several where one is expected,
no management form).

`make test` posts FUZZ_EXAMPLES of them (200 unless set); `make fuzz` posts 10,000.
"""

import logging
import os
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from django.conf import settings as django_settings

from clusters import inventory
from clusters.forms import (
    Ec2LinuxClusterForm,
    Ec2WindowsClusterForm,
    NetworkingOnlyClusterForm,
    WizardOptions,
)
from clusters.models import Template

from .conftest import REGION

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
KINDS = {
    "create", "validate", "add-tag", "remove-tag", "preview", "scale", "delete", "deregister",
    "read-host", "key-pair",
}
HTMX = {"HX-Request": "true"}
LINUX = "/create-cluster/ec2-linux/"
CLUSTER = "/clusters/demo-cluster"
NO_TAGS = {"tags-TOTAL_FORMS": "1", "tags-INITIAL_FORMS": "0"}
# The four causes of 500 a fuzzer found on an older version, posted first on every run.
KNOWN_CAUSES = [
    ("remove-tag", LINUX, {**NO_TAGS, "_remove_tag": "²"}, {}),
    ("remove-tag", LINUX, {**NO_TAGS, "_remove_tag": "9" * 4301}, {}),
    ("validate", LINUX, {"ingress_port": "8" * 4301, "_validate": "ingress_port"}, HTMX),
    ("create", LINUX, {**NO_TAGS, "vpc": "vpc-("}, {}),
    ("create", LINUX, {"provisioning_model": "spot", "spot_max_price": "1e999999999"}, {}),
]

# Values that broke earlier versions or sit where parsing ends, a branch of their own so they
# come up far more often than in the longer lists: digits of other scripts, more digits than
# int() reads, exponents beyond any Decimal, ids with a character AWS's parsers choke on.
EDGES = [
    "²", "١٢", "9" * 4301, "1e999999999", "-1e999999999", "NaN", "", "\x00", "vpc-(",
    "subnet-(", "sg-(", "ami-(", "x" * 100_000,
]
NUMBERS = [
    "0", "1", "-1", "2", "1000", "1001", "22", "30", "50", "16384", "16385", "65535", "65536",
    "0.00001", "0.000001", "0.5", "1e3", "1e999999999", "-1e999999999", "1e-999999999",
    "1e99999999999999999", "NaN", "-Infinity", "Infinity", "-0", " 7 ", "+5", "0x1F", "1_000",
    "١٢", "²", "1.5", "9" * 4301, "0" * 20 + "1", "80-22", "0-65535", "8000 - 8080", "22-", "-",
]
CIDRS = [
    "10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24", "0.0.0.0/0", "0.0.0.0", "10.0.0.1/16",
    "10.0.0.0/8", "10.0.0.0/29", "10.0.0.0/28", "172.31.0.0/16", "::/0", "fe80::/64",
    "10.0.0.0/33", "300.0.0.0/16", "10.0.0.0/16/1", "10.0.0.0/-1", "1" * 5000,
]
WORDS = [
    "", " ", "demo-cluster", "fuzz", "a" * 255, "a" * 256, "aws:owner", "AWS:x", "delete me",
    " delete me ", "DELETE ME", "<script>alert(1)</script>", "'; DROP TABLE clusters;--", "\x00",
    "a\nb", "é", "日本語", "🙂", "\u202e", "../../etc/passwd", "%s%s%n", "{{ 7*7 }}", "on", "off",
    "true", "false", "new", "create", "spot", "on-demand", "enabled", "disabled", "subnet",
    "lowestPrice", "diversified", "rsa", "ed25519", "dsa", "x" * 100_000,
]
TEMPLATE_FORMS = {
    Template.NETWORKING_ONLY: NetworkingOnlyClusterForm,
    Template.EC2_LINUX: Ec2LinuxClusterForm,
    Template.EC2_WINDOWS: Ec2WindowsClusterForm,
}
TAG_FIELDS = [
    "tags-TOTAL_FORMS", "tags-INITIAL_FORMS", "tags-MIN_NUM_FORMS", "tags-MAX_NUM_FORMS",
    "tags-0-key", "tags-0-value", "tags-1-key", "tags-1-value", "tags-199-key", "tags-200-value",
]


def offered(options):
    """Every id and name the page offers: the values a person can pick."""
    return (
        list(options.instance_types)[:20]
        + [ami.image_id for ami in options.amis]
        + list(options.key_pairs)
        + [vpc.vpc_id for vpc in options.vpcs]
        + [subnet.subnet_id for subnet in options.subnets]
        + [group.group_id for group in options.security_groups]
        + list(options.roles)
    )


def values(picks):
    one = st.one_of(
        st.sampled_from(EDGES),
        st.sampled_from(picks),
        st.sampled_from(NUMBERS),
        st.sampled_from(CIDRS),
        st.sampled_from(WORDS),
        # Any text a browser can send: every code point but lone surrogates, which UTF-8 has not.
        st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    )
    # Several values where one is expected, or none at all.
    return st.one_of(one, st.lists(one, max_size=3))


@st.composite
def changed(draw, baseline, fields, picks):
    """A baseline post with a few fields given other values, and some left out."""
    data = dict(baseline)
    for field in draw(st.lists(st.sampled_from(fields), unique=True, max_size=8)):
        if draw(st.booleans()) and field in data:
            del data[field]
        else:
            data[field] = draw(values(picks))
    return data


@pytest.fixture
def random_posts(lab_cluster, lab_data):
    """What the fuzzer posts, as (kind, url, data, headers), built from the account as the
    pages offer it: the lab's cluster, with its one registered instance, beside them."""
    (instance,) = inventory.container_instances(REGION, "demo-cluster")
    linux, windows = WizardOptions(REGION), WizardOptions(REGION, Template.EC2_WINDOWS)
    picks = offered(linux) + offered(windows) + [instance.id, "demo-cluster"]
    baselines = {
        Template.EC2_LINUX: {**lab_data, "cluster_name": "fuzz"},
        Template.EC2_WINDOWS: {
            **lab_data,
            "cluster_name": "fuzz",
            "ami_id": windows.amis[0].image_id,
            "volume_size": "50",
        },
        Template.NETWORKING_ONLY: {
            "cluster_name": "fuzz",
            "create_vpc": "on",
            "vpc_cidr": "10.0.0.0/16",
            "subnet1_cidr": "10.0.0.0/24",
            "subnet2_cidr": "10.0.1.0/24",
            "tags-TOTAL_FORMS": "0",
            "tags-INITIAL_FORMS": "0",
        },
    }
    two_tags = {
        "tags-TOTAL_FORMS": "2",
        "tags-0-key": "team",
        "tags-0-value": "blue",
        "tags-1-key": "env",
        "tags-1-value": "lab",
    }

    @st.composite
    def configure(draw, kind, extra=None):
        template = draw(st.sampled_from(list(TEMPLATE_FORMS)))
        extra = extra or {}
        fields = list(TEMPLATE_FORMS[template].base_fields) + TAG_FIELDS + list(extra)
        data = draw(changed({**baselines[template], **extra}, fields, picks))
        for button, value in extra.items():  # the button's own value, as sent or any other
            if button in data:
                data[button] = draw(st.one_of(st.just(value), values(picks)))
        headers = {}
        if kind == "validate":
            data["_validate"] = draw(st.sampled_from(fields + ["_validate", "tags-9-key", "../x"]))
            headers = HTMX
        return kind, f"/create-cluster/{template}/", data, headers

    @st.composite
    def dialog(draw, kind, url, baseline, fields):
        # The cluster's own address, or one with a name no cluster can have.
        url = draw(st.sampled_from([url, url.replace("demo-cluster", "demo cluster", 1)]))
        return kind, url, draw(changed(baseline, fields, picks)), draw(st.sampled_from([{}, HTMX]))

    deregister = f"{CLUSTER}/container-instances/{instance.id}/deregister/"
    return st.one_of(
        configure("create"),
        configure("validate"),
        configure("add-tag", {"_add_tag": "1"}),
        configure("remove-tag", {"_remove_tag": "0", **two_tags}),
        configure("preview", {"_preview": "1"}),
        dialog("scale", f"{CLUSTER}/scale/", {"instance_count": "2"}, ["instance_count"]),
        dialog("delete", f"{CLUSTER}/delete/", {"confirmation": "delete"}, ["confirmation"]),
        dialog("deregister", deregister, {}, ["force"]),
        dialog("read-host", f"{CLUSTER}/container-instances/{instance.id}/host/", {}, ["next"]),
        dialog(
            "key-pair",
            "/key-pairs/new/",
            {"key_pair-name": "fuzz-key", "key_pair-key_type": "rsa"},
            ["key_pair-name", "key_pair-key_type", "name"],
        ),
    )


def test_no_random_post_answers_a_server_error(signed_in, random_posts, caplog):
    signed_in.raise_request_exception = True  # a view's exception fails with its traceback
    caplog.set_level(logging.ERROR, logger="django.request")  # thousands of expected 404s
    answers = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=DirectoryBasedExampleDatabase(django_settings.DATA_DIR / "hypothesis"),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=random_posts)
    def post(request):
        kind, url, data, headers = request
        response = signed_in.post(url, data, headers=headers)
        answers[kind, response.status_code] += 1
        assert response.status_code < 500, (kind, url, data)

    for request in KNOWN_CAUSES:
        post = example(request=request)(post)
    started = time.monotonic()
    post()  # one account and cluster serve every example
    elapsed = time.monotonic() - started
    print(f"\n{answers.total()} posts, 0 server errors, in {elapsed:.0f} s")
    for (kind, status), count in sorted(answers.items()):
        print(f"  {kind:11} {status}: {count}")
    assert {kind for kind, _ in answers} == KINDS  # every kind of post was tried

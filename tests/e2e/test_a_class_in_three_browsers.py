"""A class on one ECS Console, as issue 12's Done-when tells it: an admin adds three learners
and a trainer; the three, signed in at once in three browsers, each create demo-cluster in an AWS
account of their own and see only their own; the trainer's Class page shows their checkpoints
turning green and names what one of them got wrong (port 80 instead of 22); Reset empties one
learner's account. A real worker and the local cloud over HTTP, each account made on first sign-in
as `make run` makes them (CONSOLE_ACCOUNTS=per-user-local)."""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models.signals import post_save
from playwright.sync_api import expect

from accounts.models import AwsIdentity

from .conftest import UI_TIMEOUT_MS, open_ecs_instances_tab, save_screenshot
from .test_a_class_on_the_local_cloud import host_of, in_account
from .test_typing_the_lab import create_a_key_pair_in_the_page

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

LAUNCH_MS = 90_000
# What each learner opens to the world: Carol types the web's port where the lab says SSH's.
PORTS = {"ada": "22", "bob": "22", "carol": "80"}
SUCCEEDED = re.compile(r"\bstatus-succeeded\b")


@pytest.fixture
def class_on_one_console(settings, tmp_path):
    """What the admin does from a shell: three learners from a file, and a trainer. Their sign-ins
    as the commands print them."""
    settings.CONSOLE_ACCOUNTS = "per-user-local"
    settings.CLASS_READ_SECONDS = 1
    # Every account is given on first sign-in, as make run does, not the tests' shared one.
    post_save.disconnect(sender=get_user_model(), dispatch_uid="tests-role")
    names = tmp_path / "class.csv"
    names.write_text("name\nada\nbob\ncarol\n")
    printed = io.StringIO()
    call_command("add_learners", names, stdout=printed)
    sign_ins = csv.DictReader(io.StringIO(printed.getvalue()))
    passwords = {row["username"]: row["password"] for row in sign_ins}
    printed = io.StringIO()
    call_command("add_trainer", "tess", stdout=printed)
    passwords["tess"] = re.search(r"with password (\S+)", printed.getvalue()).group(1)
    return passwords


def sign_in(browser, live_server, username, password):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/clusters/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clusters", exact=True)).to_be_visible()
    return page


def create_demo_cluster(page, port):
    """The lab's walk through the wizard: one t2.micro, a key pair made in the page, the default
    VPC's subnets, `port` open to anywhere; then Create."""
    page.locator(".page-header").get_by_role("link", name="Create Cluster").click()
    page.locator("input[name=template][value=ec2-linux]").check()
    page.get_by_role("button", name="Next step").click()
    expect(page.locator("#id_ami_id")).to_contain_text("Amazon Linux 2 AMI [ami-")
    page.locator("#id_cluster_name").fill("demo-cluster")
    page.locator("#id_instance_type").select_option("t2.micro")
    page.get_by_role("link", name="Create a new key pair").focus()
    create_a_key_pair_in_the_page(page)
    # The lab's network: the default VPC, with every one of its subnets.
    page.locator("#id_vpc").select_option(index=1)  # after "Create a new VPC"
    subnets = page.locator("input[name=subnet_ids]")
    expect(subnets.first).to_be_visible()
    page.get_by_role("button", name="Select all").click()
    expect(page.locator("input[name=subnet_ids]:not(:checked)")).to_have_count(0)
    page.locator("#id_ingress_port").fill(port)
    page.locator("#id_ingress_port").blur()
    # SSH open to the world is warned of (and the warning shows the rules' redraw has landed);
    # the web's port, the form's default, is not.
    warning = page.locator("#security-warning")
    if port == "22":
        expect(warning).to_contain_text("over SSH")
    else:
        expect(warning).to_be_empty()
    expect(page.locator("#id_ingress_port")).to_have_value(port)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="Launch status")).to_be_visible()


def the_account_of(username):
    return AwsIdentity.objects.with_account().get(user__username=username).account


def test_three_learners_at_once_each_make_their_own_demo_cluster_the_trainer_follows_and_resets(
    class_on_one_console, browser, live_server, celery_worker, cloud
):
    passwords = class_on_one_console
    learners = {name: sign_in(browser, live_server, name, passwords[name]) for name in PORTS}
    accounts = {name: the_account_of(name) for name in learners}
    assert len(set(accounts.values())) == 3

    for name, page in learners.items():
        create_demo_cluster(page, PORTS[name])
    for page in learners.values():
        for step in ("cluster", "instance-role", "stack", "instances"):
            expect(page.locator(f"#step-{step}")).to_have_class(SUCCEEDED, timeout=LAUNCH_MS)

    # Each sees the host in their own account, and only that one.
    hosts = {name: host_of(accounts[name]) for name in learners}
    assert len({host["ec2InstanceId"] for host in hosts.values()}) == 3
    for name, page in learners.items():
        rows = open_ecs_instances_tab(page)
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(hosts[name]["ec2InstanceId"])

    trainer = sign_in(browser, live_server, "tess", passwords["tess"])
    trainer.get_by_role("link", name="Class", exact=True).click()
    for name in learners:
        row = trainer.locator(f"#learner-{name}")
        for checkpoint in (
            "Cluster exists",
            "Stack complete",
            "t2.micro",
            "Subnets in every AZ",
            "Key pair set",
            "Instance registered",
        ):
            cell = row.locator(f'[data-checkpoint="{checkpoint}"]')
            expect(cell.get_by_role("img", name="Succeeded")).to_be_visible(timeout=LAUNCH_MS)
    port_22 = '[data-checkpoint="Port 22 open"]'
    ada_port_22 = trainer.locator(f"#learner-ada {port_22}")
    expect(ada_port_22.get_by_role("img", name="Succeeded")).to_be_visible()
    expect(trainer.locator(f"#learner-carol {port_22}")).to_contain_text(
        "Port 80 is open to 0.0.0.0/0 instead of 22."
    )
    save_screenshot(trainer, "class-page-of-three-learners")

    trainer.get_by_role("link", name="Reset carol").click()
    dialog = trainer.get_by_role("dialog", name="Reset carol")
    dialog.get_by_label("Type carol to confirm").fill("carol")
    dialog.get_by_role("button", name="Reset").click()
    expect(trainer.get_by_role("status")).to_contain_text(
        "holds nothing the lab made that was theirs to remove", timeout=LAUNCH_MS
    )
    save_screenshot(trainer, "reset-of-carol")

    carols = in_account(accounts["carol"], "ecs").describe_clusters(clusters=["demo-cluster"])
    assert [c["status"] for c in carols["clusters"]] in ([], ["INACTIVE"])
    stacks = in_account(accounts["carol"], "cloudformation").describe_stacks()["Stacks"]
    assert {s["StackStatus"] for s in stacks} <= {"DELETE_COMPLETE"}
    assert in_account(accounts["carol"], "ec2").describe_key_pairs()["KeyPairs"] == []
    for name in ("ada", "bob"):
        theirs = in_account(accounts[name], "ecs").describe_clusters(clusters=["demo-cluster"])
        assert theirs["clusters"][0]["status"] == "ACTIVE", name

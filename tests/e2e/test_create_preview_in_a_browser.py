"""View what Create will do in Chromium: the lab's form answered with the AWS CLI commands and
the stack template, the form kept as typed, the page passing axe."""

import re

import pytest
from playwright.sync_api import expect

from clusters.models import Operation

from .accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]


def test_the_lab_form_shows_what_create_will_do_and_keeps_what_was_typed(
    cloud, signed_in_page, live_server, screenshot
):
    page = signed_in_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/create-cluster/ec2-linux/", timeout=60_000)
    expect(page.locator("#id_ami_id")).to_contain_text("Amazon Linux 2 AMI [ami-")
    expect(page.get_by_label("Let ECS Console read the host (SSM)")).to_be_checked()
    page.locator("#id_cluster_name").fill("demo-cluster")
    page.locator("#id_instance_type").select_option("t2.micro")
    page.locator("#id_ingress_port").fill("22")
    page.locator("#id_ingress_port").blur()
    expect(page.locator("#security-warning")).to_contain_text("over SSH")

    page.get_by_role("button", name="View what Create will do").click()

    preview = page.get_by_role("region", name="What Create will do")
    expect(preview).to_be_visible()
    expect(page).to_have_url(re.compile(r"#create-preview$"))
    commands = preview.get_by_label("AWS CLI commands")
    expect(commands).to_contain_text("aws ecs create-cluster --cluster-name demo-cluster")
    expect(commands).to_contain_text(
        "aws iam attach-role-policy --role-name ecsInstanceRole --policy-arn "
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    expect(commands).to_contain_text(
        "aws cloudformation create-stack --stack-name EC2ContainerService-demo-cluster"
    )
    expect(preview.get_by_label("CloudFormation template EC2ContainerService-demo-cluster.json")
           ).to_contain_text('"EcsInstanceLaunchTemplate"')
    expect(page.locator("#id_cluster_name")).to_have_value("demo-cluster")
    expect(page.locator("#id_ingress_port")).to_have_value("22")
    assert not Operation.objects.exists()
    screenshot("create-preview-1280")
    assert_accessible(page, "Configure: View what Create will do")

"""A learner types the lab into Configure cluster with the keyboard, Tab between fields, no pauses.

What AWS holds afterwards is what was typed. To be sure no answer from the server lands on a
field after the person has moved on, every htmx answer is held back until the keystrokes that
follow it have been typed (a slow network would do the same), and focus is checked after every
Tab.
"""

import base64
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.e2e]

LAUNCH_MS = 60_000
SUCCEEDED = re.compile(r"\bstatus-succeeded\b")


class HeldAnswers:
    """Holds each check of a field that Configure cluster sends until `release()`: answers
    arrive late, on purpose. After the release, they go through at once (htmx sends the ones it
    queued then). Creating a key pair, which the person waits for, is not held."""

    def __init__(self, page):
        self.held = []
        self.seen = 0
        self.holding = True
        page.route("**/*", self._handle)

    def _handle(self, route):
        if route.request.headers.get("hx-request") and "/create-cluster/" in route.request.url:
            self.seen += 1
            if self.holding:
                self.held.append(route)
                return
        route.continue_()

    def release(self):
        self.holding = False
        while self.held:
            self.held.pop(0).continue_()


def focused(page):
    """What has the keyboard's focus: its id, or for radios and checkboxes its name and value."""
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            if (e.type === "radio") return `${e.name}=${e.value}`;
            return e.id || e.name || e.textContent.trim() || e.tagName;
        }"""
    )


def tab_to(page, expected):
    page.keyboard.press("Tab")
    assert focused(page) == expected


def replace_text(page, text):
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)


def open_configure(page):
    page.locator(".page-header").get_by_role("link", name="Create Cluster").click()
    page.locator("input[name=template][value=ec2-linux]").check()
    page.get_by_role("button", name="Next step").click()
    expect(page.get_by_role("heading", name="Configure cluster")).to_be_visible()


def type_the_instance_configuration(page):
    page.locator("#id_cluster_name").focus()
    page.keyboard.type("demo-cluster")
    tab_to(page, "id_empty_cluster")
    tab_to(page, "provisioning_model=on-demand")
    tab_to(page, "instance-type-filter")
    tab_to(page, "id_instance_type")
    page.keyboard.type("t2.micro")  # a select takes typed letters as a search
    tab_to(page, "id_t2_unlimited")  # shown now: t2.micro is burstable
    tab_to(page, "id_instance_count")
    tab_to(page, "id_ami_id")
    tab_to(page, "id_volume_size")
    replace_text(page, "40")
    tab_to(page, "id_key_name")
    tab_to(page, "create-key-pair")
    create_a_key_pair_in_the_page(page)
    tab_to(page, "id_vpc")


def create_a_key_pair_in_the_page(page):
    page.keyboard.press("Enter")
    expect(page.locator("#id_key_pair-name")).to_be_focused()
    page.keyboard.type("lab-key")
    page.keyboard.press("Enter")
    download = page.get_by_role("link", name="Download lab-key.pem")
    expect(download).to_be_focused()  # the person waits for this, as for any page
    with page.expect_download() as started:
        page.keyboard.press("Enter")
    assert started.value.suggested_filename == "lab-key.pem"
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Create a new key pair")).to_be_focused()
    expect(page.locator("#id_key_name")).to_have_value("lab-key")


def type_the_rest_and_create(page, held):
    tab_to(page, "id_auto_assign_public_ip")
    tab_to(page, "id_security_group")
    tab_to(page, "id_ingress_cidr")
    replace_text(page, "0.0.0.0")  # as the lab writes it
    tab_to(page, "id_ingress_port")
    replace_text(page, "22")
    tab_to(page, "id_instance_role")
    tab_to(page, "id_ssm_host_access")  # left on, as the lab has nothing to say of it
    tab_to(page, "id_tags-0-key")
    page.keyboard.type("team")
    tab_to(page, "id_tags-0-value")
    page.keyboard.type("lab")
    # Every answer so far arrives now, after all of the typing it could have overwritten.
    assert held.seen > 0
    held.release()
    cidr_message = page.locator("#id_ingress_cidr_error")
    expect(cidr_message).to_have_text("AWS needs CIDR notation: type 0.0.0.0/0 to allow any address.")
    expect(page.locator("#id_ingress_cidr")).to_have_attribute("aria-invalid", "true")
    assert focused(page) == "id_tags-0-value"
    expect(page.locator("#id_ingress_port")).to_have_value("22")
    expect(page.locator("#id_volume_size")).to_have_value("40")

    # Enter creates the cluster (it does not remove tag 1); AWS refuses 0.0.0.0, so the page
    # comes back with what was typed and the summary of what needs attention in focus.
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_tags-0-key")).to_have_value("team")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the summary's link to the CIDR block
    expect(page.locator("#id_ingress_cidr")).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.type("/0")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Launch status")).to_be_visible()
    for step in ("cluster", "instance-role", "stack"):
        expect(page.locator(f"#step-{step}")).to_have_class(SUCCEEDED, timeout=LAUNCH_MS)


def assert_aws_holds_what_was_typed(cloud, subnets):
    (group,) = cloud("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert group["DesiredCapacity"] == 1
    assert sorted(group["VPCZoneIdentifier"].split(",")) == sorted(subnets())
    assert {"team": "lab"}.items() <= {t["Key"]: t["Value"] for t in group["Tags"]}.items()
    ec2 = cloud("ec2")
    data = ec2.describe_launch_template_versions(
        LaunchTemplateId=group["LaunchTemplate"]["LaunchTemplateId"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    ami = cloud("ssm").get_parameter(
        Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
    )["Parameter"]["Value"]
    assert data["ImageId"] == ami
    assert data["InstanceType"] == "t2.micro"
    assert data["KeyName"] == "lab-key"
    assert data["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 40, "VolumeType": "gp2"}}
    ]
    assert "CreditSpecification" not in data
    assert "ECS_CLUSTER=demo-cluster" in base64.b64decode(data["UserData"]).decode()
    (group_id,) = data["SecurityGroupIds"]
    (rule,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 22, 22)
    assert rule["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]


def test_the_lab_typed_without_pauses_in_a_new_vpc_makes_exactly_what_was_typed(
    signed_in_page, celery_worker, cloud
):
    page = signed_in_page
    open_configure(page)
    held = HeldAnswers(page)

    type_the_instance_configuration(page)
    tab_to(page, "id_vpc_cidr")
    tab_to(page, "id_subnet1_cidr")
    tab_to(page, "id_subnet2_cidr")
    type_the_rest_and_create(page, held)

    def stack_subnets():
        vpc = next(v for v in cloud("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"])
        found = cloud("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
        assert sorted(s["CidrBlock"] for s in found["Subnets"]) == ["10.0.0.0/24", "10.0.1.0/24"]
        return [s["SubnetId"] for s in found["Subnets"]]

    assert_aws_holds_what_was_typed(cloud, stack_subnets)


def test_the_lab_typed_without_pauses_in_the_default_vpc_with_every_subnet(
    signed_in_page, celery_worker, cloud
):
    page = signed_in_page
    ec2 = cloud("ec2")
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    default_subnets = sorted(
        (s["AvailabilityZone"], s["SubnetId"])
        for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [default_vpc["VpcId"]]}]
        )["Subnets"]
    )
    open_configure(page)
    held = HeldAnswers(page)

    type_the_instance_configuration(page)
    page.keyboard.press("ArrowDown")  # from "Create a new VPC" to the default VPC
    tab_to(page, "Select all")
    page.keyboard.press("Enter")
    for _, subnet_id in default_subnets:
        tab_to(page, f"subnet-{subnet_id}")
    type_the_rest_and_create(page, held)

    assert_aws_holds_what_was_typed(cloud, lambda: [subnet for _, subnet in default_subnets])

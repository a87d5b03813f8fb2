"""Configure cluster in Chromium: the parts that follow a choice, with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from tests.e2e.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def configure(signed_in_page, cloud, live_server):
    page = signed_in_page
    page.goto(f"{live_server.url}/create-cluster/ec2-linux/")
    expect(page.get_by_role("heading", name="Configure cluster")).to_be_visible()
    return page


def chosen_ami(page):
    return page.locator("#id_ami_id option:checked")


@pytest.mark.parametrize(
    "instance_type, ami",
    [
        ("t4g.micro", "Amazon Linux 2 (arm64) AMI"),
        ("g4dn.xlarge", "Amazon Linux 2 (GPU) AMI"),
        ("m5.large", "Amazon Linux 2 AMI"),
    ],
)
def test_the_ami_follows_the_instance_type_until_the_person_picks_one(configure, instance_type, ami):
    page = configure

    page.locator("#id_instance_type").select_option(instance_type)

    expect(chosen_ami(page)).to_contain_text(f"{ami} [ami-")
    page.locator("#id_ami_id").select_option(label=next(
        o for o in page.locator("#id_ami_id option").all_inner_texts() if o.startswith("Amazon Linux AMI")
    ))
    page.locator("#id_instance_type").select_option("t3.small")
    expect(chosen_ami(page)).to_contain_text("Amazon Linux AMI [ami-")


def test_the_storage_field_follows_the_ami_but_keeps_a_size_typed(configure):
    page = configure
    al1 = next(o for o in page.locator("#id_ami_id option").all_inner_texts() if o.startswith("Amazon Linux AMI"))
    al2 = next(o for o in page.locator("#id_ami_id option").all_inner_texts() if o.startswith("Amazon Linux 2 AMI"))

    page.locator("#id_ami_id").select_option(label=al1)
    expect(page.get_by_label("EBS storage (GiB)")).to_have_value("22")
    expect(page.locator("#id_volume_size_helptext")).to_contain_text("Amazon Linux 1 keeps Docker")
    page.locator("#id_ami_id").select_option(label=al2)
    expect(page.get_by_label("Root EBS Volume Size (GiB)")).to_have_value("30")

    page.get_by_label("Root EBS Volume Size (GiB)").fill("40")
    page.locator("#id_ami_id").select_option(label=al1)
    expect(page.get_by_label("EBS storage (GiB)")).to_have_value("40")


def test_t2_unlimited_shows_only_for_burstable_types(configure):
    page = configure
    unlimited = page.get_by_label("Enable T2 unlimited")
    expect(unlimited).to_be_hidden()

    page.locator("#id_instance_type").select_option("t3.micro")
    expect(unlimited).to_be_visible()
    page.locator("#id_instance_type").select_option("m5.large")
    expect(unlimited).to_be_hidden()


def test_spot_shows_its_choices_and_takes_several_types_and_on_demand_hides_them(configure):
    page = configure

    page.get_by_label("Spot", exact=True).check()
    expect(page.locator("#spot-warning")).to_be_visible()
    expect(page.get_by_label("Diversified")).to_be_checked()
    page.locator("#id_instance_type").select_option(["t3.micro", "t3a.micro"])
    expect(page.locator("#id_instance_type option:checked")).to_have_text(["t3.micro", "t3a.micro"])

    page.get_by_label("On-Demand Instance").check()
    expect(page.locator("#spot-warning")).to_be_hidden()
    expect(page.locator("#id_instance_type")).not_to_have_attribute("multiple", "")
    assert page.get_by_role("radio", name="On-Demand Instance").is_checked()


def test_typing_in_the_filter_narrows_the_instance_types(configure):
    page = configure

    page.get_by_label("Filter instance types").fill("t4g.")

    visible = page.locator("#id_instance_type option:not([hidden]):not([data-placeholder])")
    assert visible.count() > 0
    assert all(name.startswith("t4g.") for name in visible.all_inner_texts())
    expect(page.locator("#id_instance_type optgroup:not([hidden])")).to_have_count(1)


def test_a_vpcs_subnets_and_security_groups_show_when_it_is_chosen(configure, cloud):
    page = configure
    ec2 = cloud("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]

    page.locator("#id_vpc").select_option(vpc)

    expect(page.locator("#id_vpc_cidr")).to_be_hidden()
    boxes = page.locator(f'.subnet-group[data-when="vpc={vpc}"] input[type=checkbox]')
    expect(boxes).to_have_count(len(subnets))
    page.get_by_role("button", name="Select all").click()
    for index in range(len(subnets)):
        expect(boxes.nth(index)).to_be_checked()
    default_group = page.locator("#id_security_group option", has_text="(default)")
    page.locator("#id_security_group").select_option(default_group.get_attribute("value"))
    expect(page.locator("#inbound-rules")).to_be_hidden()

    page.locator("#id_vpc").select_option("new")
    expect(page.locator("#id_vpc_cidr")).to_be_visible()
    expect(page.locator("#id_security_group")).to_have_value("new")
    expect(page.locator("#inbound-rules")).to_be_visible()


def test_add_tag_focuses_the_new_key_and_remove_keeps_focus_in_the_rows(configure):
    page = configure
    page.locator("#id_tags-0-key").fill("team")

    page.get_by_role("button", name="Add tag").click()
    expect(page.locator("#id_tags-1-key")).to_be_focused()
    page.keyboard.type("env")
    page.get_by_role("button", name="Add tag").click()
    page.keyboard.type("owner")

    page.get_by_role("button", name="Remove tag 1").click()

    expect(page.locator("#id_tags-0-key")).to_have_value("env")
    expect(page.locator("#id_tags-1-key")).to_have_value("owner")
    expect(page.get_by_role("button", name="Remove tag 1")).to_be_focused()
    expect(page.locator("input[name=tags-TOTAL_FORMS]")).to_have_value("2")


def test_leaving_the_cidr_says_what_to_type_and_changes_nothing_else(configure):
    page = configure
    page.locator("#id_ingress_port").fill("22")

    page.locator("#id_ingress_cidr").fill("0.0.0.0")
    page.locator("#id_ingress_cidr").press("Tab")

    expect(page.locator("#id_ingress_cidr_error")).to_have_text(
        "AWS needs CIDR notation: type 0.0.0.0/0 to allow any address."
    )
    expect(page.locator("#id_ingress_port")).to_be_focused()
    expect(page.locator("#id_ingress_port")).to_have_value("22")
    expect(page.locator("#id_ingress_cidr")).to_have_value("0.0.0.0")


class TestWithoutJavaScript:
    @pytest.fixture
    def browser_context_options(self):
        return {"java_script_enabled": False}

    def test_every_part_shows_and_add_tag_and_enter_still_work(self, configure):
        page = configure
        expect(page.locator("#id_vpc_cidr")).to_be_visible()
        expect(page.locator("#spot-warning")).to_be_visible()
        page.locator("#id_cluster_name").fill("demo cluster")
        page.locator("#id_tags-0-key").fill("team")

        page.get_by_role("button", name="Add tag").click()
        expect(page.locator("#id_tags-1-key")).to_be_visible()
        expect(page.locator("#id_tags-0-key")).to_have_value("team")
        expect(page.locator("#id_cluster_name")).to_have_value("demo cluster")

        page.locator("#id_tags-0-key").press("Enter")
        expect(page.locator("#error-summary")).to_contain_text("Cluster name: Use only letters")
        expect(page.locator("#id_tags-0-key")).to_have_value("team")


def test_where_a_person_tabbed_before_the_pages_script_arrived_is_where_they_stay(configure):
    page = configure
    page.locator("#id_cluster_name").fill("demo cluster")
    scripts_on_their_way = []  # a slow network: the page's script arrives after the keystroke
    page.route("**/js/configure*.js", lambda route: scripts_on_their_way.append(route))

    page.locator("#id_cluster_name").press("Enter")  # Create, refused for the name
    expect(page.locator("#error-summary")).to_be_focused()  # the page's autofocus
    page.keyboard.press("Tab")  # onto the summary's link to the cluster name
    wait_until(lambda: scripts_on_their_way, 10, "the page asking for its script")
    for script in scripts_on_their_way:
        script.continue_()
    page.wait_for_load_state("load")  # the script has run
    page.keyboard.press("Enter")

    expect(page.locator("#id_cluster_name")).to_be_focused()

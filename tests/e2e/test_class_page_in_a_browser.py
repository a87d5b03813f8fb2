"""The Class page in Chromium, served with the local cloud: a checkpoint turns green by itself
while the trainer watches, and the page passes axe-core's WCAG 2.1 A/AA audit."""

import pytest
from playwright.sync_api import expect

from classroom.learners import make_trainer

from .accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def trainer_page(cloud, console_user, django_user_model, settings):
    settings.CLASS_READ_SECONDS = 1
    make_trainer(console_user)
    django_user_model.objects.create_user("ada-lovelace", password="x", first_name="Ada")


def test_a_checkpoint_turns_green_while_the_trainer_watches(
    cloud, trainer_page, signed_in_page, live_server
):
    signed_in_page.get_by_role("link", name="Class", exact=True).click()
    cell = signed_in_page.locator('#learner-ada-lovelace [data-checkpoint="Cluster exists"]')
    expect(cell).to_contain_text("There is no cluster demo-cluster yet.")
    assert_accessible(signed_in_page, "Class")

    cloud("ecs").create_cluster(clusterName="demo-cluster")

    expect(cell.get_by_role("img", name="Succeeded")).to_be_visible()
    assert_accessible(signed_in_page, "Class, a checkpoint reached")

"""Scale ECS Instances, Delete Cluster and Deregister: one view serves each as a dialog over the
cluster page (asked by htmx) and as a page of its own (without JavaScript)."""

import json

import boto3
import pytest

from clusters import inventory
from clusters.models import Deregistration, Operation

from .conftest import REGION

DIALOG = {"HX-Request": "true"}
INSTANCES_TAB = "/clusters/demo-cluster/ecs-instances/"


@pytest.fixture
def container_instance(lab_cluster):
    (row,) = inventory.container_instances(REGION, "demo-cluster")
    return row


@pytest.mark.parametrize(
    "url, heading",
    [
        ("/clusters/demo-cluster/scale/", "Scale ECS Instances"),
        ("/clusters/demo-cluster/delete/", "Delete cluster"),
    ],
)
def test_a_dialog_asked_by_htmx_is_the_dialog_alone_and_without_javascript_a_page(
    signed_in, lab_cluster, url, heading
):
    fragment = signed_in.get(url, headers=DIALOG).content.decode()
    page = signed_in.get(url).content.decode()

    assert fragment.lstrip().startswith('<dialog class="dialog"')
    assert f">{heading}</h1>" in fragment
    assert "<html" not in fragment
    assert f'hx-post="{url}"' in fragment
    assert "<html" in page
    assert '<dialog class="dialog dialog-page"' in page
    assert " open>" in page
    assert "hx-post" not in page  # the page's form posts as a plain form


def test_the_buttons_that_open_the_dialogs_are_links_that_htmx_follows_into_the_page(
    signed_in, container_instance
):
    cluster_page = signed_in.get(INSTANCES_TAB).content.decode()
    instance_page = signed_in.get(
        f"/clusters/demo-cluster/container-instances/{container_instance.id}/"
    ).content.decode()

    deregister = f"/clusters/demo-cluster/container-instances/{container_instance.id}/deregister/"
    for url, page in [
        ("/clusters/demo-cluster/scale/", cluster_page),
        ("/clusters/demo-cluster/delete/", cluster_page),
        (deregister, instance_page),
    ]:
        assert f'href="{url}" hx-get="{url}" hx-target="body" hx-swap="beforeend"' in page


def test_scale_errors_come_back_as_the_dialog_form_with_the_number_kept(signed_in, lab_cluster):
    response = signed_in.post(
        "/clusters/demo-cluster/scale/", {"instance_count": "1001"}, headers=DIALOG
    )

    form = response.content.decode()
    assert response.status_code == 200
    assert form.lstrip().startswith('<form method="post" action="/clusters/demo-cluster/scale/"')
    assert 'value="1001"' in form
    assert 'aria-invalid="true"' in form
    assert "Ensure this value is less than or equal to 1000." in form
    assert not Operation.objects.filter(action=Operation.Action.SCALE).exists()


def test_scaling_from_the_dialog_closes_it_and_redraws_the_ecs_instances_tab_below(
    signed_in, lab_cluster
):
    response = signed_in.post(
        "/clusters/demo-cluster/scale/", {"instance_count": "2"}, headers=DIALOG
    )

    assert json.loads(response["HX-Location"]) == {
        "path": INSTANCES_TAB,
        "target": "#cluster-body",
        "swap": "morph",
    }
    assert json.loads(response["HX-Trigger"]) == {"closeDialog": {}}
    assert Operation.objects.get(action=Operation.Action.SCALE).config == {"instance_count": 2}


def test_deleting_from_the_dialog_goes_to_the_delete_status_page(signed_in, lab_cluster):
    wrong = signed_in.post(
        "/clusters/demo-cluster/delete/", {"confirmation": "delete"}, headers=DIALOG
    )
    right = signed_in.post(
        "/clusters/demo-cluster/delete/", {"confirmation": "delete me"}, headers=DIALOG
    )

    assert wrong.content.decode().lstrip().startswith('<form method="post"')
    assert "Type delete me, exactly, to delete the cluster." in wrong.content.decode()
    operation = Operation.objects.get(action=Operation.Action.DELETE)
    assert right["HX-Redirect"] == f"/operations/{operation.pk}/"


def test_deregister_asks_to_confirm_before_anything_happens(signed_in, container_instance):
    url = f"/clusters/demo-cluster/container-instances/{container_instance.id}/deregister/"

    dialog = signed_in.get(url, headers=DIALOG).content.decode()

    assert (
        "Are you sure you want to deregister container instance "
        f"<strong>{container_instance.id}</strong> from cluster <strong>demo-cluster</strong>?"
        in dialog
    )
    assert f"Its EC2 instance {container_instance.ec2_instance_id} keeps running." in dialog
    assert ">Deregister</button>" in dialog
    assert [ci.status for ci in inventory.container_instances(REGION, "demo-cluster")] == [
        "ACTIVE"
    ]


def test_deregister_confirmed_in_the_dialog_returns_to_the_ecs_instances_tab(
    signed_in, container_instance
):
    url = f"/clusters/demo-cluster/container-instances/{container_instance.id}/deregister/"

    response = signed_in.post(url, {}, headers=DIALOG)

    assert response["HX-Redirect"] == INSTANCES_TAB
    assert inventory.container_instances(REGION, "demo-cluster") == ()
    (deregistered,) = boto3.client("ecs", region_name=REGION).describe_container_instances(
        cluster="demo-cluster", containerInstances=[container_instance.arn]
    )["containerInstances"]
    assert deregistered["status"] == "INACTIVE"
    record = Deregistration.objects.get()
    assert (record.ec2_instance_id, record.created_by.username) == (
        container_instance.ec2_instance_id,
        "learner",
    )
    tab = signed_in.get(INSTANCES_TAB).content.decode()
    assert f"Container instance {container_instance.id} deregistered." in tab


def test_an_instance_already_deregistered_offers_no_deregister(signed_in, container_instance):
    url = f"/clusters/demo-cluster/container-instances/{container_instance.id}/"
    signed_in.post(f"{url}deregister/", {})

    page = signed_in.get(url).content.decode()
    again = signed_in.get(f"{url}deregister/", follow=True).content.decode()

    assert "<dd>INACTIVE</dd>" in page
    assert f'href="{url}deregister/"' not in page
    assert f"Container instance {container_instance.id} is INACTIVE." in again
    assert Deregistration.objects.count() == 1

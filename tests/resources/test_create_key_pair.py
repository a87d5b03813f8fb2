"""Create key pair: EC2 makes the key pair, the person gets its private key once, the console
keeps nothing of it."""

import base64
import logging
import re

import pytest
from django.db import connection
from django.views.debug import ExceptionReporter

from clusters import inventory, provisioning
from clusters.aws import client
from clusters.forms import Ec2LinuxClusterForm, WizardOptions

from tests.key_pairs import ec2_public_key, public_key_of

from tests.conftest import REGION

URL = "/key-pairs/new/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def create(client, name="lab-key", key_type="rsa", **headers):
    return client.post(URL, {"key_pair-name": name, "key_pair-key_type": key_type}, **headers)


def key_in_data_url(page):
    [encoded] = re.findall(r'href="data:application/x-pem-file;base64,([A-Za-z0-9+/=]+)"', page)
    return base64.b64decode(encoded).decode()


def test_the_page_asks_for_a_name_and_a_type(signed_in, aws):
    page = signed_in.get(URL).content.decode()

    assert '<h1 class="dialog-title" id="key-pair-heading">Create key pair</h1>' in page
    assert 'name="key_pair-name"' in page
    assert 'value="rsa" id="id_key_pair-key_type_0" required checked' in page
    assert 'value="ed25519"' in page
    assert ">Create key pair</button>" in page


def test_without_javascript_the_private_key_comes_back_as_a_pem_attachment(signed_in, ec2):
    response = create(signed_in, "lab key")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response["Content-Disposition"] == 'attachment; filename="lab key.pem"'
    assert "no-store" in response["Cache-Control"]
    private_key = response.content.decode()
    assert private_key.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert public_key_of(private_key) == ec2_public_key(ec2, "lab key")
    assert "lab key" in inventory.key_pairs(REGION)


def test_with_htmx_the_dialog_shows_the_new_key_pair_and_a_link_that_carries_its_key_once(
    signed_in, ec2
):
    response = create(signed_in, "lab-key", "ed25519", **HTMX)

    page = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert 'data-key-pair-name="lab-key"' in page
    assert "Key pair lab-key created." in page
    assert 'download="lab-key.pem"' in page
    private_key = key_in_data_url(page)  # exactly one data: URL, or this fails
    assert private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    assert public_key_of(private_key) == ec2_public_key(ec2, "lab-key")
    assert private_key.splitlines()[1] not in page  # not also as text beside the link
    [pair] = ec2.describe_key_pairs(KeyNames=["lab-key"])["KeyPairs"]
    assert f"<code>{pair['KeyFingerprint']}</code>" in page
    assert "<dialog" not in page  # the content only: the dialog around it stays as it was


def test_the_wizard_takes_the_new_key_pair_as_its_key_pair(signed_in, aws, lab_data):
    create(signed_in, "lab-key", **HTMX)

    form = Ec2LinuxClusterForm({**lab_data, "key_name": "lab-key"}, options=WizardOptions(REGION))

    assert form.is_valid(), form.errors
    assert form.configuration(tags=[]).instances.key_name == "lab-key"


def test_htmx_opens_a_blank_dialog_for_the_drop_down_it_names_without_any_key(signed_in, aws):
    create(signed_in, "lab-key", **HTMX)

    page = signed_in.get(f"{URL}?for=id_key_name", **HTMX).content.decode()

    assert page.lstrip().startswith('<dialog class="dialog" id="key-pair-dialog"')
    assert 'data-console-dialog data-for="id_key_name"' in page
    assert 'name="key_pair-name"' in page and 'value="lab-key"' not in page
    assert "data:" not in page and "PRIVATE KEY" not in page
    assert "<html" not in page  # the dialog, not a whole page


@pytest.mark.parametrize("select_id", ['x" onmouseover="alert(1)', "../", "id_" + "a" * 80])
def test_a_drop_down_id_that_is_not_one_is_ignored(signed_in, aws, select_id):
    page = signed_in.get(URL, {"for": select_id}, **HTMX).content.decode()

    assert "data-for" not in page


def test_a_name_ec2_already_has_is_refused_beside_the_name_in_aws_words(signed_in, ec2):
    ec2.create_key_pair(KeyName="lab-key")

    for headers in ({}, HTMX):
        response = create(signed_in, "lab-key", **headers)

        page = response.content.decode()
        assert response["Content-Type"].startswith("text/html")
        assert (
            '<div class="field-messages" id="id_key_pair-name_error"><p class="field-error">'
            "The keypair &#x27;lab-key&#x27; already exists.</p></div>" in page
        )
        assert 'name="key_pair-name" value="lab-key"' in page
        assert "PRIVATE KEY" not in page and "data:" not in page


def test_a_refused_name_never_reaches_ec2(signed_in, aws):
    response = create(signed_in, " lab-key", **HTMX)

    assert "Remove the space at the start or end of the name." in response.content.decode()
    assert inventory.key_pairs(REGION) == []


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["attachment", "htmx"])
def test_nothing_of_the_private_key_is_kept_in_the_database_the_session_or_the_logs(
    signed_in, aws, caplog, headers
):
    caplog.set_level(logging.DEBUG)

    response = create(signed_in, "lab-key", **headers)

    page = response.content.decode()
    private_key = key_in_data_url(page) if headers else page
    body_lines = [line for line in private_key.splitlines() if "PRIVATE KEY" not in line]
    secrets = [body_lines[0], body_lines[-1], base64.b64encode(private_key.encode()).decode()[:64]]
    stored = " ".join(str(value) for value in every_value_in_the_database())
    session = " ".join(f"{key}={value}" for key, value in signed_in.session.items())
    for secret in secrets:
        assert secret not in stored
        assert secret not in session
        assert secret not in caplog.text


@pytest.mark.parametrize(
    "broken", ["resources.views.HttpResponse", "clusters.provisioning.NewKeyPair"]
)
def test_an_error_report_of_a_failure_after_the_create_never_shows_the_private_key(
    signed_in, aws, monkeypatch, broken
):
    created = []
    client("ec2", REGION).meta.events.register(
        "after-call.ec2.CreateKeyPair", lambda parsed, **kwargs: created.append(parsed)
    )

    def breaks(*args, **kwargs):
        raise RuntimeError("something broke after CreateKeyPair")

    monkeypatch.setattr(broken, breaks)

    with pytest.raises(RuntimeError) as raised:
        create(signed_in, "lab-key")

    # The console's frames with their local variables, as DEBUG's error page and error e-mails
    # show them (this test's own frames hold the key too, to compare).
    frames = ExceptionReporter(None, raised.type, raised.value, raised.tb).get_traceback_frames()
    report = repr(
        [(f["function"], f["vars"]) for f in frames if "/tests/" not in f["filename"]]
    )
    assert "create_key_pair" in report
    [answer] = created
    for line in answer["KeyMaterial"].splitlines()[1:-1]:
        assert line not in report


def every_value_in_the_database():
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                yield from row

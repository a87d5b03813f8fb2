"""Create key pair in Chromium: on its own page, in a dialog beside the wizard's Key pair
drop-down, and without JavaScript; each time the .pem is downloaded once."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.key_pairs import ec2_public_key, public_key_of

from .conftest import CONSOLE_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def download_from(page, link):
    with page.expect_download() as started:
        link.click()
    download = started.value
    return download.suggested_filename, Path(download.path()).read_text()


def test_on_its_own_page_it_creates_an_ed25519_key_pair_and_hands_over_its_pem(
    signed_in_page, live_server, cloud, screenshot
):
    page = signed_in_page
    page.goto(f"{live_server.url}/key-pairs/new/")
    expect(page.get_by_role("heading", name="Create key pair")).to_be_visible()
    # On a page of its own, Cancel leads back to the console.
    expect(page.get_by_role("link", name="Cancel")).to_have_attribute("href", "/clusters/")
    screenshot("form")

    page.get_by_role("textbox", name="Name", exact=True).fill("lab-key")
    page.get_by_label("ED25519").check()
    page.get_by_role("button", name="Create key pair").click()

    link = page.get_by_role("link", name="Download lab-key.pem")
    expect(link).to_be_focused()
    expect(page.get_by_role("status")).to_contain_text("Key pair lab-key created.")
    screenshot("created")
    file_name, private_key = download_from(page, link)
    assert file_name == "lab-key.pem"
    assert private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert public_key_of(private_key) == ec2_public_key(cloud("ec2"), "lab-key")


def test_in_a_dialog_the_new_key_pair_is_chosen_in_the_wizards_drop_down(
    signed_in_page, live_server, cloud, screenshot
):
    page = signed_in_page
    page.goto(f"{live_server.url}/create-cluster/ec2-linux/")
    key_pairs = page.locator("#id_key_name")
    expect(key_pairs).to_have_value("")
    page.evaluate("window.keyPairSelectBefore = document.getElementById('id_key_name')")
    opener = page.get_by_role("link", name="Create a new key pair")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Create key pair")
    name = dialog.get_by_role("textbox", name="Name", exact=True)
    expect(name).to_be_visible()

    name.fill("lab key")
    name.press("Enter")  # Enter in the name creates the key pair; it does not cancel

    link = dialog.get_by_role("link", name="Download lab key.pem")
    expect(link).to_be_focused()
    expect(key_pairs).to_have_value("lab key")
    expect(key_pairs.locator("option:checked")).to_have_text("lab key")
    assert page.evaluate("document.getElementById('id_key_name') === window.keyPairSelectBefore")
    screenshot("created")
    file_name, private_key = download_from(page, link)
    assert file_name == "lab key.pem"
    assert private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert public_key_of(private_key) == ec2_public_key(cloud("ec2"), "lab key")

    dialog.get_by_role("link", name="Close").click()

    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    # The private key left the page with the dialog.
    expect(page.locator("dialog")).to_have_count(0)
    assert "PRIVATE KEY" not in page.content() and "data:application" not in page.content()
    expect(key_pairs).to_have_value("lab key")


def test_a_name_ec2_already_has_is_refused_beside_the_name_and_focus_goes_there(
    signed_in_page, live_server, cloud
):
    cloud("ec2").create_key_pair(KeyName="lab-key")
    page = signed_in_page
    page.goto(f"{live_server.url}/key-pairs/new/")

    page.get_by_role("textbox", name="Name", exact=True).fill("lab-key")
    page.get_by_role("button", name="Create key pair").click()

    name = page.get_by_role("textbox", name="Name", exact=True)
    expect(page.locator("#id_key_pair-name_error")).to_have_text(
        "The keypair 'lab-key' already exists."
    )
    expect(name).to_be_focused()
    expect(name).to_have_value("lab-key")


def test_without_javascript_the_pem_downloads_as_the_forms_answer(
    browser, live_server, console_user, cloud
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/?next=/key-pairs/new/")
        page.get_by_label("User name").fill(console_user.username)
        page.get_by_label("Password").fill(CONSOLE_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Create key pair")).to_be_visible()
        page.get_by_role("textbox", name="Name", exact=True).fill("lab-key")

        file_name, private_key = download_from(
            page, page.get_by_role("button", name="Create key pair")
        )

        assert file_name == "lab-key.pem"
        assert private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
        assert public_key_of(private_key) == ec2_public_key(cloud("ec2"), "lab-key")
    finally:
        context.close()

"""Create key pair's rules, each with the message a person reads beside the name."""

import pytest

from clusters.aws import AwsError
from resources.forms import KeyPairForm


def form_for(name, key_type="rsa"):
    form = KeyPairForm({"key_pair-name": name, "key_pair-key_type": key_type})
    form.is_valid()
    return form


@pytest.mark.parametrize(
    "name", ["lab-key", "my key_2.pem", "a" * 255, "x", "!\"#$%&'()*+,./:;<=>?@[]^`{|}~"]
)
def test_it_accepts_up_to_255_printable_ascii_characters(name):
    form = form_for(name)

    assert form.errors == {}
    assert form.cleaned_data["name"] == name


def test_it_offers_rsa_first_and_ed25519():
    form = KeyPairForm()

    assert list(form.fields["key_type"].choices) == [("rsa", "RSA"), ("ed25519", "ED25519")]
    assert form["key_type"].value() == "rsa"
    assert form.fields["key_type"].help_text == (
        "ED25519 keys are not supported for Windows instances."
    )


def test_ed25519_is_accepted_and_any_other_type_refused():
    assert form_for("lab-key", "ed25519").errors == {}
    assert form_for("lab-key", "dsa").errors["key_type"] == [
        "Select a valid choice. dsa is not one of the available choices."
    ]


def test_a_name_is_required():
    assert form_for("").errors["name"] == ["Enter a name for the key pair."]


def test_a_name_longer_than_255_characters_is_refused_with_its_length():
    assert form_for("a" * 256).errors["name"] == [
        "Use at most 255 characters (this name has 256)."
    ]


@pytest.mark.parametrize("name", ["clé", "ключ", "key\tpair", "key\npair", "emoji-🔑"])
def test_a_name_outside_printable_ascii_is_refused(name):
    assert form_for(name).errors["name"] == [
        "Use ASCII letters, digits, spaces and punctuation only: no accented letters, symbols "
        "from other alphabets, tabs or line breaks."
    ]


@pytest.mark.parametrize("name", [" lab-key", "lab-key ", "   "])
def test_a_space_at_the_start_or_end_is_refused_not_dropped(name):
    form = form_for(name)

    assert form.errors["name"] == ["Remove the space at the start or end of the name."]
    assert form["name"].value() == name  # what was typed stays in the field


def test_aws_refusing_the_name_answers_beside_the_name_in_aws_words():
    form = form_for("lab-key")

    form.add_aws_error(
        AwsError("The keypair 'lab-key' already exists.", code="InvalidKeyPair.Duplicate")
    )

    assert form.errors["name"] == ["The keypair 'lab-key' already exists."]


def test_other_aws_refusals_answer_above_the_form():
    form = form_for("lab-key")

    form.add_aws_error(
        AwsError("You are not authorized to perform this operation.", code="UnauthorizedOperation")
    )

    assert form.non_field_errors() == ["You are not authorized to perform this operation."]
    assert "name" not in form.errors

"""The rules of the AWS resources a person makes or looks at from the console's pages."""

import re

from django import forms
from django.db import models

# EC2's rules for a key pair name (CreateKeyPair: "Up to 255 ASCII characters"; EC2 User
# Guide, "Create a key pair": "It can't include leading or trailing spaces").
KEY_NAME_MAX_LENGTH = 255
PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x20, 0x7F))


class KeyType(models.TextChoices):
    RSA = "rsa", "RSA"
    ED25519 = "ed25519", "ED25519"


class KeyPairForm(forms.Form):
    """Create key pair: a name and a type; the private key comes back as a .pem file."""

    # Its own prefix, so its fields keep their ids beside any form it is placed next to.
    prefix = "key_pair"
    # AWS errors that are about the name a person typed, shown beside the name.
    NAME_ERROR_CODES = {"InvalidKeyPair.Duplicate", "InvalidParameterValue"}

    name = forms.CharField(
        label="Name",
        max_length=KEY_NAME_MAX_LENGTH,
        strip=False,  # a leading or trailing space is refused, not silently dropped
        help_text="Up to 255 ASCII characters, with no space at the start or the end.",
        error_messages={
            "required": "Enter a name for the key pair.",
            "max_length": "Use at most %(limit_value)d characters (this name has %(show_value)d).",
        },
    )
    key_type = forms.ChoiceField(
        label="Key pair type",
        choices=KeyType.choices,
        initial=KeyType.RSA,
        widget=forms.RadioSelect,
        help_text="ED25519 keys are not supported for Windows instances.",
    )

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not set(name) <= PRINTABLE_ASCII:
            raise forms.ValidationError(
                "Use ASCII letters, digits, spaces and punctuation only: no accented letters, "
                "symbols from other alphabets, tabs or line breaks."
            )
        if name != name.strip():
            raise forms.ValidationError("Remove the space at the start or end of the name.")
        return name

    def add_aws_error(self, error):
        """Show AWS's refusal beside the field it is about, in AWS's own words."""
        self.add_error("name" if error.code in self.NAME_ERROR_CODES else None, str(error))


class ResourceKind(models.TextChoices):
    """The AWS resources a cluster is made of that have a page here, by how AWS spells their ids."""

    EC2_INSTANCE = "ec2-instance", "EC2 instance"
    AUTO_SCALING_GROUP = "auto-scaling-group", "Auto Scaling group"
    LAUNCH_TEMPLATE = "launch-template", "Launch template"
    SECURITY_GROUP = "security-group", "Security group"
    IAM_ROLE = "iam-role", "IAM role"
    STACK = "stack", "CloudFormation stack"


# \A and \Z, not ^ and $: "$" also matches before a final line break. Each is the form AWS
# documents for the id or name (EC2 ids are 8 or 17 hex digits after their prefix; an Auto
# Scaling group's name is 1-255 characters without a colon; IAM role names are 1-64 of
# [\w+=,.@-]; a stack name starts with a letter and has letters, digits and hyphens, up to 128).
RESOURCE_ID_PATTERNS = {
    ResourceKind.EC2_INSTANCE: re.compile(r"\Ai-(?:[0-9a-f]{8}|[0-9a-f]{17})\Z"),
    ResourceKind.AUTO_SCALING_GROUP: re.compile(r"\A[^:\x00-\x1f/]{1,255}\Z"),
    ResourceKind.LAUNCH_TEMPLATE: re.compile(r"\Alt-(?:[0-9a-f]{8}|[0-9a-f]{17})\Z"),
    ResourceKind.SECURITY_GROUP: re.compile(r"\Asg-(?:[0-9a-f]{8}|[0-9a-f]{17})\Z"),
    ResourceKind.IAM_ROLE: re.compile(r"\A[\w+=,.@-]{1,64}\Z", re.ASCII),
    ResourceKind.STACK: re.compile(r"\A[A-Za-z][A-Za-z0-9-]{0,127}\Z"),
}


def is_resource_id(kind, value):
    """Whether a value taken from an address could name that kind of resource, before AWS is
    asked."""
    return RESOURCE_ID_PATTERNS[kind].match(value) is not None

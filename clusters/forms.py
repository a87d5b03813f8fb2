"""The wizard's forms: every rule of the Create Cluster console, each in one method.

Configure cluster draws every part of the page that depends on a choice up front (the Spot
options, a new VPC's blocks, each VPC's subnets and security groups, the inbound rules) and the
browser shows or hides them; nothing the person may be typing in is ever redrawn. So the forms
judge only the fields in use for the choices made, and ignore the rest as the page hides them.
"""

import functools
import ipaddress
import re
import unicodedata
from dataclasses import dataclass

from django import forms
from django.core.validators import RegexValidator
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

from . import inventory
from .aws import AwsError, side_by_side
from .configuration import (
    CONSOLE_TAG_PREFIX,
    MADE_BY_CONSOLE,
    AmiFamily,
    ClusterConfiguration,
    IngressRule,
    Instances,
    Network,
    NewVpc,
    ProvisioningModel,
    PublicIp,
    Spot,
    SpotAllocationStrategy,
    Tag,
)
from .models import Template

NEW = "new"
CREATE_ROLE = "create"
# ECS and CloudFormation take 50 tags a resource; ECS Console's own (MADE_BY_CONSOLE) is one.
MAX_TAGS = 49
MAX_VOLUME_GIB = 16384
RISKY_PORTS = {22: "SSH", 3389: "RDP"}
# The most instance types an Auto Scaling group's mixed instances policy may override.
MAX_SPOT_INSTANCE_TYPES = 40
FARGATE_CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# The longest CIDR block or port range worth reading: anything longer is refused unparsed.
MAX_CIDR_LENGTH = len("255.255.255.255/32")
MAX_PORT_RANGE_LENGTH = len("65535 - 65535")
# The longest text a number field reads: longer than any number the console takes (16384 GiB,
# a price of 0.00001 dollars), far shorter than text that costs time to parse.
MAX_NUMBER_LENGTH = 20


class ShortNumberMixin:
    """A number field that refuses, unparsed, text longer than any number it takes."""

    def to_python(self, value):
        if isinstance(value, str) and len(value.strip()) > MAX_NUMBER_LENGTH:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class WholeNumberField(ShortNumberMixin, forms.IntegerField):
    pass


class PriceField(ShortNumberMixin, forms.DecimalField):
    pass


class TemplateChoiceForm(forms.Form):
    template = forms.ChoiceField(
        choices=Template.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a cluster template to continue."},
    )


CLUSTER_NAME_MAX_LENGTH = 255
# \A and \Z, not ^ and $: "$" also matches before a final line break.
cluster_name_validator = RegexValidator(
    r"\A[A-Za-z0-9_-]+\Z",
    "Use only letters (uppercase and lowercase), numbers, hyphens and underscores.",
)
# A container instance id as ECS writes it: 32 hex digits, or a UUID before long ARNs (2018-2021).
CONTAINER_INSTANCE_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")


def is_cluster_name(value):
    """Whether a name taken from an address could be an ECS cluster's, before ECS is asked."""
    return len(value) <= CLUSTER_NAME_MAX_LENGTH and bool(cluster_name_validator.regex.match(value))


def is_container_instance_id(value):
    return CONTAINER_INSTANCE_ID.fullmatch(value) is not None


def parse_cidr(value, label):
    """A CIDR block as AWS takes it: an address, a slash and a prefix, with no host bits set."""
    value = (value or "").strip()
    if len(value) > MAX_CIDR_LENGTH:
        raise forms.ValidationError(f"That is not a {label}: it is too long to be one.")
    if "/" not in value:
        raise forms.ValidationError(_missing_prefix_message(value, label))
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise forms.ValidationError(f"{value} is not a valid CIDR block.") from None
    if network.version != 4:
        raise forms.ValidationError(f"{value} is not an IPv4 CIDR block.")
    if str(network) != value:
        raise forms.ValidationError(
            f"{value} has host bits set; the block it names is {network}."
        )
    return network


def _missing_prefix_message(value, label):
    """What to type when a CIDR block came without its /prefix, as the lab writes 0.0.0.0."""
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return f"Enter the {label} in CIDR notation, such as 10.0.0.0/16 or 0.0.0.0/0."
    if address == ipaddress.IPv4Address("0.0.0.0"):
        return "AWS needs CIDR notation: type 0.0.0.0/0 to allow any address."
    return (
        f"AWS needs CIDR notation: type {value}/32 for this address alone, or 0.0.0.0/0 to "
        "allow any address."
    )


def parse_port_range(value):
    """One port ("80") or a range ("8000-8080"), each from 0 to 65535."""
    value = value or ""
    match = len(value) <= MAX_PORT_RANGE_LENGTH and re.fullmatch(
        r"\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?", value
    )
    if not match:
        raise forms.ValidationError("Enter one port (80) or a range (8000-8080).")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not (0 <= low <= 65535 and 0 <= high <= 65535):
        raise forms.ValidationError("Ports go from 0 to 65535.")
    if low > high:
        raise forms.ValidationError(f"The range starts after it ends ({low} > {high}).")
    return low, high


# ECS's Tag pattern, ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ for keys and values alike (ECS API
# Reference, "Tag"): letters, separators (spaces) and numbers of any script, and these marks.
TAG_MARKS = frozenset("_.:/=+-@")


def _check_tag_characters(text, part):
    refused = dict.fromkeys(
        character
        for character in text
        if character not in TAG_MARKS and unicodedata.category(character)[0] not in "LZN"
    )
    if refused:
        shown = " ".join(repr(character)[1:-1] for character in refused)
        raise forms.ValidationError(
            f"ECS does not take {shown} in a tag {part}: use letters, numbers, spaces and "
            "_ . : / = + - @ only."
        )


class TagForm(forms.Form):
    key = forms.CharField(max_length=128, required=False, label="Key")
    value = forms.CharField(max_length=256, required=False, label="Value")

    def __init__(self, *args, stack_tags=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Whether a CloudFormation stack carries the tags too: its tags need a value.
        self.stack_tags = stack_tags

    def clean_key(self):
        key = self.cleaned_data["key"]
        if key.lower().startswith("aws:"):
            raise forms.ValidationError("Tag keys may not start with aws:, which AWS keeps for itself.")
        if key.lower().startswith(CONSOLE_TAG_PREFIX):
            raise forms.ValidationError(
                f"Tag keys may not start with {CONSOLE_TAG_PREFIX}, which ECS Console keeps for "
                "the tag that marks what it made."
            )
        _check_tag_characters(key, "key")
        return key

    def clean_value(self):
        value = self.cleaned_data["value"]
        _check_tag_characters(value, "value")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("value") and not cleaned.get("key") and "key" not in self.errors:
            self.add_error("key", "A tag with a value needs a key.")
        if self.stack_tags and cleaned.get("key") and not cleaned.get("value"):
            if "value" not in self.errors:
                # CloudFormation API Reference, "Tag": Value, length 1 to 256, required. ECS
                # and Auto Scaling take an empty value; the stack's CreateStack does not.
                self.add_error(
                    "value",
                    "Enter a value: this cluster's CloudFormation stack carries its tags, and "
                    "CloudFormation takes a tag only with a value (1 to 256 characters).",
                )
        return cleaned


class BaseTagFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        keys = [form.cleaned_data.get("key") for form in self.forms if form.cleaned_data.get("key")]
        if len(keys) > MAX_TAGS:
            raise forms.ValidationError(
                f"A cluster can have at most {MAX_TAGS} tags of yours (ECS Console adds its "
                f"own, {MADE_BY_CONSOLE.key}); remove {len(keys) - MAX_TAGS}."
            )
        seen = set()
        for form in self.forms:
            key = form.cleaned_data.get("key")
            if key and key in seen:
                form.add_error("key", f"The key {key} is used twice; keys must be unique.")
            seen.add(key)

    @property
    def tags(self):
        return tuple(
            Tag(form.cleaned_data["key"], form.cleaned_data.get("value", ""))
            for form in self.forms
            if form.cleaned_data.get("key")
        )

    @classmethod
    def rows_from(cls, data, add=False, remove=None):
        """The rows a person has typed, as initial values, with one row added or removed: how
        Add tag and Remove work without JavaScript."""
        total = TagFormSet(data, prefix="tags").total_form_count()
        rows = [
            {"key": data.get(f"tags-{index}-key", ""), "value": data.get(f"tags-{index}-value", "")}
            for index in range(total)
        ]
        # The Remove buttons send a row number; anything else (other digits, thousands of
        # them) names no row and removes nothing.
        if remove is not None and re.fullmatch(r"[0-9]{1,3}", remove) and int(remove) < len(rows):
            rows.pop(int(remove))
        if add:
            rows.append({"key": "", "value": ""})
        return rows


# The 50-tag rule is the console's, in its own words (BaseTagFormSet.clean); max_num and
# absolute_max only bound how many rows a post may make the server build, well above 50.
TagFormSet = forms.formset_factory(
    TagForm, formset=BaseTagFormSet, extra=1, max_num=MAX_TAGS * 4, absolute_max=MAX_TAGS * 4
)


# Where each EC2 template's AMIs come from; Networking only has no instances to look up.
AMI_LOOKUPS = {
    Template.EC2_LINUX: inventory.ecs_optimized_amis,
    Template.EC2_WINDOWS: inventory.windows_ecs_amis,
}


@dataclass(frozen=True)
class OptionReading:
    value: object
    error: str = ""  # AWS's reason, when it could not be read


def _option(lookup, argument, empty):
    """lookup(argument), or `empty` with AWS's reason: the page offers what it could read."""
    try:
        return OptionReading(lookup(argument) or empty)
    except AwsError as error:
        return OptionReading(empty, str(error))


@dataclass(frozen=True)
class VpcNetwork:
    vpc: inventory.Vpc
    subnets: list
    security_groups: list


class WizardOptions:
    """What Configure cluster offers, read from the region's AWS account in one place: every
    VPC's subnets and security groups at once, so choosing a VPC needs no further request.

    `as_shown`: the account's lists as the page last showed them (`inventory.as_shown`), for
    what the page sends back: a field's check, Create."""

    def __init__(self, region, template=Template.EC2_LINUX, as_shown=False):
        self.region = region
        self.errors = []
        self.instance_types, self.amis, self.key_pairs, self.vpcs, self.roles = {}, [], [], [], []
        self.subnets, self.security_groups = [], []
        if template not in AMI_LOOKUPS:
            return
        of_the_account = functools.partial(inventory.as_shown, region, again=not as_shown)
        # Side by side, as the console's page asks for them from the browser: the page waits
        # for the slowest read, not for the sum of them.
        readings = side_by_side(
            functools.partial(_option, inventory.instance_type_catalogue, region, {}),
            functools.partial(_option, AMI_LOOKUPS[template], region, []),
            functools.partial(_option, of_the_account, inventory.key_pairs, []),
            functools.partial(_option, of_the_account, inventory.vpcs, []),
            functools.partial(_option, of_the_account, inventory.subnets, []),
            functools.partial(_option, of_the_account, inventory.security_groups, []),
            functools.partial(_option, of_the_account, inventory.instance_roles, []),
        )
        self.errors = [reading.error for reading in readings if reading.error]
        (
            self.instance_types, self.amis, self.key_pairs, self.vpcs, self.subnets,
            self.security_groups, self.roles,
        ) = (reading.value for reading in readings)

    @property
    def default_vpc(self):
        return next((vpc for vpc in self.vpcs if vpc.is_default), None)

    def ami(self, image_id):
        return next((ami for ami in self.amis if ami.image_id == image_id), None)

    def subnets_of(self, vpc_id):
        return [subnet for subnet in self.subnets if subnet.vpc_id == vpc_id]

    def security_group(self, group_id):
        return next((g for g in self.security_groups if g.group_id == group_id), None)

    @property
    def vpc_networks(self):
        """Each VPC with its subnets and security groups: the page shows the chosen one's."""
        return [
            VpcNetwork(
                vpc,
                self.subnets_of(vpc.vpc_id),
                [group for group in self.security_groups if group.vpc_id == vpc.vpc_id],
            )
            for vpc in self.vpcs
        ]

    def instance_type_groups(self):
        """The drop-down's groups: the console's common types, then every other type by family,
        current generation first (the catalogue's own order)."""
        common = [
            self.instance_types[name]
            for name in inventory.COMMON_INSTANCE_TYPES
            if name in self.instance_types
        ]
        groups = [("Commonly used", common)] if common else []
        families = {}
        for kind in self.instance_types.values():
            if kind not in common:  # each type is listed once, so a choice is made once
                families.setdefault(kind.family, []).append(kind)
        for family, kinds in families.items():
            generation = "" if kinds[0].current_generation else " (previous generation)"
            groups.append((f"{family}{generation}", kinds))
        return groups


class OneOrMoreSelect(forms.SelectMultiple):
    """A select of one value (On-Demand) or several (Spot): a lone value is a list of one."""

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        return [value] if isinstance(value, str) else value


class ClusterForm(forms.Form):
    """Configure cluster's fields shared by every template: the name, a new VPC's CIDR blocks
    and Container Insights. Tags are a formset beside the form."""

    marked_required = set()
    # Whether the template has the Instance configuration, Networking and IAM role sections.
    offers_instances = False
    new_vpc_fields = ("vpc_cidr", "subnet1_cidr", "subnet2_cidr")

    cluster_name = forms.CharField(
        label="Cluster name",
        max_length=CLUSTER_NAME_MAX_LENGTH,
        validators=[cluster_name_validator],
        help_text="Up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores "
        "are allowed.",
    )
    vpc_cidr = forms.CharField(label="CIDR block", required=False, initial="10.0.0.0/16")
    subnet1_cidr = forms.CharField(label="Subnet 1", required=False, initial="10.0.0.0/24")
    subnet2_cidr = forms.CharField(label="Subnet 2", required=False, initial="10.0.1.0/24")
    container_insights = forms.BooleanField(label="Enable Container Insights", required=False)

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options

    @classmethod
    def initial_from(cls, data):
        """What a person has typed so far, as initial values: the page drawn again around an
        added or removed tag (without JavaScript), judging nothing yet."""
        return {
            name: field.widget.value_from_datadict(data, None, name)
            for name, field in cls.base_fields.items()
            if name in data or isinstance(field, forms.BooleanField)
        }

    @property
    def wants_new_vpc(self):
        """Whether the person asked for a new VPC; each template asks in its own way."""
        return False

    @property
    def makes_stack(self):
        """Whether the choices made need a CloudFormation stack (as the configuration's
        `makes_stack` will say): without instances, only a new VPC does."""
        return self.wants_new_vpc

    def field_in_use(self, name):
        """Whether a field applies to the choices made: the page hides those that do not, and
        the form neither judges nor keeps them."""
        if name in self.new_vpc_fields:
            return self.wants_new_vpc
        return True

    def clean_cluster_name(self):
        name = self.cleaned_data["cluster_name"]
        try:
            existing = inventory.active_cluster(self.options.region, name)
        except AwsError as error:
            raise forms.ValidationError(f"Could not check the name with ECS: {error}") from error
        if existing:
            raise forms.ValidationError(
                f"A cluster named {name} already exists in {self.options.region}. "
                "Choose another name."
            )
        return name

    def clean_vpc_cidr(self):
        return self._clean_cidr("vpc_cidr", "VPC CIDR block", prefixes=(16, 28))

    def clean_subnet1_cidr(self):
        return self._clean_cidr("subnet1_cidr", "subnet CIDR block", prefixes=(16, 28))

    def clean_subnet2_cidr(self):
        return self._clean_cidr("subnet2_cidr", "subnet CIDR block", prefixes=(16, 28))

    def _clean_cidr(self, field, label, prefixes):
        value = self.cleaned_data[field]
        if not value:
            raise forms.ValidationError(f"Enter a {label}.")
        network = parse_cidr(value, label)
        shortest, longest = prefixes
        if not shortest <= network.prefixlen <= longest:
            raise forms.ValidationError(
                f"A {label} must be between /{shortest} and /{longest}; {value} is "
                f"/{network.prefixlen}."
            )
        return str(network)

    def clean(self):
        cleaned = super().clean()
        if self.wants_new_vpc:
            self._check_new_vpc(cleaned)
        self._forget_fields_not_in_use()
        return cleaned

    def _forget_fields_not_in_use(self):
        for name in list(self.errors):
            if name in self.fields and not self.field_in_use(name):
                del self.errors[name]

    def _check_new_vpc(self, cleaned):
        vpc, first, second = (cleaned.get(f) for f in self.new_vpc_fields)
        if not vpc:
            return
        vpc_net = ipaddress.ip_network(vpc)
        for field, subnet in (("subnet1_cidr", first), ("subnet2_cidr", second)):
            if subnet and not ipaddress.ip_network(subnet).subnet_of(vpc_net):
                self.add_error(field, f"{subnet} is not inside the VPC's CIDR block {vpc}.")
        if (
            first
            and second
            and "subnet1_cidr" not in self.errors
            and "subnet2_cidr" not in self.errors
            and ipaddress.ip_network(first).overlaps(ipaddress.ip_network(second))
        ):
            self.add_error("subnet2_cidr", f"{second} overlaps Subnet 1 ({first}).")

    def _new_vpc(self):
        data = self.cleaned_data
        return NewVpc(data["vpc_cidr"], data["subnet1_cidr"], data["subnet2_cidr"])

    def configuration(self, tags):
        """The cluster's configuration, as the stack, the steps and the status page read it."""
        return ClusterConfiguration(
            tags=tuple(tags), container_insights=self.cleaned_data["container_insights"]
        )


class NetworkingOnlyClusterForm(ClusterForm):
    """Configure cluster, for the Networking only template (AWS Fargate)."""

    template = Template.NETWORKING_ONLY

    create_vpc = forms.BooleanField(label="Create a new VPC for this cluster", required=False)

    @property
    def wants_new_vpc(self):
        return bool(self["create_vpc"].value())

    def configuration(self, tags):
        return ClusterConfiguration(
            tags=tuple(tags),
            container_insights=self.cleaned_data["container_insights"],
            capacity_providers=FARGATE_CAPACITY_PROVIDERS,
            network=Network(new_vpc=self._new_vpc()) if self.wants_new_vpc else None,
        )


class Ec2ClusterForm(ClusterForm):
    """Configure cluster for the EC2 templates: instances, networking and their IAM role.
    Subclasses name their AMIs' labels and defaults."""

    offers_instances = True
    # Required whenever the instances they describe are wanted (not for an empty cluster).
    marked_required = {"instance_type", "instance_count", "ami_id", "volume_size", "subnet_ids"}
    spot_fields = ("spot_allocation_strategy", "spot_max_price")
    ingress_fields = ("ingress_cidr", "ingress_port")
    # What an empty cluster keeps: everything else describes instances.
    cluster_fields = ("cluster_name", "empty_cluster", "container_insights")
    key_pair_none = "None - unable to SSH"
    default_family = AmiFamily.AMAZON_LINUX_2

    empty_cluster = forms.BooleanField(label="Create an empty cluster", required=False)
    provisioning_model = forms.ChoiceField(
        label="Provisioning Model",
        choices=ProvisioningModel.choices,
        initial=ProvisioningModel.ON_DEMAND,
        widget=forms.RadioSelect,
    )
    spot_allocation_strategy = forms.ChoiceField(
        label="Spot Instance allocation strategy",
        choices=SpotAllocationStrategy.choices,
        initial=SpotAllocationStrategy.DIVERSIFIED,
        required=False,
        widget=forms.RadioSelect,
    )
    spot_max_price = PriceField(
        label="Maximum bid price (per instance/hour)",
        required=False,
        max_digits=10,
        decimal_places=5,
        help_text="In US dollars. Leave empty to pay the Spot price, capped at the On-Demand "
        "price.",
    )
    instance_type = forms.MultipleChoiceField(
        label="EC2 instance type", required=False, widget=OneOrMoreSelect
    )
    t2_unlimited = forms.BooleanField(
        label="Enable T2 unlimited",
        required=False,
        help_text="Burstable instances may then run above their baseline for as long as they "
        "need, at extra cost.",
    )
    instance_count = WholeNumberField(
        label="Number of instances", min_value=0, max_value=1000, initial=1, required=False
    )
    ami_id = forms.ChoiceField(label="EC2 AMI ID", required=False)
    volume_size = WholeNumberField(
        label=AmiFamily.AMAZON_LINUX_2.volume_label, required=False, min_value=1
    )
    key_name = forms.ChoiceField(
        label="Key pair",
        required=False,
        help_text="You will not be able to SSH into your EC2 instances without a key pair.",
    )
    vpc = forms.ChoiceField(label="VPC", required=False, initial=NEW)
    subnet_ids = forms.MultipleChoiceField(label="Subnets", required=False)
    auto_assign_public_ip = forms.ChoiceField(
        label="Auto assign public IP",
        choices=PublicIp.choices,
        initial=PublicIp.SUBNET,
    )
    security_group = forms.ChoiceField(label="Security group", required=False, initial=NEW)
    ingress_cidr = forms.CharField(label="CIDR block", required=False, initial="0.0.0.0/0")
    ingress_port = forms.CharField(label="Port range", required=False, initial="80")
    instance_role = forms.ChoiceField(label="Container instance IAM role", required=False)
    ssm_host_access = forms.BooleanField(
        label="Let ECS Console read the host (SSM)",
        required=False,
        initial=True,
        help_text="Attaches AmazonSSMManagedInstanceCore to the role, so ECS Console can run "
        "the lab's cat /etc/ecs/ecs.config and docker ps on the host through AWS Systems "
        "Manager, without SSH or a key pair; without it Systems Manager refuses the host. On an "
        "existing role this changes a role the whole account shares, and Delete Cluster leaves "
        "the policy attached.",
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, options=options, **kwargs)
        fields = self.fields
        # "" is the drop-down's "Select an instance type": no type.
        fields["instance_type"].choices = [("", "")] + [(n, n) for n in options.instance_types]
        fields["ami_id"].choices = [(ami.image_id, ami.display) for ami in options.amis]
        if options.amis:
            fields["ami_id"].initial = options.amis[0].image_id
        family = self.selected_ami.family if self.selected_ami else self.default_family
        fields["volume_size"].initial = family.default_volume_gib
        fields["volume_size"].label = family.volume_label
        fields["volume_size"].help_text = family.volume_help
        if str(self["volume_size"].value()) != str(family.default_volume_gib):
            # A size the person typed is theirs: a change of AMI no longer resets it.
            fields["volume_size"].widget.attrs["data-chosen"] = ""
        fields["key_name"].choices = [("", self.key_pair_none)] + [
            (name, name) for name in options.key_pairs
        ]
        fields["vpc"].choices = [(NEW, "Create a new VPC")] + [
            (vpc.vpc_id, vpc.display) for vpc in options.vpcs
        ]
        fields["subnet_ids"].choices = [(s.subnet_id, s.display) for s in options.subnets]
        fields["security_group"].choices = [(NEW, "Create a new security group")] + [
            (group.group_id, group.display) for group in options.security_groups
        ]
        roles = list(options.roles)
        fields["instance_role"].choices = [(CREATE_ROLE, "Create new role")] + [
            (role, role) for role in roles
        ]
        fields["instance_role"].initial = (
            inventory.INSTANCE_ROLE_NAME if inventory.INSTANCE_ROLE_NAME in roles else CREATE_ROLE
        )

    # What the person has chosen so far, from what was posted or the initial values: the page
    # draws its first view from these, and the form judges only the fields they bring into use.
    @property
    def wants_instances(self):
        return not self["empty_cluster"].value()

    @property
    def makes_stack(self):
        return self.wants_instances

    @property
    def wants_spot(self):
        return self["provisioning_model"].value() == ProvisioningModel.SPOT

    @property
    def chosen_instance_types(self):
        return list(dict.fromkeys(name for name in self["instance_type"].value() or [] if name))

    @property
    def wants_new_vpc(self):
        return (self["vpc"].value() or NEW) == NEW

    @property
    def wants_new_security_group(self):
        return (self["security_group"].value() or NEW) == NEW

    @property
    def offers_t2_unlimited(self):
        """T2 unlimited applies when every chosen type is burstable (T2, T3, T3a, T4g)."""
        kinds = [self.options.instance_types.get(name) for name in self.chosen_instance_types]
        return bool(kinds) and all(kind and kind.burstable for kind in kinds)

    @property
    def selected_ami(self):
        return self.options.ami(self["ami_id"].value())

    @property
    def chosen_vpc(self):
        return "" if self.wants_new_vpc else self["vpc"].value()

    @property
    def security_warning(self):
        """The console's warning for SSH or RDP open to the world; it never blocks Create."""
        cidr = (self["ingress_cidr"].value() or "").strip()
        try:
            low, high = parse_port_range(self["ingress_port"].value())
        except forms.ValidationError:
            return ""
        if cidr != "0.0.0.0/0" or not self.wants_new_security_group:
            return ""
        opened = [name for port, name in RISKY_PORTS.items() if low <= port <= high]
        if not opened:
            return ""
        return (
            f"Rules with source of 0.0.0.0/0 allow all IP addresses to access your instances "
            f"over {' and '.join(opened)}. We recommend setting security group rules to allow "
            f"access from known IP addresses only."
        )

    def field_in_use(self, name):
        if name in self.cluster_fields:
            return True
        if not self.wants_instances:
            return False
        if name in self.spot_fields:
            return self.wants_spot
        if name == "t2_unlimited":
            return self.offers_t2_unlimited
        if name == "subnet_ids":
            return not self.wants_new_vpc
        if name in self.ingress_fields:
            return self.wants_new_security_group
        return super().field_in_use(name)

    def clean_instance_type(self):
        return [name for name in dict.fromkeys(self.cleaned_data["instance_type"]) if name]

    def clean_spot_max_price(self):
        price = self.cleaned_data["spot_max_price"]
        if price is not None and price <= 0:
            raise forms.ValidationError("A maximum price is more than $0 an hour.")
        return price

    def clean_ingress_cidr(self):
        return self._clean_cidr("ingress_cidr", "CIDR block", prefixes=(0, 32))

    def clean_ingress_port(self):
        return parse_port_range(self.cleaned_data["ingress_port"])

    def clean_volume_size(self):
        size = self.cleaned_data["volume_size"]
        if size is not None and size > MAX_VOLUME_GIB:
            raise forms.ValidationError(f"An EBS volume can be at most {MAX_VOLUME_GIB} GiB.")
        return size

    def clean(self):
        cleaned = super().clean()
        if self.wants_instances:
            self._require_instance_fields(cleaned)
            self._check_instance_types(cleaned)
            self._check_ami_fits_the_instance_types(cleaned)
            self._check_existing_vpc(cleaned)
            self._check_volume(cleaned)
        return cleaned

    def _require_instance_fields(self, cleaned):
        required = {
            "instance_type": "Select an EC2 instance type.",
            "ami_id": "Select an ECS-optimized AMI.",
            "instance_count": "Enter the number of instances (0 to 1000).",
            "volume_size": "Enter a volume size in GiB.",
        }
        for field, message in required.items():
            if field not in self.errors and cleaned.get(field) in (None, "", []):
                self.add_error(field, message)

    def _check_instance_types(self, cleaned):
        chosen = cleaned.get("instance_type") or []
        if cleaned.get("provisioning_model") == ProvisioningModel.ON_DEMAND and len(chosen) > 1:
            self.add_error(
                "instance_type",
                "On-Demand instances are all of one type. Choose one, or choose Spot to mix "
                "several.",
            )
        elif len(chosen) > MAX_SPOT_INSTANCE_TYPES:
            self.add_error(
                "instance_type",
                f"An Auto Scaling group mixes at most {MAX_SPOT_INSTANCE_TYPES} instance types.",
            )

    def _check_ami_fits_the_instance_types(self, cleaned):
        ami = self.options.ami(cleaned.get("ami_id"))
        chosen = cleaned.get("instance_type")
        if ami is None or not chosen or "instance_type" in self.errors:
            return
        kinds = [self.options.instance_types[name] for name in chosen]
        misfits = [kind.name for kind in kinds if ami.architecture not in kind.architectures]
        if misfits:
            self.add_error(
                "ami_id",
                f"{ami.label} runs on {ami.architecture} processors; "
                f"{', '.join(misfits)} {'has' if len(misfits) == 1 else 'have'} none. "
                "Choose an AMI for the instance type's architecture.",
            )

    def _check_existing_vpc(self, cleaned):
        if self.wants_new_vpc or "vpc" in self.errors:
            return
        vpc_id = cleaned.get("vpc")
        # Ticks under another VPC stay in the page for when the person goes back to it; only
        # the chosen VPC's subnets are taken.
        cleaned["subnet_ids"] = [
            subnet.subnet_id
            for subnet in self.options.subnets_of(vpc_id)
            if subnet.subnet_id in (cleaned.get("subnet_ids") or [])
        ]
        if not cleaned["subnet_ids"] and "subnet_ids" not in self.errors:
            self.add_error("subnet_ids", "Select at least one subnet of the VPC.")
        group = self.options.security_group(cleaned.get("security_group"))
        if group and group.vpc_id != vpc_id:
            self.add_error(
                "security_group",
                f"{group.group_id} belongs to {group.vpc_id or 'no VPC'}, not to {vpc_id}. "
                "Choose one of the VPC's security groups, or a new one.",
            )

    def _check_volume(self, cleaned):
        ami = self.options.ami(cleaned.get("ami_id"))
        size = cleaned.get("volume_size")
        if ami is None or size is None or "volume_size" in self.errors:
            return
        minimum = ami.family.min_volume_gib
        if size < minimum:
            self.add_error(
                "volume_size",
                f"{ami.label} needs at least {minimum} GiB, the size of its snapshot.",
            )

    def configuration(self, tags):
        data = self.cleaned_data
        if not self.wants_instances:
            return ClusterConfiguration(
                tags=tuple(tags), container_insights=data["container_insights"]
            )
        ami = self.options.ami(data["ami_id"])
        spot = None
        if self.wants_spot:
            price = data["spot_max_price"]
            spot = Spot(
                allocation_strategy=SpotAllocationStrategy(
                    data["spot_allocation_strategy"] or SpotAllocationStrategy.DIVERSIFIED
                ),
                max_price="" if price is None else format(price.normalize(), "f"),
            )
        instances = Instances(
            instance_types=tuple(data["instance_type"]),
            count=data["instance_count"],
            ami_id=ami.image_id,
            ami_family=ami.family,
            ami_display=ami.display,
            volume_size=data["volume_size"],
            instance_role=(
                inventory.INSTANCE_ROLE_NAME
                if data["instance_role"] in ("", CREATE_ROLE)
                else data["instance_role"]
            ),
            key_name=data["key_name"],
            t2_unlimited=self.offers_t2_unlimited and data["t2_unlimited"],
            spot=spot,
            ssm_host_access=data["ssm_host_access"],
        )
        ingress = None
        if self.wants_new_security_group:
            from_port, to_port = data["ingress_port"]
            ingress = IngressRule(data["ingress_cidr"], from_port, to_port)
        network = Network(
            new_vpc=self._new_vpc() if self.wants_new_vpc else None,
            vpc_id="" if self.wants_new_vpc else data["vpc"],
            subnet_ids=() if self.wants_new_vpc else tuple(data["subnet_ids"]),
            public_ip=PublicIp(data["auto_assign_public_ip"]),
            security_group_id="" if self.wants_new_security_group else data["security_group"],
            ingress=ingress,
        )
        return ClusterConfiguration(
            tags=tuple(tags),
            container_insights=data["container_insights"],
            instances=instances,
            network=network,
        )


class Ec2LinuxClusterForm(Ec2ClusterForm):
    """Configure cluster, for the EC2 Linux + Networking template."""

    template = Template.EC2_LINUX


class Ec2WindowsClusterForm(Ec2ClusterForm):
    """Configure cluster, for the EC2 Windows + Networking template: Windows Server AMIs, an
    EBS volume of 50 GiB, and a key pair that decrypts the Administrator password for RDP."""

    template = Template.EC2_WINDOWS
    key_pair_none = "None - unable to RDP"
    default_family = AmiFamily.WINDOWS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_name"].help_text = (
            "You will not be able to RDP into your EC2 instances without a key pair: it "
            "decrypts the Windows Administrator password."
        )


class ScaleInstancesForm(forms.Form):
    instance_count = WholeNumberField(
        label="Desired number of instances", min_value=0, max_value=1000
    )


class DeleteClusterForm(forms.Form):
    confirmation = forms.CharField(
        label="Type delete me to confirm",
        help_text="Enter delete me in the field to confirm the deletion.",
    )

    def clean_confirmation(self):
        if self.cleaned_data["confirmation"].strip() != "delete me":
            raise forms.ValidationError("Type delete me, exactly, to delete the cluster.")
        return self.cleaned_data["confirmation"]


class DeregisterForm(forms.Form):
    force = forms.BooleanField(
        label="Force deregistration",
        required=False,
        help_text="Deregister even if tasks are still running on the instance; their services "
        "start them elsewhere.",
    )


class ConsoleBoundField(BoundField):
    """A field whose description for screen readers names its help and its message slot. The
    slot is always in the page (forms/field.html), so a message that arrives later, checked as
    the person leaves the field, is read with the field."""

    @property
    def aria_describedby(self):
        if self.field.widget.attrs.get("aria-describedby") or not self.auto_id or self.is_hidden:
            return None
        ids = [f"{self.auto_id}_helptext"] if self.help_text else []
        return " ".join(ids + [f"{self.auto_id}_error"])

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        # The page marks these with an asterisk, which screen readers are not shown.
        if self.name in getattr(self.form, "marked_required", ()):
            attrs["aria-required"] = "true"
        return attrs


class ConsoleFormRenderer(TemplatesSetting):
    """Draws every field as the console did: label, input, help, and its message beside it."""

    field_template_name = "forms/field.html"
    bound_field_class = ConsoleBoundField

"""The wizard's forms: every rule of the Create Cluster console, each in one method."""

import ipaddress
import re

from django import forms
from django.forms.renderers import TemplatesSetting
from django.core.validators import RegexValidator

from . import inventory
from .aws import AwsError
from .models import Template

NEW = "new"
CREATE_ROLE = "create"
MAX_TAGS = 50
RISKY_PORTS = {22: "SSH", 3389: "RDP"}
# The ECS-optimized AMIs' own snapshots: a volume may grow past these, never shrink below them.
MIN_VOLUME_GIB = {
    "amazon-linux-2": 30,
    "amazon-linux-2-arm64": 30,
    "amazon-linux-2-gpu": 30,
    "amazon-linux": 22,
}
MAX_VOLUME_GIB = 16384
VOLUME_LABELS = {"amazon-linux": "EBS storage (GiB)"}
ROOT_VOLUME_LABEL = "Root EBS Volume Size (GiB)"


class TemplateChoiceForm(forms.Form):
    template = forms.ChoiceField(
        choices=Template.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a cluster template to continue."},
    )


cluster_name_validator = RegexValidator(
    r"^[A-Za-z0-9_-]+$",
    "Use only letters (uppercase and lowercase), numbers, hyphens and underscores.",
)


def parse_cidr(value, label):
    """A CIDR block as AWS takes it: an address, a slash and a prefix, with no host bits set."""
    value = (value or "").strip()
    if "/" not in value:
        raise forms.ValidationError(
            f"Enter the {label} in CIDR notation, such as 10.0.0.0/16 or 0.0.0.0/0."
        )
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


def parse_port_range(value):
    """One port ("80") or a range ("8000-8080"), each from 0 to 65535."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", value or "")
    if not match:
        raise forms.ValidationError("Enter one port (80) or a range (8000-8080).")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not (0 <= low <= 65535 and 0 <= high <= 65535):
        raise forms.ValidationError("Ports go from 0 to 65535.")
    if low > high:
        raise forms.ValidationError(f"The range starts after it ends ({low} > {high}).")
    return low, high


class TagForm(forms.Form):
    key = forms.CharField(max_length=128, required=False, label="Key")
    value = forms.CharField(max_length=256, required=False, label="Value")

    def clean_key(self):
        key = self.cleaned_data["key"]
        if key.lower().startswith("aws:"):
            raise forms.ValidationError("Tag keys may not start with aws:, which AWS keeps for itself.")
        return key

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("value") and not cleaned.get("key") and "key" not in self.errors:
            self.add_error("key", "A tag with a value needs a key.")
        return cleaned


class BaseTagFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        keys = [form.cleaned_data.get("key") for form in self.forms if form.cleaned_data.get("key")]
        if len(keys) > MAX_TAGS:
            raise forms.ValidationError(f"A cluster can have at most {MAX_TAGS} tags.")
        seen = set()
        for form in self.forms:
            key = form.cleaned_data.get("key")
            if key and key in seen:
                form.add_error("key", f"The key {key} is used twice; keys must be unique.")
            seen.add(key)

    @property
    def tags(self):
        return [
            {"key": form.cleaned_data["key"], "value": form.cleaned_data.get("value", "")}
            for form in self.forms
            if form.cleaned_data.get("key")
        ]


TagFormSet = forms.formset_factory(
    TagForm, formset=BaseTagFormSet, extra=1, max_num=MAX_TAGS, validate_max=True
)


class WizardOptions:
    """The drop-downs of Configure cluster, read from the region's AWS account in one place."""

    def __init__(self, region, vpc_id=None):
        self.region = region
        self.errors = []
        self.instance_types = self._read(inventory.instance_types, region) or []
        self.amis = self._read(inventory.ecs_optimized_amis, region) or []
        self.key_pairs = self._read(inventory.key_pairs, region) or []
        self.vpcs = self._read(inventory.vpcs, region) or []
        self.roles = self._read(inventory.instance_roles, region) or []
        self.vpc_id = vpc_id if vpc_id and vpc_id != NEW else None
        self.subnets = self._read(inventory.subnets, region, self.vpc_id) if self.vpc_id else []
        self.security_groups = (
            self._read(inventory.security_groups, region, self.vpc_id) if self.vpc_id else []
        ) or []
        self.subnets = self.subnets or []

    def _read(self, lookup, *args):
        try:
            return lookup(*args)
        except AwsError as error:
            self.errors.append(str(error))
            return None

    @property
    def default_vpc(self):
        return next((vpc for vpc in self.vpcs if vpc.is_default), None)

    def ami(self, image_id):
        return next((ami for ami in self.amis if ami.image_id == image_id), None)


class Ec2LinuxClusterForm(forms.Form):
    """Configure cluster, for the EC2 Linux + Networking template."""

    template = Template.EC2_LINUX
    # Required whenever the instances they describe are wanted (not for an empty cluster).
    marked_required = {"instance_type", "instance_count", "ami_id"}

    cluster_name = forms.CharField(
        label="Cluster name",
        max_length=255,
        validators=[cluster_name_validator],
        help_text="Up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores "
        "are allowed.",
    )
    empty_cluster = forms.BooleanField(label="Create an empty cluster", required=False)
    provisioning_model = forms.ChoiceField(
        label="Provisioning Model",
        choices=[("on-demand", "On-Demand Instance"), ("spot", "Spot")],
        initial="on-demand",
        widget=forms.RadioSelect,
    )
    instance_type = forms.ChoiceField(label="EC2 instance type", required=False)
    t2_unlimited = forms.BooleanField(label="Enable T2 unlimited", required=False)
    instance_count = forms.IntegerField(
        label="Number of instances", min_value=0, max_value=1000, initial=1, required=False
    )
    ami_id = forms.ChoiceField(label="EC2 AMI ID", required=False)
    volume_size = forms.IntegerField(label=ROOT_VOLUME_LABEL, required=False, initial=30)
    key_name = forms.ChoiceField(
        label="Key pair",
        required=False,
        help_text="You will not be able to SSH into your EC2 instances without a key pair.",
    )
    vpc = forms.ChoiceField(label="VPC", required=False, initial=NEW)
    vpc_cidr = forms.CharField(label="CIDR block", required=False, initial="10.0.0.0/16")
    subnet1_cidr = forms.CharField(label="Subnet 1", required=False, initial="10.0.0.0/24")
    subnet2_cidr = forms.CharField(label="Subnet 2", required=False, initial="10.0.1.0/24")
    subnet_ids = forms.MultipleChoiceField(
        label="Subnets", required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    auto_assign_public_ip = forms.ChoiceField(
        label="Auto assign public IP",
        choices=[("subnet", "Use subnet setting"), ("enabled", "Enabled"), ("disabled", "Disabled")],
        initial="subnet",
    )
    security_group = forms.ChoiceField(label="Security group", required=False, initial=NEW)
    ingress_cidr = forms.CharField(label="CIDR block", required=False, initial="0.0.0.0/0")
    ingress_port = forms.CharField(label="Port range", required=False, initial="80")
    instance_role = forms.ChoiceField(label="Container instance IAM role", required=False)
    container_insights = forms.BooleanField(label="Enable Container Insights", required=False)

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        fields = self.fields
        fields["instance_type"].choices = [("", "Select an instance type")] + [
            (name, name) for name in options.instance_types
        ]
        fields["ami_id"].choices = [(ami.image_id, ami.display) for ami in options.amis]
        if options.amis:
            fields["ami_id"].initial = options.amis[0].image_id
        fields["key_name"].choices = [("", "None - unable to SSH")] + [
            (name, name) for name in options.key_pairs
        ]
        fields["vpc"].choices = [(NEW, "Create a new VPC")] + [
            (vpc.vpc_id, vpc.display) for vpc in options.vpcs
        ]
        fields["subnet_ids"].choices = [(s.subnet_id, s.display) for s in options.subnets]
        fields["security_group"].choices = [(NEW, "Create a new security group")] + [
            (group_id, f"{group_id} ({name})") for group_id, name in options.security_groups
        ]
        roles = list(options.roles)
        fields["instance_role"].choices = [(CREATE_ROLE, "Create new role")] + [
            (role, role) for role in roles
        ]
        fields["instance_role"].initial = (
            inventory.INSTANCE_ROLE_NAME if inventory.INSTANCE_ROLE_NAME in roles else CREATE_ROLE
        )
        ami = options.ami(self["ami_id"].value())
        if ami:
            fields["volume_size"].label = VOLUME_LABELS.get(ami.family, ROOT_VOLUME_LABEL)
            typed = self.initial.get("volume_size", fields["volume_size"].initial)
            if not self.is_bound and str(typed) in map(str, MIN_VOLUME_GIB.values()):
                # Switching AMI moves an untouched default to the new AMI's own default.
                self.initial["volume_size"] = MIN_VOLUME_GIB[ami.family]

    # Section by section, so templates and htmx refreshes can render one part of the page.
    @property
    def wants_instances(self):
        return not self["empty_cluster"].value()

    @property
    def wants_new_vpc(self):
        return (self["vpc"].value() or NEW) == NEW

    @property
    def wants_new_security_group(self):
        return (self["security_group"].value() or NEW) == NEW

    @property
    def selected_ami(self):
        return self.options.ami(self["ami_id"].value())

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

    def clean_provisioning_model(self):
        model = self.cleaned_data["provisioning_model"]
        if model == "spot":
            raise forms.ValidationError(
                "Spot instances are not available in ECS Console yet. Choose On-Demand Instance."
            )
        return model

    def clean_vpc_cidr(self):
        return self._clean_optional_cidr("vpc_cidr", "VPC CIDR block", prefixes=(16, 28))

    def clean_subnet1_cidr(self):
        return self._clean_optional_cidr("subnet1_cidr", "subnet CIDR block", prefixes=(16, 28))

    def clean_subnet2_cidr(self):
        return self._clean_optional_cidr("subnet2_cidr", "subnet CIDR block", prefixes=(16, 28))

    def clean_ingress_cidr(self):
        return self._clean_optional_cidr("ingress_cidr", "CIDR block", prefixes=(0, 32))

    def _clean_optional_cidr(self, field, label, prefixes):
        value = self.cleaned_data[field]
        if not self._field_in_use(field):
            return value
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

    def clean_ingress_port(self):
        value = self.cleaned_data["ingress_port"]
        if not self._field_in_use("ingress_port"):
            return None
        return parse_port_range(value)

    def _field_in_use(self, field):
        """Whether a field shows on the page, given the choices around it."""
        if not self.wants_instances:
            return False
        if field in ("vpc_cidr", "subnet1_cidr", "subnet2_cidr"):
            return self.wants_new_vpc
        if field in ("ingress_cidr", "ingress_port"):
            return self.wants_new_security_group
        return True

    def clean(self):
        cleaned = super().clean()
        if self.wants_instances:
            self._require_instance_fields(cleaned)
            self._check_new_vpc(cleaned)
            self._check_existing_vpc(cleaned)
            self._check_volume(cleaned)
            self._check_t2_unlimited(cleaned)
        return cleaned

    def _require_instance_fields(self, cleaned):
        required = {
            "instance_type": "Select an EC2 instance type.",
            "ami_id": "Select an ECS-optimized AMI.",
            "instance_count": "Enter the number of instances (0 to 1000).",
            "volume_size": "Enter a volume size in GiB.",
        }
        for field, message in required.items():
            if field not in self.errors and cleaned.get(field) in (None, ""):
                self.add_error(field, message)

    def _check_new_vpc(self, cleaned):
        if not self.wants_new_vpc:
            return
        vpc, first, second = (cleaned.get(f) for f in ("vpc_cidr", "subnet1_cidr", "subnet2_cidr"))
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

    def _check_existing_vpc(self, cleaned):
        if self.wants_new_vpc:
            return
        if not cleaned.get("subnet_ids") and "subnet_ids" not in self.errors:
            self.add_error("subnet_ids", "Select at least one subnet of the VPC.")

    def _check_volume(self, cleaned):
        ami = self.options.ami(cleaned.get("ami_id"))
        size = cleaned.get("volume_size")
        if ami is None or size is None:
            return
        minimum = MIN_VOLUME_GIB[ami.family]
        if size < minimum:
            self.add_error(
                "volume_size",
                f"{ami.label} needs at least {minimum} GiB, the size of its snapshot.",
            )
        elif size > MAX_VOLUME_GIB:
            self.add_error("volume_size", f"An EBS volume can be at most {MAX_VOLUME_GIB} GiB.")

    def _check_t2_unlimited(self, cleaned):
        instance_type = cleaned.get("instance_type") or ""
        if cleaned.get("t2_unlimited") and not instance_type.startswith(("t2.", "t3.", "t3a.")):
            self.add_error(
                "t2_unlimited", f"T2 unlimited is only for T2 and T3 instance types, not {instance_type}."
            )

    def configuration(self, tags):
        """The launch's configuration: what the stack, the steps and the status page need."""
        data = self.cleaned_data
        config = {
            "cluster_name": data["cluster_name"],
            "empty_cluster": data["empty_cluster"],
            "tags": tags,
            "container_insights": data["container_insights"],
        }
        if not self.wants_instances:
            return config
        ami = self.options.ami(data["ami_id"])
        from_port, to_port = data["ingress_port"] or (None, None)
        config.update(
            provisioning_model=data["provisioning_model"],
            instance_type=data["instance_type"],
            t2_unlimited=data["t2_unlimited"],
            instance_count=data["instance_count"],
            ami_id=ami.image_id,
            ami_family=ami.family,
            ami_display=ami.display,
            volume_size=data["volume_size"],
            key_name=data["key_name"],
            vpc=data["vpc"] or NEW,
            auto_assign_public_ip=data["auto_assign_public_ip"],
            security_group=data["security_group"] or NEW,
            instance_role=(
                inventory.INSTANCE_ROLE_NAME
                if data["instance_role"] in ("", CREATE_ROLE)
                else data["instance_role"]
            ),
        )
        if config["vpc"] == NEW:
            config.update(
                vpc_cidr=data["vpc_cidr"],
                subnet1_cidr=data["subnet1_cidr"],
                subnet2_cidr=data["subnet2_cidr"],
            )
        else:
            config["subnet_ids"] = data["subnet_ids"]
        if config["security_group"] == NEW:
            config.update(
                ingress_cidr=data["ingress_cidr"],
                ingress_from_port=from_port,
                ingress_to_port=to_port,
            )
        return config


class ConsoleFormRenderer(TemplatesSetting):
    """Draws every field as the console did: label, input, help, and its error beside it."""

    field_template_name = "forms/field.html"

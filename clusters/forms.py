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
    "windows": 30,
}
# What the storage field starts at: the snapshot's size, except Windows, which needs room to
# pull its large container images (the console's choice).
DEFAULT_VOLUME_GIB = {**MIN_VOLUME_GIB, "windows": 50}
MAX_VOLUME_GIB = 16384
VOLUME_LABELS = {"amazon-linux": "EBS storage (GiB)", "windows": "EBS storage (GiB)"}
# The most instance types an Auto Scaling group's mixed instances policy may override.
MAX_SPOT_INSTANCE_TYPES = 40
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


# Where each EC2 template's AMIs come from; Networking only has no instances to look up.
AMI_LOOKUPS = {
    Template.EC2_LINUX: inventory.ecs_optimized_amis,
    Template.EC2_WINDOWS: inventory.windows_ecs_amis,
}


class WizardOptions:
    """The drop-downs of Configure cluster, read from the region's AWS account in one place."""

    def __init__(self, region, vpc_id=None, template=Template.EC2_LINUX):
        self.region = region
        self.errors = []
        self.vpc_id = vpc_id if vpc_id and vpc_id != NEW else None
        self.instance_types, self.amis, self.key_pairs, self.vpcs, self.roles = [], [], [], [], []
        self.subnets, self.security_groups = [], []
        if template not in AMI_LOOKUPS:
            return
        self.instance_types = self._read(inventory.instance_types, region) or []
        self.amis = self._read(AMI_LOOKUPS[template], region) or []
        self.key_pairs = self._read(inventory.key_pairs, region) or []
        self.vpcs = self._read(inventory.vpcs, region) or []
        self.roles = self._read(inventory.instance_roles, region) or []
        if self.vpc_id:
            self.subnets = self._read(inventory.subnets, region, self.vpc_id) or []
            self.security_groups = self._read(inventory.security_groups, region, self.vpc_id) or []

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

    def recommended_ami(self, instance_type):
        """The AMI the console picks for an instance type: the first of its architecture, with
        GPU drivers when the type has GPUs and such an AMI exists."""
        profiles = self._read(inventory.instance_type_profiles, self.region, [instance_type])
        profile = (profiles or {}).get(instance_type)
        if profile is None:
            return None
        fitting = [ami for ami in self.amis if ami.architecture in profile.architectures]
        gpu = [ami for ami in fitting if ami.for_gpu]
        if profile.has_gpu and gpu:
            return gpu[0]
        return next((ami for ami in fitting if not ami.for_gpu), None)


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
    # Fields whose value is picked again when the field named here changes (htmx "_changed").
    follows = {}

    cluster_name = forms.CharField(
        label="Cluster name",
        max_length=255,
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

    @property
    def wants_new_vpc(self):
        """Whether the person asked for a new VPC; each template asks in its own way."""
        return False

    def _field_in_use(self, field):
        """Whether a field shows on the page, given the choices around it."""
        if field in ("vpc_cidr", "subnet1_cidr", "subnet2_cidr"):
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
        return self._clean_optional_cidr("vpc_cidr", "VPC CIDR block", prefixes=(16, 28))

    def clean_subnet1_cidr(self):
        return self._clean_optional_cidr("subnet1_cidr", "subnet CIDR block", prefixes=(16, 28))

    def clean_subnet2_cidr(self):
        return self._clean_optional_cidr("subnet2_cidr", "subnet CIDR block", prefixes=(16, 28))

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

    def clean(self):
        cleaned = super().clean()
        if self._field_in_use("vpc_cidr"):
            self._check_new_vpc(cleaned)
        return cleaned

    def _check_new_vpc(self, cleaned):
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

    def configuration(self, tags):
        """The launch's configuration: what the stack, the steps and the status page need."""
        data = self.cleaned_data
        return {
            "cluster_name": data["cluster_name"],
            "tags": tags,
            "container_insights": data["container_insights"],
        }

    def _new_vpc_configuration(self):
        data = self.cleaned_data
        return {key: data[key] for key in ("vpc_cidr", "subnet1_cidr", "subnet2_cidr")}


class NetworkingOnlyClusterForm(ClusterForm):
    """Configure cluster, for the Networking only template (AWS Fargate)."""

    template = Template.NETWORKING_ONLY

    create_vpc = forms.BooleanField(label="Create a new VPC for this cluster", required=False)

    @property
    def wants_new_vpc(self):
        return bool(self["create_vpc"].value())

    def configuration(self, tags):
        config = super().configuration(tags)
        config["create_vpc"] = self.cleaned_data["create_vpc"]
        if config["create_vpc"]:
            config.update(self._new_vpc_configuration())
        return config


class Ec2ClusterForm(ClusterForm):
    """Configure cluster for the EC2 templates: instances, networking and their IAM role.
    Subclasses name their AMIs' labels and defaults."""

    offers_instances = True
    # Required whenever the instances they describe are wanted (not for an empty cluster).
    marked_required = {"instance_type", "instance_count", "ami_id"}
    follows = {"instance_type": ("ami_id",)}
    key_pair_none = "None - unable to SSH"
    default_volume_gib = 30

    empty_cluster = forms.BooleanField(label="Create an empty cluster", required=False)
    provisioning_model = forms.ChoiceField(
        label="Provisioning Model",
        choices=[("on-demand", "On-Demand Instance"), ("spot", "Spot")],
        initial="on-demand",
        widget=forms.RadioSelect,
    )
    spot_allocation_strategy = forms.ChoiceField(
        label="Spot Instance allocation strategy",
        choices=[("lowestPrice", "Lowest Price"), ("diversified", "Diversified")],
        initial="diversified",
        required=False,
        widget=forms.RadioSelect,
    )
    spot_max_price = forms.DecimalField(
        label="Maximum bid price (per instance/hour)",
        required=False,
        decimal_places=5,
        help_text="In US dollars. Leave empty to pay the Spot price, capped at the On-Demand "
        "price.",
    )
    instance_type = forms.MultipleChoiceField(
        label="EC2 instance type", required=False, widget=OneOrMoreSelect
    )
    t2_unlimited = forms.BooleanField(label="Enable T2 unlimited", required=False)
    instance_count = forms.IntegerField(
        label="Number of instances", min_value=0, max_value=1000, initial=1, required=False
    )
    ami_id = forms.ChoiceField(label="EC2 AMI ID", required=False)
    volume_size = forms.IntegerField(label=ROOT_VOLUME_LABEL, required=False)
    key_name = forms.ChoiceField(
        label="Key pair",
        required=False,
        help_text="You will not be able to SSH into your EC2 instances without a key pair.",
    )
    vpc = forms.ChoiceField(label="VPC", required=False, initial=NEW)
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

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, options=options, **kwargs)
        fields = self.fields
        fields["instance_type"].choices = [("", "Select an instance type")] + [
            (name, name) for name in options.instance_types
        ]
        fields["ami_id"].choices = [(ami.image_id, ami.display) for ami in options.amis]
        if options.amis:
            fields["ami_id"].initial = options.amis[0].image_id
        fields["volume_size"].initial = self.default_volume_gib
        fields["key_name"].choices = [("", self.key_pair_none)] + [
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
        if not self.is_bound and "ami_id" not in self.initial:
            self._default_ami_for_instance_type()
        ami = options.ami(self["ami_id"].value())
        if ami:
            fields["volume_size"].label = VOLUME_LABELS.get(ami.family, ROOT_VOLUME_LABEL)
            typed = self.initial.get("volume_size", fields["volume_size"].initial)
            if not self.is_bound and str(typed) in map(str, DEFAULT_VOLUME_GIB.values()):
                # Switching AMI moves an untouched default to the new AMI's own default.
                self.initial["volume_size"] = DEFAULT_VOLUME_GIB[ami.family]

    def _default_ami_for_instance_type(self):
        """The AMI drop-down's default follows the (first) instance type chosen."""
        chosen = [name for name in self.initial.get("instance_type") or [] if name]
        if not chosen or chosen[0] not in self.options.instance_types:
            return
        ami = self.options.recommended_ami(chosen[0])
        if ami:
            self.fields["ami_id"].initial = ami.image_id

    # Section by section, so templates and htmx refreshes can render one part of the page.
    @property
    def wants_instances(self):
        return not self["empty_cluster"].value()

    @property
    def wants_spot(self):
        return self["provisioning_model"].value() == "spot"

    @property
    def chosen_instance_types(self):
        return [name for name in self["instance_type"].value() or [] if name]

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

    def clean_instance_type(self):
        # The drop-down's "Select an instance type" is no type.
        return [name for name in self.cleaned_data["instance_type"] if name]

    def clean_spot_max_price(self):
        price = self.cleaned_data["spot_max_price"]
        if price is not None and price <= 0:
            raise forms.ValidationError("A maximum price is more than $0 an hour.")
        return price

    def clean_ingress_cidr(self):
        return self._clean_optional_cidr("ingress_cidr", "CIDR block", prefixes=(0, 32))

    def clean_ingress_port(self):
        value = self.cleaned_data["ingress_port"]
        if not self._field_in_use("ingress_port"):
            return None
        return parse_port_range(value)

    def _field_in_use(self, field):
        if not self.wants_instances:
            return False
        if field in ("ingress_cidr", "ingress_port"):
            return self.wants_new_security_group
        return super()._field_in_use(field)

    def clean(self):
        cleaned = super().clean()
        if self.wants_instances:
            self._require_instance_fields(cleaned)
            self._check_instance_types(cleaned)
            self._check_ami_architecture(cleaned)
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
            if field not in self.errors and cleaned.get(field) in (None, "", []):
                self.add_error(field, message)

    def _check_instance_types(self, cleaned):
        chosen = cleaned.get("instance_type") or []
        if cleaned.get("provisioning_model") == "on-demand" and len(chosen) > 1:
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

    def _check_ami_architecture(self, cleaned):
        ami = self.options.ami(cleaned.get("ami_id"))
        chosen = cleaned.get("instance_type")
        if ami is None or not chosen or "instance_type" in self.errors:
            return
        try:
            profiles = inventory.instance_type_profiles(self.options.region, chosen)
        except AwsError as error:
            self.add_error("instance_type", f"Could not look up the instance types: {error}")
            return
        misfits = [name for name in chosen if ami.architecture not in profiles[name].architectures]
        if misfits:
            self.add_error(
                "ami_id",
                f"{ami.label} runs on {ami.architecture} processors; "
                f"{', '.join(misfits)} {'has' if len(misfits) == 1 else 'have'} none. "
                "Choose an AMI for the instance type's architecture.",
            )

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
        others = [
            name
            for name in cleaned.get("instance_type") or []
            if not name.startswith(("t2.", "t3.", "t3a."))
        ]
        if cleaned.get("t2_unlimited") and others:
            self.add_error(
                "t2_unlimited",
                f"T2 unlimited is only for T2 and T3 instance types, not {', '.join(others)}.",
            )

    def configuration(self, tags):
        data = self.cleaned_data
        config = super().configuration(tags)
        config["empty_cluster"] = data["empty_cluster"]
        if not self.wants_instances:
            return config
        ami = self.options.ami(data["ami_id"])
        from_port, to_port = data["ingress_port"] or (None, None)
        config.update(
            provisioning_model=data["provisioning_model"],
            # The launch template's type; Spot's Auto Scaling group mixes all of instance_types.
            instance_type=data["instance_type"][0],
            instance_types=data["instance_type"],
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
        if config["provisioning_model"] == "spot":
            price = data["spot_max_price"]
            config.update(
                spot_allocation_strategy=data["spot_allocation_strategy"] or "diversified",
                spot_max_price="" if price is None else str(price.normalize()),
            )
        if config["vpc"] == NEW:
            config.update(self._new_vpc_configuration())
        else:
            config["subnet_ids"] = data["subnet_ids"]
        if config["security_group"] == NEW:
            config.update(
                ingress_cidr=data["ingress_cidr"],
                ingress_from_port=from_port,
                ingress_to_port=to_port,
            )
        return config


class Ec2LinuxClusterForm(Ec2ClusterForm):
    """Configure cluster, for the EC2 Linux + Networking template."""

    template = Template.EC2_LINUX


class Ec2WindowsClusterForm(Ec2ClusterForm):
    """Configure cluster, for the EC2 Windows + Networking template: Windows Server AMIs, an
    EBS volume of 50 GiB, and a key pair that decrypts the Administrator password for RDP."""

    template = Template.EC2_WINDOWS
    key_pair_none = "None - unable to RDP"
    default_volume_gib = DEFAULT_VOLUME_GIB["windows"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_name"].help_text = (
            "You will not be able to RDP into your EC2 instances without a key pair: it "
            "decrypts the Windows Administrator password."
        )


class ScaleInstancesForm(forms.Form):
    instance_count = forms.IntegerField(
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


class ConsoleFormRenderer(TemplatesSetting):
    """Draws every field as the console did: label, input, help, and its error beside it."""

    field_template_name = "forms/field.html"

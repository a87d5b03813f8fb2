"""EC2 as AWS has it: ECS AMIs with their real disks, Windows ECS AMIs, full launch templates,
and key pairs with the fingerprints EC2 gives them."""

import base64
import contextlib
import hashlib
import re
import threading
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from moto import settings
from moto.ec2 import ec2_backends
from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.instances import Instance, InstanceBackend
from moto.ec2.models.key_pairs import KeyPairBackend
from moto.ec2.models.subnets import Subnet, SubnetRouteTableAssociation
from moto.ec2.responses.instances import InstanceResponse
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

from . import launch_template_options, scenarios
from ._patching import replace, wrap
from .catalog import WINDOWS_OWNER_ID, windows_amis


def install():
    # AWS refuses an unknown AMI or instance type at launch; moto only does when told to.
    settings.ENABLE_AMI_VALIDATION = True
    settings.EC2_ENABLE_INSTANCE_TYPE_VALIDATION = True
    wrap(AmiBackend, "_load_amis", _load_amis)
    replace(Ami, "block_device_mappings", property(_block_device_mappings))
    wrap(Instance, "setup_defaults", _setup_defaults)
    wrap(Instance, "add_block_device", _add_block_device)
    wrap(InstanceBackend, "run_instances", _run_instances)
    replace(Subnet, "create_from_cloudformation_json", classmethod(_subnet_from_cloudformation))
    replace(
        SubnetRouteTableAssociation,
        "create_from_cloudformation_json",
        classmethod(_association_from_cloudformation),
    )
    replace(SubnetRouteTableAssociation, "physical_resource_id", property(_association_id))
    wrap(KeyPairBackend, "create_key_pair", _create_key_pair)
    wrap(InstanceResponse, "describe_instance_types", _describe_instance_types)
    replace(TaggedEC2Resource, "get_tags", _own_tags)
    launch_template_options.install()


def _own_tags(resource):
    """A resource's tags, as moto's get_tags answers them, read from the resource's own entry.

    moto asks DescribeTags for them, filtered by the resource's id: a pattern compiled from the
    id and matched against every tagged resource of the region. Each instance DescribeInstances
    answers asks once, so 1,000 instances launched by an Auto Scaling group (each tagged) cost
    millions of matches, where AWS answers in time with the instances. An id has no wildcard,
    so the pattern only ever matched the id itself: the same tags, in the same order.
    """
    if not resource.id:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource.id), "")
    return [
        {"resource_id": resource.id, "key": key, "value": value, "resource_type": resource_type}
        for key, value in resource.ec2_backend.tags.get(resource.id, {}).items()
    ]


def _subnet_from_cloudformation(
    cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
):
    create = cls._localcloud_original_create_from_cloudformation_json
    subnet = create(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    # moto ignores MapPublicIpOnLaunch in a template, so no instance got a public address.
    value = cloudformation_json.get("Properties", {}).get("MapPublicIpOnLaunch")
    if value is not None:
        subnet.map_public_ip_on_launch = str(value).lower() == "true"
    return subnet


def _association_from_cloudformation(
    cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
):
    create = cls._localcloud_original_create_from_cloudformation_json
    association = create(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    # moto only notes the pair, so the route table never knew its subnet and the stack showed
    # the table's id; AWS associates them and the resource's id is the rtbassoc- id.
    ec2 = ec2_backends[account_id][region_name]
    association.association_id = ec2.associate_route_table(
        association.route_table_id, subnet_id=association.subnet_id
    )
    return association


def _association_id(association):
    return getattr(association, "association_id", association.route_table_id)


def disk_layout(image_name, root_device_name):
    """(device, GiB) of each volume an ECS-optimized AMI maps, or None for other AMIs."""
    name = image_name or ""
    if name.startswith("amzn-ami-") and name.endswith("amazon-ecs-optimized"):
        # Amazon Linux 1 ECS AMIs: an 8 GiB root, and a 22 GiB volume for Docker's storage.
        return [(root_device_name, 8), ("/dev/xvdcz", 22)]
    if name.startswith(("amzn2-ami-ecs-", "al2023-ami-ecs-", "al2022-ami-ecs-")):
        return [(root_device_name, 30)]
    if name.startswith("Windows_Server-") and "-ECS_Optimized" in name:
        return [(root_device_name, 30)]
    return None


def _load_amis(original, self):
    original(self)
    if not self.amis:
        # moto was told not to load its default AMIs (MOTO_EC2_LOAD_DEFAULT_AMIS=false).
        return
    for ami in windows_amis(self.region_name):
        self.amis[ami.image_id] = Ami(
            self,
            ami_id=ami.image_id,
            name=ami.image_name,
            description=ami.description,
            owner_id=WINDOWS_OWNER_ID,
            owner_alias="amazon",
            public=True,
            virtualization_type="hvm",
            architecture="x86_64",
            platform="windows",
            hypervisor="xen",
            root_device_type="ebs",
            root_device_name="/dev/sda1",
            boot_mode="uefi",
        )
    for ami in self.amis.values():
        layout = disk_layout(ami.name, ami.root_device_name)
        if layout:
            # DescribeSnapshots shows the AMI's root snapshot at the root volume's size.
            ami.ebs_snapshot.volume.size = layout[0][1]


def _block_device_mappings(self):
    layout = disk_layout(self.name, self.root_device_name)
    if layout is None:
        return Ami._localcloud_original_block_device_mappings.fget(self)
    mappings = []
    for index, (device, size) in enumerate(layout):
        ebs = {
            "DeleteOnTermination": True,
            "VolumeSize": size,
            "VolumeType": "gp2",
            "Encrypted": False,
        }
        if index == 0:
            ebs["SnapshotId"] = self.ebs_snapshot.id
        mappings.append({"DeviceName": device, "Ebs": ebs})
    return mappings


def _image_of(instance):
    amis = instance.ec2_backend.amis
    return amis.get(instance.image_id)


def _setup_defaults(original, self):
    image = _image_of(self)
    layout = image and disk_layout(image.name, image.root_device_name)
    if not layout:
        return original(self)
    # The instance gets the AMI's own volumes, its root at the AMI's root device.
    for device, size in layout:
        volume = self.ec2_backend.create_volume(
            size=size, zone_name=self._placement.zone, volume_type="gp2"
        )
        self.ec2_backend.attach_volume(volume.id, self.id, device, True)


def _add_block_device(
    original,
    self,
    size,
    device_path,
    snapshot_id,
    encrypted,
    delete_on_termination,
    kms_key_id,
    volume_type,
):
    existing = self.block_device_mapping.get(device_path)
    if existing is not None:
        # A mapping for a device the AMI already maps replaces that volume, as on AWS.
        self.ec2_backend.detach_volume(existing.volume_id, self.id, device_path)
        old = self.ec2_backend.get_volume(existing.volume_id)
        self.ec2_backend.delete_volume(existing.volume_id)
        size = size or old.size
        if delete_on_termination is None:
            delete_on_termination = True
    return original(
        self,
        size,
        device_path,
        snapshot_id,
        encrypted,
        delete_on_termination,
        kms_key_id,
        volume_type,
    )


def _delete_on_termination_by_default(reservation, mappings):
    """An EBS mapping that leaves DeleteOnTermination out gets AWS's default, true (EC2 API
    Reference, EbsBlockDevice and LaunchTemplateEbsBlockDeviceRequest: "Default: true"); moto
    reads it as false."""
    devices = [
        m["DeviceName"]
        for m in mappings
        if "Ebs" in m and "DeleteOnTermination" not in m["Ebs"] and m.get("NoDevice") != ""
    ]
    for instance in reservation.instances:
        for device in devices:
            if device in instance.block_device_mapping:
                instance.block_device_mapping[device].delete_on_termination = True


def _run_instances(original, self, image_id, count, user_data, security_group_names, **kwargs):
    launch_template = kwargs.get("launch_template")
    data = self._get_template_from_args(launch_template).data if launch_template else {}
    primary = next(
        (n for n in data.get("NetworkInterfaces") or [] if str(n.get("DeviceIndex", 0)) == "0"), {}
    )
    # A template's primary network interface decides the public address and carries the
    # security groups; moto reads neither from it.
    if (
        kwargs.get("associate_public_ip") is None
        and primary.get("AssociatePublicIpAddress") is not None
    ):
        kwargs["associate_public_ip"] = str(primary["AssociatePublicIpAddress"]).lower() == "true"
    if not kwargs.get("security_group_ids") and not security_group_names and primary.get("Groups"):
        kwargs["security_group_ids"] = list(primary["Groups"])
    if not kwargs.get("instance_type"):
        # RunInstances' InstanceType "Default: m1.small" when neither the call nor its launch
        # template names one (moto takes the template's when told the type is a default); an
        # Auto Scaling group whose template names none hands moto an empty type instead.
        kwargs["instance_type"] = "m1.small"
        kwargs["is_instance_type_default"] = True
    reservation = original(self, image_id, count, user_data, security_group_names, **kwargs)
    _delete_on_termination_by_default(
        reservation, kwargs.get("block_device_mappings") or data.get("BlockDeviceMappings") or []
    )
    launch_template_options.apply(reservation, data)
    scenarios.launched(self, reservation.instances)
    if not launch_template or kwargs.get("iam_instance_profile"):
        return reservation
    profile = data.get("IamInstanceProfile") or {}
    if not (profile.get("Name") or profile.get("Arn")):
        return reservation
    for instance in reservation.instances:
        # The launch template's instance profile shows on the instance, as on AWS; a missing
        # profile leaves the instance without one rather than failing the launch here.
        with contextlib.suppress(Exception):
            self.associate_iam_instance_profile(
                instance_id=instance.id,
                iam_instance_profile_name=profile.get("Name"),
                iam_instance_profile_arn=profile.get("Arn"),
            )
    return reservation


def _create_key_pair(original, self, name, key_type, tags):
    # CreateKeyPair's KeyType defaults to rsa; moto records no type when none is sent.
    key_pair = original(self, name, key_type or "rsa", tags)
    key_pair.key_fingerprint = created_key_fingerprint(key_pair.material)
    return key_pair


def created_key_fingerprint(private_key_material):
    """The fingerprint EC2 gives a key pair it created (EC2 User Guide, "Verify the fingerprint
    of your key pair"; CreateKeyPair's keyFingerprint): for RSA the SHA-1 digest of the DER
    encoded PKCS#8 private key, as hex pairs joined by colons; for ED25519 the base64-encoded
    SHA-256 digest of the public key, as OpenSSH computes it, with its = padding. moto hashes
    the public key for both and writes ED25519's as hex."""
    if private_key_material.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
        private_key = serialization.load_ssh_private_key(private_key_material, password=None)
    else:
        private_key = serialization.load_pem_private_key(private_key_material, password=None)
    if isinstance(private_key, Ed25519PrivateKey):
        public_key = private_key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        blob = base64.b64decode(public_key.split()[1])
        return base64.b64encode(hashlib.sha256(blob).digest()).decode()
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ":".join(f"{byte:02x}" for byte in hashlib.sha1(der).digest())


# DescribeInstanceTypes answers a catalogue fixed for the region (about 1,400 types): moto writes
# its XML anew each time, which takes seconds, and Configure cluster waits on it. The answer to
# one question is written once and kept, with a request id of its own for each call, as AWS
# gives one to every request.
_instance_type_answers = {}
_instance_type_answers_lock = threading.Lock()
_REQUEST_ID = re.compile(r"<requestId>[^<]*</requestId>")


def _describe_instance_types(original, response):
    question = (response.region, repr(sorted(response.querystring.items())))
    with _instance_type_answers_lock:
        body = _instance_type_answers.get(question)
    if body is None:
        # A refusal (an unknown type) is raised by original and answered by moto as usual.
        _status, _headers, body = response.serialized(original(response))
        with _instance_type_answers_lock:
            _instance_type_answers[question] = body
    return _REQUEST_ID.sub(f"<requestId>{uuid.uuid4()}</requestId>", body, count=1)

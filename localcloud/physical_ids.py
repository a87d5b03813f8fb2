"""CloudFormation's physical ids and generated names, as AWS makes them.

- A resource named by CloudFormation (an Auto Scaling group, a launch template) is called
  `<stack name>-<logical id>-<suffix>` ("Name type" in the CloudFormation user guide: a bucket
  of stack `MyStack` becomes `MyStack-MyBucket-abcdefghijk1`). An Auto Scaling group's suffix
  reads as a random 64-bit number in base 36, upper case: 12 or 13 characters, the 13 starting
  with 1, 2 or 3 (`EC2ContainerService-demo-EcsInstanceAsg-1C0YFKEAYY25V`); a smaller number
  is padded with leading zeros (inferred: the names AWS shows are 12 or 13 long). moto draws 12
  characters, and names a launch template `LaunchTemplate_<12 hex>` whatever the stack.
- Resources whose id is made of others' ids have the id CloudFormation's resource schema
  builds from its primary identifier, joined by `|`: an AWS::EC2::VPCGatewayAttachment is
  `IGW|vpc-…` (or `VGW|vpc-…` for a VPN gateway), an AWS::EC2::Route `rtb-…|0.0.0.0/0`, as
  DescribeStackResources shows them. moto gives the VPC's id and `rtb-…~0.0.0.0/0`.
"""

import copy
import string

from moto.cloudformation import parsing
from moto.ec2.models.launch_templates import LaunchTemplate
from moto.ec2.models.route_tables import Route
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
from moto.moto_api._internal import mock_random

from ._patching import replace

_BASE36 = string.digits + string.ascii_uppercase
_SUFFIX_LENGTH = 12


def install():
    replace(parsing, "random_suffix", random_suffix)
    replace(
        LaunchTemplate,
        "create_from_cloudformation_json",
        classmethod(_launch_template_from_cloudformation),
    )
    replace(VPCGatewayAttachment, "physical_resource_id", property(gateway_attachment_id))
    replace(Route, "physical_resource_id", property(route_id))


def random_suffix():
    """The random end of a name CloudFormation makes: a 64-bit number in base 36, 12 or 13 long."""
    number = mock_random.getrandbits(64)
    digits = ""
    while number or not digits:
        number, digit = divmod(number, 36)
        digits = _BASE36[digit] + digits
    # One number in about 140 is below 36**11; AWS's names still end in 12 or 13 characters.
    return digits.rjust(_SUFFIX_LENGTH, "0")


def _launch_template_from_cloudformation(
    cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
):
    create = cls._localcloud_original_create_from_cloudformation_json.__func__
    properties = cloudformation_json.get("Properties", {})
    if not properties.get("LaunchTemplateName"):
        # resource_name is the name CloudFormation made for the stack's resource.
        cloudformation_json = copy.copy(cloudformation_json)
        cloudformation_json["Properties"] = {**properties, "LaunchTemplateName": resource_name}
    return create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


def gateway_attachment_id(attachment):
    kind = "IGW" if (attachment.gateway_id or "").startswith("igw-") else "VGW"
    return f"{kind}|{attachment.vpc_id}"


def route_id(route):
    destination = (
        route.destination_cidr_block
        or route.destination_ipv6_cidr_block
        or getattr(route.destination_prefix_list, "id", None)
    )
    return f"{route.route_table.id}|{destination}"

"""SSM public parameters as AWS publishes them: ECS AMIs as JSON, and the Windows ones."""

import json
from collections import defaultdict

from moto.core.utils import utcnow
from moto.ssm.models import Parameter, ParameterDict

from ._patching import wrap
from .catalog import ECS_AMI_ROOT, WINDOWS_LATEST_ROOT, windows_amis

# Raise it when the parameters below change, so a saved cloud gets them at its next start.
PUBLICATION = 2


def install():
    wrap(ParameterDict, "_check_loading_status", _check_loading_status)


def _check_loading_status(original, self, key):
    key = str(key or "")
    if key.startswith(WINDOWS_LATEST_ROOT):
        # The Windows parameters are built alongside the ECS tree, which must load first.
        original(self, ECS_AMI_ROOT)
    original(self, key)
    published = self.__dict__.get("_localcloud_ecs_amis_published")
    if self.latest_ecs_amis_loaded and published != PUBLICATION:
        # A cloud saved by an older local cloud is published again, as it would be today.
        self._localcloud_ecs_amis_published = PUBLICATION
        _publish_as_aws_does(self)


def _publish_as_aws_does(parameters):
    for name, versions in list(dict.items(parameters)):
        if not name.startswith(ECS_AMI_ROOT) or not versions:
            continue
        value = versions[-1].value
        if isinstance(value, dict):
            # moto keeps these as Python dicts and answers with their repr; AWS answers JSON.
            versions[-1].value = json.dumps(value, separators=(",", ":"))
            if name.endswith("/recommended"):
                _publish_members(parameters, name, value, replace=False)
    for ami in windows_amis(parameters.region_name):
        value = ami.recommended()
        metadata = json.dumps(value, separators=(",", ":"))
        # The ami-windows-latest parameter is the same JSON metadata as the family's
        # `recommended`, each field again below it (ECS developer guide, "Retrieving Amazon
        # ECS-optimized Windows AMI metadata").
        for name in (f"{ami.family_path}/recommended", ami.latest_parameter):
            _put(parameters, name, metadata)
            _publish_members(parameters, name, value, replace=True)
        _put(parameters, f"{ami.family_path}/{ami.image_name}", metadata)


def _publish_members(parameters, name, value, replace):
    """AWS publishes each field of a `recommended` value as its own parameter below it."""
    for field, member in value.items():
        member_name = f"{name}/{field}"
        if replace or not dict.get(parameters, member_name):
            _put(parameters, member_name, str(member))


def _put(parameters, name, value):
    defaultdict.__setitem__(
        parameters,
        name,
        [
            Parameter(
                account_id=parameters.account_id,
                name=name,
                value=value,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=utcnow(),
                version=1,
                data_type="text",
            )
        ],
    )

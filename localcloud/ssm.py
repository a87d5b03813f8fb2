"""SSM public parameters as AWS publishes them: ECS AMIs as JSON, and the Windows ones."""

import json
from collections import defaultdict

from moto.core.utils import utcnow
from moto.ssm.models import Parameter, ParameterDict

from ._patching import wrap
from .catalog import ECS_AMI_ROOT, WINDOWS_LATEST_ROOT, windows_amis


def install():
    wrap(ParameterDict, "_check_loading_status", _check_loading_status)


def _check_loading_status(original, self, key):
    key = str(key or "")
    if key.startswith(WINDOWS_LATEST_ROOT):
        # The Windows parameters are built alongside the ECS tree, which must load first.
        original(self, ECS_AMI_ROOT)
    original(self, key)
    if self.latest_ecs_amis_loaded and not self.__dict__.get("_localcloud_ecs_amis_fixed"):
        self._localcloud_ecs_amis_fixed = True
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
        _put(parameters, f"{ami.family_path}/recommended", json.dumps(value, separators=(",", ":")))
        _publish_members(parameters, f"{ami.family_path}/recommended", value, replace=True)
        _put(
            parameters,
            f"{ami.family_path}/{ami.image_name}",
            json.dumps(value, separators=(",", ":")),
        )
        _put(parameters, ami.latest_parameter, ami.image_id)


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

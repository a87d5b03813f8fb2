"""IAM with AWS's managed policies, which every AWS account has (moto loads them on request)."""

import functools
import json

from moto.core.config import default_user_config
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, IAMBackend, iam_backends
from moto.settings import load_iam_aws_managed_policies

from ._patching import replace


def install():
    # mock_aws() copies this dict shallowly, so changing it in place reaches a mock already made.
    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True
    replace(IAMBackend, "_init_aws_policies", _init_aws_policies)
    for _, _, backend in iam_backends.iter_backends():
        if not backend.aws_managed_policies:
            # A backend made before install() still lacks them.
            backend.aws_managed_policies = backend._init_aws_policies()
            backend.managed_policies.update({p.arn: p for p in backend.aws_managed_policies})


def _init_aws_policies(self):
    # moto makes an IAM backend for every partition on each request it authenticates; the
    # local cloud is one commercial-partition account, so only "aws" gets the 1,500 policies.
    if self.partition != "aws" or not load_iam_aws_managed_policies():
        return []
    # As moto's own, from the policies parsed once: moto parses its megabyte of JSON again for
    # every backend, each account's first request and each test's.
    return [
        AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
        for name, data in _aws_managed_policy_data().items()
    ]


@functools.cache
def _aws_managed_policy_data():
    """moto's AWS managed policies by name; read only (each backend makes objects of its own)."""
    return json.loads(aws_managed_policies_data)

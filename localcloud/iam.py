"""IAM with AWS's managed policies, which every AWS account has (moto loads them on request)."""

from moto.core.config import default_user_config
from moto.iam.models import IAMBackend, iam_backends

from ._patching import wrap


def install():
    # mock_aws() copies this dict shallowly, so changing it in place reaches a mock already made.
    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True
    wrap(IAMBackend, "_init_aws_policies", _init_aws_policies)
    for _, _, backend in iam_backends.iter_backends():
        if not backend.aws_managed_policies:
            # A backend made before install() still lacks them.
            backend.aws_managed_policies = backend._init_aws_policies()
            backend.managed_policies.update({p.arn: p for p in backend.aws_managed_policies})


def _init_aws_policies(original, self):
    # moto makes an IAM backend for every partition on each request it authenticates; the
    # local cloud is one commercial-partition account, so only "aws" gets the 1,500 policies.
    if self.partition != "aws":
        return []
    return original(self)

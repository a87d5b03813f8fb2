"""Fixtures for the resource pages: the same in-process AWS and signed-in person as the cluster
pages' tests."""

from tests.clusters.conftest import (  # noqa: F401 (fixtures)
    REGION,
    aws,
    ec2,
    lab_data,
    options,
    signed_in,
    user,
)

"""The benchmarks reuse the console tests' fixtures: in-process AWS with the local cloud's fixes."""

from tests.clusters.conftest import (  # noqa: F401  (fixtures, found by name)
    agent,
    aws,
    big_cluster,
    ec2,
    finish,
    lab_cluster,
    lab_data,
    launch,
    options,
    signed_in,
    user,
)

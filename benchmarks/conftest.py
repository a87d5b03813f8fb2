"""The benchmarks reuse the console tests' fixtures: in-process AWS with the local cloud's fixes,
and, for the pages people wait on, the local cloud itself over HTTP."""

import os

import pytest

from clusters import aws as aws_module
from localcloud.server import running_local_cloud, start_local_cloud
from tests.clusters.conftest import (  # noqa: F401  (fixtures, found by name)
    agent,
    big_cluster,
    finish,
    lab_cluster,
    start_hosts,
    launch,
)
from tests.e2e.conftest import (  # noqa: F401  (fixtures, found by name)
    fake_aws_environment,
    redis_url,
    test_database_path,
)
from tests.conftest import (  # noqa: F401  (fixtures, found by name)
    aws,
    cache_of_its_own,
    ec2,
    fast_password_hashing,
    lab_data,
    options,
    people_work_in_the_tests_account,
    signed_in,
    user,
)


@pytest.fixture
def local_cloud(monkeypatch):
    """The local cloud over HTTP, as `make run` serves it, for the console's boto3 clients."""
    with running_local_cloud() as endpoint_url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)
        aws_module.forget_clients()
        yield endpoint_url
        aws_module.forget_clients()


@pytest.fixture
def cloud(monkeypatch):
    """A fresh local cloud process for the benchmark; the console's clients point at it."""
    process = start_local_cloud()
    for name, value in fake_aws_environment(process.endpoint_url).items():
        monkeypatch.setenv(name, value)
    aws_module.forget_clients()
    yield process
    aws_module.forget_clients()
    process.stop()


@pytest.fixture(scope="session")
def bench_table():
    """The rows of docs/benchmarks.md: each benchmark adds its own; written when the run ends,
    by `make bench` only (it sets WRITE_BENCHMARKS_DOCUMENT): a benchmark run alone prints its
    rows and leaves the document of the last whole run as it is."""
    from .table import write

    rows = []
    yield rows
    if rows:
        write(rows, keep=os.environ.get("WRITE_BENCHMARKS_DOCUMENT") == "1")

"""Fixtures for the local cloud's tests: an in-process moto changed by localcloud.install()."""

from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws
from moto.core.base_backend import BackendDict

import localcloud
from localcloud import persistence
from localcloud.server import LocalCloud, free_port

from .cloud import REGION

SERVICES = ("ec2", "ecs", "ssm", "iam", "autoscaling", "cloudformation", "cloudwatch", "sts")


@pytest.fixture(scope="session")
def session():
    # One session for every test: botocore then parses each service model once.
    return boto3.session.Session(region_name=REGION)


@pytest.fixture(scope="session")
def clients(session):
    return {service: session.client(service) for service in SERVICES}


@pytest.fixture
def aws(session, clients):
    """Clients of a fresh in-process cloud that behaves as AWS does."""
    mock = mock_aws()
    mock.start()
    localcloud.install()
    try:
        yield SimpleNamespace(session=session, **clients)
    finally:
        # moto's reset rebuilds every backend before dropping it; dropping them first is quicker.
        persistence.forget_everything()
        mock.stop()


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The local cloud served from this process over HTTP, keeping its state in a dir; its
    agent's first pass an hour away, so what a test does is all that happens."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    cloud = LocalCloud(port=free_port(), state_dir=tmp_path / "state", sync_interval=3600)
    cloud.start()
    yield cloud
    cloud.stop()
    for backends in list(BackendDict._instances):
        backends.clear()
    BackendDict._instances.clear()

"""The resource pages are read from a cluster the lab made: the cluster pages' fixtures."""

from tests.clusters.conftest import agent, finish, lab_cluster, launch  # noqa: F401

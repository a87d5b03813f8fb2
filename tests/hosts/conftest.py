"""The cluster fixtures of the console's own tests: a wizard-made lab cluster and its agent."""

from tests.clusters.conftest import agent, finish, lab_cluster, launch  # noqa: F401

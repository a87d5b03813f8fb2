"""pytest plugin for scripts/peer-suite: each xdist worker talks to a server of its own.

moto's tests reset the server at the start of each test and count what they made, so two
workers sharing one server would empty each other's resources. PEER_SUITE_ENDPOINTS lists one
endpoint per worker; moto reads TEST_SERVER_MODE_ENDPOINT when a test module is imported,
after this hook has run in the worker.
"""

import os


def pytest_configure(config):
    endpoints = os.environ.get("PEER_SUITE_ENDPOINTS", "").split()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if endpoints and worker.startswith("gw"):
        os.environ["TEST_SERVER_MODE_ENDPOINT"] = endpoints[int(worker[2:]) % len(endpoints)]

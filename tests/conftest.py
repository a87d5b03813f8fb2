"""Fixtures shared by every test: settings from the environment, fake AWS credentials."""

import os

# Tests never reach real AWS: fake credentials, and a region of their own.
os.environ.setdefault("SECRET_KEY", "tests-only-secret")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

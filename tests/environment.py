"""The tests' environment, set before Django reads its settings (loaded with `-p`).

Tests never reach real AWS: fake credentials and a region of their own.
"""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-secret")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_REGION"] = "us-east-1"
for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)
Path(__file__).resolve().parent.parent.joinpath("var").mkdir(exist_ok=True)

"""The tests' environment, set before Django reads its settings (loaded with `-p`), and how the
tests' pages name their static files.

Tests never reach real AWS: fake credentials and a region of their own.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("SECRET_KEY", "tests-only-secret")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_REGION"] = "us-east-1"
for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)
Path(__file__).resolve().parent.parent.joinpath("var").mkdir(exist_ok=True)


@pytest.fixture(autouse=True, scope="session")
def static_files_as_written():
    """Pages name static files as they are written and WhiteNoise finds them in static/, as in
    development. The hashed names come from the manifest that collectstatic writes, which the
    tests do not run (Django's docs advise the plain storage for tests); make run does, and
    tests/e2e/test_make_run_supervision.py fetches its hashed, compressed files from gunicorn."""
    from django.conf import settings
    from django.test import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": plain},
        WHITENOISE_USE_FINDERS=True,
        WHITENOISE_AUTOREFRESH=True,
    ):
        yield

"""Settings for ECS Console: the environment is the only switch."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default):
    return os.environ.get(name, default)


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_seconds(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {value!r}") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_pair(name, default):
    """Two comma-separated values, such as a header and the value it must have."""
    items = env_list(name, None)
    if items is None:
        return default
    if len(items) != 2:
        raise ImproperlyConfigured(f"{name} must be two values separated by a comma, not {items!r}")
    return tuple(items)


def env_choice(name, default, choices):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def env_database(name, conn_max_age):
    """The database a URL names (postgres://user:password@host:5432/name), or None when unset.
    A connection is kept conn_max_age seconds across requests and tasks, checked before reuse."""
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    try:
        return dj_database_url.parse(value, conn_max_age=conn_max_age, conn_health_checks=True)
    except ValueError as error:
        # Not the value itself: it holds the password.
        raise ImproperlyConfigured(
            f"{name} must be a URL such as postgres://user:password@host:5432/name ({error!r})"
        ) from None


DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# make run keeps the key it made in DATA_DIR/secret-key: a manage.py command run beside it
# (add_learners, add_trainer, set_role_arn) signs as the web app does without being told.
KEPT_SECRET_KEY = DATA_DIR / "secret-key"
SECRET_KEY = env_str("SECRET_KEY", "") or (
    KEPT_SECRET_KEY.read_text().strip() if KEPT_SECRET_KEY.is_file() else ""
)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            f"Set SECRET_KEY, or keep one in {KEPT_SECRET_KEY} (make run and the tests do)."
        )
    SECRET_KEY = "insecure-development-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Serving over HTTPS ------------------------------------------------------------------------
# Off by default: `make run` serves plain HTTP on loopback. Behind HTTPS, README "Serving it for
# real" lists the values that make `manage.py check --deploy` clean.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The header a TLS-terminating proxy sets, and its value for HTTPS: HTTP_X_FORWARDED_PROTO,https.
SECURE_PROXY_SSL_HEADER = env_pair("SECURE_PROXY_SSL_HEADER", None)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so that runserver (development) leaves static files to WhiteNoise too.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "axes",
    "clusters",
    "resources",
    "firstrun",
    "hosts",
    "classroom",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files, before anything else reads the request (WhiteNoise's advice).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clusters.middleware.RegionMiddleware",
    # After authentication: every AWS call of the request acts for the signed-in person.
    "accounts.middleware.ActingForThePersonMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ecsconsole.urls"
WSGI_APPLICATION = "ecsconsole.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clusters.context_processors.console",
                "classroom.context_processors.classroom",
                "accounts.context_processors.account",
            ],
        },
    },
]

# One machine: SQLite, embedded in make run. More than one (workers on other machines, several
# web containers): PostgreSQL, named by DATABASE_URL (postgres://user:password@host:5432/name).
DATABASES = {
    "default": env_database("DATABASE_URL", conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
    or {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("DATABASE_PATH", str(DATA_DIR / "console.sqlite3")),
        # The web app and the worker write to the same file: WAL lets readers run beside a
        # writer, IMMEDIATE makes a writer wait for the lock instead of failing mid-transaction.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": env_str("TEST_DATABASE_PATH", str(DATA_DIR / "test.sqlite3"))},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = []
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in throttling (django-axes) ----------------------------------------------------------
# A user name is locked after SIGN_IN_FAILURES_PER_USER wrong passwords, from any address; an
# address only after SIGN_IN_FAILURES_PER_ADDRESS, whatever the names tried. A class of 30 behind
# one NAT shares one address: if every learner typed a wrong password until their own name was
# locked, the class would make 30 x 5 = 150 failures, half the address limit. Failures count for
# SIGN_IN_COOLOFF_MINUTES after the last one; a lockout ends when they stop counting.
# ecsconsole/throttling.py gives each parameter its own limit (axes has one for all).
SIGN_IN_FAILURE_LIMITS = {
    "username": env_int("SIGN_IN_FAILURES_PER_USER", 5),
    "ip_address": env_int("SIGN_IN_FAILURES_PER_ADDRESS", 300),
}
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, so a locked-out sign-in is refused unchecked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "ecsconsole.throttling.PerParameterLimitHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted alone: a name or an address
AXES_FAILURE_LIMIT = SIGN_IN_FAILURE_LIMITS["username"]
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_COOLOFF_MINUTES", 15))
# Tries while locked out are refused without counting, so they neither lengthen the lockout nor
# add to the address's count; a success does not wipe failures (axes would wipe every failure
# from the address too, other people's included), they age out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise from gunicorn: `collectstatic` (make run does it; the image when built)
# copies them here with their content's hash in their names and a gzip copy beside each, so a
# browser keeps them for ever and fetches the compressed one. The tests name them as written
# (tests/environment.py): they do not run collectstatic.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# AWS. boto3 itself reads AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and friends; the console only
# needs to know the region to start in and how patient to be.
AWS_REGION = env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "us-east-1"))
# Whose AWS account each person works in. The console acts for each person through STS
# AssumeRole into the role ARN kept for them (accounts.AwsIdentity), with its own credentials as
# the source; the only difference is who fills in the ARN:
#   admin-assigned  an admin enters it (Django admin, `manage.py set_role_arn`); a person without
#                   one is told so, and nothing is done in the console's own account. Real AWS.
#   per-user-local  each person is given a role in a fresh 12-digit account of their own the
#                   first time they need one: the local cloud (scripts/run sets it).
CONSOLE_ACCOUNTS = env_choice(
    "CONSOLE_ACCOUNTS", "admin-assigned", ["admin-assigned", "per-user-local"]
)
# How long each assumed role's credentials last (AssumeRole's DurationSeconds, 900 at least);
# they are taken again 5 minutes before they expire.
AWS_ROLE_SESSION_SECONDS = env_int("AWS_ROLE_SESSION_SECONDS", 3600)
AWS_MAX_ATTEMPTS = env_int("AWS_MAX_ATTEMPTS", 5)
AWS_CONNECT_TIMEOUT = env_int("AWS_CONNECT_TIMEOUT", 5)
AWS_READ_TIMEOUT = env_int("AWS_READ_TIMEOUT", 30)
# A CloudFormation stack being built or removed (or instances registering) is looked at again
# after STACK_POLL_FIRST_SECONDS, then each wait half as long again as the one before, up to
# STACK_POLL_SECONDS: a fast stack is seen fast, a slow one is not asked about every second.
STACK_POLL_FIRST_SECONDS = env_seconds("STACK_POLL_FIRST_SECONDS", 0.25)
STACK_POLL_SECONDS = env_int("STACK_POLL_SECONDS", 5)
# After the stack, a launch waits this long for its instances to register with the cluster (an
# ECS-optimized instance boots and its agent registers within a minute or two on AWS), then ends
# naming those that did not: the place to look when an agent cannot reach ECS.
INSTANCES_REGISTER_WITHIN_SECONDS = env_int("INSTANCES_REGISTER_WITHIN_SECONDS", 180)
# A clean-up looks again at what it is removing (a stack being deleted, a cluster whose services
# drain) for this long at most, then names what is still there with AWS's last word on it.
CLEAN_UP_WAITS_SECONDS = env_int("CLEAN_UP_WAITS_SECONDS", 1800)
# How long one read of a cluster from AWS (its header's DescribeClusters) answers everyone who
# looks at it; the ECS Instances tab's fuller read lasts 5 to 15 times this (clusters/inventory.py).
SHARED_READ_SECONDS = env_int("SHARED_READ_SECONDS", 2)
# The Class page reads each learner's account at most once in this many seconds, however many
# trainers watch it (classroom/progress.py); the page looks again as often.
CLASS_READ_SECONDS = env_int("CLASS_READ_SECONDS", 5)
# How long a look at the Class page waits for the passes it set off: a learner whose pass is not
# back by then is shown as their last pass found them, and the next look finds the new one.
CLASS_PAGE_WAIT_SECONDS = env_seconds("CLASS_PAGE_WAIT_SECONDS", 0.5)

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# Django's cache on the same Redis as Celery's broker, its keys under a prefix of their own. It
# holds reads of AWS shared between viewers and the instance type catalogue; every use survives
# Redis being away (clusters/inventory.py reads AWS then), and short socket timeouts keep a Redis
# that does not answer from holding pages up. Sessions stay in the database: Django's cached_db
# sessions fail when the cache does.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ecsconsole-cache",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}

# Celery, wired as cookiecutter-django does.
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Provisioning waits on AWS almost all the time: a worker runs many steps at once in threads,
# not a process each. Each step's lease heartbeat is a thread of its own beside them. The threads
# pool enforces no time limits (those below apply under --pool prefork); every AWS call is
# bounded by AWS_CONNECT_TIMEOUT, AWS_READ_TIMEOUT and AWS_MAX_ATTEMPTS instead.
CELERY_WORKER_POOL = env_str("CELERY_WORKER_POOL", "threads")
# A class submitting at once: thirty creates run side by side (each runs its steps in turn).
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 32)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis hands an unacknowledged message (a worker died holding it, or a countdown not yet due)
# to another worker only after this long. The rows decide what runs again, not the broker, so it
# stays long, well above every countdown the tasks use (a stack is looked at again within
# seconds, AWS retried within 2 minutes), and a countdown is never redelivered in a loop.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("REDIS_VISIBILITY_TIMEOUT", 3600)}
# A submission must reach a worker even when Redis was away at the moment it was made, or when
# the worker that held a step died: the beat schedule re-sends work whose rows say it is due,
# unfinished and held by nobody (tasks.resume_unfinished_work).
CELERY_BEAT_SCHEDULE = {
    "resume-unfinished-work": {
        "task": "clusters.tasks.resume_unfinished_work",
        "schedule": env_int("RESUME_EVERY_SECONDS", 10),
    },
}

# Surviving Redis: a worker holding a task when Redis is killed must reconnect when it is back,
# not exit. kombu's own Redis transport exits there (celery/kombu#970, #1785); this one is the
# same transport with that fixed (see ecsconsole/broker.py). The URL still says redis://.
CELERY_BROKER_TRANSPORT = "ecsconsole.broker:Transport"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"botocore": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}

FORM_RENDERER = "clusters.forms.ConsoleFormRenderer"

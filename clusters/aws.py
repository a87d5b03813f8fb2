"""The one place the console meets AWS: every boto3 client, and the one error AWS failures become.

The endpoint follows boto3's own configuration (AWS_ENDPOINT_URL, profiles, credentials chain),
so the same code talks to AWS or to the local cloud.
"""

import datetime
import functools
import threading
import weakref

import boto3
import botocore.session
import botocore.utils
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError as BotoConnectionError,
    NoCredentialsError,
)
from botocore.parsers import ResponseParserError
from dateutil.tz import tzutc
from django.conf import settings

# Codes AWS uses for "try again later"; botocore's standard mode has already retried these by
# the time the console sees them, so they mean the service is unwell for longer than a moment.
RETRYABLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "ServerException",
    "RequestTimeout",
}


# Everything botocore raises about a call: ClientError (AWS said no), BotoCoreError (the call
# could not be made, sent or answered), and ResponseParserError, which derives from Exception
# alone: an answer that is not the protocol's XML or JSON, such as a proxy's page of text.
BOTOCORE_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
MAX_PARSER_REASON_LENGTH = 300


class AwsError(Exception):
    """An AWS call that failed, carrying AWS's own reason in words a person can read."""

    def __init__(self, message, code="", retryable=False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable

    def __str__(self):
        return self.message


class AwsUnavailable(AwsError):
    """AWS (or the endpoint in use) could not answer now; the same call may work later."""

    def __init__(self, message, code=""):
        super().__init__(message, code=code, retryable=True)


@functools.lru_cache(maxsize=64)
def client(service, region):
    """A boto3 client for one service and region (clients are thread-safe; sessions are not)."""
    config = Config(
        region_name=region,
        retries={"mode": "standard", "max_attempts": settings.AWS_MAX_ATTEMPTS},
        connect_timeout=settings.AWS_CONNECT_TIMEOUT,
        read_timeout=settings.AWS_READ_TIMEOUT,
        # One connection kept for each thread that may call at once (a worker's pool, gunicorn's
        # threads): botocore keeps 10, and opens and drops one per call beyond them.
        max_pool_connections=settings.CELERY_WORKER_CONCURRENCY,
    )
    session = botocore.session.Session()
    session.register_component("data_loader", _service_models)
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=parse_timestamp
    )
    return boto3.session.Session(botocore_session=session).client(service, config=config)


def parse_timestamp(value):
    """A timestamp in an AWS answer, as botocore gives it, for less: ISO 8601 in UTC, as EC2
    writes every LaunchTime and AttachTime, is read by the standard library (botocore's dateutil
    took a third of the ECS Instances tab of 1,000 hosts); anything else as botocore reads it."""
    if isinstance(value, str) and value.endswith("Z"):
        try:
            return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=tzutc())
        except ValueError:
            pass
    return botocore.utils.parse_timestamp(value)


# botocore's reader of its service models and endpoint rules, shared by every session: each new
# session otherwise reads and parses the JSON again (EC2's model alone is megabytes), a second
# each time a region or service is first used. It keeps what it read; it holds no credentials.
_service_models = botocore.session.Session().get_component("data_loader")


# The account each set of credentials belongs to, by the STS client made with them: asked once
# per process and credentials (a new client, after the credentials change, asks again).
_accounts = weakref.WeakKeyDictionary()
_accounts_lock = threading.Lock()


def account_id():
    """The AWS account the console's credentials act in (STS GetCallerIdentity, asked once):
    what is read from AWS is shared between the people of one account only."""
    sts = client("sts", settings.AWS_REGION)
    with _accounts_lock:
        known = _accounts.get(sts)
    if known is None:
        try:
            known = sts.get_caller_identity()["Account"]
        except BOTOCORE_ERRORS as error:
            raise as_aws_error(error) from error
        with _accounts_lock:
            _accounts[sts] = known
    return known


def error_code(error):
    return error.response.get("Error", {}).get("Code", "")


def as_aws_error(error):
    """Turn any botocore failure into an AwsError whose message is AWS's reason."""
    if isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message") or str(error)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in RETRYABLE_CODES or status >= 500:
            return AwsUnavailable(message, code=code)
        return AwsError(message, code=code)
    if isinstance(error, BotoConnectionError):
        return AwsUnavailable(f"Could not reach AWS: {error}")
    if isinstance(error, ResponseParserError):
        # botocore's words end with the start of what it read, which may be a whole page.
        reason = " ".join(str(error).split())[:MAX_PARSER_REASON_LENGTH]
        return AwsUnavailable(f"The endpoint's answer could not be read as an AWS answer: {reason}")
    if isinstance(error, NoCredentialsError):
        return AwsError(
            "No AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or a profile, for the account the console should use."
        )
    return AwsError(str(error))


def translate_errors(function):
    """Let a function that calls AWS raise AwsError, and only AwsError, when AWS says no."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except BOTOCORE_ERRORS as error:
            raise as_aws_error(error) from error

    return wrapper


def paginate(aws_client, operation, result_key, **kwargs):
    """Every item of a paged AWS listing, through boto3's own paginator."""
    for page in aws_client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(result_key, [])


def chunks(items, size):
    """Items in lists of at most size: many AWS Describe calls take at most 10 or 100 ids."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]

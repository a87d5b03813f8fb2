"""The one place the console meets AWS: every boto3 client, and the one error AWS failures become.

The endpoint follows boto3's own configuration (AWS_ENDPOINT_URL, profiles, credentials chain),
so the same code talks to AWS or to the local cloud. Every client acts as one person: the
console's own credentials only ever call STS AssumeRole into that person's role (a request's
signed-in person, a worker's person who started the operation), and the client is made with
the credentials AssumeRole gave.
"""

import collections
import concurrent.futures
import contextlib
import contextvars
import datetime
import functools
import re
import threading
from dataclasses import dataclass, field

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


# Clients are costly to make (botocore builds each from its service model) and thread-safe: one
# per service, region and set of credentials, the least used dropped past the bound. A class of
# 30 people each in 6 to 8 services fits; credentials renewed leave their old clients to age out.
CLIENTS_KEPT = 512


def client(service, region):
    """A boto3 client for one service and region, acting as the current person."""
    return _client(service, region, assumed_credentials(current_person()))


@functools.lru_cache(maxsize=CLIENTS_KEPT)
def _client(service, region, credentials):
    """A client made with the assumed credentials, or, for None, the console's own credentials
    (boto3's chain), which only AssumeRole uses."""
    config = Config(
        region_name=region,
        retries={"mode": "standard", "max_attempts": settings.AWS_MAX_ATTEMPTS},
        connect_timeout=settings.AWS_CONNECT_TIMEOUT,
        read_timeout=settings.AWS_READ_TIMEOUT,
        # One connection kept for each thread that may call at once (a worker's pool, gunicorn's
        # threads): botocore keeps 10, and opens and drops one per call beyond them.
        max_pool_connections=settings.CELERY_WORKER_CONCURRENCY,
    )
    keys = {}
    if credentials is not None:
        keys = {
            "aws_access_key_id": credentials.access_key_id,
            "aws_secret_access_key": credentials.secret_access_key,
            "aws_session_token": credentials.session_token,
        }
    # Sessions are not thread-safe, the clients they make are: one client is made at a time.
    with _session_lock:
        return _session().client(service, config=config, **keys)


_session_lock = threading.Lock()


@functools.cache
def _session():
    """The process's one boto3 session, which makes every client. A session of each client's own
    doubled its making (botocore registers some 130 handlers in each: 17 ms of CPU per client
    here, 8 ms from a shared session), and a client made with explicit keys takes nothing from
    it but its models, handlers and configuration; the console's own credentials are the only
    ones it resolves, and keeps."""
    session = botocore.session.Session()
    session.register_component("data_loader", _service_models)
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=parse_timestamp
    )
    return boto3.session.Session(botocore_session=session)


# Threads of the process for reads a page makes side by side (side_by_side), kept between
# requests: a page of several reads waits for the slowest, not for their sum.
READS_AT_ONCE = 8
_side_by_side = concurrent.futures.ThreadPoolExecutor(
    max_workers=READS_AT_ONCE, thread_name_prefix="aws-read"
)


def side_by_side(*reads):
    """Each of `reads` called at once in the process's threads, acting for the same person as
    the caller; their results in the same order (the first failure raised)."""
    # Who that is, found here: finding them may read the database, which belongs to the
    # caller's thread (its connection, its transaction), not to the pool's.
    current_person()
    running = [_side_by_side.submit(contextvars.copy_context().run, read) for read in reads]
    return [each.result() for each in running]


def forget_clients():
    """Drop every client and every assumed credential: the next call assumes the role again
    (after the endpoint or the console's own credentials changed)."""
    with _session_lock:
        _client.cache_clear()
        _session.cache_clear()
    with _credentials_lock:
        _credentials.clear()


# --- Who the console acts as -------------------------------------------------------------------

# An IAM role's ARN: its account, its path (/ or /a/b/) and its name, in IAM's alphabet.
ROLE_ARN_PATTERN = re.compile(
    r"arn:aws:iam::(?P<account>[0-9]{12}):role/"
    r"(?P<path>(?:[\w+=,.@-]+/)*)(?P<name>[\w+=,.@-]{1,64})",
    re.ASCII,
)


@dataclass(frozen=True)
class Person:
    """Someone the console acts for: their name (the role session's name, so AWS's own records
    say who did what) and the role they work through, in their own account."""

    username: str
    role_arn: str

    @property
    def account_id(self):
        return ROLE_ARN_PATTERN.fullmatch(self.role_arn).group("account")

    @property
    def role_session_name(self):
        """The username in AssumeRole's alphabet ([\\w+=,.@-], 2 to 64 characters)."""
        name = re.sub(r"[^\w+=,.@-]", "-", self.username, flags=re.ASCII)[:64]
        return name if len(name) >= 2 else f"{name}--"[:2]


class NobodyToActFor(RuntimeError):
    """AWS was called outside a request or a worker step: no person to act for. A fault of the
    console's own, never a reason to fall back on the console's own account."""


_acting_for = contextvars.ContextVar("acting_for", default=None)


class _Acting:
    """The person of a request, found only when something first calls AWS for them: a page that
    reads only the console's rows (the Launch status poll) costs no look-up."""

    def __init__(self, who):
        self._who = who

    @functools.cached_property
    def person(self):
        return self._who() if callable(self._who) else self._who


@contextlib.contextmanager
def acting_for(who):
    """Every AWS call in the block acts for `who`: a Person, or a function that gives one when
    first needed (and may raise to say there is none)."""
    token = _acting_for.set(_Acting(who))
    try:
        yield
    finally:
        _acting_for.reset(token)


def current_person():
    acting = _acting_for.get()
    if acting is None:
        raise NobodyToActFor("AWS was called with nobody to act for")
    return acting.person


# --- The person's credentials: AssumeRole, kept until shortly before they expire --------------


@dataclass(frozen=True)
class AssumedCredentials:
    access_key_id: str
    # Secrets: never in a log line, a traceback or an error page.
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: datetime.datetime


# Credentials are taken again this long before AWS says they expire, so no call is signed with
# credentials that lapse on the way.
CREDENTIALS_RENEWED_BEFORE = datetime.timedelta(minutes=5)
# Only in this process's memory, never in the database or the cache: they are secrets.
_credentials = collections.OrderedDict()  # Person -> AssumedCredentials, oldest use first
_credentials_lock = threading.Lock()
CREDENTIALS_KEPT = 1024


def assumed_credentials(person):
    """The person's credentials: STS AssumeRole into their role with the console's own
    credentials, kept per person until CREDENTIALS_RENEWED_BEFORE their expiry."""
    now = datetime.datetime.now(datetime.timezone.utc)
    with _credentials_lock:
        known = _credentials.get(person)
        if known is not None and now < known.expires_at - CREDENTIALS_RENEWED_BEFORE:
            _credentials.move_to_end(person)
            return known
    try:
        answer = _client("sts", settings.AWS_REGION, None).assume_role(
            RoleArn=person.role_arn,
            RoleSessionName=person.role_session_name,
            DurationSeconds=settings.AWS_ROLE_SESSION_SECONDS,
        )["Credentials"]
    except BOTOCORE_ERRORS as error:
        raise as_aws_error(error) from error
    fresh = AssumedCredentials(
        access_key_id=answer["AccessKeyId"],
        secret_access_key=answer["SecretAccessKey"],
        session_token=answer["SessionToken"],
        expires_at=answer["Expiration"],
    )
    with _credentials_lock:
        _credentials[person] = fresh
        _credentials.move_to_end(person)
        while len(_credentials) > CREDENTIALS_KEPT:
            _credentials.popitem(last=False)
    return fresh


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


def account_id():
    """The AWS account of the person the console acts for (their role's): what is read from AWS
    is shared between the people of one account only."""
    return current_person().account_id


def error_code(error):
    return error.response.get("Error", {}).get("Code", "")


# What AWS answers a call signed with temporary credentials it no longer takes (expired, or
# the session gone): the person's credentials are taken again, and the same call may then work.
REFUSED_CREDENTIALS_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthFailure",
    # EC2's words for a request signed with expired temporary credentials.
    "RequestExpired",
}


def forget_credentials_refused():
    """Drop the acting person's kept credentials; True when there were some to drop."""
    acting = _acting_for.get()
    if acting is None:
        return False
    try:
        person = acting.person
    except Exception:
        return False
    with _credentials_lock:
        return _credentials.pop(person, None) is not None


def as_aws_error(error):
    """Turn any botocore failure into an AwsError whose message is AWS's reason."""
    if isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message") or str(error)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in RETRYABLE_CODES or status >= 500:
            return AwsUnavailable(message, code=code)
        if code in REFUSED_CREDENTIALS_CODES and forget_credentials_refused():
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

"""Who a request comes from: the account its access key belongs to, or AWS's refusal of a key
that belongs to no account, or whose session has expired.

moto maps an access key to the account whose IAM holds it (an IAM user's key, or the temporary
key STS AssumeRole issued into the role's account, `moto.iam.models.get_account_id_from`) and
every other key to its default account, 123456789012; and it takes an assumed role's key for
ever. AWS refuses a key it never issued, and a temporary key past its expiration. So the local
cloud accepts its own source keys (the server's credentials, in moto's default account), the
agent's key, and the keys moto issued while they last; any other key gets AWS's answer for an
unknown key (never moto's default account), an expired one AWS's answer for an expired token.
"""

import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

from moto.core import DEFAULT_ACCOUNT_ID

# The keys make run (scripts/run, docker-compose.yml) and the tests (tests/environment.py,
# tests/e2e/conftest.py) give the console: the server's own credentials.
DEFAULT_SOURCE_KEYS = ("local-cloud", "testing")
SOURCE_KEYS_VARIABLE = "LOCAL_CLOUD_SOURCE_KEYS"
# moto's own header naming the account a request acts in; honoured for the agent only.
ACCOUNT_HEADER = "x-moto-account-id"
_ACCOUNT_ENVIRON = "HTTP_" + ACCOUNT_HEADER.upper().replace("-", "_")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/[^/]*/([^/]+)/")
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass(frozen=True)
class Refusal:
    """AWS's answer to a key it does not take, in each protocol's words."""

    message: str  # the JSON and query services'
    json_code: str
    query_code: str
    ec2_status: str
    ec2_code: str
    ec2_message: str
    s3_code: str
    s3_message: str


UNKNOWN_KEY = Refusal(
    message=INVALID_TOKEN,
    json_code="UnrecognizedClientException",
    query_code="InvalidClientTokenId",
    ec2_status="401 Unauthorized",
    ec2_code="AuthFailure",
    ec2_message="AWS was not able to validate the provided access credentials",
    s3_code="InvalidAccessKeyId",
    s3_message="The AWS Access Key Id you provided does not exist in our records.",
)
# EC2 error codes: RequestExpired, "If you're using temporary security credentials, this error
# can also occur if the credentials have expired"; the others: ExpiredToken(Exception).
EXPIRED_KEY = Refusal(
    message=EXPIRED_TOKEN,
    json_code="ExpiredTokenException",
    query_code="ExpiredToken",
    ec2_status="400 Bad Request",
    ec2_code="RequestExpired",
    ec2_message="Request has expired.",
    s3_code="ExpiredToken",
    s3_message="The provided token has expired.",
)


@dataclass(frozen=True)
class Caller:
    """Who a request comes from: the account it acts in, and whether it is the agent."""

    account: str
    agent: bool = False


class Gate:
    """Decides the account of each request, or that its key is unknown (None)."""

    def __init__(self, source_keys=DEFAULT_SOURCE_KEYS, agent_key=None, any_key=False):
        self.source_keys = frozenset(source_keys)
        self.agent_key = agent_key
        # moto's own tests sign with keys of their own, and name accounts by the header.
        self.any_key = any_key

    def caller(self, environ):
        """The caller of the request in `environ`, or the Refusal its key gets.

        Removes the account header from a request that may not use it, as AWS ignores it.
        """
        key = access_key(environ)
        named = environ.get(_ACCOUNT_ENVIRON)
        if key is not None and key == self.agent_key:
            return Caller(named or DEFAULT_ACCOUNT_ID, agent=True)
        if self.any_key:
            return Caller(named or issuing_account(key) or DEFAULT_ACCOUNT_ID)
        environ.pop(_ACCOUNT_ENVIRON, None)
        if key is None or key in self.source_keys:
            # Unsigned: moto's own API (/moto-api/reset), not AWS's.
            return Caller(DEFAULT_ACCOUNT_ID)
        account = issuing_account(key)
        if account is None:
            return UNKNOWN_KEY
        if has_expired(key, account):
            return EXPIRED_KEY
        return Caller(account)


def access_key(environ):
    """The access key id a request is signed with (header or presigned query), or None."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found:
        return found[1]
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    credential = (query.get("X-Amz-Credential") or [""])[0]
    if credential:
        return credential.split("/", 1)[0]
    return (query.get("AWSAccessKeyId") or [None])[0]


def signing_service(environ):
    """The service a request is signed for (its credential scope's: `sts`, `ecs`, …), or None
    for a request signed with no scope."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found:
        return found[2]
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    scope = (query.get("X-Amz-Credential") or [""])[0].split("/")
    return scope[3] if len(scope) > 3 else None


def issuing_account(key):
    """The account whose IAM issued `key` (a user's key or an assumed role's), or None.

    Reads moto's dicts without making any backend: a request that is refused changes nothing.
    Runs outside the cloud's lock, so it reads past the attribute hook of `persistence.py`:
    through it, another request being served would note every IAM backend looked at here as
    used by itself, and picture them all.
    """
    from moto.iam.models import iam_backends

    for account, partitions in list(dict.items(iam_backends)):
        for backend in list(dict.values(partitions)):
            if key in object.__getattribute__(backend, "access_keys"):
                return account
    return None


def has_expired(key, account):
    """Whether `key` is the temporary key of an assumed role whose session has expired.

    Reads moto's lists without making any backend, past the attribute hook of `persistence.py`,
    as issuing_account does and for the same reasons.
    """
    from moto.core.utils import utcnow
    from moto.sts.models import sts_backends

    partitions = dict.get(sts_backends, account) or {}
    for backend in list(dict.values(partitions)):
        for role in list(object.__getattribute__(backend, "assumed_roles")):
            if role.access_key_id == key:
                return role.expiration <= utcnow()
    return False


def refuse(refusal, environ, start_response):
    """AWS's answer to a request signed with a key it does not take, in the service's protocol:
    EC2's (AuthFailure 401, RequestExpired 400), a JSON service's (400; 403 for the REST-JSON
    ones), S3's and a query service's (403)."""
    service = _signing_service(environ)
    request_id = str(uuid.uuid4())
    if service == "ec2":
        status, content_type = refusal.ec2_status, "text/xml;charset=UTF-8"
        body = (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
            f"<Code>{refusal.ec2_code}</Code><Message>{refusal.ec2_message}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif environ.get("HTTP_X_AMZ_TARGET"):
        status, content_type = "400 Bad Request", "application/x-amz-json-1.1"
        body = json.dumps({"__type": refusal.json_code, "message": refusal.message})
    elif service == "s3":
        status, content_type = "403 Forbidden", "application/xml"
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{refusal.s3_code}</Code>"
            f"<Message>{refusal.s3_message}</Message>"
            f"<AWSAccessKeyId>{escape(access_key(environ) or '')}</AWSAccessKeyId>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    elif _is_query_protocol(environ):
        status, content_type = "403 Forbidden", "text/xml"
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{refusal.query_code}</Code>"
            f"<Message>{refusal.message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        status, content_type = "403 Forbidden", "application/json"
        body = json.dumps({"message": refusal.message})
    encoded = body.encode()
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(encoded))),
        ("x-amzn-RequestId", request_id),
    ]
    if content_type == "application/json":
        # A REST-JSON service names its error in a header.
        headers.append(("x-amzn-ErrorType", refusal.json_code))
    start_response(status, headers)
    return [encoded]


def _signing_service(environ):
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found:
        return found[2]
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    parts = (query.get("X-Amz-Credential") or [""])[0].split("/")
    return parts[3] if len(parts) > 3 else ""


def _is_query_protocol(environ):
    return "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "") or "Action=" in environ.get(
        "QUERY_STRING", ""
    )

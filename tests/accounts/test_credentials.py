"""The console acts for each person with the credentials AssumeRole gives for their role: kept
in the process's memory per person, taken again shortly before they expire, never written to the
database; and AWS itself says whose they are."""

import datetime
import threading

import pytest
from django.db import connection
from freezegun import freeze_time

from clusters import aws as console_aws
from clusters.aws import acting_for, client, side_by_side
from tests.conftest import REGION

START = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def assume_role_calls(aws):
    """Every AssumeRole the console's own credentials make from now on."""
    calls = []
    # The client made with the console's own credentials, which only AssumeRole uses.
    console_aws._client("sts", REGION, None).meta.events.register(
        "provide-client-params.sts.AssumeRole",
        lambda params, **kwargs: calls.append(params["RoleSessionName"]),
    )
    return calls


def test_get_caller_identity_with_the_consoles_credentials_for_a_learner_shows_their_role(
    aws, learner_in
):
    alice = learner_in("alice", "111111111111")
    bob = learner_in("bob", "222222222222")

    with acting_for(alice.person):
        as_alice = client("sts", REGION).get_caller_identity()
    with acting_for(bob.person):
        as_bob = client("sts", REGION).get_caller_identity()

    assert as_alice["Account"] == "111111111111"
    assert as_alice["Arn"] == "arn:aws:sts::111111111111:assumed-role/ECSConsoleLearner/alice"
    assert as_bob["Arn"] == "arn:aws:sts::222222222222:assumed-role/ECSConsoleLearner/bob"


def test_a_learners_credentials_are_taken_once_and_used_for_every_service(
    assume_role_calls, learner_in
):
    alice = learner_in("alice", "111111111111")

    with acting_for(alice.person):
        client("ecs", REGION).list_clusters()
        client("ec2", REGION).describe_vpcs()
        client("ecs", REGION).list_clusters()

    assert assume_role_calls == ["alice"]


def test_each_learner_has_credentials_of_their_own(assume_role_calls, learner_in):
    alice = learner_in("alice", "111111111111")
    bob = learner_in("bob", "111111111111")

    with acting_for(alice.person):
        alices = client("ecs", REGION)
    with acting_for(bob.person):
        bobs = client("ecs", REGION)

    assert assume_role_calls == ["alice", "bob"]
    assert alices is not bobs


def test_credentials_are_taken_again_five_minutes_before_they_expire(
    assume_role_calls, learner_in, settings
):
    settings.AWS_ROLE_SESSION_SECONDS = 900
    alice = learner_in("alice", "111111111111")

    with freeze_time(START) as clock, acting_for(alice.person):
        first = client("ecs", REGION)
        first_keys = console_aws.assumed_credentials(alice.person)
        clock.move_to(START + datetime.timedelta(minutes=9, seconds=59))
        still = client("ecs", REGION)
        clock.move_to(START + datetime.timedelta(minutes=10, seconds=1))
        renewed = client("ecs", REGION)
        renewed_keys = console_aws.assumed_credentials(alice.person)
        renewed.list_clusters()

    assert first_keys.expires_at == START + datetime.timedelta(seconds=900)
    assert still is first
    assert assume_role_calls == ["alice", "alice"]
    assert renewed is not first
    assert renewed_keys.access_key_id != first_keys.access_key_id
    assert renewed_keys.expires_at == START + datetime.timedelta(minutes=25, seconds=1)


def everything_in_the_database():
    """Every row of every table as text, on SQLite and PostgreSQL alike."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows += [repr(row) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_no_secret_of_the_assumed_role_is_written_to_the_database(aws, learner_in):
    alice = learner_in("alice", "111111111111")

    page = alice.browser.get("/clusters/")
    credentials = console_aws.assumed_credentials(alice.person)

    assert page.status_code == 200
    dump = everything_in_the_database()
    assert credentials.secret_access_key not in dump
    assert credentials.session_token not in dump
    assert alice.person.role_arn in dump  # the role is kept: it is no secret


def test_aws_called_with_nobody_to_act_for_is_refused_not_the_consoles_own_account(aws):
    import contextvars

    def call_ecs():
        return client("ecs", REGION).list_clusters()

    with pytest.raises(console_aws.NobodyToActFor):
        contextvars.Context().run(call_ecs)


@pytest.mark.parametrize(
    "code, message",
    [
        ("UnrecognizedClientException", "The security token included in the request is invalid."),
        ("InvalidClientTokenId", "The security token included in the request is invalid."),
        ("AuthFailure", "AWS was not able to validate the provided access credentials"),
        # Expired: ECS and the other JSON services, the query services, and EC2 (its error
        # codes: RequestExpired "can also occur if the credentials have expired").
        ("ExpiredTokenException", "The security token included in the request is expired"),
        ("ExpiredToken", "The security token included in the request is expired"),
        ("RequestExpired", "Request has expired."),
    ],
)
def test_credentials_aws_no_longer_takes_are_taken_again_and_the_call_may_be_tried_again(
    aws, learner_in, code, message
):
    from botocore.exceptions import ClientError

    alice = learner_in("alice", "111111111111")
    first = console_aws.assumed_credentials(alice.person)
    refused = ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        "ListClusters",
    )

    with acting_for(alice.person):
        error = console_aws.as_aws_error(refused)

    assert isinstance(error, console_aws.AwsUnavailable)
    assert str(error) == message
    assert console_aws.assumed_credentials(alice.person).access_key_id != first.access_key_id


def test_reads_made_side_by_side_each_act_for_the_person_who_asked(aws, learner_in):
    alice = learner_in("alice", "111111111111")
    both_started = threading.Barrier(2, timeout=10)

    def whose_account():
        both_started.wait()  # both reads are under way at once, or this times out
        return client("sts", REGION).get_caller_identity()["Account"]

    with acting_for(alice.person):
        accounts = side_by_side(whose_account, whose_account)

    assert accounts == ["111111111111", "111111111111"]


def test_clients_made_for_many_people_at_once_each_sign_as_their_own_person(aws, learner_in):
    # Every client comes from the process's one session; each must still carry its own keys.
    people = [learner_in(f"learner{n}", f"{n:012d}").person for n in range(1, 13)]
    all_started = threading.Barrier(len(people), timeout=10)
    seen = {}

    def who_am_i(person):
        with acting_for(person):
            all_started.wait()
            seen[person.username] = client("sts", REGION).get_caller_identity()["Arn"]

    threads = [threading.Thread(target=who_am_i, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen == {
        f"learner{n}": f"arn:aws:sts::{n:012d}:assumed-role/ECSConsoleLearner/learner{n}"
        for n in range(1, 13)
    }

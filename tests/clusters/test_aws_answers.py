"""The console reads AWS's answers as botocore does: its faster timestamp reading gives the same
datetimes, so every page shows the same times."""

import botocore.utils
import pytest

from clusters.aws import client, parse_timestamp

from .conftest import REGION


@pytest.mark.parametrize(
    "written",
    [
        "2026-12-01T11:02:03.000Z",  # EC2's LaunchTime
        "2026-12-01T11:02:03Z",
        "2026-12-01T11:02:03.123456Z",
        "2026-12-01T11:02:03+00:00",
        "2026-12-01T13:02:03+02:00",
        "Tue, 01 Dec 2026 11:02:03 GMT",  # RFC 822, as in HTTP headers
        1764586923.5,  # epoch seconds, as the JSON protocols write them
        "1764586923",
    ],
)
def test_a_timestamp_reads_as_botocore_reads_it(written):
    assert parse_timestamp(written) == botocore.utils.parse_timestamp(written)
    assert parse_timestamp(written).utcoffset() == botocore.utils.parse_timestamp(
        written
    ).utcoffset()


def test_a_timestamp_botocore_refuses_is_refused(written="the first of December"):
    with pytest.raises(ValueError):
        parse_timestamp(written)


def test_the_console_clients_read_ec2s_launch_time_with_it(ec2, options):
    ec2.run_instances(ImageId=options.amis[0].image_id, MinCount=1, MaxCount=1)

    [reservation] = client("ec2", REGION).describe_instances()["Reservations"]
    [expected] = ec2.describe_instances()["Reservations"]

    launched = reservation["Instances"][0]["LaunchTime"]
    assert launched == expected["Instances"][0]["LaunchTime"]
    assert launched.tzinfo is not None
    # botocore's seam (ResponseParserFactory.set_parser_defaults) still reaches the parser the
    # endpoint reads each answer with: an upgrade that moves it fails here, not silently slower.
    factory = client("ec2", REGION)._endpoint._response_parser_factory
    assert factory.create_parser("ec2")._timestamp_parser is parse_timestamp

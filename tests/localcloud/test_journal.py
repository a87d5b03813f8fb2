"""The state dir keeps every change it is given, across restarts, compactions and torn writes."""

import io
import logging
import pickle
import threading
from collections import defaultdict

import moto
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict
from moto.ecs.models import ecs_backends

from localcloud import journal, persistence

from .cloud import REGION


@pytest.fixture(autouse=True)
def noting():
    persistence.install()


@pytest.fixture
def state(aws, tmp_path):
    """A state dir in use, as the server holds it, for the in-process cloud of `aws`."""
    kept = journal.StateDir(tmp_path / "state", threading.RLock())
    kept.restore()
    yield kept
    kept.close()


def change(state, call, **kwargs):
    """Make a call as the server does: note what it uses, then keep it before answering."""
    with state.lock:
        with persistence.noting_backends() as used:
            answer = call(**kwargs)
        state.keep(used, changed=True)
    return answer


def restart(state):
    """What a new process finds in the state dir: moto emptied, then the dir restored."""
    state.close()
    persistence.forget_everything()
    again = journal.StateDir(state.path, state.lock, state.compact_after)
    again.restore()
    return again


def cluster_arns(aws):
    return aws.ecs.list_clusters()["clusterArns"]


def test_a_kept_change_is_there_after_a_restart(aws, state):
    arn = change(state, aws.ecs.create_cluster, clusterName="kept")["cluster"]["clusterArn"]

    state = restart(state)

    assert cluster_arns(aws) == [arn]
    state.close()


def test_a_change_being_written_when_the_cloud_is_killed_is_dropped_and_the_rest_kept(
    aws, state, caplog
):
    arn = change(state, aws.ecs.create_cluster, clusterName="kept")["cluster"]["clusterArn"]
    [segment] = sorted(state.path.glob("journal.*"))
    complete = segment.stat().st_size
    change(state, aws.ecs.create_cluster, clusterName="cut-short")
    # The process died halfway through writing the second change: it was never answered.
    with open(segment, "r+b") as file:
        file.truncate(complete + (segment.stat().st_size - complete) // 2)

    with caplog.at_level(logging.INFO, logger="localcloud"):
        state = restart(state)

    assert cluster_arns(aws) == [arn]
    assert "Dropping a change journal.000001 was writing when the cloud stopped" in caplog.text
    # What comes next follows the last whole change.
    later = change(state, aws.ecs.create_cluster, clusterName="later")["cluster"]["clusterArn"]
    state = restart(state)
    assert sorted(cluster_arns(aws)) == sorted([arn, later])
    state.close()


def test_compaction_folds_the_journal_into_a_snapshot_and_keeps_a_change_made_meanwhile(
    aws, state, monkeypatch
):
    first = change(state, aws.ecs.create_cluster, clusterName="first")["cluster"]["clusterArn"]
    meanwhile = []
    picture = persistence.picture

    def picture_then_serve_a_request(whole, names):
        data = picture(whole, names)
        # Once the snapshot holds ECS, the cloud serves a request, as it does between two
        # backends while a compaction runs in its own thread.
        if not meanwhile and any(key.service == "ecs" for key in whole):
            meanwhile.append("serving")
            created = change(state, aws.ecs.create_cluster, clusterName="meanwhile")
            meanwhile[:] = [created["cluster"]["clusterArn"]]
        return data

    monkeypatch.setattr(persistence, "picture", picture_then_serve_a_request)
    state.compact()
    monkeypatch.undo()

    assert [p.name for p in sorted(state.path.iterdir())] == ["journal.000002", "snapshot"]
    state = restart(state)
    assert sorted(cluster_arns(aws)) == sorted([first, *meanwhile])
    state.close()


def test_what_a_compaction_killed_midway_leaves_is_cleared_and_nothing_lost(aws, state):
    first = change(state, aws.ecs.create_cluster, clusterName="first")["cluster"]["clusterArn"]
    state.compact()
    later = change(state, aws.ecs.create_cluster, clusterName="later")["cluster"]["clusterArn"]
    # Killed while writing its snapshot, a second compaction leaves a part of it and the new
    # journal file it had begun, not even with its header yet.
    (state.path / "snapshot.partial").write_bytes(b"half a snapshot")
    (state.path / "journal.000003").write_bytes(b"")

    state = restart(state)

    assert sorted(cluster_arns(aws)) == sorted([first, later])
    assert [p.name for p in sorted(state.path.iterdir())] == ["journal.000002", "snapshot"]
    state.close()


def test_moto_s_reset_is_kept_too(aws, state):
    change(state, aws.ecs.create_cluster, clusterName="before")
    change(state, aws.ec2.create_key_pair, KeyName="before")
    with state.lock:
        BackendDict.reset()
        state.keep([], changed=True, reset=True)
    after = change(state, aws.ecs.create_cluster, clusterName="after")["cluster"]["clusterArn"]

    state = restart(state)

    assert cluster_arns(aws) == [after]
    # EC2 was not used since the reset, yet what it held before is gone as well.
    assert aws.ec2.describe_key_pairs()["KeyPairs"] == []
    state.close()


def test_the_journal_is_compacted_once_it_outgrows_its_limit_and_the_snapshot(aws, tmp_path):
    state = journal.StateDir(tmp_path / "state", threading.RLock(), compact_after=1)
    state.restore()
    change(state, aws.ecs.create_cluster, clusterName="one")
    state.wait_for_compaction(timeout=60)
    snapshot = (state.path / "snapshot").stat().st_size

    for number in range(3):
        change(state, aws.ecs.create_cluster, clusterName=f"small-{number}")

    assert (state.path / "snapshot").stat().st_size == snapshot
    state.close()


def test_a_state_dir_from_another_moto_is_set_aside_and_the_cloud_starts_clean(
    aws, state, monkeypatch, caplog
):
    change(state, aws.ecs.create_cluster, clusterName="old")
    monkeypatch.setattr(journal.moto, "__version__", "0.0.1")

    with caplog.at_level(logging.WARNING, logger="localcloud"):
        state = restart(state)

    assert cluster_arns(aws) == []
    assert "Starting clean:" in caplog.text
    assert "was written by moto 5.2.5, not 0.0.1" in caplog.text
    [kept] = (state.path / "ignored").iterdir()
    assert (kept / "journal.000001").exists()
    state.close()


def whole_cloud_as_older_local_clouds_kept_it():
    """Every backend in one pickle, `moto-state.pickle`, as the local cloud kept its state
    before the journal."""

    class Pickler(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, defaultdict):
                return persistence._reduce_defaultdict(obj)
            return NotImplemented

    backends = {(bd.backend.__module__, bd.service_name): dict(bd) for bd in BackendDict._instances}
    buffer = io.BytesIO()
    Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
        {"moto": moto.__version__, "backends": backends}
    )
    return buffer.getvalue()


def test_the_clusters_an_older_local_cloud_kept_are_read_in_and_its_file_kept_aside(
    aws, tmp_path, caplog
):
    arn = aws.ecs.create_cluster(clusterName="made-before-the-journal")["cluster"]["clusterArn"]
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "moto-state.pickle").write_bytes(whole_cloud_as_older_local_clouds_kept_it())
    persistence.forget_everything()
    state = journal.StateDir(state_dir, threading.RLock())

    with caplog.at_level(logging.INFO, logger="localcloud"):
        state.restore()

    assert cluster_arns(aws) == [arn]
    assert "Read the state from before the journal into a snapshot" in caplog.text
    [kept] = (state_dir / "ignored").iterdir()
    assert (kept / "moto-state.pickle").exists()
    assert not (state_dir / "moto-state.pickle").exists()
    state = restart(state)  # from the snapshot now
    assert cluster_arns(aws) == [arn]
    state.close()


def test_an_unreadable_whole_cloud_pickle_is_set_aside_with_a_clear_line(aws, tmp_path, caplog):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "moto-state.pickle").write_bytes(b"the whole cloud, pickled")
    state = journal.StateDir(state_dir, threading.RLock())

    with caplog.at_level(logging.WARNING, logger="localcloud"):
        state.restore()

    assert "Starting clean:" in caplog.text
    assert "the state of the local cloud before the journal cannot be read" in caplog.text
    [kept] = (state_dir / "ignored").iterdir()
    assert (kept / "moto-state.pickle").exists()
    state.close()


def test_a_change_that_cannot_be_saved_is_refused_loudly_and_keeps_nothing_half_written(
    aws, state
):
    # A generator cannot be pickled (a lock can: persistence.py pictures it as a new one).
    ecs_backends[DEFAULT_ACCOUNT_ID][REGION].pending = (n for n in range(3))
    [segment] = state.path.glob("journal.*")
    size = segment.stat().st_size

    with pytest.raises(persistence.StateError, match="cannot be saved"):
        change(state, aws.ecs.create_cluster, clusterName="unsaved")

    assert segment.stat().st_size == size


def test_a_change_that_cannot_be_saved_answers_500_and_says_so_in_the_log(
    served, session, caplog
):
    ecs = session.client(
        "ecs",
        endpoint_url=served.endpoint_url,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    ecs.list_clusters()
    # A generator cannot be pickled (a lock can: persistence.py pictures it as a new one).
    ecs_backends[DEFAULT_ACCOUNT_ID][REGION].pending = (n for n in range(3))

    with caplog.at_level(logging.ERROR, logger="localcloud"):
        with pytest.raises(ClientError) as refused:
            ecs.create_cluster(clusterName="unsaved")

    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert refused.value.response["Error"]["Code"] == "InternalFailure"
    assert "could not save this change" in refused.value.response["Error"]["Message"]
    assert "The local cloud could not save a change" in caplog.text
    assert f"ecs backend of account {DEFAULT_ACCOUNT_ID} in {REGION}" in caplog.text

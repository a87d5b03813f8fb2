"""The Celery app talks to Redis through the transport that outlives a killed Redis
(ecsconsole/broker.py); the end-to-end proof is tests/e2e/test_redis_killed_mid_create.py."""

import inspect

from kombu.transport import redis

from ecsconsole import broker, celery_app


def test_the_celery_app_reaches_redis_through_the_transport_that_outlives_it():
    with celery_app.connection_for_write() as connection:
        assert type(connection.transport) is broker.Transport
        assert connection.transport.Channel is broker.Channel


def test_the_kombu_close_it_corrects_still_reads_the_outstanding_brpop_first():
    # When kombu stops reading the BRPOP answer in close (or renames what the correction
    # relies on), this fails: look again at whether ecsconsole/broker.py is still needed.
    assert list(inspect.signature(redis.Channel.close).parameters) == ["self"]
    assert "self._brpop_read()" in inspect.getsource(redis.Channel.close)
    assert "_in_poll" in vars(redis.Channel)

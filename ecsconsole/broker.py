"""kombu's Redis transport, with a channel that closes cleanly when Redis has died under it.

kombu 5.7.0 (the newest release) closes a Redis channel by first reading the answer to the
BRPOP it has outstanding (added by celery/kombu#1733, "Prevent redis task loss when closing
connection while in poll"). When Redis was killed, that read raises ConnectionError and the
close stops half way: the channel is left open with its unacknowledged messages. Celery then
clears the connection's transport (`Connection.collect`) and closes it again; this time the
channel goes on to restore the unacknowledged messages, needs a new connection pool, and
`_connparams` reads `hostname` from the transport's client, now None: AttributeError, which is
not a connection error, so the worker exits ("Unrecoverable error"). The same chain,
restore_unacked_once → conn_or_acquire → `conninfo.hostname` on None, is celery/kombu#970; the
close-time BRPOP read is discussed in celery/kombu#1785 and the unmerged revert
celery/kombu#2154. Until a release fixes it, this channel treats a BRPOP answer that cannot be
read because the connection is gone like no answer at all, and closes the rest as usual.
"""

import contextlib
from queue import Empty

from kombu.transport import redis


class Channel(redis.Channel):
    def close(self):
        if self._in_poll:
            # A dead Redis has no answer to give: the read fails and clears _in_poll, so the
            # close below does not try it again and goes on to mark the channel closed.
            with contextlib.suppress(Empty, *self.connection_errors):
                self._brpop_read()
        super().close()


class Transport(redis.Transport):
    Channel = Channel

"""The state dir: a snapshot, then a journal with a picture of what each call changed.

Every call that may change the cloud appends a picture of the backends it used (see
persistence.py) and fsyncs it before its answer leaves, so `kill -9` loses nothing the cloud
acknowledged. When the journal has grown past both a limit and the snapshot, compaction folds
it into a new snapshot: it starts a new journal file, pictures every backend one at a time
(the cloud serves requests between two), writes `snapshot.partial`, renames it over
`snapshot` and only then deletes the journal files the snapshot covers. A change made while
it runs is in the new journal file, which the new snapshot does not cover, so none is lost.

Files: `snapshot`, `journal.000001`, `journal.000002`, … Each is a run of frames (payload
length, CRC-32, kind, payload). Its first frame, a header, names the format and the moto that
wrote it; a snapshot's header also names the first journal file after it.
"""

import json
import logging
import os
import struct
import tempfile
import threading
import time
import zlib
from pathlib import Path

import moto

from . import persistence
from .persistence import StateError

# Raise it when pictures change shape (persistence.py's names they refer to, the frames), so
# that an older state dir is set aside with a clear line rather than misread.
FORMAT = 2
SNAPSHOT = "snapshot"
PARTIAL_SNAPSHOT = "snapshot.partial"
JOURNAL_PREFIX = "journal."
# What the local cloud kept before it had a journal: the whole cloud, pickled now and then.
WHOLE_CLOUD_PICKLE = "moto-state.pickle"
IGNORED = "ignored"
COMPACT_AFTER_BYTES = 16 * 2**20

HEADER, PICTURE, RESET = b"H", b"P", b"R"
_FRAME = struct.Struct("<IIc")

log = logging.getLogger("localcloud")


class _Abandoned(Exception):
    """The cloud is stopping: a compaction gives up, keeping the journal as it is."""


class StateDir:
    """The cloud's state in a directory. Call restore() first, then keep() after each request.

    `lock` is the lock the server holds while a request runs; keep() is called holding it, and
    compaction takes it for each backend it pictures.
    """

    def __init__(self, path, lock, compact_after=COMPACT_AFTER_BYTES):
        self.path = Path(path)
        self.lock = lock
        self.compact_after = compact_after
        self._known = set()
        self._fd = None
        self._segment = 0
        self._journal_end = 0
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._retry_compaction_at = 0
        self._compaction = None
        self._compacting = threading.Lock()
        self._closing = threading.Event()
        self._broken = None
        self._converted_from = None

    @property
    def journal_bytes(self):
        """What the journal files after the snapshot hold."""
        return self._journal_bytes

    # Start-up

    def restore(self):
        """Load the snapshot and the journal after it; a state from elsewhere is set aside."""
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / PARTIAL_SNAPSHOT).unlink(missing_ok=True)
        try:
            with persistence.restoring():
                journal_from = self._load()
        except StateError as error:
            persistence.forget_everything()
            kept = self._set_aside()
            self._snapshot_bytes = self._journal_bytes = 0
            log.warning("Starting clean: %s. The old state is kept in %s", error, kept)
            journal_from = 1
        self._known = set(persistence.backends())
        self._open_journal(journal_from)
        if self._converted_from is not None:
            self.compact()
            kept = self._set_aside([self._converted_from])
            log.info("Read the state from before the journal into a snapshot; kept it in %s", kept)
            self._converted_from = None
        self._maybe_compact()

    def _load(self):
        whole = self.path / WHOLE_CLOUD_PICKLE
        if whole.exists():
            if (self.path / SNAPSHOT).exists() or self._segments():
                raise StateError(
                    f"{self.path} holds both {WHOLE_CLOUD_PICKLE}, the state of a local cloud "
                    "from before the journal, and a journal"
                )
            # The clusters people made before the journal are theirs: read them in, and once
            # restore() has written them as a snapshot, keep the old file aside.
            persistence.put_back_whole_cloud(whole.read_bytes())
            self._converted_from = whole
            return 1
        journal_from = 1
        snapshot = self.path / SNAPSHOT
        if snapshot.exists():
            with open(snapshot, "rb") as file:
                reader = _Frames(file)
                journal_from = _check_header(snapshot, next(reader, None))["journal_from"]
                for kind, payload in reader:
                    _apply(snapshot, kind, payload)
            # Renamed into place only once written whole, a snapshot never ends short.
            if reader.damage or reader.unfinished:
                raise StateError(f"{snapshot} is damaged ({reader.damage or 'it ends short'})")
            self._snapshot_bytes = reader.end
        segments = self._segments()
        for number in [n for n in segments if n < journal_from]:
            # Left by a compaction stopped after its snapshot was in place.
            self._segment_path(number).unlink()
        kept = [n for n in segments if n >= journal_from]
        for number in kept:
            path = self._segment_path(number)
            with open(path, "rb") as file:
                reader = _Frames(file)
                first = next(reader, None)
                if first is None and number == kept[-1] and not reader.damage:
                    # Begun just before the cloud stopped, without even its header.
                    path.unlink()
                    continue
                _check_header(path, first)
                for kind, payload in reader:
                    _apply(path, kind, payload)
            if reader.damage:
                raise StateError(f"{path} is damaged ({reader.damage})")
            if reader.unfinished:
                if number != kept[-1]:
                    raise StateError(f"{path} ends in the middle of a change")
                # A change being written when the cloud was killed: it was never answered.
                log.info("Dropping a change %s was writing when the cloud stopped", path.name)
                os.truncate(path, reader.end)
            self._journal_bytes += reader.end
        return journal_from

    def _set_aside(self, paths=None):
        """Move the state files (or these) into a folder of their own under ignored/: each time
        a new folder, so setting a state aside never loses an earlier one."""
        (self.path / IGNORED).mkdir(exist_ok=True)
        kept = Path(
            tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-"), dir=self.path / IGNORED)
        )
        for path in self._state_files() if paths is None else paths:
            path.rename(kept / path.name)
        return kept

    def _state_files(self):
        names = (SNAPSHOT, WHOLE_CLOUD_PICKLE)
        return [p for p in self.path.iterdir() if p.name in names] + [
            self._segment_path(n) for n in self._segments()
        ]

    def _segments(self):
        numbers = []
        for path in self.path.iterdir():
            suffix = path.name[len(JOURNAL_PREFIX) :]
            if path.name.startswith(JOURNAL_PREFIX) and suffix.isdigit():
                numbers.append(int(suffix))
        return sorted(numbers)

    def _segment_path(self, number):
        return self.path / f"{JOURNAL_PREFIX}{number:06d}"

    def _open_journal(self, journal_from):
        segments = [n for n in self._segments() if n >= journal_from]
        if segments:
            self._segment = segments[-1]
            path = self._segment_path(self._segment)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            self._journal_end = os.fstat(self._fd).st_size
        else:
            self._start_segment(journal_from)

    def _start_segment(self, number):
        """Write from now on to journal file `number`; if it cannot be made, keep the last."""
        path = self._segment_path(number)
        payload = _header()
        header = _frame_head(HEADER, payload) + payload
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _write_all(fd, header)
            os.fdatasync(fd)
            _sync_directory(self.path)
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._segment, self._journal_end = fd, number, len(header)
        self._journal_bytes += len(header)

    # After each request

    def keep(self, used, changed, reset=False):
        """Make a request's changes durable: call holding the lock, before the answer leaves.

        `used` are the backends the request used; with `changed` they are pictured whole, as is
        any backend never kept before (moto makes backends, with ids of their own, even on reads).
        """
        if reset:
            self._append(RESET, b"")
            self._known.clear()
        everything = persistence.backends()
        names = {id(backend): key for key, backend in everything.items()}
        whole = {key: backend for key, backend in everything.items() if key not in self._known}
        if changed:
            for backend in used:
                key = names.get(id(backend))
                if key is not None:
                    whole[key] = backend
        if not whole:
            return
        self._append(PICTURE, persistence.picture(whole, names))
        self._known.update(whole)
        self._maybe_compact()

    def _append(self, kind, payload):
        if self._broken is not None:
            raise StateError(f"the journal cannot be written since {self._broken}")
        head = _frame_head(kind, payload)
        try:
            _write_all(self._fd, head)
            _write_all(self._fd, payload)
            os.fdatasync(self._fd)
        except OSError as error:
            try:
                os.ftruncate(self._fd, self._journal_end)
            except OSError as truncating:
                self._broken = f"a failed write could not be undone ({truncating})"
            raise StateError(f"the journal cannot be written ({error})") from error
        written = len(head) + len(payload)
        self._journal_end += written
        self._journal_bytes += written

    # Compaction

    def _maybe_compact(self):
        due = self._journal_bytes >= max(
            self.compact_after, self._snapshot_bytes, self._retry_compaction_at
        )
        if due and (self._compaction is None or not self._compaction.is_alive()):
            self._compaction = threading.Thread(
                target=self._compact_logging_failure, name="localcloud-compaction", daemon=True
            )
            self._compaction.start()

    def _compact_logging_failure(self):
        try:
            self.compact()
        except _Abandoned:
            pass
        except Exception:
            log.exception(
                "Compacting the local cloud's journal failed; the journal keeps every change"
            )
            with self.lock:
                self._retry_compaction_at = self._journal_bytes + self.compact_after

    def compact(self):
        """Fold the journal into a new snapshot, while the cloud keeps serving."""
        with self._compacting:
            self._compact()

    def _compact(self):
        with self.lock:
            covered_bytes = self._journal_bytes
            self._start_segment(self._segment + 1)
            journal_from = self._segment
            keys = sorted(persistence.backends())
            persistence.IDENTITIES.prune()
        partial = self.path / PARTIAL_SNAPSHOT
        try:
            with open(partial, "wb") as file:
                size = _write_frame(file, HEADER, _header(journal_from=journal_from))
                for key in keys:
                    if self._closing.is_set():
                        raise _Abandoned()
                    with self.lock:
                        backend = persistence.backend_at(key)
                        if backend is None:
                            continue
                        names = {id(b): k for k, b in persistence.backends().items()}
                        payload = persistence.picture({key: backend}, names)
                    size += _write_frame(file, PICTURE, payload)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, self.path / SNAPSHOT)
            _sync_directory(self.path)
        finally:
            partial.unlink(missing_ok=True)
        with self.lock:
            for number in self._segments():
                if number < journal_from:
                    self._segment_path(number).unlink()
            self._snapshot_bytes = size
            self._journal_bytes -= covered_bytes
            self._retry_compaction_at = 0
        log.info(
            "Compacted the journal into a %.1f MB snapshot (%d backends)", size / 1e6, len(keys)
        )

    def wait_for_compaction(self, timeout=None):
        if self._compaction is not None:
            self._compaction.join(timeout)

    def close(self):
        self._closing.set()
        self.wait_for_compaction(timeout=30)
        with self.lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class _Frames:
    """The frames of a file, read one at a time; afterwards `end` is where the good ones end."""

    def __init__(self, file):
        self._file = file
        self.size = os.fstat(file.fileno()).st_size
        self.end = 0
        # A last frame cut short: a write the cloud did not finish, so never acknowledged.
        self.unfinished = False
        self.damage = None

    def __iter__(self):
        return self

    def __next__(self):
        head = self._file.read(_FRAME.size)
        if not head:
            raise StopIteration
        if len(head) < _FRAME.size:
            self.unfinished = True
            raise StopIteration
        length, checksum, kind = _FRAME.unpack(head)
        payload = self._file.read(length)
        frame_end = self.end + _FRAME.size + length
        if zlib.crc32(payload, zlib.crc32(kind)) != checksum:
            if frame_end >= self.size:
                self.unfinished = True
            else:
                self.damage = f"a bad checksum at byte {self.end}"
            raise StopIteration
        self.end = frame_end
        return kind, payload


def _header(**fields):
    return json.dumps({"format": FORMAT, "moto": moto.__version__, **fields}).encode()


def _check_header(path, first):
    if first is None or first[0] != HEADER:
        raise StateError(f"{path} does not begin with a header")
    header = json.loads(first[1])
    if header.get("format") != FORMAT:
        raise StateError(f"{path} is in format {header.get('format')}, not {FORMAT}")
    if header.get("moto") != moto.__version__:
        raise StateError(
            f"{path} was written by moto {header.get('moto')}, not {moto.__version__}"
        )
    return header


def _apply(path, kind, payload):
    if kind == PICTURE:
        persistence.put_back(payload)
    elif kind == RESET:
        persistence.forget_everything()
    else:
        raise StateError(f"{path} holds a frame of unknown kind {kind!r}")


def _frame_head(kind, payload):
    return _FRAME.pack(len(payload), zlib.crc32(payload, zlib.crc32(kind)), kind)


def _write_frame(file, kind, payload):
    file.write(_frame_head(kind, payload))
    file.write(payload)
    return _FRAME.size + len(payload)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _sync_directory(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

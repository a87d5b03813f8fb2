"""Pictures of moto's backends: some backends pickled whole, every object keeping its identity.

A change in moto is a change to the objects of the backends (service, account, region) that
a request used, so the journal keeps, after each request, a picture of those backends. Replaying
the request instead would mint new random ids for every instance, stack and container instance,
and the console keeps those ids; a picture keeps them exactly.

Backends share objects: a stack's resource map holds the VPC that EC2 holds, an Auto Scaling
group holds EC2's instances. A picture therefore names each object by a number of its own, and
names any backend it is not picturing instead of copying it. Putting pictures back in the order
they were taken updates an object that an earlier picture made, in place, so the group and EC2
see one instance again, in its latest state.
"""

import contextlib
import copyreg
import functools
import gc
import importlib
import io
import json
import pickle
import sys
import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass

import moto
from moto.core.base_backend import AccountSpecificBackend, BackendDict, BaseBackend

from ._patching import replace, wrap


class StateError(Exception):
    """State that cannot be saved or put back: written by another moto, damaged, or unpicklable."""


@dataclass(frozen=True, order=True)
class BackendKey:
    """Where one backend lives: moto's dict of a service's backends, then account, then region."""

    module: str
    service: str
    account: str
    region: str

    def __str__(self):
        return f"{self.service} backend of account {self.account} in {self.region}"


def install():
    """Note which backends each request uses; safe to call again."""
    replace(BaseBackend, "__getattribute__", _noting_getattribute)
    from moto.iam import models as iam

    # Every request looks its access key up in every account's IAM backends and stamps the
    # key's last use: neither is a change of the account's resources (AWS itself records last
    # use only approximately), so they must not make every request picture every IAM backend.
    # A stamped time is saved with the account's next IAM change.
    wrap(iam, "get_account_id_from", _only_reading)
    wrap(iam, "mark_account_as_visited", _only_reading)


# The backends used by the request being served, by id; None while no request runs.
_noted = None
# What moto reads of every backend to route a request to one, and isinstance() reads: these
# say what a backend is, not what it holds.
_ROUTING = frozenset(("__class__", "urls", "url_paths", "url_bases", "flask_paths", "_url_module"))


def _noting_getattribute(self, name):
    noted = _noted
    if noted is not None and name not in _ROUTING:
        noted[id(self)] = self
    return object.__getattribute__(self, name)


@contextlib.contextmanager
def only_reading():
    """Backends used inside the block are only read: the request does not change them."""
    global _noted
    noted, _noted = _noted, None
    try:
        yield
    finally:
        _noted = noted


def _only_reading(original, *args, **kwargs):
    with only_reading():
        return original(*args, **kwargs)


@contextlib.contextmanager
def noting_backends():
    """Yield a list that, once the block ends, holds every backend the block used."""
    global _noted
    used = []
    _noted = {}
    try:
        yield used
    finally:
        used.extend(_noted.values())
        _noted = None


def backends():
    """Every backend moto holds, by key."""
    found = {}
    for backend_dict in list(BackendDict._instances):
        module = backend_dict.backend.__module__
        for account, regions in list(dict.items(backend_dict)):
            for region, backend in list(dict.items(regions)):
                found[BackendKey(module, backend_dict.service_name, account, region)] = backend
    return found


def backend_at(key):
    """The backend at key, or None."""
    regions = dict.get(_backend_dict(key.module, key.service), key.account)
    return None if regions is None else dict.get(regions, key.region)


def picture(whole, keys):
    """Pickle the backends of `whole` (key -> backend) entire; `keys` names every backend by id.

    Backends outside `whole` are pickled as their key alone; an id missing from `keys` is
    looked up again, so a backend made since `keys` was built is still named.
    """
    for key, backend in whole.items():
        if backend_at(key) is not backend:
            raise StateError(f"the {key} cannot be found again by its key")
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, {id(backend) for backend in whole.values()}, keys)
    with _collection_paused():
        try:
            pickler.dump(list(whole.values()))
        except StateError:
            raise
        except Exception as error:
            raise StateError(f"{', '.join(map(str, whole))}: cannot be saved ({error})") from error
    return buffer.getvalue()


def put_back(data):
    """Put a picture's backends in place, updating the objects earlier pictures made.

    Call it inside restoring().
    """
    if _restoring is None:
        raise RuntimeError("put_back() outside restoring()")
    with _collection_paused():
        try:
            pickle.loads(data)
        except StateError:
            raise
        except Exception as error:
            raise StateError(f"a saved change cannot be read ({error!r})") from error


def put_back_whole_cloud(data):
    """Put in place the state a local cloud kept before the journal: every backend of every
    service in one pickle (`moto-state.pickle`), written by the same moto."""
    try:
        state = pickle.loads(data)
    except Exception as error:
        raise StateError(
            f"the state of the local cloud before the journal cannot be read ({error!r})"
        ) from error
    if state.get("moto") != moto.__version__:
        raise StateError(
            f"the state of the local cloud before the journal was written by moto "
            f"{state.get('moto')}, not {moto.__version__}"
        )
    for (module_name, service_name), accounts in state["backends"].items():
        backend_dict = _backend_dict(module_name, service_name)
        backend_dict.clear()
        dict.update(backend_dict, accounts)
        if backend_dict not in BackendDict._instances:
            BackendDict._instances.append(backend_dict)


def forget_everything():
    """Drop every backend, as moto's reset does, also in the middle of restoring()."""
    for backend_dict in list(BackendDict._instances):
        backend_dict.clear()
    BackendDict._instances.clear()
    if _restoring is not None:
        _restoring.objects.clear()
        _restoring.unfilled.clear()


@contextlib.contextmanager
def restoring():
    """Put pictures back (put_back) in the order they were taken.

    On leaving, every backend a picture named must have been pictured whole itself, and the
    objects put back keep their numbers for the pictures taken from now on.
    """
    global _restoring
    _restoring = _Restoring()
    try:
        yield
        if _restoring.unfilled:
            missing = ", ".join(sorted(map(str, _restoring.unfilled.values())))
            raise StateError(f"the saved state names backends it never saved: {missing}")
        IDENTITIES.adopt(_restoring.objects)
    finally:
        _restoring = None


class _Identities:
    """The number of every object pictured or put back; an object keeps its number for life."""

    def __init__(self):
        self._by_id = {}
        self._next = 1

    def number(self, obj):
        entry = self._by_id.get(id(obj))
        if entry is not None and entry[0]() is obj:
            return entry[1]
        number = self._next
        self._next += 1
        self._by_id[id(obj)] = (weakref.ref(obj), number)
        return number

    def adopt(self, objects):
        for number, obj in objects.items():
            self._by_id[id(obj)] = (weakref.ref(obj), number)
            self._next = max(self._next, number + 1)

    def prune(self):
        """Forget objects that no longer exist."""
        self._by_id = {key: entry for key, entry in self._by_id.items() if entry[0]() is not None}


IDENTITIES = _Identities()


class _Restoring:
    def __init__(self):
        self.objects = {}
        # Backends named by a picture but not yet pictured whole, by id.
        self.unfilled = {}


_restoring = None


@contextlib.contextmanager
def _collection_paused():
    # Pickling allocates an object per object of the state, and each allocation may start a
    # collection that walks the whole of moto's heap: a picture of 1 MB would take many times
    # as long.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# How each class is pickled, found once per class.
(
    _PLAIN,
    _IDENTIFIED,
    _POLICY_VERSION,
    _DEFAULTDICT,
    _BACKEND,
    _ACCOUNT_BACKENDS,
    _BACKEND_DICT,
    _LOCK,
    _WEAK_VALUES,
    _PRIVATE_KEY,
) = range(10)
_kinds = {}
# A lock that moto keeps on an object only guards it while a request runs; every picture is
# taken between requests, under the server's lock, when no other lock is held and no thread
# waits on a condition. So a lock is pictured as what makes a new, free one of its kind: an
# SQS queue's Condition (its messages' lock) and ECR's RLock.
_NEW_LOCK = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
    threading.Condition: threading.Condition,
}


def _kind(cls):
    from moto.iam.models import PolicyVersion

    if cls is PolicyVersion:
        return _POLICY_VERSION
    if cls in _NEW_LOCK:
        return _LOCK
    if issubclass(cls, weakref.WeakValueDictionary):
        return _WEAK_VALUES
    if cls.__module__.startswith("cryptography.") and hasattr(cls, "private_bytes"):
        return _PRIVATE_KEY
    if issubclass(cls, BaseBackend):
        return _BACKEND
    if issubclass(cls, defaultdict):
        return _DEFAULTDICT
    if issubclass(cls, AccountSpecificBackend):
        return _ACCOUNT_BACKENDS
    if issubclass(cls, BackendDict):
        return _BACKEND_DICT
    ordinary = (
        cls.__module__ != "builtins"
        and not issubclass(cls, type)
        and cls not in copyreg.dispatch_table
        and cls.__reduce_ex__ is object.__reduce_ex__
        and cls.__reduce__ is object.__reduce__
        and cls.__weakrefoffset__ != 0
    )
    return _IDENTIFIED if ordinary else _PLAIN


class _Pickler(pickle.Pickler):
    def __init__(self, file, whole_ids, keys):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._whole_ids = whole_ids
        self._keys = keys

    def reducer_override(self, obj):
        cls = type(obj)
        kind = _kinds.get(cls)
        if kind is None:
            kind = _kinds[cls] = _kind(cls)
        if kind == _IDENTIFIED or kind == _POLICY_VERSION:
            reduced = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
            if reduced[0] is not copyreg.__newobj__ or len(reduced[1]) != 1:
                return NotImplemented
            state = reduced[2]
            if kind == _POLICY_VERSION:
                state = _without_aws_managed_document(state)
            number = IDENTITIES.number(obj)
            return (_identified, (number, cls), state, reduced[3], reduced[4], _set_state)
        if kind == _PLAIN:
            return NotImplemented
        if kind == _LOCK:
            return (_NEW_LOCK[cls], ())
        if kind == _WEAK_VALUES:
            # Lambda's functions by ARN: the values are held elsewhere in the picture too.
            return (cls, (), None, None, iter(list(obj.items())))
        if kind == _PRIVATE_KEY:
            # A KMS key's key material, as the PKCS#8 DER it is read back from.
            return (_private_key, (_private_key_der(obj),))
        if kind == _BACKEND:
            return self._reduce_backend(obj, cls)
        if kind == _DEFAULTDICT:
            return _reduce_defaultdict(obj)
        if kind == _ACCOUNT_BACKENDS:
            backend_dict = _backend_dict_holding(obj)
            return (
                _account_backends,
                (backend_dict.backend.__module__, backend_dict.service_name, obj.account_id),
            )
        return (_backend_dict, (obj.backend.__module__, obj.service_name))

    def _reduce_backend(self, obj, cls):
        key = self._keys.get(id(obj))
        if key is None:
            self._keys.update({id(backend): key for key, backend in backends().items()})
            key = self._keys.get(id(obj))
        if key is None:
            raise StateError(f"a {cls.__name__} that moto does not hold cannot be saved")
        arguments = (key.module, key.service, key.account, key.region, cls)
        if id(obj) not in self._whole_ids:
            return (_backend, arguments)
        return (_backend, arguments, vars(obj), None, None, _set_backend_state)


def _private_key_der(key):
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private_key(der):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_private_key(der, password=None)


def _reduce_defaultdict(obj):
    # moto builds a few defaultdicts with lambda factories, which pickle cannot name: use
    # instead a factory that makes what the lambda makes.
    factory = obj.default_factory
    if getattr(factory, "__name__", "") == "<lambda>":
        sample = factory()
        if type(sample) is defaultdict:
            factory = functools.partial(defaultdict, sample.default_factory)
        else:
            factory = type(sample)
    state = vars(obj) if type(obj) is not defaultdict else None
    return (_new_defaultdict, (type(obj), factory), state, None, iter(obj.items()))


class _AwsManagedPolicyDocument:
    """An AWS managed policy's document, pickled as the policy's name in moto's catalogue.

    Every account's IAM holds each of some 1,600 AWS managed policies, 3.5 MB of documents
    that never change: a picture of an IAM backend names them instead of copying them.
    """

    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return (_aws_managed_policy_document, (self.name,))


def _without_aws_managed_document(state):
    name = _aws_managed_policy_names().get(state.get("document"))
    if name is None:
        return state
    return {**state, "document": _AwsManagedPolicyDocument(name)}


@functools.cache
def _aws_managed_policy_documents():
    # The text moto gives each AWS managed policy (AWSManagedPolicy.from_data), by name.
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {
        name: json.dumps(data.get("Document"))
        for name, data in json.loads(aws_managed_policies_data).items()
    }


@functools.cache
def _aws_managed_policy_names():
    return {document: name for name, document in _aws_managed_policy_documents().items()}


def _aws_managed_policy_document(name):
    return _aws_managed_policy_documents()[name]


def _new_defaultdict(cls, factory):
    # Subclasses such as SSM's ParameterDict take other arguments; build them bare.
    made = cls.__new__(cls)
    defaultdict.__init__(made, factory)
    return made


def _identified(number, cls):
    """The object with this number: made, or, if an earlier picture made it, emptied for reuse."""
    objects = _restoring.objects
    obj = objects.get(number)
    if obj is None or type(obj) is not cls:
        obj = objects[number] = cls.__new__(cls)
        return obj
    if hasattr(obj, "__dict__"):
        vars(obj).clear()
    if isinstance(obj, dict):
        dict.clear(obj)
    elif isinstance(obj, list):
        list.clear(obj)
    return obj


def _set_state(obj, state):
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None:
        setstate(state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        vars(obj).update(state)
    for name, value in (slots or {}).items():
        setattr(obj, name, value)


def _backend(module, service, account, region, cls):
    """The backend at this key: moto's own, or one made to be filled by its picture."""
    regions = _backend_dict(module, service)[account]
    backend = dict.get(regions, region)
    if type(backend) is not cls:
        backend = cls.__new__(cls)
        dict.__setitem__(regions, region, backend)
        if _restoring is not None:
            _restoring.unfilled[id(backend)] = BackendKey(module, service, account, region)
    return backend


def _set_backend_state(backend, state):
    vars(backend).clear()
    vars(backend).update(state)
    if _restoring is not None:
        _restoring.unfilled.pop(id(backend), None)


def _account_backends(module, service, account):
    return _backend_dict(module, service)[account]


@functools.cache
def _backend_dict(module_name, service_name):
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    for value in vars(module).values():
        if isinstance(value, BackendDict) and value.service_name == service_name:
            return value
    raise StateError(f"moto has no {service_name} backends in {module_name}")


def _backend_dict_holding(account_backends):
    for backend_dict in BackendDict._instances:
        if dict.get(backend_dict, account_backends.account_id) is account_backends:
            return backend_dict
    raise StateError(
        f"the {account_backends.service_name} backends of an account moto does not hold"
    )

"""The local cloud's state on disk: every moto backend pickled, so ids survive a restart.

Replaying recorded requests (moto's recorder) would mint new random ids for every instance,
stack and container instance, and the console keeps those ids; a pickle keeps them exactly.
"""

import functools
import importlib
import io
import os
import pickle
import sys
from collections import defaultdict

import moto
from moto.core.base_backend import BackendDict

STATE_FILE = "moto-state.pickle"


class StateError(Exception):
    """A state file that cannot be used: written by another moto, or damaged."""


def _factory(factory):
    # moto builds a few defaultdicts with lambda factories, which pickle cannot name: use
    # instead a factory that makes what the lambda makes.
    if getattr(factory, "__name__", "") == "<lambda>":
        sample = factory()
        if type(sample) is defaultdict:
            return functools.partial(defaultdict, sample.default_factory)
        return type(sample)
    return factory


def _new_defaultdict(cls, factory):
    # Subclasses such as SSM's ParameterDict take other arguments; build them bare.
    made = cls.__new__(cls)
    defaultdict.__init__(made, factory)
    return made


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, defaultdict):
            state = vars(obj) if type(obj) is not defaultdict else None
            return (
                _new_defaultdict,
                (type(obj), _factory(obj.default_factory)),
                state,
                None,
                iter(obj.items()),
            )
        return NotImplemented


def snapshot():
    """Every backend in use, pickled; call it while no request is changing them."""
    backends = {(bd.backend.__module__, bd.service_name): dict(bd) for bd in BackendDict._instances}
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
        {"moto": moto.__version__, "backends": backends}
    )
    return buffer.getvalue()


def restore(data):
    """Put the backends of a snapshot in place of moto's own."""
    try:
        state = pickle.loads(data)
    except Exception as error:
        raise StateError(f"the state file cannot be read ({error})") from error
    if state.get("moto") != moto.__version__:
        raise StateError(
            f"the state file was written by moto {state.get('moto')}, not {moto.__version__}"
        )
    for (module_name, service_name), accounts in state["backends"].items():
        backends = _backend_dict(module_name, service_name)
        backends.clear()
        dict.update(backends, accounts)
        if backends not in BackendDict._instances:
            BackendDict._instances.append(backends)


def _backend_dict(module_name, service_name):
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    for value in vars(module).values():
        if isinstance(value, BackendDict) and value.service_name == service_name:
            return value
    raise StateError(f"moto has no {service_name} backends in {module_name}")


def save(state_dir, data):
    """Write a snapshot atomically: a crash mid-write leaves the previous one."""
    os.makedirs(state_dir, exist_ok=True)
    path = os.path.join(state_dir, STATE_FILE)
    partial = path + ".partial"
    with open(partial, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def load(state_dir):
    """The saved snapshot's bytes, or None when the directory holds none."""
    path = os.path.join(state_dir, STATE_FILE)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as file:
        return file.read()

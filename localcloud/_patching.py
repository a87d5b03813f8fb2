"""Small helpers that wrap moto's methods once, keeping the original at hand."""

import functools


def wrap(owner, name, replacement, layer=""):
    """Make owner.name call replacement(original, *args, **kwargs); a second call is a no-op.

    Another module may wrap a name that one module already wraps by naming its own layer: the
    new wrapper then calls the wrapper it found.
    """
    marker = f"_localcloud_{layer}_original_{name}" if layer else f"_localcloud_original_{name}"
    if marker in vars(owner):
        return
    original = getattr(owner, name)
    setattr(owner, marker, original)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        return replacement(original, *args, **kwargs)

    setattr(owner, name, wrapper)


def replace(owner, name, replacement):
    """Make owner.name be replacement (a function, or a property); a second call is a no-op."""
    marker = f"_localcloud_original_{name}"
    if marker in vars(owner):
        return
    setattr(owner, marker, vars(owner).get(name))
    setattr(owner, name, replacement)

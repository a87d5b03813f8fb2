"""Small helpers that wrap moto's methods once, keeping the original at hand.

Installing the same patch twice is a no-op (install() may run more than once in a process); two
different patches of one method are refused loudly, since one of them would silently never run:
such patches belong in one function, or the second names its own `layer` and so wraps the first
on purpose.
"""

import functools


def _markers(name, layer):
    prefix = f"_localcloud_{layer}_" if layer else "_localcloud_"
    return f"{prefix}original_{name}", f"{prefix}patch_{name}"


def _function_of(patch):
    """The function behind a patch: a property's getter, a classmethod's function."""
    if isinstance(patch, property):
        return patch.fget
    return getattr(patch, "__func__", patch)


def _claim(owner, name, replacement, layer):
    """Whether owner.name is free to patch at this layer; raises if another patch holds it."""
    original_marker, patch_marker = _markers(name, layer)
    if original_marker not in vars(owner):
        return True
    holder = vars(owner).get(patch_marker)
    if _function_of(holder) is _function_of(replacement):
        return False
    raise RuntimeError(
        f"{owner.__name__}.{name} is already patched by {getattr(holder, '__qualname__', holder)}; "
        f"{getattr(replacement, '__qualname__', replacement)} must be part of that patch, or name "
        "a layer of its own"
    )


def wrap(owner, name, replacement, layer=""):
    """Make owner.name call replacement(original, *args, **kwargs); with a layer, the original
    is whatever owner.name is now, another module's wrapper included."""
    if not _claim(owner, name, replacement, layer):
        return
    original_marker, patch_marker = _markers(name, layer)
    original = getattr(owner, name)
    setattr(owner, original_marker, original)
    setattr(owner, patch_marker, replacement)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        return replacement(original, *args, **kwargs)

    setattr(owner, name, wrapper)


def replace(owner, name, replacement):
    """Make owner.name be replacement (a function, or a property)."""
    if not _claim(owner, name, replacement, ""):
        return
    original_marker, patch_marker = _markers(name, "")
    setattr(owner, original_marker, vars(owner).get(name))
    setattr(owner, patch_marker, replacement)
    setattr(owner, name, replacement)

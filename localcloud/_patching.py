"""Small helpers that wrap moto's methods once, keeping the original at hand."""

import functools


def wrap(owner, name, replacement):
    """Make owner.name call replacement(original, *args, **kwargs); a second call is a no-op."""
    marker = f"_localcloud_original_{name}"
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

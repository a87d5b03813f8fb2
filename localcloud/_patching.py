"""Small helpers that wrap moto's methods once, keeping the original at hand.

Installing the same patch twice is a no-op (install() may run more than once in a process); two
different patches of one method are refused loudly, since one of them would silently never run:
such patches belong in one function."""

import functools


def _claim(owner, name, replacement):
    """Whether owner.name is still moto's; raises if another patch already holds it."""
    marker = f"_localcloud_original_{name}"
    if marker not in vars(owner):
        return True
    holder = vars(owner).get(f"_localcloud_patch_{name}")
    if _function_of(holder) is _function_of(replacement):
        return False
    raise RuntimeError(
        f"{owner.__name__}.{name} is already patched by {getattr(holder, '__qualname__', holder)}; "
        f"{getattr(replacement, '__qualname__', replacement)} must be part of that patch"
    )


def _function_of(patch):
    """The function behind a patch: a property's getter, a classmethod's function."""
    if isinstance(patch, property):
        return patch.fget
    return getattr(patch, "__func__", patch)


def wrap(owner, name, replacement):
    """Make owner.name call replacement(original, *args, **kwargs)."""
    if not _claim(owner, name, replacement):
        return
    original = getattr(owner, name)
    setattr(owner, f"_localcloud_original_{name}", original)
    setattr(owner, f"_localcloud_patch_{name}", replacement)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        return replacement(original, *args, **kwargs)

    setattr(owner, name, wrapper)


def replace(owner, name, replacement):
    """Make owner.name be replacement (a function, or a property)."""
    if not _claim(owner, name, replacement):
        return
    setattr(owner, f"_localcloud_original_{name}", vars(owner).get(name))
    setattr(owner, f"_localcloud_patch_{name}", replacement)
    setattr(owner, name, replacement)

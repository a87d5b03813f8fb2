"""The local cloud's patches of moto: each installed once, and never two on one method."""

import pytest

from localcloud._patching import replace, wrap


class Moto:
    def describe(self):
        return "moto"

    @property
    def name(self):
        return "moto"


def _louder(original, self):
    return original(self).upper()


def _quieter(original, self):
    return original(self).lower()


def test_installing_a_patch_twice_is_installing_it_once():
    class Backend(Moto):
        pass

    wrap(Backend, "describe", _louder)
    wrap(Backend, "describe", _louder)
    replace(Backend, "name", property(lambda self: "local"))

    assert Backend().describe() == "MOTO"
    assert Backend._localcloud_original_describe(Backend()) == "moto"


def test_a_second_patch_of_the_same_method_is_refused_rather_than_silently_lost():
    class Backend(Moto):
        pass

    wrap(Backend, "describe", _louder)

    with pytest.raises(RuntimeError, match="already patched by _louder"):
        wrap(Backend, "describe", _quieter)
    assert Backend().describe() == "MOTO"


def test_a_property_patch_installed_again_is_the_same_patch():
    class Backend(Moto):
        pass

    def local_name(self):
        return "local"

    replace(Backend, "name", property(local_name))
    replace(Backend, "name", property(local_name))

    assert Backend().name == "local"


def test_a_patch_with_a_layer_of_its_own_wraps_the_one_before_it_on_purpose():
    class Backend(Moto):
        pass

    wrap(Backend, "describe", _louder)
    wrap(Backend, "describe", _quieter, layer="second")
    wrap(Backend, "describe", _quieter, layer="second")

    assert Backend().describe() == "moto"  # quieter, over louder, over moto
    assert Backend._localcloud_original_describe(Backend()) == "moto"

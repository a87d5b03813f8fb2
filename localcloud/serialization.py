"""moto's response serializer, answering the same documents in a fraction of the time.

For every member of every object it writes, moto's serializer asks six alias providers which
attribute names to try (`XFormedAttributePicker`), matches the member's path against each
response transformer, and only then reads the value: for DescribeInstances of 1,000 instances
that is 300,000 members, most of them absent, and most of the call's time. The names to try
depend only on the object's class, the member's name and its shape, so they are worked out once
and kept; the transformer that applies depends only on the member's path, so it too is looked up
once per path. Values are still read from the object each time, in the same order, so the
answer is the one moto gives (tests/localcloud/test_serialization.py compares them).

The XML protocols' documents are then written by xmltodict through SAX, an object and three calls
per element; `_xml` writes the same text straight from the dict for the documents moto makes,
and leaves any other to xmltodict.
"""

from xml.sax.saxutils import escape, quoteattr

import xmltodict
from moto.core import responses as moto_responses
from moto.core.errors import ErrorShape
from moto.core.serialize import (
    AttributePickerContext,
    BaseXMLSerializer,
    EC2Serializer,
    ResponseSerializer,
    XFormedAttributePicker,
)
from moto.core.utils import MISSING, get_value

from ._patching import replace, wrap

# Bounds on what is kept: a map's keys are part of its members' paths, and EC2's VPC peering
# adds a new transformer at each CreateVpcPeeringConnection.
MOST_PATHS_KEPT = 50_000
MOST_TRANSFORMER_SETS_KEPT = 64
# The plans of every shape the local cloud answers with are a few thousand; more would mean shapes
# made afresh for each answer, and the plans start again rather than grow.
MOST_PLANS_KEPT = 100_000

# (alias providers, object's class, member name, member shape) -> (how to read a value, the
# attribute names to try), or None where moto must decide each time. Shapes come from botocore's
# cached service models and live as long as the process, and each member shape belongs to one
# parent, so a shape with its name stands for one place in a document.
_members = {}
# (alias providers, object's class, structure shape) -> its members' plans, in the model's order.
_structures = {}
# The alias provider lists seen, kept so that their ids in the keys above are never reused.
_providers_seen = {}
# Response transformers, as a tuple of their items -> {member path: transformer or None, and
# (structure's path, structure shape): its members' transformers, or None for none}.
_transformers_by_path = {}


def install():
    wrap(moto_responses.BaseResponse, "__init__", _response_init)
    replace(ResponseSerializer, "get_value", _get_value)
    replace(ResponseSerializer, "_serialize_type_structure", _serialize_type_structure)
    replace(BaseXMLSerializer, "_serialize_body", _xml_body)
    replace(EC2Serializer, "_serialize_body", _ec2_xml_body)


def _response_init(original, response, *args, **kwargs):
    """Each answer gets its own copy of its service's response transformers, as each AWS request
    is answered on its own. moto's services add to them while serving (DescribeKeyPairs'
    IncludePublicKey, ECS's tags, VPC peering's status) in the class's one dict: two answers
    being written at once then changed it under each other's serializer (RuntimeError:
    dictionary changed size during iteration) and could lend one request's choice to the other."""
    original(response, *args, **kwargs)
    response.RESPONSE_KEY_PATH_TO_TRANSFORMER = dict(response.RESPONSE_KEY_PATH_TO_TRANSFORMER)


def _get_value(serializer, value, key, shape):
    picker = serializer._value_picker
    # moto makes an error's shape afresh for each error it answers: nothing to keep.
    in_error = isinstance(getattr(shape, "parent", None), ErrorShape)
    plan = None if in_error else _member_plan(serializer, picker, value, key, shape)
    if plan is None:
        return ResponseSerializer._localcloud_original_get_value(serializer, value, key, shape)
    read, names = plan
    found = _read(read, names, value)
    if picker.response_transformers:
        transform = _transform_for(serializer, picker, f"{'.'.join(serializer.path)}.{key}")
        if transform is not None:
            found = transform(found)
    return found


def _serialize_type_structure(serializer, serialized, value, shape, key):
    """moto's loop over a structure's members, reading each as _get_value does, without a call
    per member through _serialize_structure_member and get_value."""
    plans = _structure_plan(serializer, value, shape)
    if plans is None:
        return ResponseSerializer._localcloud_original__serialize_type_structure(
            serializer, serialized, value, shape, key
        )
    wrapper = serializer.MAP_TYPE() if key else serialized
    transforms = _structure_transforms(serializer, shape, plans)
    for index, (member_key, member_shape, read, names) in enumerate(plans):
        found = _read(read, names, value)
        if transforms is not None and transforms[index] is not None:
            found = transforms[index](found)
        if found is not None:
            serializer._serialize(wrapper, found, member_shape, member_key)
    if key:
        serializer._default_serialize(serialized, wrapper, shape, key)


def _structure_transforms(serializer, shape, plans):
    """Each member's response transformer (or None), or None when no member has one."""
    picker = serializer._value_picker
    if not picker.response_transformers:
        return None
    prefix = ".".join(serializer.path)
    by_path = _transformers_now(serializer, picker)
    transforms = by_path.get((prefix, shape), MISSING)
    if transforms is MISSING:
        transforms = tuple(
            _transform_for(serializer, picker, f"{prefix}.{member_key}")
            for member_key, *_ in plans
        )
        if not any(transforms):
            transforms = None
        if len(by_path) < MOST_PATHS_KEPT:
            by_path[(prefix, shape)] = transforms
    return transforms


def _read(read, names, value):
    for name in names:
        found = read(value, name, MISSING)
        if found is not MISSING:
            return found
    return None


def _structure_plan(serializer, value, shape):
    """The members' plans of `shape` for objects like `value`, or None where moto's own loop
    must run: a serializer that picks or serializes members its own way, an object that may
    answer differently from others of its class."""
    picker = serializer._value_picker
    if (
        value is None
        # moto makes an error's shape afresh for each error it answers: nothing to keep.
        or isinstance(shape, ErrorShape)
        or type(picker) is not XFormedAttributePicker
        or type(serializer)._serialize_structure_member
        is not ResponseSerializer._serialize_structure_member
        or type(serializer).get_value is not _get_value
        or _has_own_meta(value)
    ):
        return None
    cache_key = (id(picker.alias_providers), type(value), shape)
    plans = _structures.get(cache_key, MISSING)
    if plans is MISSING:
        plans = []
        for member_key, member_shape in shape.members.items():
            member_shape.parent = shape  # as moto's loop sets it, for its alias providers
            plan = _member_plan(serializer, picker, value, member_key, member_shape)
            if plan is None:
                plans = None
                break
            plans.append((member_key, member_shape, *plan))
        if len(_structures) >= MOST_PLANS_KEPT:
            _structures.clear()
        plans = _structures[cache_key] = None if plans is None else tuple(plans)
    return plans


def _member_plan(serializer, picker, value, key, shape):
    if type(picker) is not XFormedAttributePicker or _has_own_meta(value):
        return None
    cache_key = (id(picker.alias_providers), type(value), key, shape)
    plan = _members.get(cache_key, MISSING)
    if plan is MISSING:
        if len(_members) >= MOST_PLANS_KEPT:
            _members.clear()
        plan = _members[cache_key] = _work_out_member_plan(serializer, picker, value, key, shape)
    return plan


def _has_own_meta(value):
    # moto's ExplicitAlias reads aliases from value.Meta: one set on the object itself would make
    # it answer unlike others of its class.
    return "Meta" in getattr(value, "__dict__", ())


def _work_out_member_plan(serializer, picker, value, key, shape):
    kind = type(value)
    # An object that makes up attributes (its class has __getattr__) may also make up a Meta.
    if getattr(kind, "__getattr__", None) is not None:
        return None
    _providers_seen[id(picker.alias_providers)] = picker.alias_providers
    context = AttributePickerContext(
        obj=value,
        key=key,
        shape=shape,
        operation_model=serializer.operation_model,
        service_model=serializer.operation_model.service_model,
    )
    names = tuple(picker.get_possible_keys(context))
    return _reader_for(kind, names), names


def _reader_for(kind, names):
    """What moto's get_value does for these names on objects of this class, in one step: a
    plain dict's item (a subclass may make up missing keys), a plain object's attribute."""
    if any(not isinstance(name, str) or "." in name for name in names):
        return get_value  # a path through nested objects
    if kind is dict:
        return dict.get
    if not hasattr(kind, "__getitem__"):
        return getattr
    return get_value


def _transformers_now(serializer, picker):
    """{member path: its transformer} for the transformers as this response found them: moto's
    services may add one while serving (EC2's VPC peering does)."""
    by_path = serializer.__dict__.get("_localcloud_transformers_by_path")
    if by_path is None:
        snapshot = tuple(picker.response_transformers.items())
        if len(_transformers_by_path) >= MOST_TRANSFORMER_SETS_KEPT:
            _transformers_by_path.clear()
        by_path = _transformers_by_path.setdefault(snapshot, {})
        serializer._localcloud_transformers_by_path = by_path
    return by_path


def _transform_for(serializer, picker, key_path):
    """The first of moto's response transformers whose path ends `key_path`, as moto's picker
    chooses it."""
    by_path = _transformers_now(serializer, picker)
    transform = by_path.get(key_path, MISSING)
    if transform is MISSING:
        transform = next(
            (
                transform
                for transform_path, transform in picker.response_transformers.items()
                if key_path.endswith(transform_path)
            ),
            None,
        )
        if len(by_path) < MOST_PATHS_KEPT:
            by_path[key_path] = transform
    return transform


def uses_moto_picker():
    """Whether moto still serializes results through XFormedAttributePicker, which this
    module stands in for: a moto that picks values otherwise would bypass it silently."""
    return moto_responses.XFormedAttributePicker is XFormedAttributePicker


# --- XML documents --------------------------------------------------------------------------


class _NotPlain(Exception):
    """A document with something xmltodict treats specially: comments, namespaces, more than
    one root, a name it would refuse."""


def _xml_body(serializer, body):
    return _xml(serializer, body, full_document=False, moto=BaseXMLSerializer)


def _ec2_xml_body(serializer, body):
    return _xml(serializer, body, full_document=True, moto=EC2Serializer)


def _xml(serializer, body, full_document, moto):
    """xmltodict.unparse(body, full_document=..., short_empty_elements=True), as moto calls it."""
    if not serializer.pretty_print:
        try:
            return unparse(body, full_document)
        except _NotPlain:
            pass
    return moto._localcloud_original__serialize_body(serializer, body)


def unparse(body, full_document):
    """The text xmltodict.unparse writes for `body` with short empty elements and no pretty
    printing, or _NotPlain."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n'] if full_document else []
    if full_document and len(body) != 1:
        raise _NotPlain()
    for key, value in body.items():
        _element(key, value, out, full_document)
    return "".join(out)


_names_seen = set()


def _checked_name(name):
    if name not in _names_seen:
        try:
            xmltodict._validate_name(name, "element")
        except ValueError as error:
            raise _NotPlain() from error
        if name == "#comment":
            raise _NotPlain()
        _names_seen.add(name)
    return name


def _text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _element(key, value, out, root=False):
    if type(key) is not str:
        raise _NotPlain()
    _checked_name(key)
    if not hasattr(value, "__iter__") or isinstance(
        value, (str, bytes, bytearray, memoryview, dict)
    ):
        value = [value]
    for index, item in enumerate(value):
        if root and index > 0:
            raise _NotPlain()  # xmltodict refuses a document with two roots
        if item is None:
            item = {}
        elif not isinstance(item, (dict, str)):
            item = _text(item)
        if isinstance(item, str):
            out.append(f"<{key}>{escape(item)}</{key}>" if item else f"<{key}/>")
            continue
        text = None
        attributes = {}
        children = []
        for child_key, child in item.items():
            if child_key == "#text":
                text = None if child is None else _text(child)
            elif type(child_key) is not str:
                raise _NotPlain()
            elif child_key.startswith("@"):
                if child_key == "@xmlns" and isinstance(child, dict):
                    raise _NotPlain()
                name = _checked_name(child_key[1:])
                attributes[name] = "" if child is None else _text(child)
            elif not (isinstance(child, list) and not child):  # an empty list writes nothing
                children.append((child_key, child))
        out.append(
            f"<{key}" + "".join(f" {name}={quoteattr(v)}" for name, v in attributes.items())
        )
        opened = len(out)
        out.append(">")
        for child_key, child in children:
            _element(child_key, child, out)
        if text:
            out.append(escape(text))
        if len(out) == opened + 1:
            out[opened] = "/>"  # nothing inside: <key/>
        else:
            out.append(f"</{key}>")

"""Small template helpers for the console's pages."""

import functools

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")


@register.filter
def account_number(account_id):
    """An AWS account as AWS's console shows it: 1234-5678-9012."""
    account_id = str(account_id)
    return "-".join((account_id[:4], account_id[4:8], account_id[8:]))


@register.filter
def resource_id(arn):
    """The last part of an ARN, as the console shows ids."""
    return str(arn).rsplit("/", 1)[-1]


@register.simple_tag
def instance_type_options(groups, chosen):
    """The instance type drop-down's optgroups, with what configure.js needs to know of each
    type (another architecture, GPUs, burstable). Built here rather than in the template: the
    region's 1,400 types made the template loop most of the page's drawing time."""
    return mark_safe(
        "\n".join(
            format_html('<optgroup label="{}">', label)
            + "".join(_option(kind, kind.name in chosen) for kind in kinds)
            + "</optgroup>"
            for label, kinds in groups
        )
    )


# A type's option is the same on every page that offers it: each is escaped once per process,
# not 1,400 times per Configure cluster page.
@functools.lru_cache(maxsize=8192)
def _option(kind, selected):
    other_architecture = ""
    if "x86_64" not in kind.architectures:
        other_architecture = format_html(' data-arch="{}"', kind.architectures[0])
    return format_html(
        "<option{}{}{}{}>{}</option>",
        " selected" if selected else "",
        other_architecture,
        " data-gpu" if kind.has_gpu else "",
        " data-burstable" if kind.burstable else "",
        kind.name,
    )

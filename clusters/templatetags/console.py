"""Small template helpers for the console's pages."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")


@register.filter
def resource_id(arn):
    """The last part of an ARN, as the console shows ids."""
    return str(arn).rsplit("/", 1)[-1]


@register.simple_tag
def instance_type_options(groups, chosen):
    """The instance type drop-down's optgroups, with what configure.js needs to know of each
    type (another architecture, GPUs, burstable). Built here rather than in the template: the
    region's 1,400 types made the template loop most of the page's drawing time."""

    def option(kind):
        other_architecture = ""
        if "x86_64" not in kind.architectures:
            other_architecture = format_html(' data-arch="{}"', kind.architectures[0])
        return (
            " selected" if kind.name in chosen else "",
            other_architecture,
            " data-gpu" if kind.has_gpu else "",
            " data-burstable" if kind.burstable else "",
            kind.name,
        )

    return format_html_join(
        "\n",
        '<optgroup label="{}">{}</optgroup>',
        (
            (label, format_html_join("", "<option{}{}{}{}>{}</option>", map(option, kinds)))
            for label, kinds in groups
        ),
    )

"""Small template helpers for the console's pages."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")


@register.filter
def resource_id(arn):
    """The last part of an ARN, as the console shows ids."""
    return str(arn).rsplit("/", 1)[-1]

"""Pages for the AWS resources a cluster uses, beside the cluster pages."""

import re

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods

from clusters import provisioning
from clusters.views import page_or_dialog
from clusters.aws import AwsError

from .forms import KeyPairForm


@require_http_methods(["GET", "POST"])
@never_cache
@sensitive_variables("key_pair")
def create_key_pair(request):
    """Create key pair. Its private key leaves in this one response and is kept nowhere: as a
    .pem attachment to a plain POST (no JavaScript needed), or, to htmx, inside the dialog's
    fragment as a data: URL the download link carries."""
    form = KeyPairForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            key_pair = provisioning.create_key_pair(
                request.region, form.cleaned_data["name"], form.cleaned_data["key_type"]
            )
        except AwsError as error:
            form.add_aws_error(error)
        else:
            if request.htmx:
                context = {"key_pair": key_pair}
                return render(request, "resources/key_pair_new.html#form", context)
            response = HttpResponse(key_pair.private_key, content_type="application/x-pem-file")
            response["Content-Disposition"] = content_disposition_header(True, key_pair.file_name)
            return response
    context = {"key_pair_form": form, "select_id": _select_id(request)}
    return page_or_dialog(request, "resources/key_pair_new.html", context)


def _select_id(request):
    """The id of the drop-down the new key pair joins, when the dialog opens beside one."""
    select_id = request.GET.get("for", "")
    return select_id if re.fullmatch(r"id_[A-Za-z0-9_-]{1,64}", select_id) else ""

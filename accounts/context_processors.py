"""The account a signed-in person works in, for the top bar (as AWS's shows it: 1234-5678-9012)."""

from clusters.aws import NobodyToActFor, current_person
from clusters.templatetags.console import account_number

from .models import NoAwsAccount


def account(request):
    # Called only where the top bar is drawn, not for every fragment a poll renders: a poll
    # that reads only its rows makes no look-up for it.
    return {"aws_account": lambda: _shown(current_person)}


def _shown(person):
    try:
        account_id = person().account_id
    except (NoAwsAccount, NobodyToActFor):
        return ""
    return account_number(account_id)

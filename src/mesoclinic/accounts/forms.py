from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, _unicode_ci_compare
from django.utils.translation import gettext_lazy as _

from mesoclinic.accounts.models import User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The username or password is not right. Check both and try again; "
            "after several failed attempts sign-in is paused for a while."
        ),
        "inactive": _("This account is disabled. Ask the clinic owner to enable it."),
    }
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class StaffPasswordResetForm(PasswordResetForm):
    """ "Forgot your password?" that also reaches a member of staff who was invited but has
    not set a password yet (the invitation e-mail got lost or expired).

    Django's own form skips users without a usable password; here an active user without
    one gets the same one-time link, which lets them set their first password. Deactivated
    users still get nothing, and the page never says whether an address is known.
    """

    def get_users(self, email):
        email_field = User.get_email_field_name()
        users = User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})
        return (u for u in users if _unicode_ci_compare(email, getattr(u, email_field)))

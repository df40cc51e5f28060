"""Tokens and calendar feeds die with the access they were issued under.

Connected in `ApiConfig.ready`: whichever page, command or admin action ends a
membership or deactivates a user, their API tokens for clinics they no longer work
in and their calendar feeds are revoked in the same transaction, and audited.
(A token or feed that lapsed some other way is refused, and revoked, when next used.)
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from mesoclinic.accounts.models import Membership, User


def _lapse(user: User) -> None:
    from mesoclinic.api.services import api_tokens_lapse
    from mesoclinic.scheduling.services.feeds import calendar_feeds_lapse

    now = timezone.now()
    api_tokens_lapse(user=user, now=now)
    calendar_feeds_lapse(user=user, now=now)


def membership_ended(sender, instance: Membership, **kwargs) -> None:
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:  # None when the user itself is being deleted
        _lapse(user)


def user_saved(sender, instance: User, created: bool, **kwargs) -> None:
    if not created and not instance.is_active:
        _lapse(instance)


def connect() -> None:
    post_delete.connect(membership_ended, sender=Membership, dispatch_uid="api.membership_ended")
    post_save.connect(user_saved, sender=User, dispatch_uid="api.user_saved")

"""Logins, failed logins and logouts go to the audit log; role groups follow migrations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from fupin.core import audit
from fupin.core.context import acting_as
from fupin.core.middleware import client_ip
from fupin.core.models import AuditLog


def _ip(request: Any) -> str | None:
    return client_ip(request) if request is not None else None


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with acting_as(user, ip=_ip(request), source="web"):
        audit.record(AuditLog.Action.LOGIN, user, region_code=user.region_id or "")


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        with acting_as(user, ip=_ip(request), source="web"):
            audit.record(AuditLog.Action.LOGOUT, user, region_code=user.region_id or "")


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    from fupin.accounts.models import User

    username = str(credentials.get("username", ""))[:150]
    # Filed under the account's region so that its county admin sees the attempts.
    region = User.objects.filter(username=username).values_list("region_id", flat=True).first()
    with acting_as(None, ip=_ip(request), source="web"):
        audit.record(
            AuditLog.Action.LOGIN_FAILED,
            object_type="accounts.user",
            object_repr=username,
            region_code=region or "",
        )


@receiver(post_migrate)
def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    from django.apps import apps

    # Once per migrate, after every app's permissions exist. Django sends post_migrate
    # only for apps with a models module, so the last of those is the one to wait for.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if getattr(sender, "label", "") == with_models[-1].label:
        from fupin.accounts.roles import sync_role_groups

        sync_role_groups()

"""Helpers every service uses: the jurisdiction re-check and permission checks on writes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from fupin.core.models import jurisdiction_code


def check_jurisdiction(user: Any, region_code: str | None) -> None:
    """Refuse a write that would touch a record outside the user's jurisdiction.

    `user=None` means the system itself (demo generation, migrations) and is not limited.
    """
    if user is None:
        return
    prefix = jurisdiction_code(user)
    if prefix is None or not (region_code or "").startswith(prefix):
        raise PermissionDenied(f"区划 {region_code or '（空）'} 不在您的管辖范围内")


def check_permission(user: Any, perm: str) -> None:
    if user is not None and not user.has_perm(perm):
        raise PermissionDenied("您的角色没有此项操作权限")

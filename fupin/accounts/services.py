"""Creating and changing users: role ↔ group, jurisdiction region, audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from fupin.accounts.models import User
from fupin.accounts.roles import ROLE_LEVELS, Role
from fupin.core import audit
from fupin.core.context import acting_as, current_actor
from fupin.core.models import AuditLog
from fupin.core.services import check_jurisdiction, check_permission
from fupin.regions.models import Region


def _validate_role_region(role: str, region_code: str) -> Region:
    if role not in Role.values:
        raise ValidationError({"role": f"未知角色 {role}，可选：{'、'.join(Role.values)}"})
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError(
            {"region": f"区划代码 {region_code} 不存在（请先运行 fupin regions load）"}
        )
    if region.level not in ROLE_LEVELS[role]:
        allowed = "、".join(Region.Level(lv).label for lv in sorted(ROLE_LEVELS[role]))
        raise ValidationError({"region": f"{Role(role).label}的管辖区域应为：{allowed}"})
    return region


@transaction.atomic
def create_user(
    *,
    acting_user: Any,
    username: str,
    role: str,
    region_code: str,
    password: str | None = None,
    full_name: str = "",
    phone: str = "",
) -> User:
    """A staff user in one role and one region; county admins create users in their county."""
    check_permission(acting_user, "accounts.manage_users")
    region = _validate_role_region(role, region_code)
    check_jurisdiction(acting_user, region.code)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"用户名 {username} 已存在"})
    user = User(username=username, role=role, region=region, full_name=full_name, phone=phone)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    with acting_as(acting_user, source=current_actor().source):
        audit.record(
            AuditLog.Action.CREATE,
            user,
            region_code=region.code,
            changes={"username": username, "role": role, "region": region.code},
        )
    return user


@transaction.atomic
def set_password(*, acting_user: Any, user: User, password: str) -> None:
    if acting_user is not None and acting_user != user:
        check_permission(acting_user, "accounts.manage_users")
        check_jurisdiction(acting_user, user.region_id)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(
        AuditLog.Action.UPDATE,
        user,
        region_code=user.region_id or "",
        changes={"password": ["***", "***"]},
    )

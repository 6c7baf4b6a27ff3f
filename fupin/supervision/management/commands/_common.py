"""Shared pieces of the supervision commands."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def find_user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"用户 {username} 不存在")
    if not user.is_active:
        raise CommandError(f"用户 {username} 已停用")
    return user


def error_text(exc: Any) -> str:
    messages = getattr(exc, "messages", None)
    return "；".join(messages) if messages else str(exc)

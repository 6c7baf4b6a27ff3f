"""What every `fupin` command needs: the acting user from --user, and Chinese error text."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def find_user(username: str | None) -> Any:
    """The active user named `username`, or None (the system) when no name is given;
    CommandError (Chinese) when there is no such user or the account is disabled."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).select_related("region").first()
    if user is None:
        raise CommandError(f"用户 {username} 不存在")
    if not user.is_active:
        raise CommandError(f"用户 {username} 已停用")
    return user


def error_text(exc: Any) -> str:
    """A ValidationError's messages (or any exception's text) as one Chinese line."""
    messages = getattr(exc, "messages", None)
    return "；".join(messages) if messages else str(exc)

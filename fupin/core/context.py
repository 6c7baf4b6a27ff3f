"""Who is acting, from where: set once per request or command, read by the audit log.

A contextvar (not thread-locals on the request) so that commands and imports are audited
exactly like web requests (a NetBox gap we avoid).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """`request` is kept so that a user authenticated later (DRF tokens) is still seen."""

    explicit_user: Any = None
    ip: str | None = None
    source: str = "system"  # web, api, cli, system
    request: Any = None

    @property
    def user(self) -> Any:
        if self.request is not None:
            return getattr(self.request, "user", None)
        return self.explicit_user


_current: ContextVar[Actor] = ContextVar("fupin_actor", default=Actor())  # noqa: B039 (frozen)


def current_actor() -> Actor:
    return _current.get()


@contextlib.contextmanager
def request_context(request: Any, ip: str | None) -> Iterator[Actor]:
    source = "api" if request.path.startswith("/api/") else "web"
    token = _current.set(Actor(ip=ip, source=source, request=request))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@contextlib.contextmanager
def acting_as(user: Any = None, *, ip: str | None = None, source: str = "cli") -> Iterator[Actor]:
    """Run a block as `user` (commands, imports, background jobs)."""
    actor = Actor(explicit_user=user, ip=ip, source=source)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)

"""API building blocks: scoped viewsets, pagination, permissions, service error mapping."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, viewsets


@contextlib.contextmanager
def service_errors() -> Iterator[None]:
    """Services raise Django's errors; the API answers 400/403 with their messages."""
    try:
        yield
    except DjangoValidationError as exc:
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise exceptions.ValidationError(detail) from exc
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc


class ScopedViewSet(viewsets.ModelViewSet):
    """Lists and retrieves only rows inside the caller's jurisdiction (404 outside);
    writes go through services (subclasses implement perform_create/perform_update)."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    base_queryset: Any = None

    def get_queryset(self) -> Any:
        return self.base_queryset.for_user(self.request.user)

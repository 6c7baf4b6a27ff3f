"""Form helpers shared by every app's pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form (field errors where the field exists)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field.removesuffix("_id") if field.endswith("_id") else field
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def run_service(form: forms.BaseForm, action: Callable[[], Any]) -> Any:
    """Run a service; its refusals become form errors instead of error pages."""
    try:
        return action()
    except ValidationError as exc:
        apply_service_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None

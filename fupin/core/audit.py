"""Writing the audit log. Services call `record` inside their transaction."""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Iterable
from typing import Any

from django.db import models

from fupin.core.context import current_actor
from fupin.core.models import AuditLog

_ID_IN_TEXT = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]{15}")


def ids_masked(text: str) -> str:
    """Free text (search terms, filters) as the audit log may keep it: ID numbers masked."""
    from fupin.registry.idnumbers import mask_id_number

    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group().upper()), text)


SENSITIVE_FIELDS = {"id_number", "password", "bank_account"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Field values for before/after records; ID numbers are stored masked."""
    from fupin.registry.idnumbers import mask_id_number

    names = fields or [
        f.attname for f in obj._meta.concrete_fields if f.name not in ("created_at", "updated_at")
    ]
    data = {}
    for name in names:
        value = _plain(getattr(obj, name))
        if name in SENSITIVE_FIELDS and value:
            value = mask_id_number(str(value))
        data[name] = value
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def build(
    action: str,
    obj: models.Model | None = None,
    *,
    changes: dict | None = None,
    region_code: str = "",
    context_key: str = "",
    message: str = "",
    object_type: str = "",
    object_repr: str = "",
) -> AuditLog:
    """An unsaved entry stamped with the current actor (for bulk writes)."""
    actor = current_actor()
    user = actor.user if getattr(actor.user, "pk", None) else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_repr = object_repr or str(obj)[:200]
        region_code = region_code or getattr(obj, "region_code", "") or ""
    return AuditLog(
        user=user,
        username=getattr(user, "username", "") or "",
        ip=actor.ip,
        source=actor.source,
        action=action,
        object_type=object_type,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=object_repr[:200],
        region_code=region_code or "",
        context_key=context_key,
        changes=changes or {},
        message=message[:500],
    )


def record(action: str, obj: models.Model | None = None, **kwargs: Any) -> AuditLog:
    entry = build(action, obj, **kwargs)
    entry.save()
    return entry


def record_many(entries: list[AuditLog]) -> None:
    AuditLog.objects.bulk_create(entries, batch_size=2000)

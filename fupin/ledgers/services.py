"""Producing ledgers: jurisdiction and permission checks, writing, the audit entry.

Used alike by `fupin ledger export`, the ledgers page's background jobs and benchmarks.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import IO, Any

from fupin.core import audit
from fupin.core.models import AuditLog
from fupin.ledgers.definitions import Ledger, resolve_region
from fupin.ledgers.writer import Result, chinese_date, write_ledger

FULL_ID_PERMISSION = "registry.view_full_id"


def export_ledger(
    ledger: Ledger,
    out: str | Path | IO[bytes],
    *,
    region_code: str | None,
    as_of: datetime.date,
    user: Any,
    progress: Any = None,
) -> Result:
    """Write `ledger` for `region_code` (default: the user's jurisdiction) on `as_of`.

    Raises PermissionDenied (no permission, region outside the jurisdiction) or
    Region.DoesNotExist before anything is written. ID numbers are masked unless the user
    has registry.view_full_id; the export is audited as one entry.
    """
    region = resolve_region(user, region_code)
    full_ids = bool(user.has_perm(FULL_ID_PERMISSION))
    result = write_ledger(
        ledger, out, region=region, as_of=as_of, user=user, full_ids=full_ids, progress=progress
    )
    audit.record(
        AuditLog.Action.EXPORT,
        object_type=f"ledgers.{ledger.id}",
        object_repr=f"{region.full_name}{ledger.title}"[:200],
        region_code=region.code,
        changes={
            "ledger": ledger.id,
            "as_of": as_of.isoformat(),
            "rows": result.rows,
            "full_ids": full_ids,
        },
        message=(
            f"导出{ledger.title}（截止{chinese_date(as_of)}）{result.rows} 行，"
            f"证件号码{'完整' if full_ids else '已脱敏'}"
        ),
    )
    return result

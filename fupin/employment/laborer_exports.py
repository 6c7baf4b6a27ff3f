"""Exporting poor laborers with their current employment state to xlsx: one row per
laborer, in the laborer import's columns (so that an export with full ID numbers can be
edited and imported again), then a few columns for readers.

Used by `fupin export laborers` and by the laborer list's export button, which passes its
already scoped (`for_user`) and filtered queryset. ID numbers are masked unless the user
may see them; formulas are neutralised by fupin.core.xlsx; the export is audited.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import IO, Any

from django.db.models import F, QuerySet

from fupin.core import audit
from fupin.core.dates import age_on
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.services import check_permission
from fupin.core.xlsx import Column, Workbook
from fupin.employment import choices as c
from fupin.employment.laborer_filters import scoped_laborers
from fupin.employment.laborer_imports import COLUMNS, RECORD_TYPE, YES
from fupin.employment.laborer_imports import NO as NO_TEXT
from fupin.registry import choices as rc

# Reading employment records and exporting registry data are both needed.
PERMISSIONS = ("employment.view_employmentrecord", "registry.export_households")
EXTRA_COLUMNS = [
    Column("乡镇（街道）", width=14),
    Column("村（社区）", width=14),
    Column("性别", width=6),
    Column("年龄", width=6),
    Column("最近核实", width=12),
]
# The current state's fields not annotated by selectors.with_state.
STATE_EXTRAS = {
    "x_employer_name": "state__employer_name",
    "x_employer": "state__employer__name",
    "x_trade": "state__trade",
    "x_start_date": "state__start_date",
    "x_channel": "state__channel",
    "x_has_contract": "state__has_contract",
    "x_has_social_insurance": "state__has_social_insurance",
    "x_valid_from": "state__valid_from",
}


def export_queryset(user: Any, region_code: str = "") -> QuerySet:
    """The user's laborers (the one scoping method, `for_user`), optionally in a region,
    with their current state; what `export_laborers` takes."""
    queryset = scoped_laborers(user)
    return queryset.in_region(region_code) if region_code else queryset


def _label(choices: Any, value: str) -> str:
    return choices(value).label if value else ""


def export_laborers(
    laborers: QuerySet,
    out: str | Path | IO[bytes],
    *,
    user: Any,
    region_code: str | None = None,
    description: str = "",
) -> int:
    """Write `laborers` (a queryset of fupin.employment.laborer_filters.scoped_laborers,
    already scoped to `user` and filtered) to `out`; returns the number of rows.

    ID numbers are masked unless the user has registry.view_full_id. Audited as one entry
    (`region_code`: the region exported, default the user's jurisdiction; `description`:
    e.g. the list's filters).
    """
    for perm in PERMISSIONS:
        check_permission(user, perm)
    full_ids = user is None or user.has_perm("registry.view_full_id")
    today = datetime.date.today()
    people = (
        laborers.annotate(**{name: F(path) for name, path in STATE_EXTRAS.items()})
        .select_related("household__village__parent")
        .order_by("household__village_id", "name_pinyin", "id")
    )
    has_verified = "last_verified" in people.query.annotations
    columns = [Column(s.header, width=s.width, text=s.text) for s in COLUMNS] + EXTRA_COLUMNS
    rows = 0
    with Workbook(out) as book:
        sheet = book.add_sheet("贫困劳动力", columns)
        for p in people.iterator(chunk_size=2000):
            village = p.household.village
            township = village.parent
            recorded = p.state_id is not None
            sheet.write_row(
                [
                    p.id_number if full_ids else p.masked_id,
                    p.name,
                    _label(c.Status, p.status),
                    _label(c.NotSeekingReason, p.not_seeking_reason),
                    _label(c.Form, p.form),
                    p.destination_id or "",
                    c.tier_label(p.location_tier or "", village.code),
                    p.x_employer_name or p.x_employer or "",
                    _label(c.Trade, p.x_trade),
                    p.x_start_date,
                    p.monthly_income,
                    _label(c.Channel, p.x_channel),
                    (YES if p.x_has_contract else NO_TEXT) if recorded else "",
                    (YES if p.x_has_social_insurance else NO_TEXT) if recorded else "",
                    p.x_valid_from,
                    township.short_name if township else "",
                    village.short_name,
                    _label(rc.Sex, p.sex),
                    age_on(p.birth_date, today),
                    p.last_verified if has_verified else None,
                ]
            )
            rows += 1
    audit.record(
        AuditLog.Action.EXPORT,
        object_type=RECORD_TYPE,
        object_repr="贫困劳动力",
        region_code=region_code if region_code is not None else jurisdiction_code(user) or "",
        changes={"rows": rows, "full_ids": full_ids},
        message=(
            f"导出贫困劳动力 {rows} 行，证件号码{'完整' if full_ids else '已脱敏'}"
            + (f"；{description}" if description else "")
        ),
    )
    return rows

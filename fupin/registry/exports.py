"""Exporting households: one row per active member, in the import template's columns
(so that an export can be edited and imported again), streamed with xlsxwriter.

Used by `fupin export households` and by the list page's export button, which passes its
already scoped and filtered queryset.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When

from fupin.core import audit
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.services import check_permission
from fupin.core.xlsx import Column, Workbook
from fupin.registry import choices as c
from fupin.registry.imports import COLUMNS, SPECS
from fupin.registry.models import Household, HouseholdIncome, Person

# Extra columns after the template's: ignored by the import, useful to readers.
EXTRA_COLUMNS = [
    Column(SPECS["income_year"].header, width=10),
    Column("乡镇（街道）", width=14),
    Column("村（社区）", width=14),
]
LABELS: dict[str, dict[str, str]] = {
    key: dict(spec.choices.choices if hasattr(spec.choices, "choices") else spec.choices)
    for key, spec in SPECS.items()
    if spec.choices
}


def _label(key: str, value: str) -> str:
    return LABELS[key].get(value, value) if value else ""


def export_households(
    households: QuerySet[Household],
    out: str | Path | IO[bytes],
    *,
    user: Any,
    region_code: str | None = None,
    description: str = "",
) -> int:
    """Write the members of `households` (already scoped to `user` and filtered) to `out`
    (a path or a binary file); returns the number of rows.

    ID numbers are masked unless the user has registry.view_full_id. The export is
    audited as one entry saying how many rows and whether IDs were full (`region_code`:
    the region exported, for the audit log; default the user's jurisdiction;
    `description`: e.g. the list's filters).
    """
    check_permission(user, "registry.export_households")
    full_ids = user is None or user.has_perm("registry.view_full_id")
    latest_income = HouseholdIncome.objects.filter(household=OuterRef("household_id")).order_by(
        "-year"
    )
    people = (
        Person.objects.filter(household__in=households.values("pk"), removed_on__isnull=True)
        .select_related("household__village__parent")
        .annotate(
            income=Subquery(latest_income.values("per_capita_net")[:1]),
            income_year=Subquery(latest_income.values("year")[:1]),
            head_first=Case(
                When(relation=c.Relation.HEAD, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("household__number", "head_first", "id")
    )
    columns = [
        Column(spec.header, width=spec.width, text=spec.text) for spec in COLUMNS
    ] + EXTRA_COLUMNS
    rows = 0
    with Workbook(out) as book:
        sheet = book.add_sheet("贫困户成员", columns)
        for person in people.iterator(chunk_size=2000):
            h = person.household
            village = h.village
            township = village.parent
            sheet.write_row(
                [
                    h.number,
                    h.village_id,
                    _label("relation", person.relation),
                    person.name,
                    person.id_number if full_ids else person.masked_id,
                    _label("sex", person.sex),
                    person.birth_date,
                    _label("ethnicity", person.ethnicity),
                    _label("education", person.education),
                    _label("school_status", person.school_status),
                    _label("health", person.health),
                    _label("labor_ability", person.labor_ability),
                    person.phone,
                    _label("household_type", h.household_type),
                    _label("status", h.status),
                    h.identified_year,
                    h.exit_year,
                    _label("main_cause", h.main_cause),
                    person.income,
                    person.income_year,
                    township.short_name if township else "",
                    village.short_name,
                ]
            )
            rows += 1
    audit.record(
        AuditLog.Action.EXPORT,
        object_type=Household._meta.label_lower,
        object_repr="贫困户成员",
        region_code=region_code if region_code is not None else jurisdiction_code(user) or "",
        changes={"rows": rows, "full_ids": full_ids},
        message=(
            f"导出贫困户成员 {rows} 行，证件号码{'完整' if full_ids else '已脱敏'}"
            + (f"；{description}" if description else "")
        ),
    )
    return rows

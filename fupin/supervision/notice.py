"""通报: township-by-township figures of supervision for a period, as a page and a workbook.

Sampled and call figures count plans drawn in the period; rectification figures count
tasks opened in the period (逾期 as of today). Every count is one grouped query read
through the one scoping rule.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from fupin.core.xlsx import Column, Workbook
from fupin.regions.models import Region
from fupin.supervision import choices as c
from fupin.supervision.models import CallTask, RectificationTask, SampleItem

RS = c.RectificationStatus
R = c.CallResult

COLUMNS = [
    ("code", "区划代码", 12),
    ("name", "乡镇（街道）", 16),
    ("sampled", "抽取样本", 9),
    ("verified", "已核实", 9),
    ("true", "属实", 8),
    ("false", "不属实", 8),
    ("info_error", "信息有误", 9),
    ("unreachable", "无法联系", 9),
    ("accuracy", "准确率（%）", 10),
    ("open", "整改未销号", 10),
    ("overdue", "其中逾期", 9),
    ("closed", "已销号", 9),
    ("rule_hits", "数据疑点", 9),
]
FIGURES = [key for key, _, _ in COLUMNS[2:] if key != "accuracy"]


def _grouped(queryset: Any, field: str, **aggregates: Any) -> dict[str, dict[str, int]]:
    rows = (
        queryset.annotate(township_code=Substr(field, 1, 9))
        .values("township_code")
        .annotate(**aggregates)
        .order_by()
    )
    return {row.pop("township_code"): row for row in rows}


def notice_rows(
    user: Any,
    region_code: str,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows per township and the totals row."""
    day = today or timezone.localdate()
    period = {"item__plan__drawn_at__date__gte": start, "item__plan__drawn_at__date__lte": end}
    sampled = _grouped(
        SampleItem.objects.for_user(user)
        .in_region(region_code)
        .filter(plan__drawn_at__date__gte=start, plan__drawn_at__date__lte=end),
        "region_id",
        sampled=Count("id"),
    )
    done = Q(status=c.CallStatus.DONE)
    calls = _grouped(
        CallTask.objects.for_user(user).in_region(region_code).filter(**period),
        "region_id",
        verified=Count("id", filter=done),
        true=Count("id", filter=done & Q(result=R.TRUE)),
        false=Count("id", filter=done & Q(result=R.FALSE)),
        info_error=Count("id", filter=done & Q(result=R.INFO_ERROR)),
        unreachable=Count("id", filter=Q(status=c.CallStatus.UNREACHABLE)),
    )
    open_ = ~Q(status=RS.CLOSED)
    tasks = _grouped(
        RectificationTask.objects.for_user(user)
        .in_region(region_code)
        .filter(created_at__date__gte=start, created_at__date__lte=end),
        "region_id",
        open=Count("id", filter=open_),
        overdue=Count("id", filter=open_ & Q(deadline__lt=day)),
        closed=Count("id", filter=Q(status=RS.CLOSED)),
        rule_hits=Count("id", filter=Q(source=c.RectificationSource.RULE)),
    )
    codes = sorted(set(sampled) | set(calls) | set(tasks))
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    rows = []
    for code in codes:
        row: dict[str, Any] = {"code": code, "name": names.get(code, code)}
        for source in (sampled, calls, tasks):
            row.update(source.get(code, {}))
        for key in FIGURES:
            row.setdefault(key, 0)
        row["accuracy"] = _rate(row["true"], row["verified"])
        rows.append(row)
    totals: dict[str, Any] = {"code": "", "name": "合计"}
    for key in FIGURES:
        totals[key] = sum(r[key] for r in rows)
    totals["accuracy"] = _rate(totals["true"], totals["verified"])
    return rows, totals


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def notice_xlsx(rows: list[dict[str, Any]], totals: dict[str, Any], title: str) -> bytes:
    """The notice as a workbook in the house style (title, frozen header, totals)."""
    out = io.BytesIO()
    with Workbook(out) as book:
        sheet = book.add_sheet(
            "督导通报",
            [Column(label, width, text=key == "code") for key, label, width in COLUMNS],
            title=title,
        )
        for row in [*rows, totals]:
            sheet.write_row(["" if row[key] is None else row[key] for key, _, _ in COLUMNS])
    return out.getvalue()

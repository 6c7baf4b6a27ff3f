"""Reads for the matching pages and API: recommendations and pushes within the user's
jurisdiction (one scoping method, `for_user`), and the push figures per township."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr

from fupin.employment.models import JobPosting
from fupin.matching.choices import REACHED_INTEREST, PushStatus
from fupin.matching.models import Push, Recommendation, open_postings_condition
from fupin.regions.models import Region


def recommendations(user: Any) -> QuerySet[Recommendation]:
    """The user's laborers' recommendations whose posting the user sees and that still
    takes people (a posting filled, closed or past its closing date since the run drops
    out at once)."""
    today = datetime.date.today()
    return (
        Recommendation.objects.for_user(user)
        .filter(open_postings_condition("posting__"))
        .filter(Q(posting__valid_to__isnull=True) | Q(posting__valid_to__gte=today))
        .filter(posting__in=JobPosting.objects.for_user(user).values("pk"))
    )


def pushes(user: Any) -> QuerySet[Push]:
    return Push.objects.for_user(user)


def push_figures(queryset: QuerySet[Push]) -> list[dict[str, Any]]:
    """Per township: pushes, interested (got at least that far), interviewed, hired,
    declined and the conversion rate (hired / pushes) — one GROUP BY on the region prefix."""
    rows = list(
        queryset.order_by()
        .annotate(township=Substr(F("person__household__village_id"), 1, 9))
        .values("township")
        .annotate(
            pushes=Count("pk"),
            people=Count("person", distinct=True),
            interested=Count("pk", filter=Q(status__in=REACHED_INTEREST)),
            interviewed=Count(
                "pk", filter=Q(status__in=(PushStatus.INTERVIEWED, PushStatus.HIRED))
            ),
            hired=Count("pk", filter=Q(status=PushStatus.HIRED)),
            declined=Count("pk", filter=Q(status=PushStatus.DECLINED)),
        )
        .order_by("township")
    )
    names = dict(
        Region.objects.filter(code__in=[r["township"] for r in rows]).values_list("code", "name")
    )
    for row in rows:
        row["name"] = names.get(row["township"], row["township"])
        row["conversion"] = round(100 * row["hired"] / row["pushes"], 1) if row["pushes"] else 0
    return rows


def push_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("pushes", "people", "interested", "interviewed", "hired", "declined")
    total: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    total["conversion"] = round(100 * total["hired"] / total["pushes"], 1) if total["pushes"] else 0
    return total

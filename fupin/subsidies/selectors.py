"""Reads for other apps: the paid subsidies of a region (the `subsidies` ledger and the
statistics use these, so payments are counted in one way everywhere)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet

from fupin.core.generic import masked
from fupin.subsidies import choices as c
from fupin.subsidies.models import Application


def paid_applications(
    region_code: str, as_of: datetime.date | None, user: Any
) -> QuerySet[Application]:
    """Paid claims in `region_code` (prefix) that the user may see, paid on or before
    `as_of` (all when None), in village, policy and date order. `user=None` is the system
    (no jurisdiction limit, e.g. `fupin stats` without --user)."""
    visible = Application.objects.all() if user is None else Application.objects.for_user(user)
    qs = visible.in_region(region_code).filter(status=c.Status.PAID)
    if as_of is not None:
        qs = qs.filter(paid_on__lte=as_of)
    return qs.select_related(
        "policy", "person", "workshop", "employer", "region", "region__parent"
    ).order_by("region_id", "policy__code", "paid_on", "id")


def paid_rows(region_code: str, as_of: datetime.date | None, user: Any) -> list[dict[str, Any]]:
    """One dict per paid claim: name, masked ID number (persons), village, township,
    policy, period, amount, paid date — for the 就业扶贫补贴发放台账."""
    rows = []
    for app in paid_applications(region_code, as_of, user):
        person = app.person
        rows.append(
            {
                "name": app.beneficiary_name,
                "id_number": masked(person.id_number) if person is not None else "",
                "beneficiary_kind": app.policy.get_beneficiary_kind_display(),
                "region_code": app.region_id,
                "village": app.region.name,
                "township": app.region.parent.name if app.region.parent else "",
                "policy": app.policy.name,
                "period": app.period,
                "amount": app.amount,
                "paid_on": app.paid_on,
            }
        )
    return rows


def paid_summary(region_code: str, as_of: datetime.date | None, user: Any) -> list[dict[str, Any]]:
    """Per policy: paid claims, distinct beneficiaries and amount (one GROUP BY), for the
    statistics (e.g. Fengshan's "60 一次性就业补贴, 390 交通补贴" in domain.md §9)."""
    from django.db.models import Count, Sum

    qs = paid_applications(region_code, as_of, user).order_by()
    rows = (
        qs.values("policy__code", "policy__name")
        .annotate(
            claims=Count("id"),
            people=Count("person", distinct=True),
            amount=Sum("amount"),
        )
        .order_by("policy__code")
    )
    return [
        {
            "policy": r["policy__code"],
            "name": r["policy__name"],
            "claims": r["claims"],
            "people": r["people"],
            "amount": r["amount"],
        }
        for r in rows
    ]

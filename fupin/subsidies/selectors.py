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
    `as_of` (all when None), in village, policy and date order."""
    qs = Application.objects.for_user(user).in_region(region_code).filter(status=c.Status.PAID)
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

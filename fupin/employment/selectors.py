"""Reads: who is a poor laborer (on any date) and their employment state on that date."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import F, FilteredRelation, Q, QuerySet

from fupin.core.dates import years_before
from fupin.registry import choices as rc
from fupin.registry.models import Person

UNABLE = (rc.LaborAbility.LOST, rc.LaborAbility.NONE)


def laborers(as_of: datetime.date | None = None) -> QuerySet[Person]:
    """Registered persons of working age (settings, default 16–60) able to work, on `as_of`.

    Derived from the registry on every read, so the set follows registry changes by itself.
    """
    day = as_of or datetime.date.today()
    youngest = years_before(day, settings.FUPIN_LABORER_AGE_MIN)
    oldest = years_before(day, settings.FUPIN_LABORER_AGE_MAX + 1)
    return (
        Person.objects.filter(birth_date__lte=youngest, birth_date__gt=oldest)
        .filter(Q(removed_on__isnull=True) | Q(removed_on__gt=day))
        .exclude(labor_ability__in=UNABLE)
    )


def state_condition(as_of: datetime.date | None, prefix: str = "") -> Q:
    """Employment records valid on `as_of` (the open one when None)."""
    if as_of is None:
        return Q(**{f"{prefix}valid_to__isnull": True})
    return Q(**{f"{prefix}valid_from__lte": as_of}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": as_of})
    )


def with_state(queryset: QuerySet[Person], as_of: datetime.date | None = None) -> QuerySet[Any]:
    """Annotate each person with the employment state valid on `as_of` (one LEFT JOIN):
    state_id, status, form, location_tier, destination_id, monthly_income."""
    return queryset.annotate(
        state=FilteredRelation(
            "employment_records", condition=state_condition(as_of, "employment_records__")
        )
    ).annotate(
        state_id=F("state__id"),
        status=F("state__status"),
        form=F("state__form"),
        location_tier=F("state__location_tier"),
        destination_id=F("state__destination_id"),
        monthly_income=F("state__monthly_income"),
    )


def transferred_condition(prefix: str = "") -> Q:
    """转移就业: employed in non-farm work."""
    return Q(**{f"{prefix}status": "employed"}) & ~Q(**{f"{prefix}form": "farming"})


def tier_between(home_code: str, dest_code: str) -> str:
    """Location tier (choices.LocationTier) of work at `dest_code` for a person living in
    `home_code`, by region-code prefix: same township, county, province, or beyond."""
    from fupin.employment.choices import LocationTier

    home, dest = str(home_code or ""), str(dest_code or "")
    if len(dest) >= 9 and home[:9] == dest[:9]:
        return LocationTier.IN_TOWNSHIP
    if len(dest) >= 6 and home[:6] == dest[:6]:
        return LocationTier.IN_COUNTY
    if dest and home[:2] == dest[:2]:
        return LocationTier.IN_PROVINCE
    return LocationTier.OUT_OF_PROVINCE

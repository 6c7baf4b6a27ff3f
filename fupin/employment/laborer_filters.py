"""Reads for the laborer pages and API: the scoped laborer queryset, one filter set shared by
the list page and `/api/laborers/`, and the per-township "served this year" share."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr

from fupin.core.filters import RegionFilter
from fupin.employment import choices as c
from fupin.employment.models import Service, Verification
from fupin.employment.selectors import laborers, transferred_condition, with_state
from fupin.regions.models import Region
from fupin.registry.filters import matching_people
from fupin.registry.idnumbers import looks_like_id_number

UNRECORDED = "unrecorded"
STATUS_CHOICES = [*c.Status.choices, (UNRECORDED, "未填报")]


def verify_cutoff(today: datetime.date | None = None) -> datetime.date:
    """A verification on or before this day is stale (older than FUPIN_VERIFY_EVERY_DAYS)."""
    day = today or datetime.date.today()
    return day - datetime.timedelta(days=settings.FUPIN_VERIFY_EVERY_DAYS)


def scoped_laborers(
    user: Any, as_of: datetime.date | None = None, verified: bool = True
) -> QuerySet:
    """The user's laborers with their state on `as_of` (and their last verification date)."""
    queryset = with_state(laborers(as_of).for_user(user), as_of).annotate(
        not_seeking_reason=F("state__not_seeking_reason")
    )
    if not verified:
        return queryset
    last = Verification.objects.filter(person=OuterRef("pk")).order_by("-verified_on")
    return queryset.annotate(last_verified=Subquery(last.values("verified_on")[:1]))


def attach_last_verified(rows: list[Any]) -> list[Any]:
    """Last verification dates for one page of rows in one query (cheaper than a correlated
    subquery evaluated for every row before sorting)."""
    ids = [r.pk for r in rows]
    last = dict(
        Verification.objects.filter(person__in=ids)
        .order_by()
        .values("person")
        .annotate(last=Max("verified_on"))
        .values_list("person", "last")
    )
    for row in rows:
        row.last_verified = last.get(row.pk)
    return rows


def is_stale(last_verified: datetime.date | None, today: datetime.date | None = None) -> bool:
    return last_verified is None or last_verified <= verify_cutoff(today)


class LaborerFilter(django_filters.FilterSet):
    region = RegionFilter()
    status = django_filters.ChoiceFilter(
        label="就业状态", choices=STATUS_CHOICES, method="filter_status", empty_label="全部"
    )
    form = django_filters.ChoiceFilter(
        label="就业形式", choices=c.Form.choices, field_name="form", empty_label="全部"
    )
    transferred = django_filters.BooleanFilter(label="转移就业", method="filter_transferred")
    near_home = django_filters.BooleanFilter(label="只能就近就业", method="filter_near_home")
    unverified = django_filters.BooleanFilter(label="超期未核实", method="filter_unverified")
    q = django_filters.CharFilter(label="搜索", method="filter_search")
    ordering = django_filters.OrderingFilter(
        label="排序",
        fields=(
            ("name_pinyin", "name"),
            ("birth_date", "birth_date"),
            ("household__village__code", "village"),
            ("status", "status"),
            ("monthly_income", "monthly_income"),
            ("last_verified", "last_verified"),
        ),
    )

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == UNRECORDED:
            return queryset.filter(state_id__isnull=True)
        return queryset.filter(status=value)

    def filter_transferred(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        condition = transferred_condition()
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_near_home(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        if value:
            return queryset.filter(needs__near_home=True)
        return queryset.exclude(needs__near_home=True)

    def filter_unverified(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        recent = Exists(
            Verification.objects.filter(person=OuterRef("pk"), verified_on__gt=verify_cutoff())
        )
        return queryset.filter(~recent) if value else queryset.filter(recent)

    def filter_search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        text = str(value).strip()
        if not text:
            return queryset
        # Full ID numbers are looked up by POST on the registry pages, never in a URL.
        if looks_like_id_number(text):
            return queryset.none()
        people = matching_people(text)
        return queryset.filter(people) if people is not None else queryset.none()


def served_share_by_township(queryset: QuerySet, year: int) -> list[dict[str, Any]]:
    """Per township: laborers, those with at least one service dated in `year`, and the share.

    One GROUP BY query over the township prefix of the village code, plus one for the names.
    """
    served = Exists(Service.objects.filter(person=OuterRef("pk"), date__year=year).values("pk"))
    rows = list(
        queryset.order_by()
        .annotate(township=Substr(F("household__village_id"), 1, 9), served=served)
        .values("township")
        .annotate(total=Count("pk"), served_count=Count("pk", filter=Q(served=True)))
        .order_by("township")
    )
    names = dict(
        Region.objects.filter(code__in=[r["township"] for r in rows]).values_list("code", "name")
    )
    for row in rows:
        row["name"] = names.get(row["township"], row["township"])
        row["share"] = round(100 * row["served_count"] / row["total"], 1) if row["total"] else 0
    return rows

"""Filter sets shared by the subsidy pages and the API (`region` = region-code prefix)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from fupin.core.filters import RegionFilter
from fupin.registry.filters import matching_people
from fupin.registry.idnumbers import looks_like_id_number
from fupin.subsidies import choices as c
from fupin.subsidies import models as m


class PolicyFilter(django_filters.FilterSet):
    beneficiary_kind = django_filters.ChoiceFilter(
        label="补贴对象", choices=c.BeneficiaryKind.choices
    )
    active = django_filters.BooleanFilter(label="启用")
    q = django_filters.CharFilter(label="搜索", method="filter_search")

    class Meta:
        model = m.Policy
        fields = ["beneficiary_kind", "active"]

    def filter_search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        text = str(value).strip()
        return (
            queryset.filter(Q(name__icontains=text) | Q(code__icontains=text)) if text else queryset
        )


class ApplicationFilter(django_filters.FilterSet):
    region = RegionFilter()
    policy = django_filters.ModelChoiceFilter(label="政策", queryset=m.Policy.objects.all())
    status = django_filters.ChoiceFilter(label="状态", choices=c.Status.choices)
    period = django_filters.CharFilter(label="所属期")
    q = django_filters.CharFilter(label="搜索", method="filter_search")

    class Meta:
        model = m.Application
        fields = ["region", "policy", "status", "period"]

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, request=request, **kwargs)
        if request is not None:
            self.filters["policy"].queryset = m.Policy.objects.for_user(request.user)

    def filter_search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        text = str(value).strip()
        if not text:
            return queryset
        # Full ID numbers are looked up by POST on the registry pages, never in a URL.
        if looks_like_id_number(text):
            return queryset.none()
        condition = Q(workshop__name__icontains=text) | Q(employer__name__icontains=text)
        people = matching_people(text)
        if people is not None:
            from fupin.registry.models import Person

            condition |= Q(person__in=Person.objects.filter(people).values("pk"))
        return queryset.filter(condition)


class PaymentBatchFilter(django_filters.FilterSet):
    region = RegionFilter()
    status = django_filters.ChoiceFilter(label="状态", choices=c.BatchStatus.choices)

    class Meta:
        model = m.PaymentBatch
        fields = ["region", "status"]


class PaymentFilter(django_filters.FilterSet):
    region = RegionFilter()
    batch = django_filters.NumberFilter(label="批次")
    application = django_filters.NumberFilter(label="申请")
    status = django_filters.ChoiceFilter(label="状态", choices=c.PaymentStatus.choices)

    class Meta:
        model = m.Payment
        fields = ["region", "batch", "application", "status"]

"""One filter set for the household list page, the API and the export."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from fupin.core.filters import RegionFilter
from fupin.registry import choices as c
from fupin.registry.idnumbers import IdNumberError, looks_like_id_number, normalise_id_number
from fupin.registry.models import Household, Person


def with_list_columns(queryset: QuerySet) -> QuerySet:
    """Head name and member count as subqueries: a fixed number of queries per page."""
    active = Person.objects.filter(household=OuterRef("pk"), removed_on__isnull=True)
    return queryset.select_related("village", "village__parent").annotate(
        head_name=Subquery(active.filter(relation=c.Relation.HEAD).values("name")[:1]),
        member_count=Subquery(
            active.order_by().values("household").annotate(n=Count("*")).values("n")[:1]
        ),
    )


def matching_people(value: str) -> Q | None:
    """People matching a search: full ID, name, pinyin or initials. None: no person match."""
    text = value.strip()
    if looks_like_id_number(text):
        try:
            return Q(id_number=normalise_id_number(text))
        except IdNumberError:
            return Q(pk__in=[])
    if text.isascii() and text.isalpha():
        lowered = text.lower()
        return Q(name_pinyin__startswith=lowered) | Q(name_initials__startswith=lowered)
    if text.isdigit():
        return None
    return Q(name__contains=text)


class HouseholdFilter(django_filters.FilterSet):
    region = RegionFilter()
    status = django_filters.ChoiceFilter(
        label="户状态", choices=c.HouseholdStatus.choices, empty_label="全部"
    )
    household_type = django_filters.ChoiceFilter(
        label="贫困户属性", choices=c.HouseholdType.choices, empty_label="全部"
    )
    main_cause = django_filters.ChoiceFilter(
        label="主要致贫原因", choices=c.PovertyCause.choices, empty_label="全部"
    )
    q = django_filters.CharFilter(label="搜索", method="filter_search")
    ordering = django_filters.OrderingFilter(
        label="排序",
        fields=(
            ("number", "number"),
            ("village__code", "village"),
            ("identified_year", "identified_year"),
            ("head_name", "head_name"),
            ("member_count", "member_count"),
        ),
        field_labels={
            "number": "户编号",
            "village": "村（社区）",
            "identified_year": "识别年度",
            "head_name": "户主",
            "member_count": "人数",
        },
    )

    class Meta:
        model = Household
        fields = ["region", "status", "household_type", "main_cause", "q"]

    def filter_search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        text = str(value).strip()
        if not text:
            return queryset
        people = matching_people(text)
        if people is None:
            return queryset.filter(number__startswith=text)
        members = Person.objects.filter(people).values("household_id")
        if text.isdigit():
            return queryset.filter(Q(number__startswith=text) | Q(pk__in=members))
        return queryset.filter(pk__in=members)


class PersonFilter(django_filters.FilterSet):
    region = RegionFilter()
    household = django_filters.NumberFilter(label="户ID", field_name="household_id")
    relation = django_filters.ChoiceFilter(label="与户主关系", choices=c.Relation.choices)
    sex = django_filters.ChoiceFilter(label="性别", choices=c.Sex.choices)
    labor_ability = django_filters.ChoiceFilter(label="劳动技能", choices=c.LaborAbility.choices)
    health = django_filters.ChoiceFilter(label="健康状况", choices=c.Health.choices)
    active = django_filters.BooleanFilter(
        label="在册", field_name="removed_on", lookup_expr="isnull"
    )
    q = django_filters.CharFilter(label="搜索", method="filter_search")

    class Meta:
        model = Person
        fields = ["region", "household", "relation", "sex", "labor_ability", "health", "active"]

    def filter_search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        people = matching_people(str(value))
        return queryset.filter(people) if people is not None else queryset.none()

"""One filter set per record type, shared by the pages, the API and the exports."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from fupin.core.filters import RegionFilter
from fupin.employment import choices as c
from fupin.employment import models as m
from fupin.registry.filters import matching_people


class RegionFilterSet(django_filters.FilterSet):
    """`region`: region-code prefix (the record's scope field); `q`: text search over
    `search_fields`, or the linked person's name/pinyin when `person_search` is set."""

    region = RegionFilter()
    q = django_filters.CharFilter(label="搜索", method="filter_search")
    search_fields: tuple[str, ...] = ()
    person_search: str | None = None  # e.g. "person" or "startup__person"

    def filter_search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        text = str(value).strip()
        if not text:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": text})
        if self.person_search:
            people = matching_people(text)
            if people is not None:
                from fupin.registry.models import Person

                ids = Person.objects.filter(people).values("pk")
                condition |= Q(**{f"{self.person_search}__in": ids})
        return queryset.filter(condition) if condition else queryset.none()


def choice(label: str, choices: Any, field: str | None = None) -> django_filters.ChoiceFilter:
    kwargs = {"field_name": field} if field else {}
    return django_filters.ChoiceFilter(label=label, choices=choices, empty_label="全部", **kwargs)


def yes_no(label: str, **kwargs: Any) -> django_filters.BooleanFilter:
    return django_filters.BooleanFilter(
        label=label,
        widget=django_filters.widgets.BooleanWidget(),
        **kwargs,
    )


class EmployerFilter(RegionFilterSet):
    trade = choice("行业", c.Trade.choices)
    search_fields = ("name", "credit_code")

    class Meta:
        model = m.Employer
        fields = ["region", "trade", "q"]


class JobPostingFilter(RegionFilterSet):
    trade = choice("行业", c.Trade.choices)
    source = choice("岗位来源", c.JobSource.choices)
    status = choice("状态", c.JobStatus.choices)
    caring_post = yes_no("爱心岗位")
    employer = django_filters.NumberFilter(label="用人单位ID", field_name="employer_id")
    search_fields = ("title", "employer__name")

    class Meta:
        model = m.JobPosting
        fields = ["region", "trade", "source", "status", "caring_post", "employer", "q"]


class RecruitmentEventFilter(RegionFilterSet):
    mode = choice("形式", c.EventMode.choices)
    search_fields = ("name", "place")

    class Meta:
        model = m.RecruitmentEvent
        fields = ["region", "mode", "q"]


class WorkshopFilter(RegionFilterSet):
    revoked = yes_no("已撤销", field_name="revoked_on", lookup_expr="isnull", exclude=True)
    search_fields = ("name", "employer__name", "document_number")

    class Meta:
        model = m.Workshop
        fields = ["region", "revoked", "q"]


class PublicWelfarePostFilter(RegionFilterSet):
    post_type = choice("岗位类型", c.PostType.choices)
    funding = choice("资金来源", c.Funding.choices)
    full_time = yes_no("全日制")
    search_fields = ("title", "unit")

    class Meta:
        model = m.PublicWelfarePost
        fields = ["region", "post_type", "funding", "full_time", "q"]


class PlacementFilter(RegionFilterSet):
    active = yes_no("在岗", field_name="end", lookup_expr="isnull")
    post = django_filters.NumberFilter(label="岗位ID", field_name="post_id")
    person_search = "person"

    class Meta:
        model = m.Placement
        fields = ["region", "active", "post", "q"]


class StartupFilter(RegionFilterSet):
    trade = choice("行业", c.Trade.choices)
    search_fields = ("business_name",)
    person_search = "person"

    class Meta:
        model = m.Startup
        fields = ["region", "trade", "q"]


class LoanFilter(RegionFilterSet):
    status = choice("状态", c.LoanStatus.choices)
    startup = django_filters.NumberFilter(label="创业项目ID", field_name="startup_id")
    search_fields = ("bank", "startup__business_name")
    person_search = "startup__person"

    class Meta:
        model = m.Loan
        fields = ["region", "status", "startup", "q"]


class TrainingClassFilter(RegionFilterSet):
    training_type = choice("培训类型", c.TrainingType.choices)
    search_fields = ("name", "provider", "occupation")

    class Meta:
        model = m.TrainingClass
        fields = ["region", "training_type", "q"]


class EnrollmentFilter(RegionFilterSet):
    training = django_filters.NumberFilter(label="培训班ID", field_name="training_id")
    completed = yes_no("结业")
    person_search = "person"

    class Meta:
        model = m.Enrollment
        fields = ["region", "training", "completed", "q"]


class ExportBatchFilter(RegionFilterSet):
    mode = choice("方式", c.ExportMode.choices)
    destination = django_filters.CharFilter(
        label="目的地区划代码", field_name="destination_id", lookup_expr="startswith"
    )
    search_fields = ("destination__name",)

    class Meta:
        model = m.ExportBatch
        fields = ["region", "mode", "destination", "q"]

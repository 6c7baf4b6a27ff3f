"""Forms of the supervision pages (validation of input only; services decide the rest)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from fupin.regions.models import Region
from fupin.supervision import choices as c
from fupin.supervision.sampling import supervisors_for
from fupin.supervision.services import fact_choices


class PlanForm(forms.Form):
    population = forms.ChoiceField(label="抽样对象", choices=c.Population.choices)
    region = forms.ChoiceField(label="抽样范围")
    percent = forms.DecimalField(
        label="抽样比例（%）",
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        decimal_places=2,
        initial=Decimal(5),
    )
    minimum = forms.IntegerField(label="每乡镇最少抽取（户/人）", min_value=0, initial=5)
    strata = forms.ChoiceField(label="分层", choices=c.Strata.choices, required=False)
    assignee = forms.ChoiceField(label="核查人", required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = Region.objects.for_user(user).filter(
            level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP]
        )
        self.fields["region"].choices = [(r.code, f"{r.code} {r.name}") for r in regions]
        own = getattr(user, "region_id", "") or ""
        callers = supervisors_for(own) if own else []
        self.fields["assignee"].choices = [("", "督导组成员轮流分配")] + [
            (str(u.pk), u.display_name) for u in callers
        ]

    def clean_assignee(self) -> Any:
        pk = self.cleaned_data.get("assignee")
        return get_user_model().objects.filter(pk=pk).first() if pk else None


class CallResultForm(forms.Form):
    result = forms.ChoiceField(
        label="核查结果", choices=c.CallResult.choices, widget=forms.RadioSelect
    )
    wrong_fact = forms.ChoiceField(label="不属实的信息", required=False)
    true_value = forms.CharField(label="实际情况", max_length=200, required=False)
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    called_at = forms.DateTimeField(
        label="核查时间",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, population: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wrong_fact"].choices = [("", "—"), *fact_choices(population)]
        if not self.is_bound:
            self.initial.setdefault("called_at", timezone.localtime().replace(second=0))


class EvidenceForm(forms.Form):
    evidence = forms.CharField(
        label="整改说明", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="复核", choices=[("approve", "通过，销号"), ("return", "退回重新整改")]
    )
    note = forms.CharField(
        label="复核意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


class PeriodForm(forms.Form):
    start = forms.DateField(label="起", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="止", widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.CharField(label="区划代码", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "截止日期不能早于开始日期")
        return data

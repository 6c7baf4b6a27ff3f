"""Forms for a laborer's employment state, needs and services. They only collect and tidy
input; the rules live in fupin.employment.services (errors come back via
fupin.core.forms.apply_service_errors)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from fupin.employment import choices as c
from fupin.employment.models import Employer, EmploymentRecord, Needs
from fupin.regions.models import Region

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def region_code_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=12,
        help_text="区划代码（须为系统已有区划），如 500105（江北区）、500156001（凤山街道）",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def clean_region_code(value: str) -> str | None:
    code = (value or "").strip()
    if not code:
        return None
    if not code.isdigit() or not Region.objects.filter(code=code).exists():
        raise forms.ValidationError("找不到该区划代码")
    return code


class EmploymentForm(forms.ModelForm):
    valid_from = forms.DateField(label="情况变化日期", widget=DATE)
    destination = region_code_field("务工地")
    employer = forms.ModelChoiceField(
        label="用人单位", queryset=Employer.objects.none(), required=False, empty_label="（不选）"
    )

    class Meta:
        model = EmploymentRecord
        fields = [
            "status",
            "not_seeking_reason",
            "form",
            "location_tier",
            "destination",
            "employer",
            "employer_name",
            "trade",
            "start_date",
            "end_date",
            "monthly_income",
            "channel",
            "has_contract",
            "has_social_insurance",
        ]
        widgets = {"start_date": DATE, "end_date": DATE}

    def __init__(
        self,
        *args: Any,
        user: Any,
        current: EmploymentRecord | None = None,
        home_code: str = "",
        **kw: Any,
    ):
        """`current` pre-fills the form with the laborer's current state (a change usually
        touches one or two fields); `home_code` (the laborer's village) picks the tier labels
        (区内/市内区外/市外 in a municipality)."""
        if current is not None and "initial" not in kw:
            kw["initial"] = {
                **forms.models.model_to_dict(current, fields=self.Meta.fields),
                "destination": current.destination_id or "",
            }
        kw.setdefault("initial", {})
        kw["initial"].setdefault("valid_from", datetime.date.today())
        super().__init__(*args, **kw)
        self.fields["employer"].queryset = Employer.objects.for_user(user).order_by("name")
        self.order_fields(["valid_from", *self.Meta.fields])
        self.fields["location_tier"].choices = [
            (value, c.tier_label(value, home_code) if value else label)
            for value, label in self.fields["location_tier"].choices
        ]

    def clean_destination(self) -> str | None:
        return clean_region_code(self.cleaned_data.get("destination", ""))

    def _post_clean(self) -> None:
        # The state's consistency rules are the service's job (validate_state).
        pass

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("valid_from", None)
        employer = data.pop("employer", None)
        data["employer_id"] = employer.pk if employer else None
        data["destination_id"] = data.pop("destination", None)
        return data


class NeedsForm(forms.ModelForm):
    wished_region = region_code_field("意向务工地")
    service_needs = forms.MultipleChoiceField(
        label="服务需求",
        choices=c.ServiceNeed.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Needs
        fields = [
            "wished_trade",
            "wished_job",
            "wished_tier",
            "wished_region",
            "expected_wage",
            "training_wish",
            "service_needs",
            "near_home",
        ]

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if self.instance.pk:
            self.initial["wished_region"] = self.instance.wished_region_id or ""

    def clean_wished_region(self) -> str | None:
        return clean_region_code(self.cleaned_data.get("wished_region", ""))

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["wished_region_id"] = data.pop("wished_region", None)
        return data


class ServiceForm(forms.Form):
    service_type = forms.ChoiceField(label="服务类型", choices=c.ServiceType.choices)
    date = forms.DateField(label="服务日期", widget=DATE, initial=datetime.date.today)
    note = forms.CharField(label="说明", max_length=500, required=False)

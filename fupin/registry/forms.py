from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from fupin.regions.widgets import RegionPicker
from fupin.registry import choices as c
from fupin.registry.idnumbers import IdNumberError, normalise_id_number
from fupin.registry.models import Household, HouseholdIncome, Person


class HouseholdForm(forms.ModelForm):
    village = forms.CharField(label="所在村（社区）")
    other_causes = forms.MultipleChoiceField(
        label="其他致贫原因",
        choices=c.PovertyCause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Household
        fields = [
            "number",
            "household_type",
            "status",
            "identified_year",
            "exit_year",
            "main_cause",
            "other_causes",
            "phone",
            "helper_name",
            "helper_phone",
            *c.ASSURANCE_FIELDS,
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].widget = RegionPicker(user=user)
        if self.instance.pk:
            self.initial["village"] = self.instance.village_id

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        year, exit_year = data.get("identified_year"), data.get("exit_year")
        if year and (year < 2013 or year > datetime.date.today().year):
            self.add_error("identified_year", "识别年度应在 2013 年至今年之间")
        if exit_year and year and exit_year < year:
            self.add_error("exit_year", "脱贫年度不能早于识别年度")
        if data.get("status") == c.HouseholdStatus.EXITED and not exit_year:
            self.add_error("exit_year", "已脱贫户须填写脱贫年度")
        return data

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["village_id"] = data.pop("village")
        return data


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "relation",
            "name",
            "id_number",
            "ethnicity",
            "education",
            "school_status",
            "health",
            "disability_grade",
            "labor_ability",
            "phone",
        ]
        widgets = {"id_number": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, head: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The full number is never sent to the browser; blank keeps it unchanged.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = f"当前：{self.instance.masked_id}（不修改请留空）"
            self.initial["id_number"] = ""
        # The head is changed with 设为户主 on another member, never by editing relations.
        is_head = head or self.instance.relation == c.Relation.HEAD
        self.fields["relation"].choices = [
            choice for choice in c.Relation.choices if (choice[0] == c.Relation.HEAD) == is_head
        ]
        if head:
            self.initial["relation"] = c.Relation.HEAD

    def clean_id_number(self) -> str:
        value = self.cleaned_data.get("id_number") or ""
        if not value and self.instance.pk:
            return ""
        try:
            return normalise_id_number(value)
        except IdNumberError as exc:
            raise ValidationError(str(exc)) from exc

    def _post_clean(self) -> None:
        # Uniqueness and model validation are the service's job (with clear messages).
        pass

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data.get("id_number"):
            data.pop("id_number", None)
        return data


class IncomeForm(forms.ModelForm):
    class Meta:
        model = HouseholdIncome
        fields = [
            "year",
            "per_capita_net",
            "wage",
            "operating",
            "property_income",
            "transfer",
            "production_cost",
        ]

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if not 2013 <= year <= datetime.date.today().year:
            raise ValidationError("年度应在 2013 年至今年之间")
        return year

    def validate_unique(self) -> None:
        # A second entry for a year corrects the first (the service updates it).
        pass


class RemoveMemberForm(forms.Form):
    reason = forms.ChoiceField(label="移除原因", choices=c.RemovalReason.choices)
    on = forms.DateField(
        label="移除日期",
        initial=datetime.date.today,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class MoveMemberForm(forms.Form):
    to_number = forms.CharField(label="迁入户的户编号", max_length=30)
    relation = forms.ChoiceField(
        label="与新户主关系",
        choices=[x for x in c.Relation.choices if x[0] != c.Relation.HEAD],
    )


class MakeHeadForm(forms.Form):
    old_head_relation = forms.ChoiceField(
        label="原户主改为",
        choices=[x for x in c.Relation.choices if x[0] != c.Relation.HEAD],
        initial=c.Relation.SPOUSE,
    )

"""Forms of the subsidy pages; save() and run() call the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from fupin.core.generic import ActionForm, ServiceForm
from fupin.subsidies import models as m
from fupin.subsidies import rules
from fupin.subsidies import services as s

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class PolicyForm(ServiceForm):
    """The catalogue entry county admins configure (amounts, caps, rules, budget)."""

    service = s.save_policy
    rules = forms.MultipleChoiceField(
        label="资格条件（须全部满足）",
        choices=rules.RULE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = m.Policy
        fields = [
            "code", "name", "region", "beneficiary_kind", "standard_kind", "amount", "months",
            "cap", "period_cap", "rules", "yearly_budget", "valid_from", "valid_to",
            "attachments", "description", "active",
        ]  # fmt: skip


class ApplicationForm(ServiceForm):
    """New claim: policy, one beneficiary, period and payment details; an existing draft
    or submitted claim: only the payment details and the amount's inputs."""

    region_fields = ()
    period = forms.CharField(
        label="所属期",
        required=False,
        help_text="限享一次填 ever，每年 2026，每月 2026-11；留空为当前",
    )

    class Meta:
        model = m.Application
        fields = [
            "policy", "person", "workshop", "employer", "period", "heads", "actual_cost",
            "account_holder", "bank_name", "bank_account",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("person", "workshop", "employer"):
            self.fields[name].required = False
        self.fields["policy"].queryset = m.Policy.objects.for_user(self.user).filter(active=True)
        if self.instance.pk:
            for name in ("policy", "person", "workshop", "employer", "period"):
                self.fields.pop(name)

    def save(self, commit: bool = True) -> Any:
        data = dict(self.cleaned_data)
        if self.instance.pk:
            return s.update_application(acting_user=self.user, application=self.instance, data=data)
        beneficiary = data.pop("person") or data.pop("workshop") or data.pop("employer")
        if beneficiary is None:
            raise ValidationError("请选择补贴对象（人员、扶贫车间或用人单位）")
        return s.create_application(
            acting_user=self.user,
            policy=data.pop("policy"),
            beneficiary=beneficiary,
            period=data.pop("period") or None,
            data=data,
        )


class SubmitForm(ActionForm):
    permissions = ("subsidies.submit_application",)
    done_message = "已提交"

    def run(self) -> Any:
        return s.submit(acting_user=self.user, application=self.parent)


class ReviewForm(ActionForm):
    permissions = ("subsidies.review_application",)
    done_message = "已审核通过"

    def run(self) -> Any:
        return s.review(acting_user=self.user, application=self.parent)


class ApproveForm(ActionForm):
    permissions = ("subsidies.approve_application",)
    done_message = "已审批通过"

    def run(self) -> Any:
        return s.approve(acting_user=self.user, application=self.parent)


class RejectForm(ActionForm):
    permissions = ("subsidies.review_application",)
    done_message = "已退回"
    reason = forms.CharField(label="退回原因", max_length=500)

    def run(self) -> Any:
        return s.reject(
            acting_user=self.user, application=self.parent, reason=self.cleaned_data["reason"]
        )


class CancelForm(ActionForm):
    permissions = ("subsidies.change_application",)
    done_message = "已撤销"
    reason = forms.CharField(label="撤销说明", max_length=200, required=False)

    def run(self) -> Any:
        return s.cancel(
            acting_user=self.user, application=self.parent, reason=self.cleaned_data["reason"]
        )


class ReverseForm(ActionForm):
    permissions = ("subsidies.approve_application",)
    done_message = "已冲正"
    reason = forms.CharField(label="冲正原因", max_length=500)

    def run(self) -> Any:
        return s.reverse(
            acting_user=self.user, application=self.parent, reason=self.cleaned_data["reason"]
        )


class WithdrawBatchForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=200)


class ReturnFileForm(forms.Form):
    file = forms.FileField(label="银行回盘文件（xlsx 或 csv）")

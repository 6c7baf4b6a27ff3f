"""Forms for employers, jobs, events and measures; save() and run() call the services."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from fupin.core.generic import ActionForm, ServiceForm, person_choice
from fupin.employment import measure_services as s
from fupin.employment import models as m

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def today() -> datetime.date:
    return datetime.date.today()


class EmployerForm(ServiceForm):
    service = s.save_employer

    class Meta:
        model = m.Employer
        fields = [
            "credit_code",
            "name",
            "region",
            "trade",
            "contact_name",
            "contact_phone",
            "address",
        ]


class JobPostingForm(ServiceForm):
    service = s.save_job_posting
    sex_requirement = forms.ChoiceField(
        label="性别要求", choices=[("", "不限"), ("男", "男"), ("女", "女")], required=False
    )

    class Meta:
        model = m.JobPosting
        fields = [
            "employer", "title", "trade", "openings", "filled", "wage_min", "wage_max", "region",
            "age_min", "age_max", "education_min", "skills", "physical_demand",
            "sex_requirement", "sex_requirement_basis", "source", "valid_from", "valid_to",
            "caring_post", "status",
        ]  # fmt: skip


class RecruitmentEventForm(ServiceForm):
    service = s.save_recruitment_event

    class Meta:
        model = m.RecruitmentEvent
        fields = [
            "name", "mode", "date", "place", "region", "employers", "postings",
            "posts_offered", "attendees", "hires",
        ]  # fmt: skip


class WorkshopForm(ServiceForm):
    service = s.save_workshop

    class Meta:
        model = m.Workshop
        fields = ["name", "employer", "region", "recognized_on", "document_number", "capacity"]


class PublicWelfarePostForm(ServiceForm):
    service = s.save_public_welfare_post

    class Meta:
        model = m.PublicWelfarePost
        fields = [
            "title", "post_type", "unit", "region", "full_time", "monthly_pay", "funding",
            "developed_on", "closed_on",
        ]  # fmt: skip


class StartupForm(ServiceForm):
    service = s.save_startup

    class Meta:
        model = m.Startup
        fields = ["person", "business_name", "started_on", "trade", "jobs_created"]


class TrainingClassForm(ServiceForm):
    service = s.save_training_class

    class Meta:
        model = m.TrainingClass
        fields = [
            "name", "training_type", "provider", "region", "start", "end", "place",
            "occupation", "subsidy_per_head",
        ]  # fmt: skip


class ExportBatchForm(ServiceForm):
    service = s.save_export_batch
    code_fields = ("destination",)

    class Meta:
        model = m.ExportBatch
        fields = [
            "departed_on", "mode", "region", "destination", "employers", "free_of_charge",
            "cost", "other_workers",
        ]  # fmt: skip


# --- actions on a record's page -----------------------------------------------------


class RevokeWorkshopForm(ActionForm):
    permissions = ("employment.change_workshop",)
    done_message = "已撤销认定"
    on = forms.DateField(label="撤销日期", initial=today, **DATE)
    reason = forms.CharField(label="撤销原因", max_length=200)

    def run(self) -> Any:
        d = self.cleaned_data
        return s.revoke_workshop(
            acting_user=self.user, workshop=self.parent, on=d["on"], reason=d["reason"]
        )


class WorkshopEmployForm(ActionForm):
    permissions = ("employment.add_employmentrecord",)
    done_message = "已登记吸纳就业"
    start = forms.DateField(label="上岗日期", initial=today, **DATE)
    monthly_income = forms.DecimalField(label="月收入（元）", required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"person": person_choice(self.user, "人员"), **self.fields}

    def run(self) -> Any:
        d = self.cleaned_data
        return s.employ_at_workshop(
            acting_user=self.user,
            workshop=self.parent,
            person=d["person"],
            start=d["start"],
            monthly_income=d.get("monthly_income"),
        )


class PlaceForm(ActionForm):
    permissions = ("employment.add_placement",)
    done_message = "已安置"
    start = forms.DateField(label="上岗日期", initial=today, **DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"person": person_choice(self.user, "安置人员"), **self.fields}

    def run(self) -> Any:
        d = self.cleaned_data
        return s.place_on_post(
            acting_user=self.user, post=self.parent, person=d["person"], start=d["start"]
        )


class EndPlacementForm(ActionForm):
    permissions = ("employment.change_placement",)
    done_message = "已办理离岗"
    placement = forms.ModelChoiceField(label="安置", queryset=m.Placement.objects.none())
    end = forms.DateField(label="离岗日期", initial=today, **DATE)
    reason = forms.CharField(label="离岗原因", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.parent is not None:
            self.fields["placement"].queryset = self.parent.placements.filter(end__isnull=True)
            self.fields["placement"].widget = forms.HiddenInput()

    def run(self) -> Any:
        d = self.cleaned_data
        return s.end_placement(
            acting_user=self.user, placement=d["placement"], end=d["end"], reason=d["reason"]
        )


class LoanForm(ActionForm):
    permissions = ("employment.add_loan",)
    done_message = "已登记贷款"
    bank = forms.CharField(label="贷款银行", max_length=100)
    amount = forms.DecimalField(label="贷款金额（元）", max_digits=12, decimal_places=2)
    granted_on = forms.DateField(label="放款日期", required=False, **DATE)
    term_months = forms.IntegerField(label="期限（月）", initial=24, min_value=1)
    interest_free = forms.BooleanField(label="免息（全额贴息）", required=False, initial=True)
    status = forms.ChoiceField(label="状态", choices=m.c.LoanStatus.choices)

    def run(self) -> Any:
        return s.save_loan(
            acting_user=self.user, data={"startup": self.parent, **self.cleaned_data}
        )


class EnrollForm(ActionForm):
    permissions = ("employment.add_enrollment",)
    done_message = "已报名"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"person": person_choice(self.user, "学员")}

    def run(self) -> Any:
        return s.enroll(
            acting_user=self.user, training=self.parent, person=self.cleaned_data["person"]
        )


class EnrollmentResultForm(ActionForm):
    permissions = ("employment.change_enrollment",)
    done_message = "已保存培训结果"
    enrollment = forms.ModelChoiceField(label="学员", queryset=m.Enrollment.objects.none())
    completed = forms.BooleanField(label="结业", required=False)
    certificate = forms.CharField(label="证书", max_length=100, required=False)
    employed_after = forms.BooleanField(label="培训后就业", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.parent is not None:
            # A class is district-wide; its trainees are not: only the user's own people.
            self.fields["enrollment"].queryset = m.Enrollment.objects.for_user(self.user).filter(
                training=self.parent
            )

    def run(self) -> Any:
        data = dict(self.cleaned_data)
        return s.update_enrollment(
            acting_user=self.user, instance=data.pop("enrollment"), data=data
        )


class ParticipantForm(ActionForm):
    permissions = ("employment.add_exportparticipant",)
    done_message = "已加入批次"
    monthly_income = forms.DecimalField(label="月收入（元）", required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"person": person_choice(self.user, "人员"), **self.fields}

    def run(self) -> Any:
        d = self.cleaned_data
        return s.add_export_participant(
            acting_user=self.user,
            batch=self.parent,
            person=d["person"],
            monthly_income=d.get("monthly_income"),
        )

"""Writes for employers, jobs, recruitment events and the measures (workshops,
public-welfare posts, startups and loans, training, labor export).

Every function validates, writes and audits in one transaction and re-checks the
jurisdiction of the record it touches (before and after the change).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from fupin.core import audit
from fupin.core.dates import age_on
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.services import check_jurisdiction, check_permission
from fupin.employment import choices as c
from fupin.employment.models import (
    Employer,
    Enrollment,
    ExportBatch,
    ExportParticipant,
    JobPosting,
    Loan,
    Placement,
    PublicWelfarePost,
    RecruitmentEvent,
    Startup,
    TrainingClass,
    Workshop,
)
from fupin.employment.selectors import laborers, tier_between
from fupin.employment.services import record_employment
from fupin.regions.models import Region
from fupin.registry.models import Person
from fupin.registry.services import household_context

SEX_VALUES = ("男", "女")


def _region(value: Any, field: str = "region_id") -> Region:
    region = Region.objects.filter(code=str(value or "")).first()
    if region is None:
        raise ValidationError({field: f"区划代码 {value or '（空）'} 不存在"})
    return region


def _check_region(user: Any, code: str, district_wide: bool) -> None:
    """Writes stay inside the jurisdiction. District-wide records (employers, postings)
    may also lie outside the province (劳务协作 partners) when written at county level."""
    if district_wide and user is not None:
        prefix = jurisdiction_code(user)
        if prefix is not None and len(prefix) <= 6 and not code.startswith(prefix[:2]):
            return
    check_jurisdiction(user, code)


def _code(obj: Any) -> str:
    """The region a record belongs to (a loan: its startup's person's village)."""
    if isinstance(obj, Loan):
        return (
            Startup.objects.select_related("person__household").get(pk=obj.startup_id).region_code
        )
    return obj.region_code


def _context(obj: Any) -> str:
    person = getattr(obj, "person", None) if hasattr(obj, "person_id") else None
    return household_context(person.household_id) if person is not None else ""


def _save(
    acting_user: Any,
    model: type[models.Model],
    instance: Any,
    data: dict[str, Any],
    validate: Callable[[Any], None] = lambda obj: None,
    *,
    district_wide: bool = False,
    message: str = "",
) -> Any:
    """Create (`instance` None) or update a record from `data` (attribute names; m2m
    fields as lists), validating with `validate(obj)`, audited with before/after."""
    meta = model._meta
    creating = instance is None
    check_permission(
        acting_user, f"{meta.app_label}.{'add' if creating else 'change'}_{meta.model_name}"
    )
    m2m = {f.name: data.pop(f.name) for f in meta.many_to_many if f.name in data}
    if creating:
        obj = model()
        before: dict[str, Any] = {}
    else:
        obj = model.objects.select_for_update().get(pk=instance.pk)
        _check_region(acting_user, _code(obj), district_wide)
        before = audit.snapshot(obj)
    for key, value in data.items():
        setattr(obj, key, value)
    if "region_id" in data:
        _region(obj.region_id)
    validate(obj)
    _check_region(acting_user, _code(obj), district_wide)
    obj.save()
    for name, values in m2m.items():
        getattr(obj, name).set(values)
    changes = audit.diff(before, audit.snapshot(obj))
    for name, values in m2m.items():
        changes[name] = [None, sorted(v.pk for v in values)]
    if changes or creating:
        audit.record(
            AuditLog.Action.CREATE if creating else AuditLog.Action.UPDATE,
            obj,
            changes=changes,
            message=message,
            region_code=_code(obj),
            context_key=_context(obj),
        )
    return obj


def _visible(model: Any, user: Any) -> Any:
    """Rows the user may see (all for the system itself, user None)."""
    return model.objects.all() if user is None else model.objects.for_user(user)


def _check_open_to(acting_user: Any, model: Any, obj: Any) -> None:
    """District-wide classes and batches take people from every township that sees them;
    the person is checked against the user's own jurisdiction separately."""
    if not _visible(model, acting_user).filter(pk=obj.pk).exists():
        raise PermissionDenied(f"{model._meta.verbose_name}不在辖区内")


def _person_in_scope(acting_user: Any, person: Person) -> Person:
    person = Person.objects.select_related("household").get(pk=person.pk)
    check_jurisdiction(acting_user, person.household.village_id)
    return person


def _audit_person_record(action: str, obj: Any, person: Person, **kwargs: Any) -> None:
    audit.record(
        action,
        obj,
        region_code=person.household.village_id,
        context_key=household_context(person.household_id),
        **kwargs,
    )


def _dates_in_order(start: Any, end: Any, field: str, message: str) -> None:
    if start and end and end < start:
        raise ValidationError({field: message})


# --- employers, postings, events ----------------------------------------------------


def normalise_credit_code(value: str) -> str:
    """统一社会信用代码: upper-case, checked with stdnum.cn.uscc."""
    code = (value or "").strip().upper()
    try:
        return uscc.validate(code)
    except InvalidChecksum as exc:
        raise ValidationError({"credit_code": "统一社会信用代码校验位错误"}) from exc
    except InvalidLength as exc:
        raise ValidationError({"credit_code": "统一社会信用代码应为 18 位"}) from exc
    except StdnumError as exc:
        raise ValidationError({"credit_code": "统一社会信用代码格式错误"}) from exc


@transaction.atomic
def save_employer(
    *, acting_user: Any, instance: Employer | None = None, data: dict[str, Any]
) -> Employer:
    def validate(employer: Employer) -> None:
        employer.credit_code = normalise_credit_code(employer.credit_code)
        clash = Employer.objects.filter(credit_code=employer.credit_code).exclude(pk=employer.pk)
        if clash.exists():
            raise ValidationError({"credit_code": f"该统一社会信用代码已登记（{clash.first()}）"})
        if not (employer.name or "").strip():
            raise ValidationError({"name": "请填写单位名称"})
        if employer.trade not in c.Trade.values:
            raise ValidationError({"trade": "请选择行业"})

    return _save(acting_user, Employer, instance, data, validate, district_wide=True)


@transaction.atomic
def save_job_posting(
    *, acting_user: Any, instance: JobPosting | None = None, data: dict[str, Any]
) -> JobPosting:
    def validate(job: JobPosting) -> None:
        if not job.openings or job.openings < 1:
            raise ValidationError({"openings": "招聘人数至少为 1"})
        if job.wage_min is not None and job.wage_min < 0:
            raise ValidationError({"wage_min": "月薪不能为负数"})
        if job.wage_min is not None and job.wage_max is not None and job.wage_min > job.wage_max:
            raise ValidationError({"wage_max": "月薪上限不能低于下限"})
        if job.age_min is not None and job.age_min < 16:
            raise ValidationError({"age_min": "年龄下限不得低于 16 周岁（禁止使用童工）"})
        if job.age_max is not None and job.age_max > 70:
            raise ValidationError({"age_max": "年龄上限不应超过 70 周岁"})
        if job.age_min is not None and job.age_max is not None and job.age_min > job.age_max:
            raise ValidationError({"age_max": "年龄上限不能低于下限"})
        job.sex_requirement = (job.sex_requirement or "").strip()
        if job.sex_requirement and job.sex_requirement not in SEX_VALUES:
            raise ValidationError({"sex_requirement": "性别要求只能为空、男或女"})
        if job.sex_requirement and not (job.sex_requirement_basis or "").strip():
            raise ValidationError(
                {"sex_requirement_basis": "设置性别要求须注明法律依据（如国家规定的禁忌工种）"}
            )
        if not job.sex_requirement:
            job.sex_requirement_basis = ""
        _dates_in_order(job.valid_from, job.valid_to, "valid_to", "截止日期不能早于发布日期")
        if (
            job.employer_id
            and not _visible(Employer, acting_user).filter(pk=job.employer_id).exists()
        ):
            raise ValidationError({"employer": "用人单位不存在或不可见"})

    return _save(acting_user, JobPosting, instance, data, validate, district_wide=True)


@transaction.atomic
def save_recruitment_event(
    *, acting_user: Any, instance: RecruitmentEvent | None = None, data: dict[str, Any]
) -> RecruitmentEvent:
    def validate(event: RecruitmentEvent) -> None:
        if event.mode not in c.EventMode.values:
            raise ValidationError({"mode": "请选择活动形式"})
        if event.hires and event.attendees and event.hires > event.attendees:
            raise ValidationError({"hires": "达成就业意向人数不能多于参会人数"})

    return _save(acting_user, RecruitmentEvent, instance, data, validate)


# --- workshops ----------------------------------------------------------------------


@transaction.atomic
def save_workshop(
    *, acting_user: Any, instance: Workshop | None = None, data: dict[str, Any]
) -> Workshop:
    """Recognise (认定) a workshop, or correct its record."""

    def validate(workshop: Workshop) -> None:
        if not workshop.recognized_on:
            raise ValidationError({"recognized_on": "请填写认定日期"})
        if not (workshop.document_number or "").strip():
            raise ValidationError({"document_number": "请填写认定文号"})
        _dates_in_order(
            workshop.recognized_on, workshop.revoked_on, "revoked_on", "撤销日期不能早于认定日期"
        )
        if workshop.revoked_on and not (workshop.revocation_reason or "").strip():
            raise ValidationError({"revocation_reason": "撤销认定须填写撤销原因"})

    return _save(
        acting_user, Workshop, instance, data, validate, message="" if instance else "认定扶贫车间"
    )


@transaction.atomic
def revoke_workshop(
    *, acting_user: Any, workshop: Workshop, on: datetime.date, reason: str
) -> Workshop:
    if workshop.revoked_on:
        raise ValidationError(f"该车间已于 {workshop.revoked_on:%Y-%m-%d} 撤销")
    if not (reason or "").strip():
        raise ValidationError({"reason": "请填写撤销原因"})
    return _save(
        acting_user,
        Workshop,
        workshop,
        {"revoked_on": on, "revocation_reason": reason.strip()},
        lambda w: _dates_in_order(w.recognized_on, w.revoked_on, "on", "撤销日期不能早于认定日期"),
        message="撤销扶贫车间认定",
    )


@transaction.atomic
def employ_at_workshop(
    *,
    acting_user: Any,
    workshop: Workshop,
    person: Person,
    start: datetime.date,
    monthly_income: Decimal | None = None,
) -> Any:
    """A poor laborer starts work in a workshop: a new employment state (form workshop)."""
    check_jurisdiction(acting_user, workshop.region_id)
    if workshop.revoked_on and workshop.revoked_on <= start:
        raise ValidationError("该车间已撤销认定")
    person = _person_in_scope(acting_user, person)
    return record_employment(
        acting_user=acting_user,
        person=person,
        valid_from=start,
        data={
            "status": c.Status.EMPLOYED,
            "form": c.Form.WORKSHOP,
            "workshop_id": workshop.pk,
            "employer_id": workshop.employer_id,
            "employer_name": workshop.employer.name,
            "location_tier": tier_between(person.household.village_id, workshop.region_id),
            "destination_id": workshop.region_id,
            "start_date": start,
            "monthly_income": monthly_income,
            "trade": workshop.employer.trade,
            "channel": c.Channel.GOVERNMENT,
        },
    )


# --- public-welfare posts and placements --------------------------------------------


@transaction.atomic
def save_public_welfare_post(
    *, acting_user: Any, instance: PublicWelfarePost | None = None, data: dict[str, Any]
) -> PublicWelfarePost:
    def validate(post: PublicWelfarePost) -> None:
        if post.monthly_pay is None or post.monthly_pay <= 0:
            raise ValidationError({"monthly_pay": "月工资须大于 0"})
        _dates_in_order(post.developed_on, post.closed_on, "closed_on", "撤销日期不能早于开发日期")
        if post.closed_on and post.placements.filter(end__isnull=True).exists():
            raise ValidationError({"closed_on": "岗位仍有在岗人员，请先办理离岗"})

    return _save(acting_user, PublicWelfarePost, instance, data, validate)


@transaction.atomic
def place_on_post(
    *, acting_user: Any, post: PublicWelfarePost, person: Person, start: datetime.date
) -> Placement:
    """安置: one holder per post at a time, aged within the configured limits on the start
    date; the holder's employment record becomes a public-welfare post in their township."""
    check_permission(acting_user, "employment.add_placement")
    post = PublicWelfarePost.objects.select_for_update().get(pk=post.pk)
    check_jurisdiction(acting_user, post.region_id)
    person = _person_in_scope(acting_user, person)
    if post.closed_on and post.closed_on <= start:
        raise ValidationError({"post": "该岗位已撤销"})
    if start < post.developed_on:
        raise ValidationError({"start": "上岗日期不能早于岗位开发日期"})
    holder = post.placements.filter(end__isnull=True).select_related("person").first()
    if holder is not None:
        raise ValidationError(
            {
                "post": f"该岗位已有在岗人员 {holder.person.name}（{holder.start:%Y-%m-%d} 起），"
                "须先办理离岗才能安置新人员"
            }
        )
    other = Placement.objects.filter(person=person, end__isnull=True).select_related("post").first()
    if other is not None:
        raise ValidationError({"person": f"{person.name} 已在公益性岗位「{other.post}」在岗"})
    if person.removed_on is not None:
        raise ValidationError({"person": "该人员已不在册"})
    low, high = settings.FUPIN_PUBLIC_WELFARE_AGE_MIN, settings.FUPIN_PUBLIC_WELFARE_AGE_MAX
    age = age_on(person.birth_date, start)
    if not low <= age <= high:
        raise ValidationError(
            {"person": f"公益性岗位人员年龄须在 {low}–{high} 周岁之间（上岗时 {age} 周岁）"}
        )
    try:
        with transaction.atomic():
            placement = Placement.objects.create(post=post, person=person, start=start)
    except IntegrityError as exc:  # the one_holder_per_post constraint, should a race slip by
        raise ValidationError({"post": "该岗位已有在岗人员，须先办理离岗才能安置新人员"}) from exc
    _audit_person_record(
        AuditLog.Action.CREATE,
        placement,
        person,
        changes=audit.snapshot(placement),
        message=f"安置到公益性岗位 {post}",
    )
    if laborers(start).filter(pk=person.pk).exists():
        record_employment(
            acting_user=acting_user,
            person=person,
            valid_from=start,
            data={
                "status": c.Status.EMPLOYED,
                "form": c.Form.PUBLIC_WELFARE,
                "location_tier": c.LocationTier.IN_TOWNSHIP,
                "placement_id": placement.pk,
                "destination_id": post.region_id,
                "employer_name": post.unit,
                "start_date": start,
                "monthly_income": post.monthly_pay,
                "channel": c.Channel.GOVERNMENT,
            },
        )
    return placement


@transaction.atomic
def end_placement(
    *, acting_user: Any, placement: Placement, end: datetime.date, reason: str
) -> Placement:
    """离岗: the post is free again; the holder's employment record gets a new dated state
    (unemployed) when the placement was their current employment."""
    check_permission(acting_user, "employment.change_placement")
    placement = Placement.objects.select_for_update().select_related("post").get(pk=placement.pk)
    person = _person_in_scope(acting_user, placement.person)
    if placement.end is not None:
        raise ValidationError(f"该安置已于 {placement.end:%Y-%m-%d} 离岗")
    if not (reason or "").strip():
        raise ValidationError({"reason": "请填写离岗原因"})
    _dates_in_order(placement.start, end, "end", "离岗日期不能早于上岗日期")
    placement.end, placement.end_reason = end, reason.strip()
    placement.save(update_fields=["end", "end_reason", "updated_at"])
    _audit_person_record(
        AuditLog.Action.UPDATE,
        placement,
        person,
        changes={"end": [None, end.isoformat()], "end_reason": ["", placement.end_reason]},
        message=f"公益性岗位离岗：{placement.end_reason}",
    )
    current = person.employment_records.filter(valid_to__isnull=True).first()
    if current is not None and current.placement_id == placement.pk:
        record_employment(
            acting_user=acting_user,
            person=person,
            valid_from=end,
            data={"status": c.Status.UNEMPLOYED},
        )
    return placement


# --- startups and loans -------------------------------------------------------------


@transaction.atomic
def save_startup(
    *, acting_user: Any, instance: Startup | None = None, data: dict[str, Any]
) -> Startup:
    def validate(startup: Startup) -> None:
        _person_in_scope(acting_user, startup.person)
        if not (startup.business_name or "").strip():
            raise ValidationError({"business_name": "请填写经营主体名称"})
        if startup.started_on and startup.started_on > datetime.date.today():
            raise ValidationError({"started_on": "创业日期不能晚于今天"})

    return _save(acting_user, Startup, instance, data, validate)


@transaction.atomic
def save_loan(*, acting_user: Any, instance: Loan | None = None, data: dict[str, Any]) -> Loan:
    def validate(loan: Loan) -> None:
        if loan.amount is None or loan.amount <= 0:
            raise ValidationError({"amount": "贷款金额须大于 0"})
        if not loan.term_months:
            raise ValidationError({"term_months": "贷款期限须大于 0"})
        if loan.status not in c.LoanStatus.values:
            raise ValidationError({"status": "请选择贷款状态"})
        if loan.status != c.LoanStatus.APPLIED and not loan.granted_on:
            raise ValidationError({"granted_on": "已放款的贷款须填写放款日期"})
        if not _visible(Startup, acting_user).filter(pk=loan.startup_id).exists():
            raise ValidationError({"startup": "创业项目不存在或不在辖区内"})

    return _save(acting_user, Loan, instance, data, validate)


# --- training -----------------------------------------------------------------------


@transaction.atomic
def save_training_class(
    *, acting_user: Any, instance: TrainingClass | None = None, data: dict[str, Any]
) -> TrainingClass:
    def validate(training: TrainingClass) -> None:
        _dates_in_order(training.start, training.end, "end", "结业日期不能早于开班日期")
        if training.subsidy_per_head is not None and training.subsidy_per_head < 0:
            raise ValidationError({"subsidy_per_head": "人均补贴不能为负数"})

    return _save(acting_user, TrainingClass, instance, data, validate)


@transaction.atomic
def enroll(*, acting_user: Any, training: TrainingClass, person: Person) -> Enrollment:
    """One enrollment per person per class."""
    check_permission(acting_user, "employment.add_enrollment")
    training = TrainingClass.objects.select_for_update().get(pk=training.pk)
    _check_open_to(acting_user, TrainingClass, training)
    person = _person_in_scope(acting_user, person)
    if Enrollment.objects.filter(training=training, person=person).exists():
        raise ValidationError({"person": f"{person.name} 已报名该培训班"})
    enrollment = Enrollment.objects.create(training=training, person=person)
    _audit_person_record(AuditLog.Action.CREATE, enrollment, person, message=f"报名培训 {training}")
    return enrollment


@transaction.atomic
def update_enrollment(
    *, acting_user: Any, instance: Enrollment, data: dict[str, Any]
) -> Enrollment:
    """Completion, certificate, employed after training."""
    check_permission(acting_user, "employment.change_enrollment")
    enrollment = Enrollment.objects.select_for_update().get(pk=instance.pk)
    person = _person_in_scope(acting_user, enrollment.person)
    before = audit.snapshot(enrollment, ["completed", "certificate", "employed_after"])
    for key in ("completed", "certificate", "employed_after"):
        if key in data:
            setattr(enrollment, key, data[key])
    if enrollment.certificate and not enrollment.completed:
        raise ValidationError({"certificate": "未结业的学员不能登记证书"})
    enrollment.save()
    changes = audit.diff(before, audit.snapshot(enrollment, list(before)))
    if changes:
        _audit_person_record(AuditLog.Action.UPDATE, enrollment, person, changes=changes)
    return enrollment


# --- organised labor export ---------------------------------------------------------


@transaction.atomic
def save_export_batch(
    *, acting_user: Any, instance: ExportBatch | None = None, data: dict[str, Any]
) -> ExportBatch:
    def validate(batch: ExportBatch) -> None:
        _region(batch.destination_id, "destination_id")
        if batch.cost is not None and batch.cost < 0:
            raise ValidationError({"cost": "费用不能为负数"})
        if batch.mode not in c.ExportMode.values:
            raise ValidationError({"mode": "请选择输出方式"})

    return _save(acting_user, ExportBatch, instance, data, validate)


@transaction.atomic
def add_export_participant(
    *, acting_user: Any, batch: ExportBatch, person: Person, monthly_income: Decimal | None = None
) -> ExportParticipant:
    """A registered person joins a batch: a new employment state at the destination
    (tier from home village vs destination; channel 劳务协作 outside the province)."""
    check_permission(acting_user, "employment.add_exportparticipant")
    batch = ExportBatch.objects.select_for_update().get(pk=batch.pk)
    _check_open_to(acting_user, ExportBatch, batch)
    person = _person_in_scope(acting_user, person)
    if ExportParticipant.objects.filter(batch=batch, person=person).exists():
        raise ValidationError({"person": f"{person.name} 已在该批次中"})
    participant = ExportParticipant.objects.create(batch=batch, person=person)
    _audit_person_record(
        AuditLog.Action.CREATE, participant, person, message=f"加入劳务输出批次 {batch}"
    )
    tier = tier_between(person.household.village_id, batch.destination_id)
    employers = list(batch.employers.all()[:2])
    employer = employers[0] if len(employers) == 1 else None
    if laborers(batch.departed_on).filter(pk=person.pk).exists():
        record_employment(
            acting_user=acting_user,
            person=person,
            valid_from=batch.departed_on,
            data={
                "status": c.Status.EMPLOYED,
                "form": c.Form.COMPANY,
                "location_tier": tier,
                "destination_id": batch.destination_id,
                "export_batch_id": batch.pk,
                "employer_id": employer.pk if employer else None,
                "employer_name": employer.name if employer else "",
                "trade": employer.trade if employer else "",
                "start_date": batch.departed_on,
                "monthly_income": monthly_income,
                "channel": c.Channel.COOPERATION
                if tier == c.LocationTier.OUT_OF_PROVINCE
                else c.Channel.GOVERNMENT,
            },
        )
    return participant

"""Writes for a laborer's employment state, needs, services and monthly verification."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from fupin.core import audit
from fupin.core.models import AuditLog
from fupin.core.services import check_jurisdiction, check_permission
from fupin.employment import choices as c
from fupin.employment.models import EmploymentRecord, Needs, Service, Verification
from fupin.employment.selectors import laborers
from fupin.registry.models import Person
from fupin.registry.services import household_context

STATE_FIELDS = [
    "status",
    "not_seeking_reason",
    "form",
    "location_tier",
    "destination_id",
    "employer_id",
    "employer_name",
    "workshop_id",
    "placement_id",
    "export_batch_id",
    "trade",
    "start_date",
    "end_date",
    "monthly_income",
    "channel",
    "has_contract",
    "has_social_insurance",
]
# Links of a state to the measure behind it; a new state of the same job keeps them.
LINK_FIELDS = ["employer_id", "workshop_id", "placement_id", "export_batch_id"]
SAME_JOB = ("status", "form", "employer_name")


def carried_links(current: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The links a new state inherits from `current` when it is the same job (e.g. a new
    income): without them a workshop's or a post's head count would quietly drop."""
    if current is None or any(getattr(current, k) != values.get(k) for k in SAME_JOB):
        return {}
    return {k: getattr(current, k) for k in LINK_FIELDS if k not in values}


NEEDS_FIELDS = [
    "wished_trade",
    "wished_job",
    "wished_tier",
    "wished_region_id",
    "expected_wage",
    "training_wish",
    "service_needs",
    "near_home",
]


def _check_person(acting_user: Any, person: Person, perm: str) -> Person:
    check_permission(acting_user, perm)
    person = Person.objects.select_related("household").get(pk=person.pk)
    check_jurisdiction(acting_user, person.household.village_id)
    return person


def validate_state(values: dict[str, Any]) -> None:
    """The state's fields must agree with each other (clear messages, field by field)."""
    status = values.get("status")
    if status not in c.Status.values:
        raise ValidationError({"status": "请选择就业状态"})
    if status == c.Status.EMPLOYED:
        if not values.get("form"):
            raise ValidationError({"form": "已就业须填写就业形式"})
        if values.get("form") != c.Form.FARMING and not values.get("location_tier"):
            raise ValidationError({"location_tier": "已就业须填写就业地域"})
    else:
        for key in ("form", "location_tier", "employer_id", "workshop_id", "placement_id"):
            if values.get(key):
                raise ValidationError({key: "未就业或暂无就业意愿时不填写就业信息"})
    if status == c.Status.NOT_SEEKING and not values.get("not_seeking_reason"):
        raise ValidationError({"not_seeking_reason": "请选择暂无就业意愿的原因"})
    income = values.get("monthly_income")
    if income is not None and income < 0:
        raise ValidationError({"monthly_income": "月收入不能为负数"})
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        raise ValidationError({"end_date": "结束日期不能早于开始日期"})


@transaction.atomic
def record_employment(
    *,
    acting_user: Any,
    person: Person,
    data: dict[str, Any],
    valid_from: datetime.date | None = None,
) -> EmploymentRecord:
    """A new dated state for a laborer; the previous state is closed, never overwritten
    (a correction on the same day replaces that day's state, audited)."""
    person = _check_person(acting_user, person, "employment.add_employmentrecord")
    day = valid_from or datetime.date.today()
    if not laborers(day).filter(pk=person.pk).exists():
        raise ValidationError("该人员不是贫困劳动力（劳动年龄内且有劳动能力的在册人员）")
    values = {k: data.get(k) for k in STATE_FIELDS if k in data}
    for key in ("not_seeking_reason", "form", "location_tier", "employer_name", "trade", "channel"):
        values[key] = values.get(key) or ""
    validate_state(values)
    current = (
        EmploymentRecord.objects.select_for_update().filter(person=person, valid_to=None).first()
    )
    key = household_context(person.household_id)
    region = person.household.village_id
    if current is not None and day < current.valid_from:
        raise ValidationError(
            {"valid_from": f"日期不能早于当前状态的开始日期 {current.valid_from:%Y-%m-%d}"}
        )
    if current is not None and day == current.valid_from:
        before = audit.snapshot(current, STATE_FIELDS)
        for field, value in values.items():
            setattr(current, field, value)
        current.recorded_by = acting_user if getattr(acting_user, "pk", None) else None
        current.save()
        changes = audit.diff(before, audit.snapshot(current, STATE_FIELDS))
        if changes:
            audit.record(
                AuditLog.Action.UPDATE,
                current,
                changes=changes,
                region_code=region,
                context_key=key,
                message="更正当日就业情况",
            )
        return current
    if current is not None:
        values = {**carried_links(current, values), **values}
        current.valid_to = day
        current.save(update_fields=["valid_to", "updated_at"])
    record = EmploymentRecord.objects.create(
        person=person,
        valid_from=day,
        recorded_by=acting_user if getattr(acting_user, "pk", None) else None,
        **values,
    )
    audit.record(
        AuditLog.Action.CREATE,
        record,
        changes=audit.snapshot(record, STATE_FIELDS),
        region_code=region,
        context_key=key,
    )
    return record


@transaction.atomic
def set_needs(*, acting_user: Any, person: Person, data: dict[str, Any]) -> Needs:
    person = _check_person(acting_user, person, "employment.change_needs")
    needs, created = Needs.objects.get_or_create(person=person)
    before = {} if created else audit.snapshot(needs, NEEDS_FIELDS)
    for field in NEEDS_FIELDS:
        if field in data:
            setattr(needs, field, data[field])
    if any(n not in c.ServiceNeed.values for n in needs.service_needs or []):
        raise ValidationError({"service_needs": "服务需求不在可选范围内"})
    needs.save()
    changes = audit.diff(before, audit.snapshot(needs, NEEDS_FIELDS))
    if changes:
        audit.record(
            AuditLog.Action.CREATE if created else AuditLog.Action.UPDATE,
            needs,
            changes=changes,
            region_code=person.household.village_id,
            context_key=household_context(person.household_id),
        )
    return needs


@transaction.atomic
def add_service(
    *,
    acting_user: Any,
    person: Person,
    service_type: str,
    date: datetime.date,
    note: str = "",
    staff_name: str = "",
) -> Service:
    person = _check_person(acting_user, person, "employment.add_service")
    if service_type not in c.ServiceType.values:
        raise ValidationError({"service_type": "请选择服务类型"})
    if date > datetime.date.today():
        raise ValidationError({"date": "服务日期不能晚于今天"})
    staff = acting_user if getattr(acting_user, "pk", None) else None
    service = Service.objects.create(
        person=person,
        service_type=service_type,
        date=date,
        staff=staff,
        staff_name=staff_name or (staff.display_name if staff else ""),
        note=note,
    )
    audit.record(
        AuditLog.Action.CREATE,
        service,
        changes=audit.snapshot(service),
        region_code=person.household.village_id,
        context_key=household_context(person.household_id),
    )
    return service


@transaction.atomic
def verify(
    *, acting_user: Any, person: Person, on: datetime.date | None = None, changed: bool = False
) -> Verification:
    """Stamp that the laborer's recorded state was checked (核实) on `on`."""
    person = _check_person(acting_user, person, "employment.add_verification")
    verification = Verification.objects.create(
        person=person,
        verified_on=on or datetime.date.today(),
        verified_by=acting_user if getattr(acting_user, "pk", None) else None,
        changed=changed,
    )
    audit.record(
        AuditLog.Action.CREATE,
        verification,
        region_code=person.household.village_id,
        context_key=household_context(person.household_id),
        message="核实：有变化" if changed else "核实：无变化",
    )
    return verification

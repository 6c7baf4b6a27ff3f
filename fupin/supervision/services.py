"""Writes of supervision: call results, phone reveal, rectification tasks and their steps.

Each validates, re-checks jurisdiction, writes and audits in one transaction.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.generic import masked
from fupin.core.generic import masked_phone as mask_phone  # noqa: F401 (views and tests)
from fupin.core.models import AuditLog
from fupin.core.services import check_jurisdiction, check_permission
from fupin.employment.selectors import with_state
from fupin.registry.models import Person
from fupin.subsidies.choices import PaymentStatus
from fupin.subsidies.models import Application
from fupin.subsidies.rules import EVER
from fupin.supervision import choices as c
from fupin.supervision.models import CallAttempt, CallTask, RectificationTask
from fupin.supervision.workdays import add_workdays

RS = c.RectificationStatus
VIEW_PHONE = AuditLog.Action.VIEW_PHONE

# The facts a caller confirms, per population (key, label); 不属实 names one of them.
FACTS: dict[str, list[tuple[str, str]]] = {
    c.Population.LABORERS: [
        ("name", "姓名"),
        ("village", "村（社区）"),
        ("status", "就业状态"),
        ("form", "就业形式"),
        ("employer", "用人单位"),
        ("income", "月收入"),
    ],
    c.Population.PLACEMENTS: [
        ("name", "姓名"),
        ("village", "村（社区）"),
        ("post", "公益性岗位"),
        ("unit", "用人单位"),
        ("start", "上岗日期"),
        ("pay", "月工资"),
    ],
    c.Population.WORKSHOP_EMPLOYEES: [
        ("name", "姓名"),
        ("village", "村（社区）"),
        ("workshop", "扶贫车间"),
        ("start", "就业开始日期"),
        ("income", "月收入"),
    ],
    c.Population.HOUSEHOLDS: [
        ("number", "户编号"),
        ("head", "户主"),
        ("village", "村（社区）"),
        ("members", "家庭人口"),
        ("status", "户状态"),
    ],
    c.Population.SUBSIDY_PAYMENTS: [
        ("name", "姓名"),
        ("village", "村（社区）"),
        ("policy", "补贴项目"),
        ("period", "所属期"),
        ("amount", "发放金额"),
        ("paid_on", "发放日期"),
        ("bank", "收款账户"),
    ],
}
OTHER_FACT = ("other", "其他")


def fact_choices(population: str) -> list[tuple[str, str]]:
    return [*FACTS.get(population, []), OTHER_FACT]


def max_attempts() -> int:
    """无法联系 is retried up to this many calls (FUPIN_SUPERVISION_MAX_ATTEMPTS, default 3)."""
    return int(getattr(settings, "FUPIN_SUPERVISION_MAX_ATTEMPTS", 3))


def rectification_days() -> int:
    return int(getattr(settings, "FUPIN_RECTIFICATION_WORKDAYS", 5))


def _money(value: Any) -> str:
    return "" if value is None else f"{value:.0f} 元"


def _yuan(value: Any) -> str:
    """Money to the fen as paid (500 元, 792.50 元): a payment is confirmed exactly."""
    if value is None:
        return ""
    return f"{value:.0f} 元" if value == value.to_integral_value() else f"{value:.2f} 元"


def _subsidy_facts(item: Any) -> dict[str, str]:
    """The paid claim: beneficiary, policy, period, amount, paid date and the account the
    money went to (masked: the beneficiary says which card, the caller never reads it
    out in full)."""
    app = (
        Application.objects.select_related("policy", "person", "region")
        .filter(pk=item.object_id)
        .first()
    )
    if app is None:
        return {}
    paid = app.payments.filter(status=PaymentStatus.PAID).order_by("-paid_on", "-id").first()
    bank_name, account = (
        (paid.bank_name, paid.bank_account) if paid else (app.bank_name, app.bank_account)
    )
    return {
        "name": app.beneficiary_name,
        "village": app.region.short_name,
        "policy": app.policy.name,
        "period": "不分期（限享受一次）" if app.period == EVER else app.period,
        "amount": _yuan(app.amount),
        "paid_on": f"{app.paid_on:%Y-%m-%d}" if app.paid_on else "",
        "bank": " ".join(x for x in (bank_name, masked(account)) if x),
    }


def call_facts(task: CallTask) -> list[dict[str, str]]:
    """What the record says, to be confirmed on the phone."""
    item = task.item
    population = item.plan.population
    household = item.household
    values: dict[str, str] = {"village": household.village.short_name}
    if population == c.Population.SUBSIDY_PAYMENTS:
        values.update(_subsidy_facts(item))
    elif item.person_id:
        person = (
            with_state(Person.objects.filter(pk=item.person_id), item.plan.as_of)
            .select_related("household__village")
            .first()
        )
        record = None
        if person is not None:
            values["name"] = person.name
            record = person.employment_records.filter(pk=person.state_id).first()
        if record is not None:
            values["status"] = record.get_status_display()
            values["form"] = record.get_form_display()
            values["employer"] = record.employer_name or (
                record.employer.name if record.employer_id else ""
            )
            values["income"] = _money(record.monthly_income)
            values["workshop"] = record.workshop.name if record.workshop_id else ""
            values["start"] = f"{record.start_date:%Y-%m-%d}" if record.start_date else ""
        if population == c.Population.PLACEMENTS:
            placement = item.content_type.get_object_for_this_type(pk=item.object_id)
            values.update(
                post=placement.post.title,
                unit=placement.post.unit,
                start=f"{placement.start:%Y-%m-%d}",
                pay=_money(placement.post.monthly_pay),
            )
    else:
        head = household.members.filter(relation="head", removed_on__isnull=True).first()
        values.update(
            number=household.number,
            head=head.name if head else "",
            members=str(household.members.filter(removed_on__isnull=True).count()),
            status=household.get_status_display(),
        )
    if population == c.Population.LABORERS and values.get("status") is None:
        values["status"] = "尚未填报"
    return [
        {"key": key, "label": label, "value": values.get(key, "") or "—"}
        for key, label in FACTS[population]
    ]


def phone_of(task: CallTask) -> str:
    item = task.item
    if item.person_id and item.person.phone:
        return item.person.phone
    if item.household.phone:
        return item.household.phone
    head = item.household.members.filter(relation="head", removed_on__isnull=True).first()
    return head.phone if head else ""


def _check_assignee(acting_user: Any, task: CallTask) -> None:
    check_permission(acting_user, "supervision.change_calltask")
    check_jurisdiction(acting_user, task.region_id)
    if acting_user is not None and task.assignee_id != acting_user.pk:
        raise PermissionDenied("只有该任务的核查人可以查看完整电话和登记结果")


@transaction.atomic
def reveal_phone(*, acting_user: Any, task: CallTask) -> str:
    """The full number, only to the assignee; every view is audited."""
    _check_assignee(acting_user, task)
    audit.record(
        VIEW_PHONE,
        task,
        region_code=task.region_id,
        message="查看完整联系电话",
    )
    return phone_of(task)


def create_rectification(
    *,
    source: str,
    region_code: str,
    content_type: ContentType,
    object_id: int,
    subject: str,
    problem: str,
    created_by: Any = None,
    call: CallTask | None = None,
    rule: str = "",
    today: datetime.date | None = None,
) -> RectificationTask:
    """A task for the record's township, due in N working days (holidays skipped)."""
    day = today or timezone.localdate()
    task = RectificationTask.objects.create(
        source=source,
        call=call,
        rule=rule,
        township_id=region_code[:9],
        region_id=region_code,
        content_type=content_type,
        object_id=object_id,
        subject=subject[:200],
        problem=problem[:500],
        deadline=add_workdays(day, rectification_days()),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    audit.record(
        AuditLog.Action.CREATE,
        task,
        region_code=region_code,
        changes={"problem": task.problem, "deadline": task.deadline.isoformat()},
        message="生成整改任务",
    )
    return task


def _plausible_call_time(when: datetime.datetime) -> bool:
    """Not in the future, and not so early it cannot even be stored (year 1 overflows)."""
    return when.year >= 1900 and when <= timezone.now() + datetime.timedelta(minutes=5)


@transaction.atomic
def record_call(
    *,
    acting_user: Any,
    task: CallTask,
    result: str,
    wrong_fact: str = "",
    true_value: str = "",
    notes: str = "",
    called_at: datetime.datetime | None = None,
) -> CallTask:
    """登记一次拨打. 无法联系 keeps the task open until the last allowed attempt; 不属实 and
    信息有误 open a rectification task for the record's township."""
    task = CallTask.objects.select_for_update().select_related("item__plan").get(pk=task.pk)
    _check_assignee(acting_user, task)
    if task.status != c.CallStatus.OPEN:
        raise ValidationError("该核查任务已完成，不能再次登记")
    if result not in c.CallResult.values:
        raise ValidationError({"result": "请选择核查结果"})
    facts = dict(fact_choices(task.item.plan.population))
    if result == c.CallResult.FALSE:
        if wrong_fact not in facts:
            raise ValidationError({"wrong_fact": "请选择哪一项信息不属实"})
        if not true_value.strip():
            raise ValidationError({"true_value": "请填写实际情况"})
    elif result == c.CallResult.INFO_ERROR and not (notes.strip() or true_value.strip()):
        raise ValidationError({"notes": "请说明哪里有误"})
    if called_at is not None and not _plausible_call_time(called_at):
        raise ValidationError({"called_at": "核查时间须在 1900 年之后且不晚于现在"})
    when = called_at or timezone.now()
    before = audit.snapshot(task, ["status", "result", "attempts"])
    CallAttempt.objects.create(
        task=task,
        result=result,
        called_at=when,
        by=acting_user if getattr(acting_user, "pk", None) else None,
        notes=notes,
    )
    task.attempts += 1
    task.result = result
    task.called_at = when
    task.notes = "\n".join(x for x in (task.notes, notes.strip()) if x)
    if result == c.CallResult.UNREACHABLE:
        if task.attempts >= max_attempts():
            task.status = c.CallStatus.UNREACHABLE
    else:
        task.status = c.CallStatus.DONE
        task.wrong_fact = wrong_fact if result == c.CallResult.FALSE else ""
        task.true_value = true_value.strip()
    task.save()
    audit.record(
        AuditLog.Action.UPDATE,
        task,
        region_code=task.region_id,
        changes=audit.diff(before, audit.snapshot(task, ["status", "result", "attempts"])),
        message=f"电话核查：{c.CallResult(result).label}",
    )
    if result in c.PROBLEM_RESULTS:
        item = task.item
        if result == c.CallResult.FALSE:
            problem = f"电话核查不属实：{facts[wrong_fact]}，实际为 {task.true_value}"
        else:
            problem = f"电话核查信息有误：{(notes or true_value).strip()}"
        subject = item.person.name if item.person_id else item.household.number
        create_rectification(
            source=c.RectificationSource.CALL,
            region_code=item.region_id,
            content_type=item.content_type,
            object_id=item.object_id,
            subject=subject,
            problem=problem,
            created_by=acting_user,
            call=task,
        )
    return task


def _locked(acting_user: Any, task: RectificationTask, perm: str) -> RectificationTask:
    check_permission(acting_user, perm)
    task = RectificationTask.objects.select_for_update().get(pk=task.pk)
    check_jurisdiction(acting_user, task.region_id)
    return task


def _move(acting_user: Any, task: RectificationTask, status: str, message: str, **fields: Any):
    before = audit.snapshot(task, ["status", *fields])
    task.status = status
    for name, value in fields.items():
        setattr(task, name, value)
    task.save()
    audit.record(
        AuditLog.Action.UPDATE,
        task,
        region_code=task.region_id,
        changes=audit.diff(before, audit.snapshot(task, ["status", *fields])),
        message=message,
    )
    return task


@transaction.atomic
def start_rectification(*, acting_user: Any, task: RectificationTask) -> RectificationTask:
    """The township takes the task on (待整改 → 整改中)."""
    task = _locked(acting_user, task, "supervision.change_rectificationtask")
    if task.status != RS.PENDING:
        raise ValidationError(f"当前状态为{task.get_status_display()}，不能开始整改")
    return _move(acting_user, task, RS.IN_PROGRESS, "开始整改")


@transaction.atomic
def submit_rectification(
    *, acting_user: Any, task: RectificationTask, evidence: str
) -> RectificationTask:
    """The township has corrected the record (through the normal pages) and says how."""
    task = _locked(acting_user, task, "supervision.change_rectificationtask")
    if task.status not in (RS.PENDING, RS.IN_PROGRESS):
        raise ValidationError(f"当前状态为{task.get_status_display()}，不能提交复核")
    if not evidence.strip():
        raise ValidationError({"evidence": "请填写整改说明（改了什么、依据是什么）"})
    return _move(
        acting_user,
        task,
        RS.AWAITING_REVIEW,
        "整改完成，提交复核",
        evidence=evidence.strip(),
        submitted_at=timezone.now(),
        submitted_by=acting_user if getattr(acting_user, "pk", None) else None,
    )


@transaction.atomic
def review_rectification(
    *, acting_user: Any, task: RectificationTask, approve: bool, note: str = ""
) -> RectificationTask:
    """The supervisor confirms (已销号) or sends the task back (整改中) with a reason."""
    task = _locked(acting_user, task, "supervision.review_rectificationtask")
    if task.status != RS.AWAITING_REVIEW:
        raise ValidationError(f"当前状态为{task.get_status_display()}，不能复核")
    # Maker–checker: whoever submitted the correction does not confirm it.
    if acting_user is not None and task.submitted_by_id == acting_user.pk:
        raise PermissionDenied("整改由您提交，须由其他督导人员复核")
    if approve:
        return _move(
            acting_user, task, RS.CLOSED, "复核通过，销号", review_note=note.strip(),
            closed_at=timezone.now(),
        )  # fmt: skip
    if not note.strip():
        raise ValidationError({"note": "退回须说明理由"})
    return _move(acting_user, task, RS.IN_PROGRESS, "复核退回", review_note=note.strip())

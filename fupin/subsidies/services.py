"""Every write of the subsidies app: policies, applications through the workflow, and
bulk drafts from the eligible list. (Payment batches: payments.py.)

Each function validates, writes and audits in one transaction. Exactly-once is held by
three things together: the partial unique index (one live application per beneficiary,
policy and period), `select_for_update` on the application for every state change (two
approvals of one claim serialise; the second sees it approved), and a lock on the policy
row while the yearly budget is summed (two approvals cannot both take the last yuan).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.services import check_jurisdiction, check_permission
from fupin.regions.models import Region
from fupin.subsidies import choices as c
from fupin.subsidies import rules
from fupin.subsidies.models import Application, Policy

POLICY_FIELDS = [
    "code",
    "name",
    "region_id",
    "beneficiary_kind",
    "standard_kind",
    "amount",
    "months",
    "cap",
    "period_cap",
    "rules",
    "yearly_budget",
    "valid_from",
    "valid_to",
    "attachments",
    "description",
    "active",
]
EDITABLE = ["heads", "actual_cost", "account_holder", "bank_name", "bank_account"]
DUPLICATE = "{name} 在所属期 {period} 已有未撤销的“{policy}”申请，同一对象同一所属期只能享受一次"


def _user(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "pk", None) else None


def _status_change(app: Application, old: str, message: str, **extra: Any) -> None:
    changes = {"status": [old, app.status], **extra}
    audit.record(AuditLog.Action.UPDATE, app, changes=changes, message=message)


# --- policies ------------------------------------------------------------------------


@transaction.atomic
def save_policy(
    *, acting_user: Any, instance: Policy | None = None, data: dict[str, Any]
) -> Policy:
    """Create or change a policy (county level). Amounts and rules are configuration."""
    creating = instance is None
    check_permission(acting_user, f"subsidies.{'add' if creating else 'change'}_policy")
    code = jurisdiction_code(acting_user) if acting_user is not None else ""
    if code is not None and len(code) > 6:
        raise PermissionDenied("补贴政策由区县及以上管理员维护")
    policy = Policy() if creating else Policy.objects.select_for_update().get(pk=instance.pk)
    if policy.region_id:
        check_jurisdiction(acting_user, policy.region_id)
    before = {} if creating else audit.snapshot(policy, POLICY_FIELDS)
    for key, value in data.items():
        if key in POLICY_FIELDS:
            setattr(policy, key, value)
    policy.rules = list(policy.rules or [])
    policy.region_id = policy.region_id or None
    if policy.region_id and not Region.objects.filter(code=policy.region_id).exists():
        raise ValidationError({"region": f"区划代码 {policy.region_id} 不存在"})
    _validate_policy(policy)
    fixed = [
        k
        for k in ("period_cap", "beneficiary_kind")
        if before.get(k, getattr(policy, k)) != getattr(policy, k)
    ]
    if fixed and policy.applications.exists():
        # Claims are keyed by the old period ("2026" vs "ever"): a new cap would let the
        # same beneficiary claim again under another key.
        raise ValidationError(
            {fixed[0]: "该政策已有申请，不能修改享受次数或补贴对象；请停用本政策并新建"}
        )
    if policy.region_id:
        check_jurisdiction(acting_user, policy.region_id)
    if Policy.objects.exclude(pk=policy.pk).filter(code=policy.code).exists():
        raise ValidationError({"code": f"政策代码 {policy.code} 已存在"})
    policy.save()
    changes = audit.diff(before, audit.snapshot(policy, POLICY_FIELDS))
    if changes or creating:
        action = AuditLog.Action.CREATE if creating else AuditLog.Action.UPDATE
        audit.record(action, policy, changes=changes)
    return policy


def _validate_policy(policy: Policy) -> None:
    if not (policy.code or "").strip() or not (policy.name or "").strip():
        raise ValidationError("请填写政策代码和名称")
    if policy.beneficiary_kind not in c.BeneficiaryKind.values:
        raise ValidationError({"beneficiary_kind": "请选择补贴对象"})
    if policy.standard_kind not in c.StandardKind.values:
        raise ValidationError({"standard_kind": "请选择补贴标准类型"})
    if policy.period_cap not in c.PeriodCap.values:
        raise ValidationError({"period_cap": "请选择享受次数"})
    if policy.amount is None or policy.amount < 0:
        raise ValidationError({"amount": "标准金额不能为负数"})
    if policy.standard_kind == c.StandardKind.ACTUAL_CAPPED and not policy.cap:
        raise ValidationError({"cap": "据实补贴须填写上限"})
    if policy.yearly_budget is not None and policy.yearly_budget < 0:
        raise ValidationError({"yearly_budget": "年度预算不能为负数"})
    if policy.valid_from is None:
        raise ValidationError({"valid_from": "请填写生效日期"})
    if policy.valid_to and policy.valid_to < policy.valid_from:
        raise ValidationError({"valid_to": "截止日期不能早于生效日期"})
    rules.validate_rules(policy.beneficiary_kind, policy.rules)


# --- applications --------------------------------------------------------------------


def _amount(policy: Policy, beneficiary: Any, period: str, values: dict[str, Any]) -> Decimal:
    if policy.standard_kind == c.StandardKind.PER_HEAD:
        # Paid per poor laborer employed: never more heads than the records show.
        counted = rules.heads(policy, beneficiary, period)
        if values.get("heads") is None:
            values["heads"] = counted
        elif values["heads"] > counted:
            raise ValidationError(
                {"heads": f"人数 {values['heads']} 超过所属期内吸纳贫困劳动力就业的 {counted} 人"}
            )
    amount = policy.standard_amount(heads=values.get("heads"), actual=values.get("actual_cost"))
    if amount <= 0:
        raise ValidationError({"amount": "按政策标准计算的金额为 0，不能申请"})
    return amount


def _check_eligible(policy: Policy, beneficiary: Any, period: str) -> str:
    ok, reasons = rules.explain(policy, beneficiary, period)
    text = "；".join(reasons)
    if not ok:
        raise ValidationError(text)
    return text


def _beneficiary_field(beneficiary: Any) -> str:
    for kind, model in rules.MODELS.items():
        if isinstance(beneficiary, model):
            return rules.FK[kind]
    raise ValidationError("补贴对象须为人员、扶贫车间或用人单位")


@transaction.atomic
def create_application(
    *,
    acting_user: Any,
    policy: Policy,
    beneficiary: Any,
    period: str | None = None,
    data: dict[str, Any] | None = None,
) -> Application:
    """A draft claim, checked against the policy's rules (refused with the reasons when
    not eligible); a second live claim for the same period is refused."""
    check_permission(acting_user, "subsidies.add_application")
    policy = Policy.objects.get(pk=policy.pk)
    if not policy.active:
        raise ValidationError({"policy": f"政策“{policy.name}”已停用"})
    if not Policy.objects.for_user(acting_user).filter(pk=policy.pk).exists() and acting_user:
        raise PermissionDenied("该政策不适用于您的管辖区域")
    field = _beneficiary_field(beneficiary)
    beneficiary = type(beneficiary).objects.get(pk=beneficiary.pk)
    region = rules.beneficiary_region(beneficiary)
    check_jurisdiction(acting_user, region)
    period = (period or rules.period_key(policy)).strip()
    reasons = _check_eligible(policy, beneficiary, period)
    values = {k: (data or {}).get(k) for k in EDITABLE}
    for key in ("account_holder", "bank_name", "bank_account"):
        values[key] = (values[key] or "").strip()
    _validate_account(values)
    app = Application(
        policy=policy,
        region_id=region,
        period=period,
        amount=_amount(policy, beneficiary, period, values),
        eligible=True,
        reasons=reasons,
        created_by=_user(acting_user),
        **{field: beneficiary},
        **values,
    )
    if not app.account_holder and field == "person":
        app.account_holder = beneficiary.name
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError:
        raise ValidationError(
            DUPLICATE.format(name=beneficiary, period=period, policy=policy.name)
        ) from None
    audit.record(AuditLog.Action.CREATE, app, changes=audit.diff({}, audit.snapshot(app)))
    return app


def _validate_account(values: dict[str, Any]) -> None:
    account = values.get("bank_account") or ""
    if account and not (account.isdigit() and 8 <= len(account) <= 30):
        raise ValidationError({"bank_account": "银行账号应为 8–30 位数字"})
    actual = values.get("actual_cost")
    if actual is not None and actual < 0:
        raise ValidationError({"actual_cost": "实际费用不能为负数"})


def _locked(app: Application) -> Application:
    """The application row, locked for this transaction (state changes serialise)."""
    return Application.objects.select_for_update().select_related("policy").get(pk=app.pk)


def _guard(app: Application, allowed: tuple[str, ...], action: str) -> None:
    if app.status not in allowed:
        raise ValidationError(f"申请当前为“{app.get_status_display()}”，不能{action}")


@transaction.atomic
def update_application(
    *, acting_user: Any, application: Application, data: dict[str, Any]
) -> Application:
    """Change a draft or submitted claim (account, heads, cost). Approved and later claims
    are never edited: a correction is a reversal."""
    check_permission(acting_user, "subsidies.change_application")
    app = _locked(application)
    check_jurisdiction(acting_user, app.region_id)
    _guard(app, c.OPEN, "修改（审批后的更正请办理冲正）")
    # Maker–checker: whoever sets the account and amount is the maker. Someone else
    # editing (then reviewing or approving) would check their own work.
    if acting_user is not None and app.created_by_id not in (None, acting_user.pk):
        raise PermissionDenied("只有经办人本人可以修改该申请；审核人发现问题请退回")
    if app.created_by_id is None:  # a system draft: whoever completes it is its maker
        app.created_by = _user(acting_user)
    before = audit.snapshot(app, [*EDITABLE, "amount"])
    values = {k: data[k] for k in EDITABLE if k in data}
    for key in ("account_holder", "bank_name", "bank_account"):
        if key in values:
            values[key] = (values[key] or "").strip()
    merged = {k: values.get(k, getattr(app, k)) for k in EDITABLE}
    _validate_account(merged)
    for key, value in values.items():
        setattr(app, key, value)
    app.amount = _amount(app.policy, app.beneficiary, app.period, merged)
    app.heads = merged.get("heads")
    app.save()
    changes = audit.diff(before, audit.snapshot(app, [*EDITABLE, "amount"]))
    if changes:
        audit.record(AuditLog.Action.UPDATE, app, changes=changes)
    return app


@transaction.atomic
def submit(*, acting_user: Any, application: Application) -> Application:
    check_permission(acting_user, "subsidies.submit_application")
    app = _locked(application)
    check_jurisdiction(acting_user, app.region_id)
    _guard(app, (c.Status.DRAFT,), "提交")
    if app.policy.standard_kind == c.StandardKind.ACTUAL_CAPPED and app.actual_cost is None:
        # 据实补贴: the cap only stands in on a draft; the receipt's amount is what is paid.
        raise ValidationError(
            {"actual_cost": f"「{app.policy.name}」据实补贴，须先填写实际费用（票据金额）再提交"}
        )
    app.status, app.submitted_at = c.Status.SUBMITTED, timezone.now()
    app.save(update_fields=["status", "submitted_at", "updated_at"])
    _status_change(app, c.Status.DRAFT, "提交补贴申请")
    return app


@transaction.atomic
def review(*, acting_user: Any, application: Application) -> Application:
    """Township review (乡镇审核): by someone other than the creator; eligibility is
    checked again (the laborer's situation may have changed since the draft)."""
    check_permission(acting_user, "subsidies.review_application")
    app = _locked(application)
    check_jurisdiction(acting_user, app.region_id)
    _guard(app, (c.Status.SUBMITTED,), "审核（须先提交）")
    if acting_user is not None and app.created_by_id == acting_user.pk:
        raise PermissionDenied("审核人不能是经办人本人（经办与审核须分离）")
    app.reasons = _check_eligible(app.policy, app.beneficiary, app.period)
    app.status, app.reviewed_by, app.reviewed_at = (
        c.Status.REVIEWED,
        _user(acting_user),
        timezone.now(),
    )
    app.save(update_fields=["status", "reviewed_by", "reviewed_at", "reasons", "updated_at"])
    _status_change(app, c.Status.SUBMITTED, "乡镇审核通过")
    return app


def committed(policy: Policy, year: int) -> Decimal:
    """Money approved, in batches, paid or to be re-issued under `policy` in `year`."""
    total = Application.objects.filter(
        policy=policy, budget_year=year, status__in=c.COMMITTED
    ).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


@transaction.atomic
def approve(*, acting_user: Any, application: Application) -> Application:
    """County approval (区县审批): a third person (not the creator, not the reviewer),
    only after review, within the policy's yearly budget (policy row locked while summed)."""
    check_permission(acting_user, "subsidies.approve_application")
    app = _locked(application)
    check_jurisdiction(acting_user, app.region_id)
    _guard(app, (c.Status.REVIEWED,), "审批（须先经乡镇审核）")
    if acting_user is not None and acting_user.pk in (app.created_by_id, app.reviewed_by_id):
        raise PermissionDenied("审批人不能是该申请的经办人或审核人")
    policy = Policy.objects.select_for_update().get(pk=app.policy_id)
    app.reasons = _check_eligible(policy, app.beneficiary, app.period)
    year = timezone.localdate().year
    if policy.yearly_budget is not None:
        used = committed(policy, year)
        if used + app.amount > policy.yearly_budget:
            left = policy.yearly_budget - used
            raise ValidationError(
                f"“{policy.name}”{year} 年度预算 {policy.yearly_budget} 元，已审批 {used} 元，"
                f"剩余 {left} 元，不足以审批本申请 {app.amount} 元"
            )
    app.status, app.approved_by, app.approved_at = (
        c.Status.APPROVED,
        _user(acting_user),
        timezone.now(),
    )
    app.budget_year = year
    fields = ["status", "approved_by", "approved_at", "budget_year", "reasons", "updated_at"]
    app.save(update_fields=fields)
    _status_change(app, c.Status.REVIEWED, "区县审批通过")
    return app


@transaction.atomic
def reject(*, acting_user: Any, application: Application, reason: str) -> Application:
    """Send a submitted (township) or reviewed (county) claim back, with the reason."""
    app = _locked(application)
    check_permission(
        acting_user,
        "subsidies.review_application"
        if app.status == c.Status.SUBMITTED
        else "subsidies.approve_application",
    )
    check_jurisdiction(acting_user, app.region_id)
    _guard(app, (c.Status.SUBMITTED, c.Status.REVIEWED), "退回")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因"})
    old = app.status
    app.status, app.reject_reason = c.Status.REJECTED, reason[:500]
    app.save(update_fields=["status", "reject_reason", "updated_at"])
    _status_change(app, old, f"退回：{reason}"[:500])
    return app


@transaction.atomic
def cancel(*, acting_user: Any, application: Application, reason: str = "") -> Application:
    """Withdraw a draft or submitted claim (frees the period for a new claim)."""
    check_permission(acting_user, "subsidies.change_application")
    app = _locked(application)
    check_jurisdiction(acting_user, app.region_id)
    _guard(app, c.OPEN, "撤销（仅草稿或已提交的申请可撤销）")
    old = app.status
    app.status = c.Status.CANCELLED
    app.save(update_fields=["status", "updated_at"])
    _status_change(app, old, f"撤销申请 {reason}".strip()[:500])
    return app


@transaction.atomic
def reverse(*, acting_user: Any, application: Application, reason: str) -> Application:
    """冲正: an approved (not in a pending batch), paid or failed claim is never edited;
    it is marked reversed and a reversal record with the negative amount is written. The
    period is then free for a corrected claim."""
    check_permission(acting_user, "subsidies.approve_application")
    app = _locked(application)
    check_jurisdiction(acting_user, app.region_id)
    _guard(app, (c.Status.APPROVED, c.Status.PAID, c.Status.FAILED), "冲正")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写冲正原因"})
    old = app.status
    app.status = c.Status.REVERSED
    app.save(update_fields=["status", "updated_at"])
    _status_change(app, old, f"冲正：{reason}"[:500])
    reversal = Application.objects.create(
        policy_id=app.policy_id,
        person_id=app.person_id,
        workshop_id=app.workshop_id,
        employer_id=app.employer_id,
        region_id=app.region_id,
        period=app.period,
        amount=-app.amount,
        status=c.Status.REVERSAL,
        eligible=app.eligible,
        reasons=f"冲正 #{app.pk}：{reason}"[:2000],
        reversal_of=app,
        budget_year=app.budget_year,
        created_by=_user(acting_user),
        approved_by=_user(acting_user),
        approved_at=timezone.now(),
    )
    audit.record(AuditLog.Action.CREATE, reversal, message=f"冲正记录：{reason}"[:500])
    return reversal


# --- the eligible list and bulk drafts ----------------------------------------------


def live_applications(policy: Policy, period: str, field: str) -> Any:
    """Claims holding a beneficiary's place for the period (for Exists over OuterRef)."""
    return Application.objects.filter(
        policy=policy, period=period, **{field: OuterRef("pk")}
    ).exclude(status__in=c.RELEASED)


def unserved(policy: Policy, region_code: str, period: str) -> Any:
    """应补未补: eligible in the region and without a live claim for the period — one
    query (the rules' Exists subqueries plus NOT EXISTS over applications)."""
    field = rules.FK[policy.beneficiary_kind]
    return rules.eligible(policy, region_code, period).filter(
        ~Exists(live_applications(policy, period, field))
    )


@transaction.atomic
def bulk_create_drafts(
    *,
    acting_user: Any,
    policy: Policy,
    period: str,
    region_code: str,
    ids: list[int] | None = None,
) -> list[Application]:
    """Drafts for the unserved beneficiaries in the user's region (all, or the chosen
    `ids`), written with bulk_create in one transaction: all or nothing."""
    check_permission(acting_user, "subsidies.add_application")
    policy = Policy.objects.get(pk=policy.pk)
    if not policy.active:
        raise ValidationError(f"政策“{policy.name}”已停用")
    prefix = jurisdiction_code(acting_user) if acting_user is not None else ""
    if prefix is None:
        raise PermissionDenied("您没有管辖区域")
    region_code = region_code or prefix
    check_jurisdiction(acting_user, region_code)
    kind = policy.beneficiary_kind
    field = rules.FK[kind]
    qs = unserved(policy, region_code, period)
    if kind == c.BeneficiaryKind.PERSON:
        qs = qs.select_related("household")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    beneficiaries = list(qs.order_by("pk"))
    if not beneficiaries:
        raise ValidationError("没有可生成申请的对象（均已申请或不符合条件）")
    reasons = "；".join(
        [f"符合条件：{rules.RULES[k].label}" for k in policy.rules]
        or ["符合条件：该政策未设资格条件"]
    )
    user = _user(acting_user)
    apps = []
    for b in beneficiaries:
        values: dict[str, Any] = {"heads": None, "actual_cost": None}
        try:
            amount = _amount(policy, b, period, values)
        except ValidationError:
            continue  # nothing to pay (e.g. no heads this month): no draft
        apps.append(
            Application(
                policy=policy,
                region_id=rules.beneficiary_region(b),
                period=period,
                amount=amount,
                heads=values["heads"],
                eligible=True,
                reasons=reasons,
                created_by=user,
                account_holder=b.name if kind == c.BeneficiaryKind.PERSON else "",
                **{field: b},
            )
        )
    if not apps:
        raise ValidationError("按政策标准计算的金额均为 0，没有生成申请")
    try:
        with transaction.atomic():
            created = Application.objects.bulk_create(apps, batch_size=500)
    except IntegrityError:
        raise ValidationError(
            "部分对象已有同期申请（可能刚由他人生成），请刷新名单后重试"
        ) from None
    if not all(a.pk for a in created):  # backends without RETURNING: read the ids back
        created = list(
            Application.objects.filter(
                policy=policy, period=period, **{f"{field}__in": beneficiaries}
            ).exclude(status__in=c.RELEASED)
        )
    audit.record_many(
        [audit.build(AuditLog.Action.CREATE, a, message="按应补名单批量生成") for a in created]
    )
    return created

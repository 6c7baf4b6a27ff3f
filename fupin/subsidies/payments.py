"""Payment batches (代发): approved claims sent to the bank, the bank's file out (masked
accounts, totals) and its return file in (paid or failed per line, all or nothing).

A claim is paid at most once: a batch takes only approved or failed claims (locked), and
a partial unique index allows one pending-or-paid payment per claim. A failed payment
stays as history; the claim goes back to "failed" and a later batch re-issues it.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from fupin.core import audit
from fupin.core.generic import masked
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.services import check_jurisdiction, check_permission
from fupin.core.xlsx import Column, SpreadsheetError, Workbook, normalise_header, read_table
from fupin.subsidies import choices as c
from fupin.subsidies.models import Application, Payment, PaymentBatch

PAYABLE = (c.Status.APPROVED, c.Status.FAILED)
EXPORT_COLUMNS = [
    Column("流水号", 10),
    Column("姓名/单位", 20),
    Column("开户银行", 18),
    Column("银行账号", 24, text=True),
    Column("金额（元）", 12),
    Column("政策", 20),
    Column("所属期", 10),
    Column("所在区划", 24),
]
RETURN_HEADERS = {
    "id": ("流水号",),
    "result": ("结果", "发放结果", "状态"),
    "reason": ("失败原因", "原因", "备注"),
    "date": ("发放日期", "日期"),
    "amount": ("金额（元）", "金额"),
}
PAID_WORDS = {"成功", "已发放", "paid", "ok", "success"}
FAILED_WORDS = {"失败", "退回", "failed", "fail"}


def account_mask(account: str | None) -> str:
    """Bank accounts are shown like ID numbers (first 6, last 4)."""
    return masked(account)


@transaction.atomic
def create_batch(
    *, acting_user: Any, applications: list[Application] | Any, note: str = ""
) -> PaymentBatch:
    """A batch of approved (or failed, to re-issue) claims; each gets one pending payment
    and becomes "batched". A claim someone else just batched is refused, not paid twice."""
    check_permission(acting_user, "subsidies.manage_batches")
    region = jurisdiction_code(acting_user) if acting_user is not None else ""
    if region is None:
        raise ValidationError("您没有管辖区域")
    ids = sorted({a.pk if isinstance(a, Application) else int(a) for a in applications})
    if not ids:
        raise ValidationError("请选择要发放的申请")
    locked = list(
        Application.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("person", "workshop", "employer")
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise ValidationError("部分申请不存在")
    problems = []
    for app in locked:
        check_jurisdiction(acting_user, app.region_id)
        if app.status not in PAYABLE:
            problems.append(f"#{app.pk} {app.beneficiary_name}：当前为“{app.get_status_display()}”")
        elif not app.bank_account:
            problems.append(f"#{app.pk} {app.beneficiary_name}：缺少银行账号")
    if problems:
        raise ValidationError(["以下申请不能纳入发放批次：", *problems])
    batch = PaymentBatch.objects.create(
        number=uuid.uuid4().hex[:30],  # replaced by the dated number below (unique by pk)
        region_id=region or locked[0].region_id[:6],
        note=note[:200],
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    batch.number = f"FF{timezone.localdate():%Y%m%d}{batch.pk:06d}"
    batch.save(update_fields=["number"])
    Payment.objects.bulk_create(
        [
            Payment(
                batch=batch,
                application=app,
                amount=app.amount,
                account_holder=app.account_holder or app.beneficiary_name,
                bank_name=app.bank_name,
                bank_account=app.bank_account,
            )
            for app in locked
        ]
    )
    Application.objects.filter(pk__in=ids).update(
        status=c.Status.BATCHED, updated_at=timezone.now()
    )
    audit.record(
        AuditLog.Action.CREATE,
        batch,
        changes={"applications": ids},
        message=f"发放批次 {batch.number}：{len(ids)} 笔",
    )
    audit.record_many(
        [
            audit.build(
                AuditLog.Action.UPDATE,
                app,
                changes={"status": [app.status, c.Status.BATCHED]},
                message=f"纳入发放批次 {batch.number}",
            )
            for app in locked
        ]
    )
    return batch


@transaction.atomic
def withdraw_batch(*, acting_user: Any, batch: PaymentBatch, reason: str) -> PaymentBatch:
    """Take back a batch the bank has not answered (no line returned yet): its payments
    become 已撤回 (kept as history, no longer live) and its claims approved again, free for
    a later batch. A batch with any paid or failed line can't be withdrawn."""
    check_permission(acting_user, "subsidies.manage_batches")
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    check_jurisdiction(acting_user, batch.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤回原因（如银行未受理、批次有误）"})
    if batch.status not in (c.BatchStatus.OPEN, c.BatchStatus.SENT):
        raise ValidationError(f"批次{batch.get_status_display()}，不能撤回")
    payments = list(batch.payments.select_for_update().order_by("pk"))
    if any(p.status != c.PaymentStatus.PENDING for p in payments):
        raise ValidationError("银行已回盘部分记录，批次不能撤回")
    ids = [p.application_id for p in payments]
    apps = list(Application.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    batch.payments.update(status=c.PaymentStatus.WITHDRAWN, updated_at=timezone.now())
    Application.objects.filter(pk__in=ids).update(
        status=c.Status.APPROVED, updated_at=timezone.now()
    )
    old = batch.status
    batch.status, batch.withdrawn_reason = c.BatchStatus.WITHDRAWN, reason[:200]
    batch.save(update_fields=["status", "withdrawn_reason", "updated_at"])
    audit.record(
        AuditLog.Action.UPDATE,
        batch,
        changes={"status": [old, c.BatchStatus.WITHDRAWN], "reason": reason},
        message=f"撤回发放批次 {batch.number}：{reason}",
    )
    audit.record_many(
        [
            audit.build(
                AuditLog.Action.UPDATE,
                app,
                changes={"status": [app.status, c.Status.APPROVED]},
                message=f"发放批次 {batch.number} 撤回，恢复为已审批",
            )
            for app in apps
        ]
    )
    return batch


def batch_totals(batch: PaymentBatch) -> dict[str, Any]:
    return batch.payments.aggregate(
        count=Count("id"),
        total=Sum("amount"),
        paid=Count("id", filter=Q(status=c.PaymentStatus.PAID)),
        paid_total=Sum("amount", filter=Q(status=c.PaymentStatus.PAID)),
        failed=Count("id", filter=Q(status=c.PaymentStatus.FAILED)),
    )


@transaction.atomic
def write_bank_file(
    *, acting_user: Any, batch: PaymentBatch, out: IO[bytes], full: bool = False
) -> int:
    """The bank's xlsx: one line per payment still awaiting the bank (account masked unless
    `full` and the user may see full numbers — then audited), totals last. Returns the
    rows written."""
    check_permission(acting_user, "subsidies.manage_batches")
    check_jurisdiction(acting_user, batch.region_id)
    # Locked: a withdrawal at the same moment waits, and a withdrawn batch (its claims may
    # be in a new batch already) never goes to the bank again.
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == c.BatchStatus.WITHDRAWN:
        raise ValidationError(
            f"批次 {batch.number} 已撤回，不能再导出代发文件（其申请可能已纳入新批次）"
        )
    reveal = full and (acting_user is None or acting_user.has_perm("registry.view_full_id"))
    # Only lines the bank has not answered: a file exported again after a partial return
    # must not ask the bank to pay the paid lines a second time.
    payments = (
        batch.payments.filter(status=c.PaymentStatus.PENDING)
        .select_related("application__policy", "application__region")
        .order_by("id")
    )
    if not payments.exists():
        raise ValidationError(f"批次 {batch.number} 已全部回盘，没有待发放的记录")
    rows = 0
    total = Decimal(0)
    with Workbook(out) as book:
        sheet = book.add_sheet(
            "代发明细", EXPORT_COLUMNS, title=f"补贴代发明细 批次 {batch.number}"
        )
        for p in payments:
            app = p.application
            sheet.write_row(
                [
                    p.pk,
                    p.account_holder,
                    p.bank_name,
                    p.bank_account if reveal else account_mask(p.bank_account),
                    p.amount,
                    app.policy.name,
                    app.period,
                    app.region.name,
                ]
            )
            rows += 1
            total += p.amount
        sheet.write_row(["合计", f"{rows} 笔", "", "", total])
    action = AuditLog.Action.VIEW_FULL_ID if reveal else AuditLog.Action.EXPORT
    audit.record(
        action,
        batch,
        changes={"rows": rows, "total": str(total), "full_accounts": reveal},
        message=f"导出代发文件 {batch.number}（{rows} 笔，{total} 元）"
        + ("，含完整银行账号" if reveal else ""),
    )
    if batch.status == c.BatchStatus.OPEN:
        batch.status, batch.sent_at = c.BatchStatus.SENT, timezone.now()
        batch.save(update_fields=["status", "sent_at", "updated_at"])
    return rows


def _columns(header: list[str]) -> dict[str, int]:
    normal = [normalise_header(h) for h in header]
    found = {}
    for key, names in RETURN_HEADERS.items():
        for name in names:
            if normalise_header(name) in normal:
                found[key] = normal.index(normalise_header(name))
                break
    return found


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    return datetime.date.fromisoformat(text[:10])


def _parse_return(batch: PaymentBatch, source: Any, filename: str) -> list[tuple[Payment, Any]]:
    """Every line checked before anything is written: errors as 第N行 列名：原因."""
    try:
        table = read_table(
            source,
            lambda cells: (
                normalise_header("流水号") in cells
                and any(normalise_header(n) in cells for n in RETURN_HEADERS["result"])
            ),
            filename=filename,
        )
    except SpreadsheetError as exc:
        raise ValidationError(str(exc)) from None
    cols = _columns(table.header)
    payments = {p.pk: p for p in batch.payments.select_related("application")}
    errors: list[str] = []
    results: list[tuple[Payment, Any]] = []
    seen: set[int] = set()

    def cell(values: list[Any], key: str) -> Any:
        i = cols.get(key)
        return values[i] if i is not None and i < len(values) else None

    for row, values in table.rows:
        raw_id = str(cell(values, "id") or "").strip().removesuffix(".0")
        if raw_id == "合计" or not raw_id:
            continue
        if not (raw_id.isascii() and raw_id.isdigit()) or int(raw_id) not in payments:
            errors.append(f"第{row}行 流水号：{raw_id} 不属于批次 {batch.number}")
            continue
        payment = payments[int(raw_id)]
        if payment.pk in seen:
            errors.append(f"第{row}行 流水号：{raw_id} 重复")
            continue
        seen.add(payment.pk)
        word = str(cell(values, "result") or "").strip().lower()
        reason = str(cell(values, "reason") or "").strip()
        amount = cell(values, "amount")
        if amount not in (None, ""):
            try:
                if Decimal(str(amount)).quantize(Decimal("0.01")) != payment.amount:
                    errors.append(f"第{row}行 金额：{amount} 与批次金额 {payment.amount} 不符")
                    continue
            except InvalidOperation:
                errors.append(f"第{row}行 金额：{amount} 不是数字")
                continue
        if word in PAID_WORDS:
            try:
                day = _date(cell(values, "date")) or timezone.localdate()
            except ValueError:
                errors.append(f"第{row}行 发放日期：{cell(values, 'date')} 不是日期")
                continue
            outcome: Any = (c.PaymentStatus.PAID, day, "")
        elif word in FAILED_WORDS:
            if not reason:
                errors.append(f"第{row}行 失败原因：发放失败须写明原因")
                continue
            outcome = (c.PaymentStatus.FAILED, None, reason[:200])
        else:
            errors.append(f"第{row}行 结果：应为“成功”或“失败”，而不是“{word or '（空）'}”")
            continue
        if payment.status != c.PaymentStatus.PENDING and payment.status != outcome[0]:
            errors.append(f"第{row}行 流水号：{raw_id} 已回盘为“{payment.get_status_display()}”")
            continue
        results.append((payment, outcome))
    if errors:
        raise ValidationError(errors)
    if not results:
        raise ValidationError("回盘文件中没有本批次的发放结果")
    return results


@transaction.atomic
def import_return(
    *, acting_user: Any, batch: PaymentBatch, source: Any, filename: str | None = None
) -> dict[str, int]:
    """Mark payments paid or failed from the bank's return file (xlsx or csv). Any bad
    line refuses the whole file: nothing is half-written. Re-importing the same file
    changes nothing."""
    check_permission(acting_user, "subsidies.manage_batches")
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    check_jurisdiction(acting_user, batch.region_id)
    name = filename or getattr(source, "name", "") or ""
    results = _parse_return(batch, source, Path(str(name)).name or "return.xlsx")
    entries = []
    counts = {"paid": 0, "failed": 0, "unchanged": 0}
    for payment, (status, day, reason) in results:
        if payment.status == status:
            counts["unchanged"] += 1
            continue
        app = Application.objects.select_for_update().get(pk=payment.application_id)
        payment.status, payment.paid_on, payment.failure_reason = status, day, reason
        payment.save(update_fields=["status", "paid_on", "failure_reason", "updated_at"])
        old = app.status
        if status == c.PaymentStatus.PAID:
            app.status, app.paid_on, app.failure_reason = c.Status.PAID, day, ""
            counts["paid"] += 1
        else:
            app.status, app.failure_reason = c.Status.FAILED, reason
            counts["failed"] += 1
        app.save(update_fields=["status", "paid_on", "failure_reason", "updated_at"])
        entries.append(
            audit.build(
                AuditLog.Action.UPDATE,
                app,
                changes={"status": [old, app.status]},
                message=f"银行回盘（批次 {batch.number}）"
                + (f"：{reason}" if reason else "：发放成功"),
            )
        )
    audit.record_many(entries)
    if not batch.payments.filter(status=c.PaymentStatus.PENDING).exists():
        batch.status, batch.closed_at = c.BatchStatus.CLOSED, timezone.now()
        batch.save(update_fields=["status", "closed_at", "updated_at"])
    audit.record(
        AuditLog.Action.IMPORT,
        batch,
        changes=counts,
        message=f"导入回盘文件 {name}：成功 {counts['paid']} 笔，失败 {counts['failed']} 笔",
    )
    return counts

"""Code lists of subsidy policies and applications (domain.md §3)."""

from django.db import models


class BeneficiaryKind(models.TextChoices):
    PERSON = "person", "个人"
    WORKSHOP = "workshop", "扶贫车间"
    EMPLOYER = "employer", "用人单位"


class StandardKind(models.TextChoices):
    FIXED = "fixed", "定额"
    PER_MONTH = "per_month", "按月（月标准×月数）"
    PER_HEAD = "per_head", "按人数（人均标准×人数）"
    ACTUAL_CAPPED = "actual_capped", "据实（不超过上限）"


class PeriodCap(models.TextChoices):
    ONCE_EVER = "once_ever", "限享受一次"
    ONCE_PER_YEAR = "once_per_year", "每年一次"
    ONCE_PER_MONTH = "once_per_month", "每月一次"


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    REVIEWED = "reviewed", "乡镇已审核"
    APPROVED = "approved", "区县已审批"
    BATCHED = "batched", "已纳入发放批次"
    PAID = "paid", "已发放"
    FAILED = "failed", "发放失败"
    CANCELLED = "cancelled", "已撤销"
    REJECTED = "rejected", "已退回"
    REVERSED = "reversed", "已冲正"
    REVERSAL = "reversal", "冲正记录"


# An application in one of these no longer holds its beneficiary's place for the period.
RELEASED = (Status.CANCELLED, Status.REJECTED, Status.REVERSED, Status.REVERSAL)
# Money committed against the yearly budget.
COMMITTED = (Status.APPROVED, Status.BATCHED, Status.PAID, Status.FAILED)
# Before approval: still editable / cancellable.
OPEN = (Status.DRAFT, Status.SUBMITTED)


class BatchStatus(models.TextChoices):
    OPEN = "open", "待发放"
    SENT = "sent", "已报送银行"
    CLOSED = "closed", "已回盘"
    WITHDRAWN = "withdrawn", "已撤回"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "待回盘"
    PAID = "paid", "成功"
    FAILED = "failed", "失败"
    WITHDRAWN = "withdrawn", "已撤回"

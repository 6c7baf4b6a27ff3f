"""Subsidy policies, applications, payment batches and payments (政策兑现, domain.md §3).

"应补尽补" — everyone eligible is paid, nobody twice. Exactly-once is a database rule, not
a habit: a partial unique index allows one live application per beneficiary, policy and
period (cancelled, rejected and reversed ones step aside), and one pending or paid
payment per application. Services add row locks for the state machine and the budget.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from fupin.core.models import ScopedModel, ScopedQuerySet, TimestampedModel, jurisdiction_code
from fupin.subsidies import choices as c

MONEY = {"max_digits": 12, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class PolicyQuerySet(ScopedQuerySet):
    """A policy applies to its region and everything below: a township sees its district's
    policies (and the catalogue-wide ones, region empty); a county sees its own."""

    def for_user(self, user: Any) -> PolicyQuerySet:
        code = jurisdiction_code(user)
        if code is None:
            return self.none()
        if not code:
            return self
        prefixes = [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]
        return self.filter(
            Q(region__isnull=True) | Q(region_id__in=prefixes) | Q(region__code__startswith=code)
        )


class Policy(TimestampedModel):
    """One subsidy as configured by the county (amounts, caps and rules are data)."""

    code = models.CharField("政策代码", max_length=40, unique=True)
    name = models.CharField("政策名称", max_length=100)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="适用区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空表示全部区域",
    )
    beneficiary_kind = models.CharField(
        "补贴对象", max_length=10, choices=c.BeneficiaryKind.choices
    )
    standard_kind = models.CharField("补贴标准类型", max_length=20, choices=c.StandardKind.choices)
    amount = models.DecimalField("标准金额（元）", **MONEY)
    months = models.PositiveSmallIntegerField("月数", default=1)
    cap = models.DecimalField("上限（元）", null=True, blank=True, **MONEY)
    period_cap = models.CharField("享受次数", max_length=20, choices=c.PeriodCap.choices)
    rules = models.JSONField("资格条件", default=list, blank=True)
    yearly_budget = models.DecimalField("年度预算（元）", null=True, blank=True, **MONEY)
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("截止日期", null=True, blank=True)
    attachments = models.TextField("所需附件", blank=True)
    description = models.TextField("政策说明", blank=True)
    active = models.BooleanField("启用", default=True)

    scope_field = "region__code"
    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "补贴政策"
        verbose_name_plural = "补贴政策"
        ordering = ["code"]
        permissions = [("manage_batches", "管理发放批次")]

    def __str__(self) -> str:
        return self.name

    @property
    def region_code(self) -> str:
        return self.region_id or ""

    def standard_amount(
        self, *, heads: int | None = None, actual: Decimal | None = None
    ) -> Decimal:
        """The amount one application is worth under this policy's standard."""
        kind = self.standard_kind
        if kind == c.StandardKind.PER_MONTH:
            return self.amount * (self.months or 1)
        if kind == c.StandardKind.PER_HEAD:
            return self.amount * (heads or 0)
        if kind == c.StandardKind.ACTUAL_CAPPED:
            limit = self.cap if self.cap is not None else self.amount
            # Without a receipt yet (bulk drafts), the cap stands in until it is entered.
            return min(actual if actual is not None else limit, limit)
        return self.amount


class Application(ScopedModel):
    """One claim of one beneficiary under one policy for one period ("ever", "2026",
    "2026-11"). Approved and paid claims are never edited: corrections are reversals."""

    policy = models.ForeignKey(
        Policy, verbose_name="政策", on_delete=models.PROTECT, related_name="applications"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name="人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidy_applications",
    )
    workshop = models.ForeignKey(
        "employment.Workshop",
        verbose_name="扶贫车间",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidy_applications",
    )
    employer = models.ForeignKey(
        "employment.Employer",
        verbose_name="用人单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidy_applications",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("所属期", max_length=7)
    heads = models.PositiveIntegerField("人数", null=True, blank=True)
    actual_cost = models.DecimalField("实际费用（元）", null=True, blank=True, **MONEY)
    amount = models.DecimalField("金额（元）", **MONEY)
    status = models.CharField(
        "状态", max_length=10, choices=c.Status.choices, default=c.Status.DRAFT, db_index=True
    )
    eligible = models.BooleanField("符合条件", default=False)
    reasons = models.TextField("资格审查", blank=True)
    reject_reason = models.CharField("退回原因", max_length=500, blank=True)
    account_holder = models.CharField("账户名", max_length=50, blank=True)
    bank_name = models.CharField("开户银行", max_length=100, blank=True)
    bank_account = models.CharField("银行账号", max_length=40, blank=True)
    budget_year = models.PositiveSmallIntegerField("预算年度", null=True, blank=True)
    reversal_of = models.ForeignKey(
        "self",
        verbose_name="冲正原记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    created_by = models.ForeignKey(
        USER, verbose_name="经办人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        USER,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        USER,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    paid_on = models.DateField("发放日期", null=True, blank=True)
    failure_reason = models.CharField("失败原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "补贴申请"
        verbose_name_plural = "补贴申请"
        ordering = ["-created_at", "-id"]
        permissions = [
            ("submit_application", "提交补贴申请"),
            ("review_application", "审核补贴申请"),
            ("approve_application", "审批补贴申请"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", field, "period"],
                condition=Q(**{f"{field}__isnull": False}) & ~Q(status__in=c.RELEASED),
                name=f"subsidy_once_per_{field}",
            )
            for field in ("person", "workshop", "employer")
        ] + [
            models.CheckConstraint(
                condition=(
                    Q(person__isnull=False, workshop__isnull=True, employer__isnull=True)
                    | Q(person__isnull=True, workshop__isnull=False, employer__isnull=True)
                    | Q(person__isnull=True, workshop__isnull=True, employer__isnull=False)
                ),
                name="subsidy_one_beneficiary",
            )
        ]
        indexes = [
            models.Index(fields=["region", "status"], name="subsidy_region_status_idx"),
            models.Index(fields=["policy", "budget_year", "status"], name="subsidy_budget_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.policy.name} {self.beneficiary_name} {self.period}"

    @property
    def beneficiary(self) -> Any:
        return self.person or self.workshop or self.employer

    @property
    def beneficiary_name(self) -> str:
        beneficiary = self.beneficiary
        return str(beneficiary) if beneficiary is not None else ""


class PaymentBatch(ScopedModel):
    """A set of approved applications sent to the bank together (代发批次)."""

    number = models.CharField("批次号", max_length=30, unique=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name="发放单位", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=10, choices=c.BatchStatus.choices, default=c.BatchStatus.OPEN
    )
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name="创建人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField("报送时间", null=True, blank=True)
    closed_at = models.DateTimeField("回盘时间", null=True, blank=True)
    withdrawn_reason = models.CharField("撤回原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "发放批次"
        verbose_name_plural = "发放批次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class Payment(TimestampedModel):
    """One attempt to pay one application in one batch; a failed attempt is re-issued as a
    new payment in a later batch (the history stays)."""

    batch = models.ForeignKey(
        PaymentBatch, verbose_name="批次", on_delete=models.PROTECT, related_name="payments"
    )
    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField("金额（元）", **MONEY)
    account_holder = models.CharField("账户名", max_length=50)
    bank_name = models.CharField("开户银行", max_length=100, blank=True)
    bank_account = models.CharField("银行账号", max_length=40)
    status = models.CharField(
        "状态", max_length=10, choices=c.PaymentStatus.choices, default=c.PaymentStatus.PENDING
    )
    paid_on = models.DateField("发放日期", null=True, blank=True)
    failure_reason = models.CharField("失败原因", max_length=200, blank=True)

    scope_field = "application__region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "发放记录"
        verbose_name_plural = "发放记录"
        ordering = ["batch_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=["pending", "paid"]),
                name="subsidy_one_live_payment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch} {self.application_id}"

    @property
    def region_code(self) -> str:
        return self.application.region_id

    @property
    def masked_account(self) -> str:
        from fupin.core.generic import masked

        return masked(self.bank_account)


class IdempotencyKey(models.Model):
    """A POST answered once per (user, key): a retry gets the stored answer, no new write."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "幂等键"
        verbose_name_plural = "幂等键"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="subsidy_idempotency_key")
        ]

    def __str__(self) -> str:
        return self.key

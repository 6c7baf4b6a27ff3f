"""Supervision (督导核查, domain.md §4): sampling plans and their drawn items, phone-call
tasks, rectification tasks with deadlines.

A plan stores the seed and, per township (or village stratum), the ordered population it
drew from, so anyone can re-run the draw later and compare (`fupin sample verify`).
Every model with a region is scoped by the record's village code, so township staff see
their own tasks through the one `for_user` rule.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from fupin.core.models import ScopedModel
from fupin.supervision import choices as c


class SamplingPlan(ScopedModel):
    population = models.CharField("抽样对象", max_length=30, choices=c.Population.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="抽样范围", on_delete=models.PROTECT, related_name="+"
    )
    proportion = models.DecimalField("抽样比例", max_digits=5, decimal_places=4)
    minimum = models.PositiveIntegerField("每乡镇最少抽取", default=0)
    strata = models.CharField(
        "分层", max_length=20, choices=c.Strata.choices, default=c.Strata.NONE, blank=True
    )
    as_of = models.DateField("数据日期")
    seed = models.CharField("随机种子", max_length=64, editable=False)
    population_digest = models.CharField("总体摘要", max_length=64, blank=True, editable=False)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    drawn_at = models.DateTimeField("抽取时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽样计划"
        verbose_name_plural = "抽样计划"
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_notice", "查看督导通报"),
            ("run_quality", "运行数据疑点规则"),
        ]

    def __str__(self) -> str:
        return f"{self.get_population_display()}抽样 #{self.pk}"


class SampleGroup(models.Model):
    """One township (or village stratum) of a plan: the ordered population it drew from."""

    plan = models.ForeignKey(
        SamplingPlan, verbose_name="抽样计划", on_delete=models.CASCADE, related_name="groups"
    )
    township = models.ForeignKey(
        "regions.Region", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    stratum = models.CharField("分层", max_length=12, blank=True)
    population_size = models.PositiveIntegerField("总体数")
    drawn = models.PositiveIntegerField("抽取数")
    population_ids = models.JSONField("总体（按序）", default=list)

    class Meta:
        verbose_name = "抽样分组"
        verbose_name_plural = "抽样分组"
        ordering = ["plan_id", "township_id", "stratum"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "township", "stratum"], name="one_group_per_stratum"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.township_id} {self.stratum}"


class SampleItem(ScopedModel):
    """A drawn record. The record itself is (content_type, object_id); person/household
    are kept for the call and the facts to confirm."""

    plan = models.ForeignKey(
        SamplingPlan, verbose_name="抽样计划", on_delete=models.PROTECT, related_name="items"
    )
    group = models.ForeignKey(
        SampleGroup, verbose_name="分组", on_delete=models.PROTECT, related_name="items"
    )
    township = models.ForeignKey(
        "regions.Region", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField("记录ID")
    person = models.ForeignKey(
        "registry.Person",
        verbose_name="人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name="户", on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveIntegerField("抽取顺序")

    class Meta:
        verbose_name = "样本"
        verbose_name_plural = "样本"
        ordering = ["plan_id", "township_id", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "content_type", "object_id"], name="one_item_per_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.order}"


class CallTask(ScopedModel):
    """Phone verification of one sampled record by a member of the supervision group."""

    item = models.OneToOneField(
        SampleItem, verbose_name="样本", on_delete=models.PROTECT, related_name="call"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核查人",
        on_delete=models.PROTECT,
        related_name="supervision_calls",
    )
    status = models.CharField(
        "状态", max_length=20, choices=c.CallStatus.choices, default=c.CallStatus.OPEN
    )
    result = models.CharField("核查结果", max_length=20, choices=c.CallResult.choices, blank=True)
    attempts = models.PositiveSmallIntegerField("拨打次数", default=0)
    wrong_fact = models.CharField("不属实的信息", max_length=30, blank=True)
    true_value = models.CharField("实际情况", max_length=200, blank=True)
    notes = models.TextField("备注", blank=True)
    called_at = models.DateTimeField("核查时间", null=True, blank=True)

    class Meta:
        verbose_name = "电话核查任务"
        verbose_name_plural = "电话核查任务"
        ordering = ["status", "region_id", "id"]
        indexes = [models.Index(fields=["assignee", "status"], name="call_assignee_idx")]

    def __str__(self) -> str:
        return f"核查任务 #{self.pk}"


class CallAttempt(models.Model):
    """Each call made (one task may need several when nobody answers)."""

    task = models.ForeignKey(
        CallTask, verbose_name="核查任务", on_delete=models.CASCADE, related_name="attempt_log"
    )
    result = models.CharField("结果", max_length=20, choices=c.CallResult.choices)
    called_at = models.DateTimeField("拨打时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    notes = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = "拨打记录"
        verbose_name_plural = "拨打记录"
        ordering = ["task_id", "called_at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.called_at:%Y-%m-%d %H:%M}"


class RectificationTask(ScopedModel):
    """限期整改 for the record's township; 逾期 is computed on read (past the deadline and
    not yet closed), so it can never be stale."""

    source = models.CharField("来源", max_length=10, choices=c.RectificationSource.choices)
    call = models.OneToOneField(
        CallTask,
        verbose_name="电话核查任务",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification",
    )
    rule = models.CharField("疑点规则", max_length=40, blank=True)
    township = models.ForeignKey(
        "regions.Region", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField("记录ID")
    subject = models.CharField("对象", max_length=200)
    problem = models.CharField("问题", max_length=500)
    deadline = models.DateField("整改期限")
    status = models.CharField(
        "状态",
        max_length=20,
        choices=c.RectificationStatus.choices,
        default=c.RectificationStatus.PENDING,
    )
    evidence = models.TextField("整改说明", blank=True)
    review_note = models.TextField("复核意见", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField("提交复核时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)

    class Meta:
        verbose_name = "整改任务"
        verbose_name_plural = "整改任务"
        ordering = ["deadline", "id"]
        permissions = [("review_rectificationtask", "复核整改任务（销号或退回）")]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "content_type", "object_id"],
                condition=~Q(rule=""),
                name="one_task_per_rule_hit",
            )
        ]
        indexes = [models.Index(fields=["township", "status"], name="rect_township_idx")]

    def __str__(self) -> str:
        return f"整改 #{self.pk} {self.subject}"

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        day = today or datetime.date.today()
        return self.status != c.RectificationStatus.CLOSED and self.deadline < day

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def status_label(self) -> str:
        """逾期 overrides any open status on screens."""
        return c.OVERDUE_LABEL if self.overdue else self.get_status_display()

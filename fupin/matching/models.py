"""Stored recommendations (the last matching run per laborer) and job pushes with their
outcome. Both are person records, scoped through the person's village like every other."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F

from fupin.employment import choices as ec
from fupin.employment.models import PersonRecord
from fupin.matching import choices as c


class Recommendation(PersonRecord):
    """One posting recommended to one unemployed laborer by the last run (replaced per
    laborer on each run)."""

    person = models.ForeignKey(
        "registry.Person",
        verbose_name="人员",
        on_delete=models.CASCADE,
        related_name="recommendations",
    )
    posting = models.ForeignKey(
        "employment.JobPosting",
        verbose_name="岗位",
        on_delete=models.CASCADE,
        related_name="recommendations",
    )
    score = models.DecimalField("匹配分", max_digits=6, decimal_places=1)
    rank = models.PositiveSmallIntegerField("名次")
    explanation = models.JSONField("匹配理由", default=list, blank=True)
    run_at = models.DateTimeField("匹配时间", db_index=True)

    class Meta:
        verbose_name = "岗位推荐"
        verbose_name_plural = "岗位推荐"
        ordering = ["person_id", "rank"]
        permissions = [("run_matching", "运行人岗匹配")]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "posting"], name="one_recommendation_per_pair"
            )
        ]
        indexes = [models.Index(fields=["posting", "score"], name="recommendation_posting_idx")]

    def __str__(self) -> str:
        return f"{self.person} ← {self.posting} ({self.score})"


def open_postings_condition(prefix: str = "") -> models.Q:
    """Postings still taking people: open, with openings left (a full posting drops out)."""
    return models.Q(**{f"{prefix}status": ec.JobStatus.OPEN}) & models.Q(
        **{f"{prefix}filled__lt": F(f"{prefix}openings")}
    )


class Push(PersonRecord):
    """A posting pushed to a laborer (岗位推送) and what came of it."""

    person = models.ForeignKey(
        "registry.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="job_pushes"
    )
    posting = models.ForeignKey(
        "employment.JobPosting",
        verbose_name="岗位",
        on_delete=models.PROTECT,
        related_name="pushes",
    )
    channel = models.CharField("推送方式", max_length=10, choices=c.PushChannel.choices)
    message = models.TextField("推送内容", blank=True)
    score = models.DecimalField("匹配分", max_digits=6, decimal_places=1, null=True, blank=True)
    pushed_on = models.DateField("推送日期")
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="推送人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    service = models.ForeignKey(
        "employment.Service",
        verbose_name="就业服务记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        "结果", max_length=12, choices=c.PushStatus.choices, default=c.PushStatus.PUSHED
    )
    status_on = models.DateField("结果日期", null=True, blank=True)
    decline_reason = models.CharField("未成功原因", max_length=200, blank=True)
    employment_record = models.ForeignKey(
        "employment.EmploymentRecord",
        verbose_name="就业情况",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "岗位推送"
        verbose_name_plural = "岗位推送"
        ordering = ["-pushed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "posting"], name="one_push_per_pair")
        ]
        indexes = [models.Index(fields=["pushed_on", "status"], name="push_date_idx")]

    def __str__(self) -> str:
        return f"{self.person} ← {self.posting} {self.get_status_display()}"

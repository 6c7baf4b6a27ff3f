"""The base of every registry-like model and the audit log.

Jurisdiction lives in one place: `ScopedQuerySet.for_user()` limits rows by region-code
prefix. Each scoped model names the field holding its 12-digit (or shorter) region code
in `scope_field`; pages, API, exports, search and counts all start from `for_user`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


def jurisdiction_code(user: Any) -> str | None:
    """The region-code prefix a user may see: '' for everything, None for nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return ""
    return getattr(user, "region_id", None) or None


class ScopedQuerySet(models.QuerySet):
    def in_region(self, code: str) -> ScopedQuerySet:
        """Rows in region `code` and everything under it."""
        if not code:
            return self
        field = self.model.scope_field
        if len(code) < 9:
            # A district or wider holds most rows: scanning in the list's order is faster
            # than starting from the region index.
            return self.filter(**{f"{field}__startswith": code})
        # A township or village: a range (the same rows for digit codes; ':' sorts right
        # after '9') lets SQLite use the region-code index, which it cannot for LIKE.
        return self.filter(**{f"{field}__gte": code, f"{field}__lt": f"{code}:"})

    def for_user(self, user: Any) -> ScopedQuerySet:
        """Rows inside the user's jurisdiction (none for anonymous or unassigned users)."""
        code = jurisdiction_code(user)
        if code is None:
            return self.none()
        return self.in_region(code)


class DistrictWideQuerySet(ScopedQuerySet):
    """Employers, job postings, training classes and labor-export batches: everyone in a
    district sees the whole district's, plus those of partner regions outside the province
    (劳务协作). Writes stay inside one's own jurisdiction (services check it)."""

    def for_user(self, user: Any) -> ScopedQuerySet:
        code = jurisdiction_code(user)
        if code is None:
            return self.none()
        if not code:
            return self
        field = self.model.scope_field
        return self.filter(
            models.Q(**{f"{field}__startswith": code[:6]})
            | ~models.Q(**{f"{field}__startswith": code[:2]})
        )


class TimestampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class ScopedModel(TimestampedModel):
    """Base for records that belong to a region. Subclasses set `scope_field`."""

    scope_field = "region__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def region_code(self) -> str:
        """The record's region code, for re-checks and audit (subclasses may override)."""
        return self.region_id


class AuditLog(models.Model):
    """Who did what, when, from where, with before/after. Also logins and sensitive reads."""

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        MOVE = "move", "迁移"
        IMPORT = "import", "导入"
        EXPORT = "export", "导出"
        VIEW_FULL_ID = "view_full_id", "查看完整证件号"
        VIEW_PHONE = "view_phone", "查看完整电话号码"
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField("用户名", max_length=150, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    source = models.CharField("来源", max_length=10, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=50, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    region_code = models.CharField("区划代码", max_length=12, blank=True, db_index=True)
    context_key = models.CharField("关联", max_length=64, blank=True, db_index=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    message = models.CharField("说明", max_length=500, blank=True)

    scope_field = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        permissions = [("view_figures", "查看统计数据")]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        action = self.get_action_display()
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {action} {self.object_repr}"


class Job(models.Model):
    """Background work started from a page (imports, exports, ledgers) with its progress,
    so the page can poll and the result file can be downloaded later."""

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField("已处理", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    params = models.JSONField("参数", default=dict, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from fupin.accounts.roles import Role


class User(AbstractUser):
    """A staff member with one role and one jurisdiction region (a code prefix)."""

    role = models.CharField("角色", max_length=30, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="管辖区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    scope_field = "region_id"

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        permissions = [("manage_users", "管理本辖区用户")]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

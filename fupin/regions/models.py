"""Administrative divisions (统计用区划代码). Codes nest by prefix, which is jurisdiction."""

from __future__ import annotations

from typing import Any

from django.db import models

from fupin.core.models import ScopedQuerySet

LEVEL_BY_LENGTH = {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}
LENGTH_BY_LEVEL = {v: k for k, v in LEVEL_BY_LENGTH.items()}
_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会")


class Region(models.Model):
    class Level(models.IntegerChoices):
        PROVINCE = 1, "省"
        CITY = 2, "市"
        COUNTY = 3, "区县"
        TOWNSHIP = 4, "乡镇（街道）"
        VILLAGE = 5, "村（社区）"

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("级别", choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )

    scope_field = "code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.short_name

    @property
    def short_name(self) -> str:
        """凤山街道 / 白马村: village committee suffixes are noise on screens."""
        for suffix in _SUFFIXES:
            if self.name.endswith(suffix) and len(self.name) > len(suffix):
                return self.name[: -len(suffix)]
        return self.name

    def ancestors(self) -> list[Region]:
        codes = [self.code[:n] for n in (2, 4, 6, 9) if n < len(self.code)]
        found = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [found[c] for c in codes if c in found]

    @property
    def full_name(self) -> str:
        """武隆区凤山街道白马村 — from the county down, as used in titles."""
        parts = [r.short_name for r in self.ancestors() if r.level >= self.Level.COUNTY]
        return "".join([*parts, self.short_name])

    def contains(self, code: str | None) -> bool:
        return bool(code) and str(code).startswith(self.code)


def level_of(code: str) -> int | None:
    return LEVEL_BY_LENGTH.get(len(code)) if code.isdigit() else None


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if not level or level == 1:
        return None
    return code[: LENGTH_BY_LEVEL[level - 1]]


def region_or_none(code: Any) -> Region | None:
    if not code:
        return None
    return Region.objects.filter(code=str(code).strip()).first()

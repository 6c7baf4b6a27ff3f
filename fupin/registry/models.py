"""Registered-poor households and their members (建档立卡)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from fupin.core.models import ScopedModel, ScopedQuerySet, TimestampedModel
from fupin.registry import choices as c
from fupin.registry.idnumbers import mask_id_number


class Household(ScopedModel):
    number = models.CharField("户编号", max_length=30, unique=True)
    village = models.ForeignKey(
        "regions.Region", verbose_name="所在村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    household_type = models.CharField("贫困户属性", max_length=20, choices=c.HouseholdType.choices)
    status = models.CharField("户状态", max_length=20, choices=c.HouseholdStatus.choices)
    identified_year = models.PositiveSmallIntegerField("识别年度")
    exit_year = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True)
    main_cause = models.CharField("主要致贫原因", max_length=20, choices=c.PovertyCause.choices)
    other_causes = models.JSONField("其他致贫原因", default=list, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    helper_name = models.CharField("帮扶责任人", max_length=50, blank=True)
    helper_phone = models.CharField("帮扶责任人电话", max_length=20, blank=True)
    assured_food = models.BooleanField("不愁吃", default=True)
    assured_clothing = models.BooleanField("不愁穿", default=True)
    assured_education = models.BooleanField("义务教育有保障", default=True)
    assured_medical = models.BooleanField("基本医疗有保障", default=True)
    assured_housing = models.BooleanField("住房安全有保障", default=True)
    assured_water = models.BooleanField("饮水安全有保障", default=True)

    scope_field = "village__code"

    class Meta:
        verbose_name = "贫困户"
        verbose_name_plural = "贫困户"
        ordering = ["number"]
        permissions = [
            ("view_full_id", "查看完整证件号码"),
            ("import_households", "导入贫困户"),
            ("export_households", "导出贫困户"),
        ]
        indexes = [models.Index(fields=["village", "number"], name="household_village_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def failing_assurances(self) -> list[str]:
        """两不愁三保障 items not met (突出问题)."""
        return [label for f, label in c.ASSURANCE_FIELDS.items() if not getattr(self, f)]

    @property
    def region_code(self) -> str:
        return self.village_id


class Person(TimestampedModel):
    household = models.ForeignKey(
        Household, verbose_name="所在户", on_delete=models.PROTECT, related_name="members"
    )
    relation = models.CharField("与户主关系", max_length=20, choices=c.Relation.choices)
    name = models.CharField("姓名", max_length=50)
    name_pinyin = models.CharField("姓名拼音", max_length=200, blank=True, db_index=True)
    name_initials = models.CharField("拼音首字母", max_length=50, blank=True, db_index=True)
    id_number = models.CharField("证件号码", max_length=18, unique=True)
    sex = models.CharField("性别", max_length=6, choices=c.Sex.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField(
        "民族", max_length=2, choices=c.ETHNICITY_CHOICES, default="01", blank=True
    )
    education = models.CharField("文化程度", max_length=20, choices=c.Education.choices, blank=True)
    school_status = models.CharField(
        "在校生状况", max_length=30, choices=c.SchoolStatus.choices, blank=True
    )
    health = models.CharField("健康状况", max_length=20, choices=c.Health.choices, blank=True)
    disability_grade = models.CharField(
        "残疾等级", max_length=2, choices=c.DisabilityGrade.choices, blank=True
    )
    labor_ability = models.CharField(
        "劳动技能", max_length=20, choices=c.LaborAbility.choices, blank=True
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    removed_on = models.DateField("移除日期", null=True, blank=True)
    removal_reason = models.CharField(
        "移除原因", max_length=20, choices=c.RemovalReason.choices, blank=True
    )

    scope_field = "household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head", removed_on__isnull=True),
                name="one_head_per_household",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id(self) -> str:
        from django.conf import settings

        return mask_id_number(
            self.id_number, settings.FUPIN_ID_MASK_HEAD, settings.FUPIN_ID_MASK_TAIL
        )

    @property
    def region_code(self) -> str:
        return self.household.village_id

    @property
    def is_active_member(self) -> bool:
        return self.removed_on is None


class HouseholdIncome(TimestampedModel):
    """Per-capita net income by year (人均纯收入 = wages + production + property + transfers
    − production costs, per member)."""

    household = models.ForeignKey(
        Household, verbose_name="户", on_delete=models.CASCADE, related_name="incomes"
    )
    year = models.PositiveSmallIntegerField("年度")
    per_capita_net = models.DecimalField("人均纯收入（元）", max_digits=12, decimal_places=2)
    wage = models.DecimalField("工资性收入", max_digits=12, decimal_places=2, null=True, blank=True)
    operating = models.DecimalField(
        "生产经营性收入", max_digits=12, decimal_places=2, null=True, blank=True
    )
    property_income = models.DecimalField(
        "财产性收入", max_digits=12, decimal_places=2, null=True, blank=True
    )
    transfer = models.DecimalField(
        "转移性收入", max_digits=12, decimal_places=2, null=True, blank=True
    )
    production_cost = models.DecimalField(
        "生产经营支出", max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = "家庭收入"
        verbose_name_plural = "家庭收入"
        ordering = ["household_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="one_income_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.year}"

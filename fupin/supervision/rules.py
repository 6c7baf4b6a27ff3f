"""Data-quality rules (数据疑点, domain.md §4): named, documented checks, each one query.

A rule takes the scoped base queryset of its source (persons, laborers with their current
employment state, current employment records, active public-welfare placements,
households, paid subsidy claims of persons) and narrows it with filters/subqueries —
never a Python loop over a table. `run_quality` counts the hits per township and opens
one rectification task per new hit (the unique constraint (rule, record) makes a second
run add nothing).

Subsidy rules read paid claims (status 已发放, paid on or before the run's date) placed
by the claim's own village. "The same subsidy paid twice for one person and period"
is not a rule: the subsidies app's unique index makes it impossible.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractYear, Substr
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import AuditLog
from fupin.core.services import check_jurisdiction, check_permission
from fupin.employment import choices as ec
from fupin.employment.models import EmploymentRecord, Placement, Verification
from fupin.employment.selectors import laborers, state_condition, with_state
from fupin.regions.models import Region
from fupin.registry import choices as rc
from fupin.registry.models import Household, Person
from fupin.subsidies import choices as sc
from fupin.subsidies.models import Application, Payment
from fupin.supervision import choices as c
from fupin.supervision.models import RectificationTask
from fupin.supervision.sampling import validate_as_of
from fupin.supervision.workdays import add_workdays

ABLE = (rc.LaborAbility.ORDINARY, rc.LaborAbility.SKILLED)
IN_SCHOOL = [s for s in rc.SchoolStatus.values if s != rc.SchoolStatus.NOT_IN_SCHOOL]


def born_before(day: datetime.date, years: int) -> datetime.date:
    """The latest birth date of someone at least `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Source:
    """Where a rule's records come from (scoped base queryset) and how to place them."""

    model: type
    village: str
    label: str
    base: Callable[[datetime.date], QuerySet]


def _persons(as_of: datetime.date) -> QuerySet:
    return Person.objects.filter(removed_on__isnull=True)


def _laborers(as_of: datetime.date) -> QuerySet:
    return with_state(laborers(as_of)).annotate(
        employer_ref=F("state__employer_id"), employer_label=F("state__employer_name")
    )


def _employment(as_of: datetime.date) -> QuerySet:
    # Registered persons only, as every other source (removal does not close the record).
    return EmploymentRecord.objects.filter(state_condition(None), person__removed_on__isnull=True)


def _placements(as_of: datetime.date) -> QuerySet:
    return Placement.objects.filter(end__isnull=True, person__removed_on__isnull=True)


def _households(as_of: datetime.date) -> QuerySet:
    return Household.objects.all()


def _subsidies(as_of: datetime.date) -> QuerySet:
    return Application.objects.filter(
        status=sc.Status.PAID, paid_on__lte=as_of, person__isnull=False
    )


SOURCES = {
    "person": Source(Person, "household__village_id", "name", _persons),
    "laborer": Source(Person, "household__village_id", "name", _laborers),
    "employment": Source(EmploymentRecord, "person__household__village_id", "person__name",
                         _employment),
    "placement": Source(Placement, "person__household__village_id", "person__name", _placements),
    "household": Source(Household, "village_id", "number", _households),
    "subsidy": Source(Application, "region_id", "person__name", _subsidies),
}  # fmt: skip


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    description: str
    source: str
    narrow: Callable[[QuerySet, datetime.date], QuerySet]


EMPLOYED_NON_FARM = Q(status=ec.Status.EMPLOYED) & ~Q(form=ec.Form.FARMING)


def _shared_phone(qs: QuerySet, day: datetime.date) -> QuerySet:
    # Phones used in more than one village: one grouped subquery (phone has no index, so a
    # correlated EXISTS per row would scan the table once per person).
    shared = (
        Person.objects.filter(removed_on__isnull=True)
        .exclude(phone="")
        .values("phone")
        .annotate(villages=Count("household__village_id", distinct=True))
        .filter(villages__gt=1)
        .values("phone")
    )
    return qs.exclude(phone="").filter(phone__in=shared)


def _household_phone_duplicate(qs: QuerySet, day: datetime.date) -> QuerySet:
    shared = (
        Household.objects.exclude(phone="")
        .values("phone")
        .annotate(households=Count("id"))
        .filter(households__gt=1)
        .values("phone")
    )
    return qs.exclude(phone="").filter(phone__in=shared)


def _no_phone(qs: QuerySet, day: datetime.date) -> QuerySet:
    member_phone = Person.objects.filter(household=OuterRef("pk"), removed_on__isnull=True).exclude(
        phone=""
    )
    return qs.filter(phone="").exclude(Exists(member_phone))


def _not_verified(qs: QuerySet, day: datetime.date) -> QuerySet:
    days = int(getattr(settings, "FUPIN_QUALITY_UNVERIFIED_DAYS", 60))
    recent = Verification.objects.filter(
        person=OuterRef("pk"),
        verified_on__gt=day - datetime.timedelta(days=days),
        verified_on__lte=day,  # as of the run's date: a later verification is not yet made
    )
    return qs.exclude(Exists(recent))


def aged(day: datetime.date, low: int, high: int) -> Q:
    """Aged low..high years (inclusive) on the day."""
    return Q(birth_date__lte=born_before(day, low), birth_date__gt=born_before(day, high + 1))


def _student_age_mismatch(qs: QuerySet, day: datetime.date) -> QuerySet:
    return qs.filter(
        Q(school_status=rc.SchoolStatus.PRESCHOOL, birth_date__lte=born_before(day, 8))
        | Q(school_status=rc.SchoolStatus.PRIMARY, birth_date__lte=born_before(day, 16))
        | Q(school_status=rc.SchoolStatus.JUNIOR, birth_date__lte=born_before(day, 20))
        | Q(school_status__in=IN_SCHOOL, birth_date__lte=born_before(day, 45))
    )


def _placement_age(qs: QuerySet, day: datetime.date) -> QuerySet:
    low = settings.FUPIN_PUBLIC_WELFARE_AGE_MIN
    high = settings.FUPIN_PUBLIC_WELFARE_AGE_MAX
    return qs.filter(
        Q(person__birth_date__gt=born_before(day, low))
        | Q(person__birth_date__lte=born_before(day, high + 1))
    )


TRANSPORT = "transport"  # 外出务工交通补贴 (policy code seeded by the subsidies app)
WELFARE_POST_SUBSIDIES = ("welfare_post", "welfare_post_insurance")  # 岗位补贴、社保补贴
LEFT_TOWNSHIP = (
    ec.LocationTier.IN_COUNTY,
    ec.LocationTier.IN_PROVINCE,
    ec.LocationTier.OUT_OF_PROVINCE,
)


def _transport_never_left(qs: QuerySet, day: datetime.date) -> QuerySet:
    # The subsidy's year is its period ("2026"); a period of another shape falls back to
    # the year it was paid. An employment state overlaps the year when it began by
    # 31 December and did not end (valid_to is exclusive) by 1 January — in year numbers,
    # so the comparison is the same on SQLite and PostgreSQL.
    year = Case(
        When(period__regex=r"^[0-9]{4}", then=Cast(Substr("period", 1, 4), IntegerField())),
        default=ExtractYear("paid_on"),
        output_field=IntegerField(),
    )
    y = OuterRef("subsidy_year")
    left = EmploymentRecord.objects.filter(
        person=OuterRef("person_id"),
        status=ec.Status.EMPLOYED,
        location_tier__in=LEFT_TOWNSHIP,
        valid_from__year__lte=y,
    ).filter(
        Q(valid_to__isnull=True)
        | Q(valid_to__year__gt=y)
        | (Q(valid_to__year=y) & (Q(valid_to__month__gt=1) | Q(valid_to__day__gt=1)))
    )
    return qs.filter(policy__code=TRANSPORT).alias(subsidy_year=year).exclude(Exists(left))


def _age_when_paid() -> Any:
    """Full years of age of the beneficiary on the paid date (one SQL expression)."""
    birthday_ahead = Q(paid_on__month__lt=F("person__birth_date__month")) | Q(
        paid_on__month=F("person__birth_date__month"),
        paid_on__day__lt=F("person__birth_date__day"),
    )
    return (
        ExtractYear("paid_on")
        - ExtractYear("person__birth_date")
        - Case(When(birthday_ahead, then=Value(1)), default=Value(0))
    )


def _welfare_post_subsidy_age(qs: QuerySet, day: datetime.date) -> QuerySet:
    low = settings.FUPIN_PUBLIC_WELFARE_AGE_MIN
    high = settings.FUPIN_PUBLIC_WELFARE_AGE_MAX
    return (
        qs.filter(policy__code__in=WELFARE_POST_SUBSIDIES)
        .alias(age_paid=_age_when_paid())
        .filter(Q(age_paid__lt=low) | Q(age_paid__gt=high))
    )


def _paid_to_other_account(qs: QuerySet, day: datetime.date) -> QuerySet:
    other = Payment.objects.filter(
        application=OuterRef("pk"), status=sc.PaymentStatus.PAID
    ).exclude(account_holder=OuterRef("person__name"))
    return qs.filter(Exists(other))


RULES: list[Rule] = [
    Rule("employed_no_employer", "已就业但无用人单位",
         "就业状态为已就业、形式为企业务工/扶贫车间/公益性岗位，却没有填写用人单位。",
         "laborer",
         lambda qs, d: qs.filter(
             status=ec.Status.EMPLOYED,
             form__in=[ec.Form.COMPANY, ec.Form.WORKSHOP, ec.Form.PUBLIC_WELFARE],
             employer_ref__isnull=True, employer_label="")),
    Rule("employed_no_income", "已就业但无收入",
         "已就业（务农除外）但月收入为空或为 0。",
         "laborer",
         lambda qs, d: qs.filter(EMPLOYED_NON_FARM).filter(
             Q(monthly_income__isnull=True) | Q(monthly_income=0))),
    Rule("employed_no_location", "已就业但无就业地域",
         "已就业（务农除外）但没有填写就业地域（乡镇内/县内/省内/省外）。",
         "laborer",
         lambda qs, d: qs.filter(EMPLOYED_NON_FARM, location_tier="")),
    Rule("not_employed_with_income", "未就业却有务工收入",
         "就业状态为未就业或暂无就业意愿，却填写了大于 0 的月收入。",
         "laborer",
         lambda qs, d: qs.filter(
             status__in=[ec.Status.UNEMPLOYED, ec.Status.NOT_SEEKING], monthly_income__gt=0)),
    Rule("negative_income", "月收入为负数",
         "当前就业情况的月收入小于 0。",
         "employment",
         lambda qs, d: qs.filter(monthly_income__lt=0)),
    Rule("workshop_outside_county", "扶贫车间就业却在县外",
         "就业形式为扶贫车间（就近就业），就业地域却是县外省内或省外。",
         "employment",
         lambda qs, d: qs.filter(
             status=ec.Status.EMPLOYED, form=ec.Form.WORKSHOP,
             location_tier__in=[ec.LocationTier.IN_PROVINCE, ec.LocationTier.OUT_OF_PROVINCE])),
    Rule("workshop_revoked", "在已撤销认定的扶贫车间就业",
         "当前就业的扶贫车间已被撤销认定。",
         "employment",
         lambda qs, d: qs.filter(status=ec.Status.EMPLOYED, workshop__revoked_on__lte=d)),
    Rule("placement_age", "公益性岗位人员年龄不符",
         "在岗的公益性岗位人员未满 16 周岁或超过 70 周岁（可配置）。",
         "placement", _placement_age),
    Rule("placement_closed_post", "岗位已撤销仍有人在岗",
         "公益性岗位已撤销，安置记录却没有离岗。",
         "placement",
         lambda qs, d: qs.filter(post__closed_on__lte=d)),
    Rule("phone_shared_across_villages", "同一电话号码出现在不同村",
         "在册人员的联系电话与另一个村（社区）的在册人员相同。",
         "person", _shared_phone),
    Rule("household_phone_duplicate", "多户使用同一联系电话",
         "户的联系电话与另一户相同。",
         "household", _household_phone_duplicate),
    Rule("household_no_phone", "无法电话联系",
         "户及其在册成员都没有联系电话，无法电话核查。",
         "household", _no_phone),
    Rule("school_age_not_in_school", "义务教育年龄却非在校生",
         "6–15 周岁的在册人员在校生状况为非在校生（控辍保学）。",
         "person",
         lambda qs, d: qs.filter(aged(d, 6, 15), school_status=rc.SchoolStatus.NOT_IN_SCHOOL)),
    Rule("school_status_age_mismatch", "在校生状况与年龄不符",
         "学前教育满 8 周岁、小学满 16 周岁、初中满 20 周岁，或在校生满 45 周岁。",
         "person", _student_age_mismatch),
    Rule("minor_with_labor_ability", "未满 16 周岁却有劳动技能",
         "未满 16 周岁的在册人员劳动技能为普通劳动力或技能劳动力。",
         "person",
         lambda qs, d: qs.filter(birth_date__gt=born_before(d, 16), labor_ability__in=ABLE)),
    Rule("elderly_with_labor_ability", "75 周岁以上仍为普通或技能劳动力",
         "年满 75 周岁的在册人员劳动技能为普通劳动力或技能劳动力。",
         "person",
         lambda qs, d: qs.filter(birth_date__lte=born_before(d, 75), labor_ability__in=ABLE)),
    Rule("severe_disability_with_labor_ability", "重度残疾或患大病却为普通或技能劳动力",
         "一、二级残疾或患有大病的人员劳动技能为普通劳动力或技能劳动力。",
         "person",
         lambda qs, d: qs.filter(
             Q(disability_grade__in=["1", "2"]) | Q(health=rc.Health.SERIOUS),
             labor_ability__in=ABLE)),
    Rule("disability_grade_mismatch", "残疾状况与残疾等级不一致",
         "健康状况为残疾却没有残疾等级，或有残疾等级而健康状况不是残疾。",
         "person",
         lambda qs, d: qs.filter(
             Q(health=rc.Health.DISABLED, disability_grade="")
             | (~Q(health=rc.Health.DISABLED) & ~Q(disability_grade="")))),
    Rule("laborer_not_verified", "超过 60 天未核实",
         "贫困劳动力 60 天内（可配置）没有核实记录。",
         "laborer", _not_verified),
    Rule("head_under_16", "户主未满 16 周岁",
         "在册户主未满 16 周岁。",
         "person",
         lambda qs, d: qs.filter(relation=rc.Relation.HEAD, birth_date__gt=born_before(d, 16))),
    Rule("exit_before_identification", "脱贫年度早于识别年度",
         "户的脱贫年度早于识别年度。",
         "household",
         lambda qs, d: qs.filter(exit_year__lt=F("identified_year"))),
    Rule("exit_status_year_mismatch", "脱贫状态与脱贫年度不一致",
         "已脱贫却没有脱贫年度，或未脱贫却填写了脱贫年度。",
         "household",
         lambda qs, d: qs.filter(
             Q(status=rc.HouseholdStatus.EXITED, exit_year__isnull=True)
             | Q(status=rc.HouseholdStatus.NOT_EXITED, exit_year__isnull=False))),
    Rule("transport_never_left", "领取交通补贴却未离开乡镇",
         "已发放外出务工交通补贴，补贴所属年度内的就业情况却从未在乡镇外（只有乡镇内就业、"
         "未就业或没有就业记录）。",
         "subsidy", _transport_never_left),
    Rule("subsidy_paid_to_removed_person", "补贴发放给已移除人员",
         "补贴发放日期当天或之前，领取人已从建档立卡名单中移除（移除日期不晚于发放日期）。",
         "subsidy",
         lambda qs, d: qs.filter(person__removed_on__lte=F("paid_on"))),
    Rule("welfare_post_subsidy_age", "公益性岗位补贴发放对象年龄不符",
         "公益性岗位岗位补贴或社保补贴发放时，领取人未满 16 周岁或超过 70 周岁（可配置）。",
         "subsidy", _welfare_post_subsidy_age),
    Rule("subsidy_paid_to_other_account", "补贴发放到非本人账户",
         "补贴发放成功的收款账户户名与领取人姓名不一致（代领、冒领风险）。",
         "subsidy", _paid_to_other_account),
]  # fmt: skip
RULES_BY_CODE = {rule.code: rule for rule in RULES}


def rule_hits(rule: Rule, user: Any, region_code: str, as_of: datetime.date) -> QuerySet:
    """The rule's records in the region, read through the one scoping rule."""
    source = SOURCES[rule.source]
    base = source.base(as_of)
    base = base.for_user(user) if user is not None else base
    return rule.narrow(base.in_region(region_code), as_of)


def hits_by_township(rule: Rule, user: Any, region_code: str, as_of: datetime.date) -> dict:
    source = SOURCES[rule.source]
    rows = (
        rule_hits(rule, user, region_code, as_of)
        .annotate(township=Substr(source.village, 1, 9))
        .values("township")
        .annotate(n=Count("pk", distinct=True))
        .order_by("township")
    )
    return {row["township"]: row["n"] for row in rows}


@transaction.atomic
def run_quality(
    *,
    acting_user: Any,
    region_code: str,
    as_of: datetime.date | None = None,
    rules: list[str] | None = None,
    open_tasks: bool = True,
) -> dict[str, Any]:
    """Run the rules in a region; open one rectification task per new hit (audited)."""
    check_permission(acting_user, "supervision.run_quality")
    if not Region.objects.filter(code=region_code).exists():
        raise ValidationError({"region": f"区划代码 {region_code} 不存在"})
    check_jurisdiction(acting_user, region_code)
    day = validate_as_of(as_of or timezone.localdate())
    # The data's date is `day`; the township's working days start when the task opens.
    deadline = add_workdays(
        timezone.localdate(), int(getattr(settings, "FUPIN_RECTIFICATION_WORKDAYS", 5))
    )
    chosen = [RULES_BY_CODE[code] for code in rules] if rules else RULES
    creator = acting_user if getattr(acting_user, "pk", None) else None
    report = []
    total_opened = 0
    for rule in chosen:
        source = SOURCES[rule.source]
        by_township = hits_by_township(rule, acting_user, region_code, day)
        opened = 0
        if open_tasks and by_township:
            content_type = ContentType.objects.get_for_model(source.model)
            existing = set(
                RectificationTask.objects.filter(
                    rule=rule.code, content_type=content_type
                ).values_list("object_id", flat=True)
            )
            hits = (
                rule_hits(rule, acting_user, region_code, day)
                .values_list("pk", source.village, source.label)
                .distinct()
                .order_by("pk")
            )
            new = [
                RectificationTask(
                    source=c.RectificationSource.RULE,
                    rule=rule.code,
                    township_id=village[:9],
                    region_id=village,
                    content_type=content_type,
                    object_id=pk,
                    subject=str(label)[:200],
                    problem=f"数据疑点：{rule.name}",
                    deadline=deadline,
                    created_by=creator,
                )
                for pk, village, label in hits
                if pk not in existing
            ]
            try:
                with transaction.atomic():
                    created = RectificationTask.objects.bulk_create(new, batch_size=1000)
            except IntegrityError as exc:  # another run opened the same task meanwhile
                raise ValidationError(
                    "另一次数据疑点检查同时生成了整改任务，本次未生成任何任务，请重新运行"
                ) from exc
            audit.record_many(
                [
                    audit.build(
                        AuditLog.Action.CREATE,
                        task,
                        region_code=task.region_id,
                        message=f"数据疑点生成整改任务：{rule.name}",
                    )
                    for task in created
                ]
            )
            opened = len(created)
        total_opened += opened
        report.append(
            {
                "code": rule.code,
                "name": rule.name,
                "hits": sum(by_township.values()),
                "by_township": by_township,
                "opened": opened,
            }
        )
    audit.record(
        AuditLog.Action.CREATE,
        object_type="supervision.qualityrun",
        object_repr=f"数据疑点检查 {region_code}",
        region_code=region_code,
        changes={"as_of": day.isoformat(), "opened": total_opened},
        message=f"数据疑点检查：{len(chosen)} 条规则，新增整改任务 {total_opened} 条",
    )
    return {"region": region_code, "as_of": day.isoformat(), "opened": total_opened,
            "rules": report}  # fmt: skip

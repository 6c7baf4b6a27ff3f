"""The catalogue of eligibility rules a policy can name (资格条件), as querysets.

A policy lists rule keys; its eligible set is the beneficiaries (persons, workshops or
employers) that pass every rule in the period's window — one SQL query built from
Exists() subqueries over the registry and employment records, so the eligible list of a
whole district stays one round trip. The same rules explain one beneficiary (reasons), so
the list and the check on a single application can never disagree.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from fupin.employment import choices as ec
from fupin.employment.models import (
    Employer,
    EmploymentRecord,
    Enrollment,
    Loan,
    Placement,
    Workshop,
)
from fupin.employment.selectors import laborers
from fupin.registry import choices as rc
from fupin.registry.models import Person
from fupin.subsidies import choices as c

EVER = "ever"
EPOCH = datetime.date(2014, 1, 1)  # 精准扶贫 began; "ever" windows start here


@dataclass(frozen=True)
class Window:
    """The dates a period covers; `as_of` is the day states are read on (not future)."""

    start: datetime.date
    end: datetime.date

    @property
    def as_of(self) -> datetime.date:
        return min(self.end, datetime.date.today())


def period_key(policy: Any, day: datetime.date | None = None) -> str:
    """The period a claim made on `day` falls in, by the policy's cap."""
    day = day or datetime.date.today()
    if policy.period_cap == c.PeriodCap.ONCE_PER_YEAR:
        return f"{day.year}"
    if policy.period_cap == c.PeriodCap.ONCE_PER_MONTH:
        return f"{day.year}-{day.month:02d}"
    return EVER


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def window(policy: Any, period: str) -> Window:
    """The window of `period`; a key that does not fit the policy's cap is refused."""
    period = (period or "").strip()
    try:
        if policy.period_cap == c.PeriodCap.ONCE_EVER:
            if period != EVER:
                raise ValueError
            return Window(EPOCH, datetime.date.today())
        # Only ASCII digits: int() also takes "２０２６", "+1" or " 1", which would be
        # another key for the same period (a second claim past the unique index).
        if policy.period_cap == c.PeriodCap.ONCE_PER_YEAR:
            if len(period) != 4 or not _digits(period):
                raise ValueError
            year = int(period)
            found = Window(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        else:
            if len(period) != 7 or period[4] != "-" or not _digits(period[:4] + period[5:]):
                raise ValueError
            year, month = int(period[:4]), int(period[5:])
            first = datetime.date(year, month, 1)
            following = datetime.date(year + month // 12, month % 12 + 1, 1)
            found = Window(first, following - datetime.timedelta(days=1))
    except ValueError:
        examples = {
            c.PeriodCap.ONCE_EVER: "ever",
            c.PeriodCap.ONCE_PER_YEAR: "2026",
            c.PeriodCap.ONCE_PER_MONTH: "2026-11",
        }
        raise ValidationError(
            {"period": f"所属期 {period or '（空）'} 格式不对，应为 {examples[policy.period_cap]}"}
        ) from None
    # A period not begun yet is not claimed now: today's open-ended job would qualify for
    # 2027, 2028, … — one payment per future year at once.
    if found.start > datetime.date.today():
        raise ValidationError({"period": f"所属期 {period} 尚未开始，不能申请或列出"})
    return found


def _overlap(w: Window, prefix: str = "") -> Q:
    """Employment records valid at some time in the window."""
    return Q(**{f"{prefix}valid_from__lte": w.end}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": w.start})
    )


def _employed(w: Window, **match: Any) -> Any:
    return EmploymentRecord.objects.filter(_overlap(w), status=ec.Status.EMPLOYED, **match)


def registered_poor(qs: QuerySet, w: Window) -> QuerySet:
    return qs.exclude(household__household_type=rc.HouseholdType.ORDINARY_FARMER).filter(
        Q(removed_on__isnull=True) | Q(removed_on__gt=w.as_of)
    )


def poor_laborer(qs: QuerySet, w: Window) -> QuerySet:
    return registered_poor(qs, w) & laborers(w.as_of)


def employed_in_period(qs: QuerySet, w: Window) -> QuerySet:
    return qs.filter(Exists(_employed(w, person=OuterRef("pk")).exclude(form=ec.Form.FARMING)))


def employed_outside_county(qs: QuerySet, w: Window) -> QuerySet:
    tiers = (ec.LocationTier.IN_PROVINCE, ec.LocationTier.OUT_OF_PROVINCE)
    return qs.filter(Exists(_employed(w, person=OuterRef("pk"), location_tier__in=tiers)))


def labor_cooperation(qs: QuerySet, w: Window) -> QuerySet:
    return qs.filter(Exists(_employed(w, person=OuterRef("pk"), channel=ec.Channel.COOPERATION)))


def public_welfare_on_post(qs: QuerySet, w: Window) -> QuerySet:
    on_post = Placement.objects.filter(person=OuterRef("pk"), start__lte=w.end).filter(
        Q(end__isnull=True) | Q(end__gte=w.start)
    )
    return qs.filter(Exists(on_post))


def completed_adaptive_training(qs: QuerySet, w: Window) -> QuerySet:
    done = Enrollment.objects.filter(
        person=OuterRef("pk"),
        completed=True,
        training__training_type=ec.TrainingType.ADAPTIVE,
        training__end__gte=w.start,
        training__end__lte=w.end,
    )
    return qs.filter(Exists(done))


def startup_with_loan(qs: QuerySet, w: Window) -> QuerySet:
    loans = Loan.objects.filter(
        startup__person=OuterRef("pk"),
        granted_on__lte=w.end,
        status__in=(ec.LoanStatus.GRANTED, ec.LoanStatus.REPAID, ec.LoanStatus.OVERDUE),
    )
    return qs.filter(Exists(loans))


def workshop_recognised(qs: QuerySet, w: Window) -> QuerySet:
    return qs.filter(recognized_on__lte=w.end).filter(
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=w.start)
    )


def workshop_employs_poor(qs: QuerySet, w: Window) -> QuerySet:
    return qs.filter(Exists(_employed(w, workshop=OuterRef("pk"))))


def employer_employs_poor(qs: QuerySet, w: Window) -> QuerySet:
    return qs.filter(Exists(_employed(w, employer=OuterRef("pk"))))


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    label: str  # "符合条件：…"
    missing: str  # "不符合条件：…"
    apply: Callable[[QuerySet, Window], QuerySet]


P, W, E = c.BeneficiaryKind.PERSON, c.BeneficiaryKind.WORKSHOP, c.BeneficiaryKind.EMPLOYER
RULES: dict[str, Rule] = {
    r.key: r
    for r in [
        Rule("registered_poor", P, "建档立卡贫困人口", "不是在册建档立卡贫困人口", registered_poor),
        Rule(
            "poor_laborer",
            P,
            "建档立卡贫困劳动力（劳动年龄内、有劳动能力）",
            "不是贫困劳动力（须为劳动年龄内、有劳动能力的在册贫困人口）",
            poor_laborer,
        ),
        Rule(
            "employed_in_period",
            P,
            "所属期内实现转移就业",
            "所属期内没有转移就业记录",
            employed_in_period,
        ),
        Rule(
            "employed_outside_county_this_year",
            P,
            "所属期内在县（区）外务工",
            "所属期内没有县（区）外务工记录",
            employed_outside_county,
        ),
        Rule(
            "labor_cooperation",
            P,
            "所属期内经劳务协作渠道就业",
            "所属期内没有经劳务协作渠道就业的记录",
            labor_cooperation,
        ),
        Rule(
            "public_welfare_on_post_this_month",
            P,
            "所属期内在公益性岗位上岗",
            "所属期内未在公益性岗位上岗",
            public_welfare_on_post,
        ),
        Rule(
            "completed_adaptive_training",
            P,
            "所属期内完成就业适应性培训并结业",
            "所属期内没有结业的就业适应性培训",
            completed_adaptive_training,
        ),
        Rule(
            "startup_with_loan",
            P,
            "自主创业并获得创业担保贷款",
            "没有已发放的创业担保贷款",
            startup_with_loan,
        ),
        Rule(
            "workshop_recognised",
            W,
            "所属期内为已认定的扶贫车间",
            "所属期内不是已认定（未撤销）的扶贫车间",
            workshop_recognised,
        ),
        Rule(
            "workshop_employs_poor",
            W,
            "所属期内吸纳贫困劳动力就业",
            "所属期内没有吸纳贫困劳动力就业",
            workshop_employs_poor,
        ),
        Rule(
            "employer_employs_poor",
            E,
            "所属期内吸纳贫困劳动力就业",
            "所属期内没有吸纳贫困劳动力就业",
            employer_employs_poor,
        ),
    ]
}
RULE_CHOICES = [(r.key, f"{r.label}（{c.BeneficiaryKind(r.kind).label}）") for r in RULES.values()]

MODELS: dict[str, Any] = {P: Person, W: Workshop, E: Employer}
FK = {P: "person", W: "workshop", E: "employer"}


def validate_rules(kind: str, keys: list[str]) -> None:
    """Rule keys must exist and fit the policy's beneficiary kind."""
    for key in keys:
        rule = RULES.get(key)
        if rule is None:
            raise ValidationError({"rules": f"未知的资格条件 {key}"})
        if rule.kind != kind:
            raise ValidationError({"rules": f"资格条件“{rule.label}”不适用于该补贴对象"})


def base(kind: str) -> QuerySet:
    """Every possible beneficiary of a kind (unscoped; callers add region or for_user)."""
    return MODELS[kind].objects.all()


def beneficiary_region(beneficiary: Any) -> str:
    """The region code an application for `beneficiary` is filed (and scoped) under."""
    if isinstance(beneficiary, Person):
        return beneficiary.household.village_id
    return beneficiary.region_id


def in_region(qs: QuerySet, code: str) -> QuerySet:
    return qs.in_region(code) if code else qs


def policy_valid(policy: Any, w: Window) -> bool:
    return policy.valid_from <= w.end and (policy.valid_to is None or policy.valid_to >= w.start)


def eligible(policy: Any, region_code: str, period: str) -> QuerySet:
    """Beneficiaries in `region_code` (prefix; '' = all) passing every rule of `policy`
    in `period`. One query."""
    w = window(policy, period)
    qs = in_region(base(policy.beneficiary_kind), region_code)
    if policy.region_id:  # a district's own policy: only its own beneficiaries
        qs = in_region(qs, policy.region_id)
    if not policy_valid(policy, w):
        return qs.none()
    for key in policy.rules or []:
        qs = RULES[key].apply(qs, w)
    return qs


def explain(policy: Any, beneficiary: Any, period: str) -> tuple[bool, list[str]]:
    """Whether one beneficiary qualifies, with a reason per rule (符合条件 / 不符合条件)."""
    w = window(policy, period)
    reasons: list[str] = []
    ok = True
    if not policy_valid(policy, w):
        ok = False
        reasons.append(f"不符合条件：政策在所属期 {period} 不在有效期内")
    if not isinstance(beneficiary, MODELS[policy.beneficiary_kind]):
        return False, [f"不符合条件：该政策的补贴对象是{policy.get_beneficiary_kind_display()}"]
    if policy.region_id and not beneficiary_region(beneficiary).startswith(policy.region_id):
        ok = False
        reasons.append(f"不符合条件：不在政策适用区域（{policy.region_id}）内")
    single = base(policy.beneficiary_kind).filter(pk=beneficiary.pk)
    for key in policy.rules or []:
        rule = RULES[key]
        if rule.apply(single, w).exists():
            reasons.append(f"符合条件：{rule.label}")
        else:
            ok = False
            reasons.append(f"不符合条件：{rule.missing}")
    if not policy.rules:
        reasons.append("符合条件：该政策未设资格条件")
    return ok, reasons


def heads(policy: Any, beneficiary: Any, period: str) -> int:
    """Poor laborers a workshop or employer employed in the period (按人数 standards)."""
    w = window(policy, period)
    if isinstance(beneficiary, Workshop):
        match: dict[str, Any] = {"workshop": beneficiary}
    elif isinstance(beneficiary, Employer):
        match = {"employer": beneficiary}
    else:
        return 1
    return _employed(w, **match).aggregate(n=Count("person", distinct=True))["n"] or 0

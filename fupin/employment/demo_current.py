"""The demo's current layer: data dated today on top of the 2020 demo (fupin.employment.demo).

The 2020 demo is frozen at REFERENCE_DATE (2020-12-31): its postings closed in 2020, so job
matching, the subsidies of the current period and the pages that default to today would be
empty. This layer adds, after the 2020 generation and without touching any 2020-dated row:

1. postings taking people on today (发布 in the last two months, closing in the coming
   months, 招聘中 with openings left) from the demo's own employers: local ones in every
   township, a few 爱心岗位, a few from the recognised workshops, a few 鲁渝劳务协作 ones in
   Shandong. They belong to no recruitment event, so the 2020 event figures do not see them;
2. needs (就业需求) for laborers unemployed today who have none (the 2020 demo already gives
   every unemployed laborer needs; those states carry on to today and are not changed);
3. upkeep as a district keeps it: a monthly verification (核实) for most laborers within
   the last verification period (about one in eight left overdue, so the flags and the
   verification flow have work) and employment services dated this year for about three
   in four (so this year's service coverage is realistic);
4. a matching run for the district (fupin.matching, as the nightly job does);
5. the subsidies demo of 凤山街道 (fupin.subsidies.demo): claims of the current period
   drafted, approved, batched and paid.

Idempotent: postings are added only when the district has none open today, upkeep only
when the district has no verification in the period and no service this year, the matching
runs only when postings were added or the district has no recommendations, and the
subsidies demo skips the periods it already has. Deterministic: one random.Random seeded
from the demo seed; dates are offsets from today. Set-based: bulk_create plus one audit
entry.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum

from fupin.core import audit
from fupin.core.models import AuditLog
from fupin.employment import choices as c
from fupin.employment import models as m
from fupin.employment.demo import CQ_COUNTIES, JOB_TITLES, OUT_COUNTIES
from fupin.employment.selectors import laborers, with_state
from fupin.registry import choices as rc
from fupin.registry.demo import FENGSHAN, WULONG

SUBSIDY_POLICIES = ("one_off_employment", "transport", "welfare_post")
PARTNER_PROVINCE = "37"  # 山东 (鲁渝扶贫协作)

# Monthly pay (元) by trade: (lowest floor, highest floor, steps of 100 between floor and cap)
WAGES = {
    "C": (2800, 4200, (800, 1000, 1500)),
    "E": (4000, 5500, (1000, 1500, 2000)),
    "H": (2500, 3500, (500, 800, 1000)),
    "F": (2300, 3200, (500, 800)),
    "G": (3500, 5000, (1000, 1500, 2000)),
    "O": (2200, 3200, (500, 800)),
    "R": (2500, 3500, (500, 1000)),
}
PHYSICAL = {
    "C": ((c.PhysicalDemand.LIGHT, 5), (c.PhysicalDemand.MEDIUM, 4)),
    "E": ((c.PhysicalDemand.MEDIUM, 3), (c.PhysicalDemand.HEAVY, 5)),
    "G": ((c.PhysicalDemand.MEDIUM, 5), (c.PhysicalDemand.HEAVY, 2)),
    "H": ((c.PhysicalDemand.LIGHT, 4), (c.PhysicalDemand.MEDIUM, 3)),
}
SKILLS = {
    "C": ("能适应两班倒", "视力良好，手脚灵活", "有电子厂工作经验优先", "计件工资，多劳多得"),
    "E": ("有相关工种经验", "持建筑施工特种作业证优先", "吃苦耐劳，服从安排"),
    "H": ("有健康证", "会做川菜优先", "态度热情，普通话基本流利"),
    "F": ("会使用收银系统优先", "会简单电脑操作"),
    "G": ("持C1及以上驾驶证", "持A2驾驶证，三年以上驾龄", "会使用智能手机"),
    "O": ("有健康证", "持育婴员证优先", "身体健康，责任心强"),
    "R": ("熟悉武隆旅游景点", "普通话流利，会简单英语优先"),
}
CARING_TITLES = ("保洁员", "门卫", "包装工", "绿化养护员", "停车场管理员")
WORKSHOP_TITLES = ("车间操作工", "手工编织工", "缝纫工", "包装工", "组装工")
EDUCATION = (("", 60), ("初中", 30), ("高中", 10))


def _pick(rng: random.Random, pairs: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _money(value: int) -> Decimal:
    return Decimal(value)


class CurrentPlan:
    """The rows of the current layer as plain dicts (like fupin.employment.demo's plan)."""

    def __init__(self, rng: random.Random, today: datetime.date) -> None:
        self.rng = rng
        self.today = today

    def dates(self, longest: int = 150) -> dict[str, datetime.date]:
        rng = self.rng
        return {
            "valid_from": self.today - datetime.timedelta(days=rng.randint(1, 60)),
            "valid_to": self.today + datetime.timedelta(days=rng.randint(25, longest)),
        }

    def filled(self, openings: int) -> int:
        return self.rng.randint(0, openings // 3)  # always openings left

    def local(self, employer: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        trade = employer["trade"]
        low, high, widths = WAGES.get(trade, (2300, 3500, (500, 1000)))
        wage = rng.randrange(low, high + 1, 100)
        openings = rng.choice((1, 2, 2, 3, 3, 5, 5, 8, 10, 15, 20))
        return {
            "employer_id": employer["id"],
            "title": rng.choice(JOB_TITLES.get(trade, ("普工",))),
            "trade": trade,
            "openings": openings,
            "filled": self.filled(openings),
            "wage_min": _money(wage),
            "wage_max": _money(wage + rng.choice(widths)),
            "region_id": employer["region_id"],
            "age_min": rng.choice((16, 18, 18, 18, 20)),
            "age_max": rng.choice((45, 50, 50, 55, 55, 60)),
            "education_min": "初中" if trade == "G" else _pick(rng, EDUCATION),
            "skills": rng.choice(SKILLS.get(trade, ("",))),
            "physical_demand": _pick(rng, PHYSICAL.get(trade, ((c.PhysicalDemand.LIGHT, 1),))),
            "source": c.JobSource.LOCAL,
            "caring_post": False,
            "status": c.JobStatus.OPEN,
            **self.dates(),
        }

    def caring(self, employer: dict[str, Any]) -> dict[str, Any]:
        """爱心岗位: light work near home for the hardest to place (older, disabled)."""
        rng = self.rng
        row = self.local(employer)
        wage = rng.randrange(1800, 2601, 100)
        openings = rng.choice((1, 2, 3, 4))
        row.update(
            title=rng.choice(CARING_TITLES),
            openings=openings,
            filled=self.filled(openings),
            wage_min=_money(wage),
            wage_max=_money(wage + 400),
            age_min=18,
            age_max=rng.choice((60, 65)),
            education_min="",
            skills="优先安置就业困难人员（含残疾人），工作时间灵活",
            physical_demand=c.PhysicalDemand.LIGHT,
            caring_post=True,
        )
        return row

    def workshop(self, workshop: dict[str, Any]) -> dict[str, Any]:
        """扶贫车间 postings: piecework in the village, light, open to older people."""
        rng = self.rng
        wage = rng.randrange(1800, 2801, 100)
        openings = rng.choice((5, 8, 10, 12, 15, 20))
        return {
            "employer_id": workshop["employer_id"],
            "title": rng.choice(WORKSHOP_TITLES),
            "trade": workshop["employer__trade"],
            "openings": openings,
            "filled": self.filled(openings),
            "wage_min": _money(wage),
            "wage_max": _money(wage + rng.choice((800, 1000, 1200))),
            "region_id": workshop["region_id"],
            "age_min": 18,
            "age_max": 60,
            "education_min": "",
            "skills": "计件工资，可就近照顾家庭，上岗前免费培训",
            "physical_demand": c.PhysicalDemand.LIGHT,
            "source": c.JobSource.WORKSHOP,
            "caring_post": False,
            "status": c.JobStatus.OPEN,
            **self.dates(),
        }

    def partner(self, employer: dict[str, Any]) -> dict[str, Any]:
        """鲁渝劳务协作: Shandong employers, better pay, board and travel paid."""
        rng = self.rng
        trade = employer["trade"]
        wage = rng.randrange(4500, 6001, 100)
        openings = rng.choice((10, 20, 30, 40, 50))
        return {
            "employer_id": employer["id"],
            "title": rng.choice(JOB_TITLES.get(trade, ("普工",))),
            "trade": trade,
            "openings": openings,
            "filled": self.filled(openings),
            "wage_min": _money(wage),
            "wage_max": _money(wage + rng.choice((1000, 1500, 2000))),
            "region_id": employer["region_id"],
            "age_min": 18,
            "age_max": rng.choice((45, 50)),
            "education_min": _pick(rng, (("", 50), ("初中", 50))),
            "skills": "鲁渝劳务协作岗位，包食宿，报销往返路费，统一组织乘车",
            "physical_demand": _pick(rng, PHYSICAL.get(trade, ((c.PhysicalDemand.MEDIUM, 1),))),
            "source": c.JobSource.PARTNER,
            "caring_post": False,
            "status": c.JobStatus.OPEN,
            **self.dates(longest=120),
        }

    def needs(self, person: dict[str, Any]) -> dict[str, Any]:
        """Needs of a laborer unemployed today (as the 2020 demo draws them)."""
        rng = self.rng
        trade = _pick(rng, (("C", 30), ("E", 20), ("H", 15), ("O", 15), ("G", 10), ("N", 10)))
        age = self.today.year - person["birth_date"].year
        near = (person["sex"] == rc.Sex.FEMALE and rng.random() < 0.5) or age >= 50
        tier = (
            c.LocationTier.IN_COUNTY
            if near
            else _pick(
                rng,
                (
                    (c.LocationTier.IN_COUNTY, 40),
                    (c.LocationTier.IN_PROVINCE, 35),
                    (c.LocationTier.OUT_OF_PROVINCE, 25),
                ),
            )
        )
        region = {
            c.LocationTier.IN_PROVINCE: _pick(rng, CQ_COUNTIES),
            c.LocationTier.OUT_OF_PROVINCE: _pick(rng, OUT_COUNTIES),
        }.get(tier, WULONG)
        return {
            "person_id": person["id"],
            "wished_trade": trade,
            "wished_job": rng.choice(JOB_TITLES.get(trade, ("保洁员", "护林员"))),
            "wished_tier": tier,
            "wished_region_id": region,
            "expected_wage": _money(rng.randrange(2500, 5001, 100)),
            "training_wish": rng.choice(("", "", "电工", "焊工", "育婴员", "中式烹调师")),
            "service_needs": sorted(rng.sample(c.ServiceNeed.values, rng.randint(1, 3))),
            "near_home": near,
        }


def open_today(district: str, today: datetime.date) -> Any:
    """Postings of the district and partner regions taking people on `today`, as the
    matching sees them (fupin.matching.data.open_postings for a viewer of the district)."""
    from fupin.matching.data import RegionViewer, open_postings

    return open_postings(RegionViewer(district), today)


def plan_postings(rng: random.Random, today: datetime.date, district: str) -> list[dict]:
    plan = CurrentPlan(rng, today)
    employers = list(
        m.Employer.objects.order_by("region_id", "credit_code").values("id", "region_id", "trade")
    )
    by_township: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in employers:
        if e["region_id"].startswith(district) and len(e["region_id"]) == 9:
            by_township[e["region_id"]].append(e)
    rows = []
    for township in sorted(by_township):
        for _ in range(rng.choice((2, 3, 3, 4))):
            rows.append(plan.local(rng.choice(by_township[township])))
    # A few 爱心岗位 in different townships.
    towns = sorted(by_township)
    for township in rng.sample(towns, min(len(towns), 6)):
        rows.append(plan.caring(rng.choice(by_township[township])))
    workshops = list(
        m.Workshop.objects.filter(
            region__code__startswith=district, revoked_on__isnull=True, recognized_on__lte=today
        )
        .order_by("region_id", "name")
        .values("employer_id", "employer__trade", "region_id")
    )
    for ws in rng.sample(workshops, min(len(workshops), 5)):
        rows.append(plan.workshop(ws))
    partners = [e for e in employers if e["region_id"].startswith(PARTNER_PROVINCE)]
    if not partners:  # a partner elsewhere out of the province (small demos)
        partners = [e for e in employers if not e["region_id"].startswith(district[:2])]
    for _ in range(min(len(partners) * 2, 8)):
        rows.append(plan.partner(rng.choice(partners)))
    return rows


def seeking_today(district: str) -> Any:
    """Laborers of the district whose state today is 未就业 (they want work)."""
    return with_state(laborers().in_region(district), None).filter(status=c.Status.UNEMPLOYED)


def build_current(
    seed: int = 2020,
    district: str = WULONG,
    subsidies_region: str = FENGSHAN,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """Add the current layer (see the module docstring); returns counts per part."""
    today = today or datetime.date.today()
    rng = random.Random(f"fupin-demo-current-{seed}")
    summary: dict[str, Any] = {"date": today.isoformat()}

    with transaction.atomic():
        created = 0
        if not open_today(district, today).exists():
            rows = plan_postings(rng, today, district)
            m.JobPosting.objects.bulk_create([m.JobPosting(**r) for r in rows], batch_size=500)
            created = len(rows)
        seeking = seeking_today(district)
        missing = list(
            seeking.filter(needs__isnull=True).order_by("id").values("id", "sex", "birth_date")
        )
        needs_rng = random.Random(f"fupin-demo-current-needs-{seed}")
        plan = CurrentPlan(needs_rng, today)
        m.Needs.objects.bulk_create([m.Needs(**plan.needs(p)) for p in missing], batch_size=500)
        if created or missing:
            audit.record(
                AuditLog.Action.CREATE,
                object_type="employment.jobposting",
                object_repr="演示数据（当前）",
                region_code=district,
                changes={
                    "seed": seed,
                    "date": today.isoformat(),
                    "postings": created,
                    "needs": len(missing),
                },
                message=f"生成武隆区当前演示数据（{today:%Y-%m-%d}）：{created} 个招聘中岗位，"
                f"补录 {len(missing)} 条就业需求（随机种子 {seed}）",
            )

    current = open_today(district, today)
    in_district = current.filter(region__code__startswith=district)
    left = current.aggregate(openings=Sum("openings"), filled=Sum("filled"))
    summary["postings"] = {
        "created": created,
        "open": current.count(),
        "openings_left": (left["openings"] or 0) - (left["filled"] or 0),
        "townships": len({code[:9] for code in in_district.values_list("region_id", flat=True)}),
        "caring": current.filter(caring_post=True).count(),
        "workshop": current.filter(source=c.JobSource.WORKSHOP).count(),
        "partner": current.filter(source=c.JobSource.PARTNER).count(),
    }
    summary["needs"] = {
        "seeking": seeking.count(),
        "with_needs": seeking.filter(needs__isnull=False).count(),
        "added": len(missing),
    }
    summary["upkeep"] = _upkeep(seed, district, today)
    summary["matching"] = _matching(district, created)
    summary["subsidies"] = _subsidies(subsidies_region)
    return summary


STAFF_NAMES = ("刘晓燕", "冉建华", "陈小兵", "向玲", "何明亮", "罗雪梅", "田勇", "谢春花")
SERVICE_WEIGHTS = (
    (c.ServiceType.POLICY, 40),
    (c.ServiceType.GUIDANCE, 25),
    (c.ServiceType.JOB_PUSH, 20),
    (c.ServiceType.REFERRAL, 10),
    (c.ServiceType.TRAINING, 5),
)
OVERDUE_SHARE = 0.12  # laborers left unverified in the period
UNSERVED_SHARE = 0.25  # laborers without a service this year


@transaction.atomic
def _upkeep(seed: int, district: str, today: datetime.date) -> dict[str, Any]:
    """Verifications in the last period and services this year (bulk, one audit entry)."""
    period = settings.FUPIN_VERIFY_EVERY_DAYS
    since = today - datetime.timedelta(days=period - 1)
    year_start = today.replace(month=1, day=1)
    verified = m.Verification.objects.in_region(district).filter(verified_on__gte=since)
    served = m.Service.objects.in_region(district).filter(date__gte=year_start, date__lte=today)
    people = laborers(today).in_region(district)
    if verified.exists() or served.exists():
        return {"skipped": True, "laborers": people.count(), "verified": verified.count(),
                "served": served.values("person").distinct().count()}  # fmt: skip
    rng = random.Random(f"fupin-demo-current-upkeep-{seed}")
    types, weights = zip(*SERVICE_WEIGHTS, strict=True)
    days_this_year = (today - year_start).days + 1
    checks, services = [], []
    for pk in people.order_by("id").values_list("id", flat=True).iterator(chunk_size=5000):
        if rng.random() >= OVERDUE_SHARE:
            day = today - datetime.timedelta(days=rng.randrange(min(period, 30)))
            checks.append(m.Verification(person_id=pk, verified_on=day))
        if rng.random() >= UNSERVED_SHARE:
            for _ in range(rng.choice((1, 1, 2, 3))):
                services.append(
                    m.Service(
                        person_id=pk,
                        service_type=rng.choices(types, weights)[0],
                        date=year_start + datetime.timedelta(days=rng.randrange(days_this_year)),
                        staff_name=rng.choice(STAFF_NAMES),
                    )
                )
    m.Verification.objects.bulk_create(checks, batch_size=2000)
    m.Service.objects.bulk_create(services, batch_size=2000)
    audit.record(
        AuditLog.Action.CREATE,
        object_type="employment.verification",
        object_repr="演示数据（当前）",
        region_code=district,
        changes={"seed": seed, "verifications": len(checks), "services": len(services)},
        message=f"生成武隆区当前演示数据：{len(checks)} 条核实记录、本年 {len(services)} "
        f"次就业服务（随机种子 {seed}）",
    )
    return {
        "skipped": False,
        "laborers": people.count(),
        "verified": len(checks),
        "services": len(services),
        "served": len({s.person_id for s in services}),
    }


def _matching(district: str, postings_created: int) -> dict[str, Any]:
    from fupin.matching.models import Recommendation
    from fupin.matching.services import run_matching

    stored = Recommendation.objects.in_region(district)
    if postings_created or not stored.exists():
        result = run_matching(acting_user=None, region_code=district)
        return {**result, "skipped": False}
    return {
        "laborers": stored.values("person").distinct().count(),
        "postings": stored.values("posting").distinct().count(),
        "recommendations": stored.count(),
        "skipped": True,
    }


def _subsidies(region_code: str) -> dict[str, Any]:
    from fupin.subsidies import rules
    from fupin.subsidies.demo import build_demo
    from fupin.subsidies.models import Application, Policy

    built = build_demo(region_code)
    policies = {p.code: p for p in Policy.objects.filter(code__in=SUBSIDY_POLICIES, active=True)}
    current = Q()
    for policy in policies.values():
        current |= Q(policy=policy, period=rules.period_key(policy))
    apps = Application.objects.in_region(region_code).filter(current) if policies else None
    by_status = dict(apps.values_list("status").annotate(n=Count("id"))) if apps else {}
    by_policy = dict(apps.values_list("policy__code").annotate(n=Count("id"))) if apps else {}
    paid = apps.filter(status="paid").aggregate(s=Sum("amount"))["s"] if apps else None
    return {
        "region": region_code,
        "created": sum(v.get("created", 0) for v in built.values() if isinstance(v, dict)),
        "claims": sum(by_status.values()),
        "by_policy": {code: by_policy.get(code, 0) for code in SUBSIDY_POLICIES},
        "paid": by_status.get("paid", 0),
        "failed": by_status.get("failed", 0),
        "paid_amount": int(paid or 0),
        "batch": built.get("batch", ""),
    }

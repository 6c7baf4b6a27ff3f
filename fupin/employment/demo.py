"""Employment demo data for Wulong (武隆区, 500156), calibrated to the published 2020 figures.

Reference date: 2020-12-31 (``REFERENCE_DATE``). Every figure is what the system itself
counts on that date — laborers are ``selectors.laborers(REFERENCE_DATE)``, states are the
EmploymentRecords valid on it — and with the default ``Figures`` it matches domain.md §9:

- 17,410 poor laborers in transferred employment (employed, form ≠ farming);
- 12 recognised workshops (not revoked) employing 101 poor laborers;
- 2,879 people on public-welfare posts (active placements, each with its employment state);
- ¥7,950,000 of guaranteed startup loans granted (status granted, all in 2020);
- 16 recruitment events in 2020 offering 9,236 posts ("9,000 余个"), with employers and
  postings behind them;
- 凤山街道 (500156001): 1,187 poor laborers (pinned by the registry generator), 241
  public-welfare posts developed in 2020 of which 184 held by its registered-poor laborers,
  114 adaptive-training enrollments, 8 laborers working in Shandong.

Everything else is drawn to look real: destinations in Wulong, the main city of Chongqing,
Guangdong, Zhejiang, Fujian and Shandong (the needed province/city/county rows are added
with their real codes), GB/T 4754 trades, wages, channels, contracts, history since 2018
(closed states carry valid_to), needs of the unemployed, services in 2019–2020, export
batches (the Jinan charter flight of 47), trainings and startups with loans.

How the figures are met exactly: the counts are parameters (``Figures``) and the people for
each measure are drawn by weighted sampling without replacement of exactly that many
(``_take``), so any feasible set of targets is hit — the tests run a reduced district with
small targets, ``benchmarks/demo_figures.py`` checks the full one. Deterministic: one
``random.Random(seed)`` and laborers read in (household number, ID number) order. Set-based:
the plan is plain dicts (``plan_employment``), written with bulk_create (``write_plan``).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from stdnum.cn import uscc

from fupin.core import audit
from fupin.core.models import AuditLog
from fupin.employment import choices as c
from fupin.employment import models as m
from fupin.employment.selectors import laborers, state_condition, transferred_condition
from fupin.regions.models import Region, level_of, parent_code
from fupin.registry import choices as rc
from fupin.registry.demo import (
    FENGSHAN,
    FENGSHAN_LABORERS,
    REFERENCE_DATE,
    WULONG,
    allocate,
    insert_rows,
)

BAIMA, TONGZI = "500156101", "500156109"  # 白马镇 (民康 workshop), 桐梓镇 (Jinan flight)
SYSTEM_START = datetime.date(2018, 1, 1)  # the first survey of laborers; history starts here
BATCH = 500

# Regions outside Chongqing that the demo needs (real NBS codes and names).
EXTRA_REGIONS = [
    ("33", "浙江省"),
    ("3301", "杭州市"),
    ("330110", "余杭区"),
    ("3302", "宁波市"),
    ("330212", "鄞州区"),
    ("3307", "金华市"),
    ("330782", "义乌市"),
    ("35", "福建省"),
    ("3501", "福州市"),
    ("350104", "仓山区"),
    ("3505", "泉州市"),
    ("350582", "晋江市"),
    ("37", "山东省"),
    ("3701", "济南市"),
    ("370102", "历下区"),
    ("370105", "天桥区"),
    ("370112", "历城区"),
    ("44", "广东省"),
    ("4401", "广州市"),
    ("440113", "番禺区"),
    ("4403", "深圳市"),
    ("440306", "宝安区"),
    ("440307", "龙岗区"),
]
# Chongqing outside Wulong (市内区外): the main city first, then neighbours.
CQ_COUNTIES = (
    ("500106", 18),  # 沙坪坝区 (西永 electronics)
    ("500112", 18),  # 渝北区
    ("500107", 14),  # 九龙坡区
    ("500108", 10),  # 南岸区
    ("500105", 10),  # 江北区
    ("500103", 6),  # 渝中区
    ("500113", 8),  # 巴南区
    ("500102", 10),  # 涪陵区
    ("500119", 6),  # 南川区
)
OUT_COUNTIES = (
    ("440306", 16),
    ("440307", 9),
    ("440113", 9),
    ("330782", 11),
    ("330212", 7),
    ("330110", 5),
    ("350582", 9),
    ("350104", 4),
    ("370112", 3),
    ("370102", 2),
    ("370105", 2),
)
CITY_PREFIX = {
    "440306": "深圳",
    "440307": "深圳",
    "440113": "广州",
    "330782": "义乌",
    "330212": "宁波",
    "330110": "杭州",
    "350582": "晋江",
    "350104": "福州",
    "370112": "济南",
    "370102": "济南",
    "370105": "济南",
}
BRANDS = (
    "鑫达 宏远 华美 恒通 永盛 金科 嘉禾 瑞丰 新锐 聚源 天成 博远 联创 润泽 盛世 众诚 佳和 远航 "
    "立信 腾飞 华泰 亿丰 美尔 康达 富源 祥和 昌盛 利民 兴旺 德润 锦程 汇通 明珠 长青 安泰 精工 "
    "云帆 宏图 凯旋 同心 乐家 民丰 顺发 金鼎 海纳 山水 仙峰 乌江 芙蓉 天坑 荣昌 创维 诚信 万通"
).split()
TRADE_WORDS = {
    "C": ("电子科技", "电器", "服装", "鞋业", "食品", "机械制造", "塑胶制品", "家具", "光电"),
    "E": ("建筑工程", "建设工程", "装饰工程"),
    "H": ("餐饮管理", "酒店管理"),
    "F": ("商贸", "超市"),
    "G": ("物流", "运输"),
    "O": ("家政服务", "物业管理"),
    "R": ("旅游开发",),
}
TRADE_MIX = {
    "wulong": (("C", 20), ("E", 20), ("H", 25), ("F", 15), ("G", 8), ("O", 8), ("R", 4)),
    "cq": (("C", 35), ("E", 20), ("H", 10), ("F", 10), ("G", 12), ("O", 13)),
    "out": (("C", 60), ("E", 12), ("H", 8), ("G", 8), ("O", 8), ("F", 4)),
}
JOB_TITLES = {
    "C": ("普工", "操作工", "装配工", "质检员", "包装工", "缝纫工"),
    "E": ("钢筋工", "木工", "泥瓦工", "建筑小工"),
    "H": ("服务员", "厨师", "洗碗工", "客房服务员"),
    "F": ("营业员", "理货员", "收银员"),
    "G": ("货车司机", "快递员", "分拣员", "装卸工"),
    "O": ("保洁员", "保安", "家政服务员", "育婴员"),
    "R": ("景区服务员", "讲解员"),
}
FLEXIBLE_TRADES = (("E", 40), ("G", 20), ("O", 25), ("H", 15))
STARTUPS = (
    ("H", "冒菜馆"),
    ("H", "农家乐"),
    ("H", "面馆"),
    ("F", "便利店"),
    ("F", "农资店"),
    ("O", "理发店"),
    ("O", "家电维修部"),
    ("A", "生态养殖场"),
    ("A", "中药材种植专业合作社"),
    ("G", "货运部"),
    ("C", "竹编加工坊"),
)
WORKSHOP_PRODUCTS = ("电器配件", "服装加工", "竹编", "食品加工", "电子元件", "鞋帽加工", "手工艺品")
POST_TYPES = (
    (c.PostType.CLEANING, "保洁员", 30),
    (c.PostType.ROAD_CARE, "道路养护员", 20),
    (c.PostType.FOREST_RANGER, "生态护林员", 20),
    (c.PostType.SECURITY, "治安巡逻员", 8),
    (c.PostType.WATER, "水利设施管护员", 8),
    (c.PostType.SOCIAL_SECURITY, "社保协理员", 6),
    (c.PostType.ELDER_CARE, "养老服务员", 8),
)
POST_TRADE = {"social_security": "S", "elder_care": "Q", "security": "S"}  # others: N
BANKS = (
    "重庆农村商业银行武隆支行",
    "中国邮政储蓄银行武隆区支行",
    "中国建设银行武隆支行",
    "重庆三峡银行武隆支行",
)
PROVIDER = "武隆区就业和人才服务局"
SKILL_CLASSES = (
    ("育婴员（月嫂）培训班", "育婴员", "育婴员证"),
    ("电工培训班", "电工", "电工证"),
    ("中式烹调师培训班", "中式烹调师", "中式烹调师证"),
    ("焊工培训班", "焊工", "焊工证"),
    ("家政服务员培训班", "家政服务员", "家政服务员证"),
    ("挖掘机驾驶员培训班", "挖掘机驾驶员", "挖掘机驾驶证"),
    ("乡村旅游服务培训班", "餐厅服务员", ""),
)
EVENTS = (
    # (name, mode, month, day, where: "" = district, weight of posts)
    ("2020年春风行动线上招聘会（第一场）", "online", 2, 12, "", 12),
    ("2020年春风行动线上招聘会（第二场）", "online", 2, 26, "", 10),
    ("鲁渝劳务协作线上专场招聘会", "online", 3, 6, "", 8),
    ("就业扶贫专场网络招聘会", "online", 3, 20, "", 7),
    ("重点电子企业线上招聘会", "online", 4, 10, "", 6),
    ("2020年就业扶贫援助月现场招聘会", "onsite", 5, 15, "", 8),
    ("白马镇就业扶贫专场招聘会", "onsite", 5, 28, BAIMA, 4),
    ("仙女山街道旅游服务业招聘会", "onsite", 6, 12, "500156003", 5),
    ("民营企业招聘月现场招聘会", "onsite", 6, 24, "", 7),
    ("桐梓镇贫困劳动力专场招聘会", "onsite", 7, 10, TONGZI, 3),
    ("江口镇就业扶贫专场招聘会", "onsite", 7, 24, "500156102", 3),
    ("鲁渝劳务协作现场招聘会", "onsite", 8, 20, "", 6),
    ("羊角街道就近就业招聘会", "onsite", 9, 10, "500156004", 3),
    ("金秋招聘月现场招聘会", "onsite", 9, 25, "", 7),
    ("2020年扶贫车间专场招聘会", "onsite", 10, 22, "", 3),
    ("2020年冬季就业扶贫招聘会", "onsite", 12, 3, "", 6),
)
EXPORTS = (
    # (departure, mode, destination county, poor laborers, other workers)
    (datetime.date(2020, 2, 24), c.ExportMode.BUS, "440306", 38, 6),
    (datetime.date(2020, 3, 2), c.ExportMode.BUS, "330782", 32, 4),
    (datetime.date(2020, 3, 5), c.ExportMode.TRAIN, "350582", 25, 3),
    (datetime.date(2020, 3, 12), c.ExportMode.FLIGHT, "370112", 47, 0),  # 重庆—济南扶贫专机
    (datetime.date(2020, 3, 20), c.ExportMode.BUS, "500106", 30, 5),
    (datetime.date(2020, 4, 8), c.ExportMode.BUS, "440113", 22, 2),
    (datetime.date(2020, 6, 16), c.ExportMode.TRAIN, "330212", 18, 2),
    (datetime.date(2020, 9, 10), c.ExportMode.BUS, "500112", 20, 3),
)


@dataclasses.dataclass(frozen=True)
class Figures:
    """The counts the demo meets exactly on REFERENCE_DATE (defaults: published 2020)."""

    transferred: int = 17_410
    workshops: int = 12
    workshop_laborers: int = 101
    public_welfare: int = 2_879
    loans_total: int = 7_950_000  # yuan, a multiple of 10,000
    events: int = 16
    posts_offered: int = 9_236  # "9,000 余个"
    fengshan_laborers: int = FENGSHAN_LABORERS
    fengshan_posts: int = 241
    fengshan_placed: int = 184
    fengshan_adaptive: int = 114
    fengshan_shandong: int = 8
    scale: float = 1.0  # of everything not pinned above (batches, classes, startups …)

    @classmethod
    def for_households(cls, households: int, full: int = 18_000) -> Figures:
        """The published figures for the full district, scaled down for a smaller one."""
        if households >= full:
            return cls()
        f = households / full

        def n(x: int, low: int = 0) -> int:
            return max(low, round(x * f))

        return cls(
            transferred=n(17_410, 1),
            workshops=12,
            workshop_laborers=n(101, 1),
            public_welfare=n(2_879, 1),
            loans_total=max(50_000, round(7_950_000 * f, -4)),
            events=16,
            posts_offered=n(9_236, 16),
            fengshan_laborers=n(FENGSHAN_LABORERS, 1),
            fengshan_posts=n(241, 1),
            fengshan_placed=n(184),
            fengshan_adaptive=n(114),
            fengshan_shandong=n(8),
            scale=f,
        )


@dataclasses.dataclass
class Laborer:
    id: int
    village: str
    birth: datetime.date
    sex: str
    education: str
    health: str
    labor: str

    @property
    def township(self) -> str:
        return self.village[:9]

    @property
    def age(self) -> int:
        return REFERENCE_DATE.year - self.birth.year

    @property
    def sixteen(self) -> datetime.date:
        return datetime.date(self.birth.year + 16, self.birth.month, min(self.birth.day, 28))


def load_laborers(district: str = WULONG) -> list[Laborer]:
    """The district's poor laborers on REFERENCE_DATE, in a stable order."""
    rows = (
        laborers(REFERENCE_DATE)
        .filter(household__village__code__startswith=district)
        .order_by("household__number", "id_number")
        .values_list(
            "id",
            "household__village_id",
            "birth_date",
            "sex",
            "education",
            "health",
            "labor_ability",
        )
    )
    return [Laborer(*row) for row in rows]


def ensure_regions() -> int:
    """Add the province/city/county rows of EXTRA_REGIONS that are missing."""
    have = set(
        Region.objects.filter(code__in=[c for c, _ in EXTRA_REGIONS]).values_list("code", flat=True)
    )
    new = [
        Region(code=code, name=name, level=level_of(code), parent_id=parent_code(code))
        for code, name in EXTRA_REGIONS
        if code not in have
    ]
    for level in (1, 2, 3):  # parents first
        Region.objects.bulk_create([r for r in new if r.level == level])
    return len(new)


def org_code_check(digits: str) -> str:
    """GB 11714 organisation code check character for 8 digits."""
    total = sum(int(d) * w for d, w in zip(digits, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, area: str, used: set[str]) -> str:
    """A valid 18-character unified social credit code (91 = enterprise, area = county)."""
    while True:
        digits = f"{rng.randrange(10**8):08d}"
        body = f"91{area}{digits}{org_code_check(digits)}"
        code = body + uscc.calc_check_digit(body)
        if code not in used:
            used.add(code)
            return code


def _date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    if end <= start:
        return start
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def _take(
    rng: random.Random, pool: Sequence[int], k: int, weight: Callable[[int], float]
) -> list[int]:
    """Exactly k of `pool` (fewer only if the pool is smaller), weighted, without
    replacement (Efraimidis–Spirakis keys), returned in pool order."""
    if k <= 0:
        return []
    keyed = ((rng.random() ** (1.0 / weight(i)), i) for i in pool)
    return sorted(i for _, i in heapq.nlargest(k, keyed))


@functools.lru_cache(maxsize=256)
def _table(pairs: tuple[tuple[Any, float], ...]) -> tuple[list[Any], list[float]]:
    return [v for v, _ in pairs], list(itertools.accumulate(w for _, w in pairs))


def _pick(rng: random.Random, pairs: tuple[tuple[Any, float], ...]) -> Any:
    values, cum = _table(pairs)
    return rng.choices(values, cum_weights=cum)[0]


def _money(x: float, step: int = 100) -> Decimal:
    return Decimal(int(round(x / step)) * step)


class _Planner:
    """Builds the plan: lists of field dicts; references to other planned rows are indexes
    (``employer``, ``workshop``, ``post``, ``placement``, ``startup``, ``batch`` …)."""

    def __init__(self, people: list[Laborer], figures: Figures, seed: int) -> None:
        self.rng = random.Random(seed)
        self.people = people
        self.f = figures
        self.plan: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.state: dict[int, dict[str, Any]] = {}  # laborer index -> current state
        self.used_codes: set[str] = set(m.Employer.objects.values_list("credit_code", flat=True))
        self.used_names: set[str] = set()
        self.townships = sorted({p.township for p in people})
        self.villages: dict[str, list[str]] = defaultdict(list)
        for v in sorted({p.village for p in people}):
            self.villages[v[:9]].append(v)
        self.by_township: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(people):
            self.by_township[p.township].append(i)
        self.employers_at: dict[str, list[int]] = defaultdict(list)  # area -> employer idx
        self.not_fengshan = [i for i, p in enumerate(people) if p.township != FENGSHAN]
        self.transfer_weights = [self._transfer_weight(p) for p in people]

    # ---- helpers --------------------------------------------------------------------

    def free(self, pool: Sequence[int]) -> list[int]:
        return [i for i in pool if i not in self.state]

    def fengshan(self) -> list[int]:
        return self.by_township.get(FENGSHAN, [])

    def others(self) -> list[int]:
        return self.not_fengshan

    def n(self, x: float, low: int = 1) -> int:
        return max(low, round(x * self.f.scale))

    def employer(self, area: str, region: str, trade: str | None = None) -> int:
        """A new employer in `area` (county code, or a Wulong township) and its index."""
        rng = self.rng
        mix = "wulong" if area.startswith(WULONG) else "cq" if area.startswith("50") else "out"
        trade = trade or _pick(rng, TRADE_MIX[mix])
        prefix = "重庆" if area.startswith("50") else CITY_PREFIX[area]
        while True:
            name = f"{prefix}{rng.choice(BRANDS)}{rng.choice(TRADE_WORDS[trade])}有限公司"
            if name not in self.used_names:
                break
            prefix += rng.choice(BRANDS)[0]  # 重庆鑫 … : a longer trade name
        self.used_names.add(name)
        index = len(self.plan["employers"])
        self.plan["employers"].append(
            {
                "credit_code": credit_code(rng, area[:6], self.used_codes),
                "name": name,
                "region_id": region,
                "trade": trade,
                "contact_name": "",
                "contact_phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            }
        )
        self.employers_at[area].append(index)
        return index

    def employer_in(self, area: str, trade: str | None = None) -> int:
        """An employer in `area`, creating a few per area as they are needed."""
        have = self.employers_at.get(area, [])
        if trade:
            have = [e for e in have if self.plan["employers"][e]["trade"] == trade]
        if len(have) < 6 or self.rng.random() < 0.02:
            return self.employer(area, area, trade)
        return self.rng.choice(have)

    def set_state(self, i: int, **fields: Any) -> None:
        self.state[i] = fields

    # ---- measures -------------------------------------------------------------------

    def public_welfare(self) -> None:
        rng, f = self.rng, self.f

        def weight(i: int) -> float:
            p = self.people[i]
            w = 3.0 if p.age >= 45 else 1.5 if p.age >= 35 else 0.5
            w *= 2.0 if p.labor == rc.LaborAbility.WEAK else 1.0
            return w * (1.5 if p.health != rc.Health.HEALTHY else 1.0)

        fengshan = _take(rng, self.free(self.fengshan()), f.fengshan_placed, weight)
        others = _take(rng, self.free(self.others()), f.public_welfare - len(fengshan), weight)
        # Posts: 凤山街道 developed fengshan_posts in 2020 (the rest vacant); elsewhere a
        # post per holder plus a few vacant ones.
        for township in self.townships:
            holders = [
                i
                for i in (fengshan if township == FENGSHAN else others)
                if self.people[i].township == township
            ]
            if township == FENGSHAN:
                posts = max(f.fengshan_posts, len(holders))
            else:
                posts = len(holders) + round(len(holders) * 0.04)
            for k in range(posts):
                holder = holders[k] if k < len(holders) else None
                village = (
                    self.people[holder].village
                    if holder is not None
                    else rng.choice(self.villages[township])
                )
                kind, title, _ = _pick(rng, tuple(((t, n, w), w) for t, n, w in POST_TYPES))
                full = rng.random() < 0.7
                developed = (
                    _date(rng, datetime.date(2020, 1, 6), datetime.date(2020, 11, 20))
                    if township == FENGSHAN
                    else _date(rng, datetime.date(2017, 3, 1), datetime.date(2020, 10, 31))
                )
                post = len(self.plan["posts"])
                self.plan["posts"].append(
                    {
                        "title": title,
                        "post_type": kind,
                        "unit": f"{self._township_name(township)}人民政府"
                        if township[6] != "0"
                        else f"{self._township_name(township)}办事处",
                        "region_id": village,
                        "full_time": full,
                        "monthly_pay": Decimal(rng.choice((1800, 2000, 2200, 2500, 3000)))
                        if full
                        else Decimal(792),
                        "funding": _pick(
                            rng,
                            (
                                (c.Funding.CENTRAL, 40),
                                (c.Funding.MUNICIPAL, 25),
                                (c.Funding.DISTRICT, 25),
                                (c.Funding.PARTNER, 10),
                            ),
                        ),
                        "developed_on": developed,
                    }
                )
                if holder is None:
                    continue
                p = self.people[holder]
                start = max(
                    _date(
                        rng, developed, min(developed + datetime.timedelta(days=40), REFERENCE_DATE)
                    ),
                    p.sixteen,
                )
                placement = len(self.plan["placements"])
                self.plan["placements"].append(
                    {"post": post, "person_id": p.id, "start": start, "end": None, "end_reason": ""}
                )
                d = self.plan["posts"][post]
                self.set_state(
                    holder,
                    status=c.Status.EMPLOYED,
                    form=c.Form.PUBLIC_WELFARE,
                    location_tier=c.LocationTier.IN_TOWNSHIP,
                    destination_id=village,
                    employer_name=d["unit"],
                    placement=placement,
                    trade=POST_TRADE.get(kind, "N"),
                    start_date=start,
                    monthly_income=d["monthly_pay"],
                    channel=c.Channel.GOVERNMENT,
                    has_contract=True,
                    has_social_insurance=full,
                )

    def _township_name(self, code: str) -> str:
        return self.township_names.get(code, "")

    def workshops(self) -> None:
        rng, f = self.rng, self.f
        candidates = [t for t in self.townships if t not in (FENGSHAN, BAIMA)]
        chosen = ([BAIMA] if BAIMA in self.townships else []) + rng.sample(
            candidates, min(len(candidates), f.workshops - (BAIMA in self.townships))
        )
        capacities = [rng.randint(12, 45) for _ in chosen]
        counts = allocate([float(x) for x in capacities], f.workshop_laborers)

        def weight(i: int) -> float:
            p = self.people[i]
            w = 3.0 if p.sex == rc.Sex.FEMALE else 1.0
            return w * (2.0 if 30 <= p.age <= 55 else 1.0)

        for k, (township, capacity, count) in enumerate(
            zip(chosen, capacities, counts, strict=True)
        ):
            villages = [v for v in self.villages[township] if v[9] != "0"] or self.villages[
                township
            ]
            village = rng.choice(villages)
            product = WORKSHOP_PRODUCTS[k % len(WORKSHOP_PRODUCTS)]
            employer = self.employer(township, township, "C")
            recognized = _date(rng, datetime.date(2017, 4, 1), datetime.date(2020, 6, 30))
            index = len(self.plan["workshops"])
            self.plan["workshops"].append(
                {
                    "name": f"{self._township_name(township)}{self.village_names[village]}"
                    f"{product}扶贫车间",
                    "employer": employer,
                    "region_id": village,
                    "recognized_on": recognized,
                    "document_number": f"武隆人社发〔{recognized.year}〕{rng.randint(20, 160)}号",
                    "capacity": max(capacity, count),
                }
            )
            local = _take(rng, self.free(self.by_township[township]), count, weight)
            if len(local) < count:  # a small township: neighbours come by bus
                local += _take(rng, self.free(self.others()), count - len(local), weight)
            ename = self.plan["employers"][employer]["name"]
            for i in local:
                p = self.people[i]
                start = max(_date(rng, recognized, datetime.date(2020, 11, 30)), p.sixteen)
                self.set_state(
                    i,
                    status=c.Status.EMPLOYED,
                    form=c.Form.WORKSHOP,
                    location_tier=c.LocationTier.IN_TOWNSHIP
                    if p.township == township
                    else c.LocationTier.IN_COUNTY,
                    destination_id=village,
                    employer=employer,
                    employer_name=ename,
                    workshop=index,
                    trade="C",
                    start_date=start,
                    monthly_income=_money(rng.triangular(1600, 2800, 2100)),
                    channel=c.Channel.GOVERNMENT,
                    has_contract=rng.random() < 0.6,
                    has_social_insurance=rng.random() < 0.4,
                )
        # One workshop recognised in 2018 and revoked in 2020: no current workers.
        township = rng.choice(candidates) if candidates else FENGSHAN
        village = rng.choice(self.villages[township])
        self.plan["workshops"].append(
            {
                "name": f"{self._township_name(township)}{self.village_names[village]}"
                "竹木加工扶贫车间",
                "employer": self.employer(township, township, "C"),
                "region_id": village,
                "recognized_on": datetime.date(2018, 5, 18),
                "document_number": "武隆人社发〔2018〕57号",
                "capacity": 15,
                "revoked_on": datetime.date(2020, 4, 30),
                "revocation_reason": "受疫情影响停产，不再具备扶贫车间条件",
            }
        )

    def startups(self) -> None:
        rng, f = self.rng, self.f
        units = f.loans_total // 10_000
        amounts: list[int] = []
        rest = units
        while rest > 25:
            a = rng.choice((5, 8, 10, 10, 15, 20, 20, 20))
            amounts.append(a)
            rest -= a
        if rest > 20:
            amounts += [rest - 10, 10]
        elif rest:
            amounts.append(rest)
        count = max(len(amounts) + self.n(60), round(f.transferred * 0.016))

        def weight(i: int) -> float:
            p = self.people[i]
            w = 2.0 if p.sex == rc.Sex.MALE else 1.0
            w *= 3.0 if 28 <= p.age <= 50 else 0.5
            w *= 2.0 if p.labor == rc.LaborAbility.SKILLED else 1.0
            return w * (2.0 if p.education in ("senior", "vocational", "college") else 1.0)

        pool = [i for i in self.free(self.others() + self.fengshan()) if self.people[i].age >= 20]
        chosen = _take(rng, sorted(pool), count, weight)
        rng.shuffle(chosen)
        for k, i in enumerate(chosen):
            p = self.people[i]
            trade, kind = rng.choice(STARTUPS)
            started = max(
                _date(rng, datetime.date(2014, 3, 1), datetime.date(2020, 9, 30)),
                p.sixteen + datetime.timedelta(days=730),
            )
            name = f"武隆区{self._township_name(p.township)[:2]}{rng.choice(BRANDS)}{kind}"
            index = len(self.plan["startups"])
            self.plan["startups"].append(
                {
                    "person_id": p.id,
                    "business_name": name,
                    "started_on": started,
                    "trade": trade,
                    "jobs_created": rng.choice((0, 1, 1, 2, 2, 3, 4, 6, 8)),
                }
            )
            if k < len(amounts):
                granted = max(
                    _date(rng, datetime.date(2020, 2, 10), datetime.date(2020, 11, 30)), started
                )
                self.plan["loans"].append(
                    {
                        "startup": index,
                        "bank": rng.choice(BANKS),
                        "amount": Decimal(amounts[k] * 10_000),
                        "granted_on": granted,
                        "term_months": rng.choice((24, 36)),
                        "interest_free": True,
                        "status": c.LoanStatus.GRANTED,
                    }
                )
                if started.year <= 2017 and rng.random() < 0.5:  # an earlier loan, repaid
                    self.plan["loans"].append(
                        {
                            "startup": index,
                            "bank": rng.choice(BANKS),
                            "amount": Decimal(rng.choice((50_000, 100_000, 150_000))),
                            "granted_on": started + datetime.timedelta(days=rng.randint(5, 60)),
                            "term_months": 24,
                            "interest_free": False,
                            "status": c.LoanStatus.REPAID,
                        }
                    )
            elif k < len(amounts) + self.n(10):  # applied, not yet granted
                self.plan["loans"].append(
                    {
                        "startup": index,
                        "bank": rng.choice(BANKS),
                        "amount": Decimal(rng.choice((50_000, 100_000, 200_000))),
                        "granted_on": None,
                        "term_months": 36,
                        "interest_free": True,
                        "status": c.LoanStatus.APPLIED,
                    }
                )
            self.set_state(
                i,
                status=c.Status.EMPLOYED,
                form=c.Form.STARTUP,
                location_tier=c.LocationTier.IN_TOWNSHIP,
                destination_id=p.village[:9],
                employer_name=name,
                startup=index,
                trade=trade,
                start_date=started,
                monthly_income=_money(rng.triangular(2500, 9000, 4000)),
                channel=c.Channel.SELF,
                has_contract=False,
                has_social_insurance=rng.random() < 0.3,
            )

    def company(
        self,
        i: int,
        tier: str,
        area: str,
        channel: str | None = None,
        employer: int | None = None,
        batch: int | None = None,
        start: datetime.date | None = None,
    ) -> None:
        rng, p = self.rng, self.people[i]
        if employer is None:
            employer = self.employer_in(area)
        e = self.plan["employers"][employer]
        base = {
            c.LocationTier.IN_TOWNSHIP: 2600,
            c.LocationTier.IN_COUNTY: 2900,
            c.LocationTier.IN_PROVINCE: 3800,
            c.LocationTier.OUT_OF_PROVINCE: 4500,
        }[tier]
        if channel is None:
            channel = _pick(
                rng,
                (
                    (c.Channel.SELF, 50),
                    (c.Channel.ENTERPRISE, 28),
                    (c.Channel.GOVERNMENT, 18),
                    (c.Channel.COOPERATION, 6 if area[:2] == "37" else 0),
                ),
            )
        start = start or max(
            _date(rng, datetime.date(2012, 3, 1), datetime.date(2020, 11, 30)), p.sixteen
        )
        self.set_state(
            i,
            status=c.Status.EMPLOYED,
            form=c.Form.COMPANY,
            location_tier=tier,
            destination_id=area,
            employer=employer,
            employer_name=e["name"],
            batch=batch,
            trade=e["trade"],
            start_date=start,
            monthly_income=_money(
                min(6000, max(2500, rng.triangular(base - 1200, base + 1700, base)))
            ),
            channel=channel,
            has_contract=rng.random() < 0.75,
            has_social_insurance=rng.random() < 0.55,
        )

    def transfer_weight(self, i: int) -> float:
        return self.transfer_weights[i]

    def _transfer_weight(self, p: Laborer) -> float:
        w = 3.0 if 18 <= p.age <= 45 else 1.5 if p.age <= 55 else 0.5
        w *= 0.25 if p.labor == rc.LaborAbility.WEAK else 1.0
        return w * (0.4 if p.health != rc.Health.HEALTHY else 1.0)

    def exports(self) -> None:
        rng = self.rng
        for departed, mode, dest, count, others in EXPORTS:
            count = self.n(count)
            employers = [self.employer_in(dest, "C") for _ in range(rng.randint(1, 3))]
            batch = len(self.plan["batches"])
            self.plan["batches"].append(
                {
                    "departed_on": departed,
                    "mode": mode,
                    "region_id": WULONG,
                    "destination_id": dest,
                    "employers": sorted(set(employers)),
                    "free_of_charge": True,
                    "cost": Decimal(0),
                    "other_workers": self.n(others, 0),
                }
            )
            flight = mode == c.ExportMode.FLIGHT

            def weight(i: int, flight: bool = flight) -> float:
                near = 8.0 if flight and self.people[i].township == TONGZI else 1.0
                return near * self.transfer_weight(i)

            tier = (
                c.LocationTier.IN_PROVINCE
                if dest.startswith("50")
                else c.LocationTier.OUT_OF_PROVINCE
            )
            for i in _take(rng, self.free(self.others()), count, weight):
                self.company(
                    i,
                    tier,
                    dest,
                    channel=c.Channel.COOPERATION if dest[:2] == "37" else c.Channel.GOVERNMENT,
                    employer=rng.choice(employers),
                    batch=batch,
                    start=max(departed + datetime.timedelta(days=2), self.people[i].sixteen),
                )
                self.plan["participants"].append({"batch": batch, "person_id": self.people[i].id})

    def transfers(self) -> None:
        rng, f = self.rng, self.f
        fs = self.free(self.fengshan())
        # 凤山街道: exactly fengshan_shandong in Shandong (劳务协作), 9 in key electronics firms.
        jinan = [code for code, _ in OUT_COUNTIES if code.startswith("37")]
        for i in _take(rng, fs, f.fengshan_shandong, self.transfer_weight):
            self.company(
                i, c.LocationTier.OUT_OF_PROVINCE, rng.choice(jinan), channel=c.Channel.COOPERATION
            )
        for i in _take(rng, self.free(fs), self.n(9, 0), self.transfer_weight):
            self.company(
                i,
                c.LocationTier.IN_PROVINCE,
                "500106",
                employer=self.employer_in("500106", "C"),
                channel=c.Channel.GOVERNMENT,
            )
        left = f.transferred - len(self.state)
        if left < 0:
            raise ValueError("转移就业目标小于各项措施安置人数之和")
        chosen = _take(rng, self.free(range(len(self.people))), left, self.transfer_weight)
        if len(chosen) < left:
            raise ValueError("劳动力人数不足以达到转移就业目标")
        out = OUT_COUNTIES
        out_no_sd = tuple((code, w) for code, w in OUT_COUNTIES if not code.startswith("37"))
        for i in chosen:
            p = self.people[i]
            if rng.random() < 0.22:
                self.flexible(i)
                continue
            tier = _pick(
                rng,
                (
                    (c.LocationTier.IN_TOWNSHIP, 10),
                    (c.LocationTier.IN_COUNTY, 22),
                    (c.LocationTier.IN_PROVINCE, 33),
                    (c.LocationTier.OUT_OF_PROVINCE, 35),
                ),
            )
            if tier == c.LocationTier.IN_TOWNSHIP:
                area = p.township
            elif tier == c.LocationTier.IN_COUNTY:
                area = rng.choice([t for t in self.townships if t != p.township] or [p.township])
            elif tier == c.LocationTier.IN_PROVINCE:
                area = _pick(rng, CQ_COUNTIES)
            else:
                area = _pick(rng, out_no_sd if p.township == FENGSHAN else out)
            self.company(i, tier, area)

    def flexible(self, i: int) -> None:
        rng, p = self.rng, self.people[i]
        tier = _pick(
            rng,
            (
                (c.LocationTier.IN_TOWNSHIP, 35),
                (c.LocationTier.IN_COUNTY, 35),
                (c.LocationTier.IN_PROVINCE, 30),
            ),
        )
        area = {c.LocationTier.IN_TOWNSHIP: p.township, c.LocationTier.IN_COUNTY: WULONG}.get(
            tier
        ) or _pick(rng, CQ_COUNTIES)
        self.set_state(
            i,
            status=c.Status.EMPLOYED,
            form=c.Form.FLEXIBLE,
            location_tier=tier,
            destination_id=area,
            trade=_pick(rng, FLEXIBLE_TRADES),
            start_date=max(
                _date(rng, datetime.date(2014, 1, 1), datetime.date(2020, 11, 30)), p.sixteen
            ),
            monthly_income=_money(rng.triangular(1800, 4500, 2800)),
            channel=c.Channel.SELF,
        )

    def the_rest(self) -> None:
        rng = self.rng
        for i in self.free(range(len(self.people))):
            p = self.people[i]
            ill = p.health in (rc.Health.CHRONIC, rc.Health.SERIOUS, rc.Health.DISABLED)
            farm = 4.0 if p.age >= 45 else 1.0
            unemployed = 1.0 if p.labor == rc.LaborAbility.WEAK or ill else 2.5
            not_seeking = 4.0 if ill or p.labor == rc.LaborAbility.WEAK else 2.0
            kind = _pick(
                rng, (("farm", farm), ("unemployed", unemployed), ("not_seeking", not_seeking))
            )
            if kind == "farm":
                self.set_state(
                    i,
                    status=c.Status.EMPLOYED,
                    form=c.Form.FARMING,
                    trade="A",
                    destination_id=p.township,
                    location_tier=c.LocationTier.IN_TOWNSHIP,
                    monthly_income=_money(rng.triangular(600, 1800, 1000)),
                )
            elif kind == "unemployed":
                self.set_state(i, status=c.Status.UNEMPLOYED)
            else:
                if ill:
                    reason = c.NotSeekingReason.ILL
                elif p.sex == rc.Sex.FEMALE and p.age < 50:
                    reason = c.NotSeekingReason.CARING
                else:
                    reason = _pick(
                        rng,
                        (
                            (c.NotSeekingReason.FARMING_ONLY, 5),
                            (c.NotSeekingReason.CARING, 3),
                            (c.NotSeekingReason.OTHER, 1),
                        ),
                    )
                self.set_state(i, status=c.Status.NOT_SEEKING, not_seeking_reason=reason)

    # ---- history, needs, services -----------------------------------------------------

    def records(self) -> None:
        """Every laborer's states: the current one plus, for some, earlier closed ones."""
        rng = self.rng
        for i, p in enumerate(self.people):
            cur = dict(self.state[i])
            first = max(_date(rng, SYSTEM_START, datetime.date(2018, 6, 30)), p.sixteen)
            start = cur.get("start_date")
            begin = max(first, start) if start else first
            states: list[tuple[datetime.date, dict[str, Any]]] = []
            job = cur["status"] == c.Status.EMPLOYED and cur["form"] != c.Form.FARMING
            r = rng.random()
            if job and start and start > first + datetime.timedelta(days=60):
                # Before this job: unemployed, or (since 2018) another job first.
                if cur["form"] == c.Form.COMPANY and r < 0.3 and start.year == 2020:
                    # Lost the earlier job in the epidemic, then found this one.
                    gap = _date(rng, datetime.date(2020, 1, 20), datetime.date(2020, 3, 1))
                    if gap < start and gap > first + datetime.timedelta(days=30):
                        self.company(
                            i, c.LocationTier.IN_PROVINCE, _pick(rng, CQ_COUNTIES), start=first
                        )
                        states.append((first, dict(self.state[i])))
                        first = gap
                states.append((first, {"status": c.Status.UNEMPLOYED}))
            elif not job and r < 0.25 and p.age >= 20:
                # Had a job (since the survey), lost it by 2020.
                end = _date(rng, datetime.date(2019, 3, 1), datetime.date(2020, 10, 31))
                if end > first + datetime.timedelta(days=60):
                    self.flexible(i)
                    earlier = dict(self.state[i])
                    earlier["start_date"] = min(earlier["start_date"], first)
                    states.append((first, earlier))
                    begin = end
            states.append((begin, cur))
            self.state[i] = cur
            for k, (day, fields) in enumerate(states):
                to = states[k + 1][0] if k + 1 < len(states) else None
                record = {"person_id": p.id, "valid_from": day, "valid_to": to, **fields}
                if to and fields.get("status") == c.Status.EMPLOYED and fields.get("start_date"):
                    record["end_date"] = to - datetime.timedelta(days=1)
                self.plan["records"].append(record)

    def needs(self) -> None:
        rng = self.rng
        for i, p in enumerate(self.people):
            st = self.state[i]
            chance = {c.Status.UNEMPLOYED: 1.0, c.Status.NOT_SEEKING: 0.1}.get(st["status"], 0.08)
            if rng.random() >= chance:
                continue
            trade = _pick(rng, (("C", 30), ("E", 20), ("H", 15), ("O", 15), ("G", 10), ("N", 10)))
            near = p.sex == rc.Sex.FEMALE and rng.random() < 0.5 or p.age >= 50
            tier = (
                c.LocationTier.IN_COUNTY
                if near
                else _pick(
                    rng,
                    (
                        (c.LocationTier.IN_PROVINCE, 40),
                        (c.LocationTier.OUT_OF_PROVINCE, 35),
                        (c.LocationTier.IN_COUNTY, 25),
                    ),
                )
            )
            region = {
                c.LocationTier.IN_PROVINCE: _pick(rng, CQ_COUNTIES)[:6],
                c.LocationTier.OUT_OF_PROVINCE: _pick(rng, OUT_COUNTIES),
            }.get(tier, WULONG)
            self.plan["needs"].append(
                {
                    "person_id": p.id,
                    "wished_trade": trade,
                    "wished_job": rng.choice(JOB_TITLES.get(trade, ("保洁员", "护林员"))),
                    "wished_tier": tier,
                    "wished_region_id": region,
                    "expected_wage": Decimal(rng.randrange(2500, 5001, 100)),
                    "training_wish": rng.choice(
                        ("", "", "电工", "焊工", "育婴员", "中式烹调师", "挖掘机驾驶员")
                    ),
                    "service_needs": sorted(rng.sample(c.ServiceNeed.values, rng.randint(1, 3))),
                    "near_home": near,
                }
            )

    def services(self) -> None:
        rng = self.rng
        staff = {t: [self.cadre() for _ in range(3)] for t in self.townships}
        year = (datetime.date(2020, 1, 2), datetime.date(2020, 12, 30))
        for i, p in enumerate(self.people):
            st, names = self.state[i], staff[p.township]

            def add(
                kind: str,
                start: datetime.date,
                end: datetime.date,
                note: str = "",
                p: Any = p,
                names: list[str] = names,
            ) -> None:
                self.plan["services"].append(
                    {
                        "person_id": p.id,
                        "service_type": kind,
                        "date": _date(rng, start, end),
                        "staff_name": rng.choice(names),
                        "note": note,
                    }
                )

            if rng.random() < (0.995 if p.township == FENGSHAN else 0.96):
                add(c.ServiceType.POLICY, *year, "就业扶贫政策宣传")
            if rng.random() < 0.4:
                add(c.ServiceType.POLICY, datetime.date(2019, 3, 1), datetime.date(2019, 12, 20))
            if st["status"] == c.Status.UNEMPLOYED:
                for _ in range(rng.randint(1, 3)):
                    add(c.ServiceType.JOB_PUSH, *year)
                if rng.random() < 0.6:
                    add(c.ServiceType.GUIDANCE, *year)
                if rng.random() < 0.35:
                    add(c.ServiceType.REFERRAL, *year)
            elif st["status"] == c.Status.EMPLOYED and rng.random() < 0.15:
                add(c.ServiceType.JOB_PUSH, *year)
            if st.get("channel") == c.Channel.COOPERATION and p.township == FENGSHAN:
                add(
                    c.ServiceType.REFERRAL,
                    datetime.date(2020, 2, 10),
                    datetime.date(2020, 4, 30),
                    "推荐到山东企业务工",
                )

    def cadre(self) -> str:
        rng = self.rng
        return rng.choice("张王李刘陈杨黄赵周吴冉罗夏谭田") + rng.choice(
            ("晓梅", "建国", "丽", "勇", "小红", "德明", "秀英", "志强", "静", "军", "淑芬", "波")
        )

    # ---- trainings, jobs ------------------------------------------------------------

    def trainings(self) -> None:
        rng, f = self.rng, self.f
        fs = self.fengshan()

        def klass(
            name: str,
            kind: str,
            region: str,
            start: datetime.date,
            days: int,
            occupation: str,
            subsidy: int,
            place: str,
        ) -> int:
            self.plan["classes"].append(
                {
                    "name": name,
                    "training_type": kind,
                    "provider": PROVIDER,
                    "region_id": region,
                    "start": start,
                    "end": start + datetime.timedelta(days=days - 1),
                    "place": place,
                    "occupation": occupation,
                    "subsidy_per_head": Decimal(subsidy),
                }
            )
            return len(self.plan["classes"]) - 1

        def enroll(k: int, people: list[int], certificate: str = "") -> None:
            for i in people:
                done = rng.random() < 0.95
                employed = self.state[i]["status"] == c.Status.EMPLOYED
                self.plan["enrollments"].append(
                    {
                        "training": k,
                        "person_id": self.people[i].id,
                        "completed": done,
                        "certificate": certificate if done else "",
                        "employed_after": employed and self.state[i]["form"] != c.Form.FARMING,
                    }
                )
                if done:
                    start = self.plan["classes"][k]["start"]
                    self.plan["services"].append(
                        {
                            "person_id": self.people[i].id,
                            "service_type": c.ServiceType.TRAINING,
                            "date": start,
                            "staff_name": "",
                            "note": self.plan["classes"][k]["name"],
                        }
                    )

        def going_out(i: int) -> float:
            st = self.state[i]
            out = st.get("location_tier") in (
                c.LocationTier.IN_PROVINCE,
                c.LocationTier.OUT_OF_PROVINCE,
            )
            return 4.0 if out else 2.0 if st["status"] == c.Status.UNEMPLOYED else 0.5

        # 凤山街道: adaptive trainings before going out to work.
        n_classes = min(4, f.fengshan_adaptive)
        chosen = _take(rng, fs, f.fengshan_adaptive, going_out)
        rng.shuffle(chosen)
        if len(chosen) < f.fengshan_adaptive:
            raise ValueError("凤山街道劳动力人数不足以达到适应性培训目标")
        at = 0
        for k, count in enumerate(allocate([1.0] * n_classes, f.fengshan_adaptive)):
            start = datetime.date(2020, (2, 5, 8, 10)[k], rng.randint(3, 20))
            cls = klass(
                f"凤山街道2020年就业适应性培训（第{k + 1}期）",
                c.TrainingType.ADAPTIVE,
                FENGSHAN,
                start,
                2,
                "",
                200,
                "凤山街道便民服务中心",
            )
            enroll(cls, sorted(chosen[at : at + count]))
            at += count
        others = [t for t in self.townships if t != FENGSHAN]
        for t in rng.sample(others, min(6, len(others))):
            start = _date(rng, datetime.date(2020, 2, 20), datetime.date(2020, 10, 30))
            cls = klass(
                f"{self._township_name(t)}2020年就业适应性培训",
                c.TrainingType.ADAPTIVE,
                t,
                start,
                2,
                "",
                200,
                f"{self._township_name(t)}便民服务中心",
            )
            enroll(cls, _take(rng, self.by_township[t], self.n(35), going_out))
        everyone = [i for i in range(len(self.people)) if self.people[i].age <= 55]
        for name, occupation, cert in SKILL_CLASSES:
            start = _date(rng, datetime.date(2019, 4, 1), datetime.date(2020, 11, 10))
            cls = klass(
                f"武隆区{start.year}年{name}",
                c.TrainingType.SKILLS,
                WULONG,
                start,
                rng.choice((10, 15, 20)),
                occupation,
                rng.choice((1200, 1500, 1800)),
                "武隆区职业教育中心",
            )
            enroll(cls, _take(rng, everyone, self.n(rng.randint(25, 45)), going_out), cert)
        owners = [i for i in range(len(self.people)) if self.state[i].get("form") == c.Form.STARTUP]
        for k in range(3):
            start = datetime.date(2019 + (k > 0), (9, 4, 9)[k], 10 + k)
            cls = klass(
                f"武隆区SYB创业培训班（第{k + 1}期）",
                c.TrainingType.STARTUP,
                WULONG,
                start,
                10,
                "创业",
                1000,
                "武隆区创业孵化基地",
            )
            pool = sorted(set(owners[k::3] + everyone[k::40]))
            enroll(cls, sorted(_take(rng, pool, self.n(30), lambda i: 1.0)), "创业培训合格证")
        workers = defaultdict(list)
        for i, st in self.state.items():
            if st.get("workshop") is not None:
                workers[st["workshop"]].append(i)
        for w, people in sorted(workers.items())[:4]:
            ws = self.plan["workshops"][w]
            start = max(ws["recognized_on"], datetime.date(2020, 4, 1))
            cls = klass(
                f"{ws['name']}以工代训",
                c.TrainingType.WORK_BASED,
                ws["region_id"],
                start,
                90,
                "",
                1500,
                ws["name"],
            )
            enroll(cls, sorted(people))

    def jobs(self) -> None:
        rng, f = self.rng, self.f
        events = list(EVENTS[: f.events])
        posts = allocate([float(e[5]) for e in events], f.posts_offered)
        for (name, mode, month, day, where, _), offered in zip(events, posts, strict=True):
            date = datetime.date(2020, month, day)
            partner = "鲁渝" in name
            electronics = "电子" in name
            n_postings = max(1, min(offered, round(offered / rng.uniform(18, 30))))
            openings = allocate([rng.uniform(0.3, 2.0) for _ in range(n_postings)], offered)
            postings = []
            attendees = round(offered * rng.uniform(0.35, 0.8))
            hires = round(attendees * rng.uniform(0.12, 0.3))
            filled = allocate([float(o) for o in openings], hires) if offered else [0]
            for count, got in zip(openings, filled, strict=True):
                if not count:
                    continue
                if partner:
                    area = rng.choice([code for code, _ in OUT_COUNTIES if code[:2] == "37"])
                    source = c.JobSource.PARTNER
                elif electronics:
                    area, source = rng.choice(("500106", "500112")), c.JobSource.LOCAL
                else:
                    area = _pick(
                        rng,
                        (
                            (where or rng.choice(self.townships), 45),
                            (_pick(rng, CQ_COUNTIES), 30),
                            (_pick(rng, OUT_COUNTIES), 25),
                        ),
                    )
                    source = c.JobSource.LOCAL
                employer = self.employer_in(area, "C" if electronics else None)
                trade = self.plan["employers"][employer]["trade"]
                low = rng.randrange(2500, 4501, 500)
                postings.append(len(self.plan["postings"]))
                self.plan["postings"].append(
                    {
                        "employer": employer,
                        "title": rng.choice(JOB_TITLES[trade]),
                        "trade": trade,
                        "openings": count,
                        "filled": min(got, count),
                        "wage_min": Decimal(low),
                        "wage_max": Decimal(low + rng.choice((1000, 1500, 2000))),
                        "region_id": area,
                        "age_min": 18,
                        "age_max": rng.choice((45, 50, 55)),
                        "physical_demand": _pick(
                            rng,
                            (
                                (c.PhysicalDemand.LIGHT, 5),
                                (c.PhysicalDemand.MEDIUM, 4),
                                (c.PhysicalDemand.HEAVY, 1),
                            ),
                        ),
                        "source": source,
                        "valid_from": date - datetime.timedelta(days=rng.randint(3, 15)),
                        "valid_to": date + datetime.timedelta(days=rng.choice((30, 60, 90))),
                        "caring_post": rng.random() < 0.05,
                        "status": c.JobStatus.CLOSED,
                    }
                )
            region = where or WULONG
            self.plan["events"].append(
                {
                    "name": name,
                    "mode": mode,
                    "date": date,
                    "place": "“武隆就业”微信公众号及重庆英才网"
                    if mode == "online"
                    else f"{self._township_name(where) or '武隆区'}人力资源市场",
                    "region_id": region,
                    "postings": postings,
                    "posts_offered": offered,
                    "attendees": attendees,
                    "hires": hires,
                }
            )

    def run(self) -> dict[str, list[dict[str, Any]]]:
        names = dict(
            Region.objects.filter(code__startswith=WULONG, level__in=(4, 5)).values_list(
                "code", "name"
            )
        )
        self.township_names = {k: v for k, v in names.items() if len(k) == 9}
        self.village_names = {
            k: Region(code=k, name=v).short_name for k, v in names.items() if len(k) == 12
        }
        self.public_welfare()
        self.workshops()
        self.startups()
        self.exports()
        self.transfers()
        self.the_rest()
        self.records()
        self.needs()
        self.services()
        self.trainings()
        self.jobs()
        self.check()
        return dict(self.plan)

    def check(self) -> None:
        """The plan meets every target, or says which one this district is too small for."""
        f, states = self.f, self.state.values()
        fs = {self.people[i].id for i in self.fengshan()}
        got = {
            "transferred": sum(
                s["status"] == c.Status.EMPLOYED and s["form"] != c.Form.FARMING for s in states
            ),
            "workshop_laborers": sum(s.get("form") == c.Form.WORKSHOP for s in states),
            "public_welfare": len(self.plan["placements"]),
            "loans_total": sum(
                int(x["amount"]) for x in self.plan["loans"] if x["status"] == c.LoanStatus.GRANTED
            ),
            "posts_offered": sum(e["posts_offered"] for e in self.plan["events"]),
            "fengshan_placed": sum(x["person_id"] in fs for x in self.plan["placements"]),
            "fengshan_shandong": sum(
                self.people[i].id in fs and str(s.get("destination_id", "")).startswith("37")
                for i, s in self.state.items()
            ),
        }
        for name, value in got.items():
            if value != getattr(f, name):
                raise ValueError(f"演示数据无法达到 {name} = {getattr(f, name)}（实际 {value}）")


def plan_employment(
    people: list[Laborer], figures: Figures | None = None, seed: int = 2020
) -> dict[str, list[dict[str, Any]]]:
    """The whole employment demo as plain dicts (nothing saved); same input, same plan."""
    figures = figures or Figures()
    if figures.fengshan_placed > figures.fengshan_posts:
        raise ValueError("凤山街道安置人数不能多于开发岗位数")
    return _Planner(people, figures, seed).run()


def _resolve(row: dict[str, Any], refs: dict[str, list[Any]]) -> dict[str, Any]:
    values = {}
    for key, value in row.items():
        if key in refs:
            values[f"{key}_id"] = None if value is None else refs[key][value].pk
        else:
            values[key] = value
    return values


def _bulk(model: Any, rows: list[dict[str, Any]], refs: dict[str, list[Any]]) -> list[Any]:
    """bulk_create `rows`, resolving index references (``refs`` field -> saved objects)."""
    objs = [model(**_resolve(row, refs)) for row in rows]
    return model.objects.bulk_create(objs, batch_size=BATCH)


def _insert(model: Any, rows: list[dict[str, Any]], refs: dict[str, list[Any]]) -> None:
    """Like _bulk for the big tables whose keys nobody needs back (see insert_rows)."""
    insert_rows(model, [_resolve(row, refs) for row in rows])


def write_plan(plan: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Save a plan with bulk_create (primary keys come back from the insert)."""
    p = {
        k: plan.get(k, [])
        for k in (
            "employers",
            "workshops",
            "posts",
            "placements",
            "startups",
            "loans",
            "batches",
            "participants",
            "records",
            "needs",
            "services",
            "classes",
            "enrollments",
            "postings",
            "events",
        )
    }
    employers = _bulk(m.Employer, p["employers"], {})
    workshops = _bulk(m.Workshop, p["workshops"], {"employer": employers})
    posts = _bulk(m.PublicWelfarePost, p["posts"], {})
    placements = _bulk(m.Placement, p["placements"], {"post": posts})
    startups = _bulk(m.Startup, p["startups"], {})
    _bulk(m.Loan, p["loans"], {"startup": startups})
    batch_rows = [{k: v for k, v in b.items() if k != "employers"} for b in p["batches"]]
    batches = _bulk(m.ExportBatch, batch_rows, {})
    through = m.ExportBatch.employers.through
    through.objects.bulk_create(
        [
            through(exportbatch_id=batches[k].pk, employer_id=employers[e].pk)
            for k, b in enumerate(p["batches"])
            for e in b["employers"]
        ],
        batch_size=BATCH,
    )
    _insert(m.ExportParticipant, p["participants"], {"batch": batches})
    refs = {
        "employer": employers,
        "workshop": workshops,
        "placement": placements,
        "export_batch": batches,
    }
    records = [
        {("export_batch" if k == "batch" else k): v for k, v in r.items() if k != "startup"}
        for r in p["records"]
    ]
    _insert(m.EmploymentRecord, records, refs)
    _insert(m.Needs, p["needs"], {})
    _insert(m.Service, p["services"], {})
    classes = _bulk(m.TrainingClass, p["classes"], {})
    _insert(m.Enrollment, p["enrollments"], {"training": classes})
    postings = _bulk(m.JobPosting, p["postings"], {"employer": employers})
    event_rows = [{k: v for k, v in e.items() if k != "postings"} for e in p["events"]]
    events = _bulk(m.RecruitmentEvent, event_rows, {})
    pt, et = m.RecruitmentEvent.postings.through, m.RecruitmentEvent.employers.through
    pt.objects.bulk_create(
        [
            pt(recruitmentevent_id=events[k].pk, jobposting_id=postings[j].pk)
            for k, e in enumerate(p["events"])
            for j in e["postings"]
        ],
        batch_size=BATCH,
    )
    et.objects.bulk_create(
        [
            et(recruitmentevent_id=events[k].pk, employer_id=employers[emp].pk)
            for k, e in enumerate(p["events"])
            for emp in sorted({p["postings"][j]["employer"] for j in e["postings"]})
        ],
        batch_size=BATCH,
    )
    return {key: len(rows) for key, rows in p.items()}


def generate_employment(
    figures: Figures | None = None, seed: int = 2020, district: str = WULONG
) -> dict[str, int]:
    """Plan and save the employment demo for the laborers already in the registry.

    One transaction and one audit entry; returns row counts per record type.
    """
    figures = figures or Figures()
    with transaction.atomic():
        ensure_regions()
        people = load_laborers(district)
        plan = plan_employment(people, figures, seed)
        counts = write_plan(plan)
        audit.record(
            AuditLog.Action.IMPORT,
            object_type="employment.employmentrecord",
            object_repr="就业演示数据",
            region_code=district,
            changes={"seed": seed, "laborers": len(people), **counts},
            message=f"生成武隆区就业演示数据（截至 {REFERENCE_DATE:%Y-%m-%d}）："
            f"{len(people)} 名贫困劳动力，{counts['records']} 条就业记录（随机种子 {seed}）",
        )
    return {"laborers": len(people), **counts}


def count_figures(day: datetime.date = REFERENCE_DATE) -> dict[str, int]:
    """The published figures as the system counts them on `day` (selectors and ORM only):
    what benchmarks/demo_figures.py and the tests compare with ``Figures``."""
    current = m.EmploymentRecord.objects.filter(state_condition(day))
    in_wulong = Q(person__household__village__code__startswith=WULONG)
    in_fengshan = Q(person__household__village__code__startswith=FENGSHAN)
    labor_ids = laborers(day).values("pk")
    wulong_laborers = laborers(day).filter(household__village__code__startswith=WULONG)
    transferred = (
        current.filter(in_wulong, transferred_condition(), person__in=labor_ids)
        .values("person")
        .distinct()
        .count()
    )
    workshops = m.Workshop.objects.filter(
        region__code__startswith=WULONG, revoked_on__isnull=True, recognized_on__lte=day
    )
    workshop_laborers = (
        current.filter(
            status="employed", form="workshop", workshop__in=workshops, person__in=labor_ids
        )
        .values("person")
        .distinct()
        .count()
    )
    active = m.Placement.objects.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gt=day))
    placed = active.filter(post__region__code__startswith=WULONG)
    matched = placed.filter(
        Exists(
            current.filter(
                status="employed",
                form="public_welfare",
                placement=OuterRef("pk"),
                person=OuterRef("person"),
            )
        )
    )
    loans = m.Loan.objects.filter(
        status="granted", startup__person__household__village__code__startswith=WULONG
    )
    events = m.RecruitmentEvent.objects.filter(region__code__startswith=WULONG, date__year=day.year)
    fs_posts = m.PublicWelfarePost.objects.filter(
        region__code__startswith=FENGSHAN, developed_on__year=day.year
    )
    fs_placed = placed.filter(post__in=fs_posts, person__in=labor_ids)
    fs_adaptive = m.Enrollment.objects.filter(
        training__training_type="adaptive",
        training__region__code__startswith=FENGSHAN,
        training__start__year=day.year,
    )
    fs_shandong = (
        current.filter(in_fengshan, status="employed", destination__code__startswith="37")
        .filter(person__in=labor_ids)
        .values("person")
        .distinct()
        .count()
    )
    from fupin.stats.figures import figures  # the statistics must say the same

    st, fs = figures(WULONG, day, None), figures(FENGSHAN, day, None)
    fs["adaptive"] = fs["training_by_type"]["adaptive"]
    stats = {**st, **{f"fengshan_{k}": v for k, v in fs.items()}}
    return {
        **{f"stats_{k}": stats[k] for k in STATS_CHECKS},
        "laborers": wulong_laborers.count(),
        "transferred": transferred,
        "workshops": workshops.count(),
        "workshop_laborers": workshop_laborers,
        "public_welfare": placed.values("person").distinct().count(),
        "public_welfare_matched": matched.values("person").distinct().count(),
        "loans_total": int(loans.aggregate(s=Sum("amount"))["s"] or 0),
        "events": events.count(),
        "posts_offered": events.aggregate(s=Sum("posts_offered"))["s"] or 0,
        "postings_openings": m.JobPosting.objects.filter(recruitmentevent__in=events).aggregate(
            s=Sum("openings")
        )["s"]
        or 0,
        "employers": m.Employer.objects.count(),
        "valid_credit_codes": sum(
            uscc.is_valid(code) for code in m.Employer.objects.values_list("credit_code", flat=True)
        ),
        "fengshan_laborers": wulong_laborers.filter(
            household__village__code__startswith=FENGSHAN
        ).count(),
        "fengshan_posts": fs_posts.count(),
        "fengshan_placed": fs_placed.values("person").distinct().count(),
        "fengshan_placed_by_residence": active.filter(in_fengshan).count(),
        "fengshan_adaptive": fs_adaptive.count(),
        "fengshan_adaptive_by_residence": m.Enrollment.objects.filter(
            in_fengshan, training__training_type="adaptive"
        ).count(),
        "fengshan_shandong": fs_shandong,
    }


# fupin.stats figures (key) that must equal a count above (value); "fengshan_" keys are
# the figures of 凤山街道.
STATS_CHECKS = {
    "transferred": "transferred",
    "workshops": "workshops",
    "workshop_laborers": "workshop_laborers",
    "public_welfare_on_post": "public_welfare",
    "startup_loan_amount": "loans_total",
    "recruitment_events": "events",
    "posts_offered": "posts_offered",
    "laborers": "laborers",
    "fengshan_laborers": "fengshan_laborers",
    "fengshan_public_welfare_posts": "fengshan_posts",
    "fengshan_public_welfare_on_post": "fengshan_placed",
    "fengshan_adaptive": "fengshan_adaptive",
}


def published_checks(n: dict[str, int]) -> list[tuple[str, int, int, str, bool]]:
    """Each published 2020 figure next to the system's count `n` (from count_figures):
    (label, value, target, operator, ok) — shared by the figures script and the test."""
    rows = [
        ("转移就业贫困劳动力", n["transferred"], 17_410, "=="),
        ("扶贫车间（已认定、未撤销）", n["workshops"], 12, "=="),
        ("扶贫车间吸纳贫困劳动力", n["workshop_laborers"], 101, "=="),
        ("公益性岗位在岗人数", n["public_welfare"], 2_879, "=="),
        ("  其中有对应就业记录", n["public_welfare_matched"], 2_879, "=="),
        ("创业担保贷款（元，已放款）", n["loans_total"], 7_950_000, "=="),
        ("招聘活动（2020年）", n["events"], 16, "=="),
        ("招聘活动提供岗位", n["posts_offered"], 9_000, ">"),
        ("  活动岗位背后的招聘人数", n["postings_openings"], 9_000, ">"),
        ("  用人单位信用代码有效", n["valid_credit_codes"], n["employers"], "=="),
        ("凤山街道贫困劳动力", n["fengshan_laborers"], 1_187, "=="),
        ("凤山街道开发公益性岗位", n["fengshan_posts"], 241, "=="),
        ("凤山街道安置建卡贫困户", n["fengshan_placed"], 184, "=="),
        ("  按安置人员所在地统计", n["fengshan_placed_by_residence"], 184, "=="),
        ("凤山街道就业适应性培训", n["fengshan_adaptive"], 114, "=="),
        ("  按学员所在地统计", n["fengshan_adaptive_by_residence"], 114, "=="),
        ("凤山街道在山东务工", n["fengshan_shandong"], 8, "=="),
    ]
    rows += [(f"  统计模块 {k}", n[f"stats_{k}"], n[v], "==") for k, v in STATS_CHECKS.items()]
    return [
        (label, value, target, op, value == target if op == "==" else value > target)
        for label, value, target, op in rows
    ]

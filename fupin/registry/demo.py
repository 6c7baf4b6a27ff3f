"""The demo district: Wulong (武隆区, 500156) with ~18,000 registered-poor households.

Deterministic: everything comes from one ``random.Random(seed)`` and one seeded Faker,
villages are read in code order and ages are taken at a fixed date, so the same seed
gives exactly the same rows. Fast: households are built in memory (plain dicts, see
``build_households``) and written with ``bulk_create`` in chunks; the generation is one
bulk system write with ONE audit entry, not ``register_household`` per household.

Calibration (domain.md §2, §9): 26 townships / 214 villages, ~3.3 people a household,
ID address codes 512326 / 500232 / 500156 by birth date, Wulong's ethnic mix (汉族,
土家族, 苗族, 仡佬族), most households identified in 2014 and exited by 2020.

Reference date: everything is "as of 2020-12-31" (REFERENCE_DATE): ages, and so who is a
poor laborer (selectors.laborers(REFERENCE_DATE)). ``township_laborers`` pins the number of
poor laborers of a township exactly — the published 1,187 of 凤山街道 (500156001), an urban
street with fewer poor households than the rural townships: it gets about target / 2
households, and its last households are drawn until the count is exact (a drawn household
that would overshoot, or leave too many for the slots left, is discarded and redrawn).
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker

from fupin.core import audit
from fupin.core.models import AuditLog
from fupin.regions.models import Region
from fupin.registry import choices as c
from fupin.registry.idnumbers import make_id_number
from fupin.registry.models import Household, HouseholdIncome, Person
from fupin.registry.pinyin import pinyin_keys

WULONG = "500156"
DEFAULT_SEED = 2020
DEFAULT_HOUSEHOLDS = 18_000
REFERENCE_DATE = datetime.date(2020, 12, 31)  # ages are taken here, never at today()
FENGSHAN = "500156001"  # 凤山街道
FENGSHAN_LABORERS = 1_187  # published: 凤山街道's poor laborers in 2020 (domain.md §9)
LABORERS_PER_HOUSEHOLD = 2.0  # what the generator gives on average (measured)
MAX_LABORERS_PER_SLOT = 3  # pinned townships: keep on track with at most this per household
INCOME_YEAR = 2020
CHUNK = 1000  # households built and written per round

# The address code is where the number was first issued and never changes (domain.md §2).
SICHUAN_CODE = "512326"  # 武隆县 under Sichuan, before Chongqing became a municipality
COUNTY_CODE = "500232"  # 武隆县, Chongqing, 1997 – Nov 2016 (and older people re-registered)
DISTRICT_CODE = WULONG  # 武隆区
COUNTY_SINCE = datetime.date(1997, 1, 1)
DISTRICT_SINCE = datetime.date(2016, 11, 24)  # 撤县设区
REREGISTERED_SHARE = 0.15  # people born before 1997 who carry 500232

# ETHNICITY_CHOICES codes: 01 汉族, 06 苗族, 15 土家族, 37 仡佬族.
HAN, MIAO, TUJIA, GELAO = "01", "06", "15", "37"
ETHNIC_MIX_DEFAULT = ((HAN, 70), (TUJIA, 22), (MIAO, 6), (GELAO, 2))
ETHNIC_MIX_MIAO_TUJIA = ((HAN, 45), (TUJIA, 30), (MIAO, 22), (GELAO, 3))  # 苗族土家族乡
ETHNIC_MIX_MIAO_GELAO = ((HAN, 40), (MIAO, 28), (GELAO, 22), (TUJIA, 10))  # 浩口苗族仡佬族乡

HOUSEHOLD_SIZES = ((1, 12), (2, 20), (3, 25), (4, 22), (5, 12), (6, 6), (7, 2), (8, 1))
HEAD_AGE_BANDS = ((30, 39), (40, 49), (50, 59), (60, 69), (70, 80))
HEAD_AGE_WEIGHTS = (12, 22, 27, 24, 15)
SINGLE_HEAD_AGE_WEIGHTS = (4, 10, 22, 32, 32)  # people living alone are older
IDENTIFIED_YEARS = ((2014, 75), (2015, 8), (2016, 6), (2017, 5), (2018, 4), (2019, 2))
EXIT_YEARS = ((2016, 18), (2017, 30), (2018, 24), (2019, 20), (2020, 8))
NOT_EXITED_SHARE = 0.02
# (upper age bound, weights of 健康 / 长期慢性病 / 患有大病 / 残疾)
HEALTH_BY_AGE = (
    (18, (970, 10, 5, 15)),
    (45, (880, 50, 20, 50)),
    (60, (750, 130, 50, 70)),
    (999, (550, 280, 70, 100)),
)
HEALTH_VALUES = (c.Health.HEALTHY, c.Health.CHRONIC, c.Health.SERIOUS, c.Health.DISABLED)
DISABILITY_GRADES = (("1", 10), ("2", 20), ("3", 30), ("4", 40))
# (upper age bound, ((education, weight), …)) for adults out of school
EDUCATION_BY_AGE = (
    (
        22,
        (
            (c.Education.PRIMARY, 5),
            (c.Education.JUNIOR, 55),
            (c.Education.SENIOR, 20),
            (c.Education.VOCATIONAL, 20),
        ),
    ),
    (
        35,
        (
            (c.Education.PRIMARY, 10),
            (c.Education.JUNIOR, 55),
            (c.Education.SENIOR, 15),
            (c.Education.VOCATIONAL, 12),
            (c.Education.COLLEGE, 8),
        ),
    ),
    (
        50,
        (
            (c.Education.ILLITERATE, 5),
            (c.Education.PRIMARY, 35),
            (c.Education.JUNIOR, 50),
            (c.Education.SENIOR, 7),
            (c.Education.VOCATIONAL, 3),
        ),
    ),
    (
        65,
        (
            (c.Education.ILLITERATE, 20),
            (c.Education.PRIMARY, 50),
            (c.Education.JUNIOR, 27),
            (c.Education.SENIOR, 3),
        ),
    ),
    (
        999,
        (
            (c.Education.ILLITERATE, 45),
            (c.Education.PRIMARY, 45),
            (c.Education.JUNIOR, 10),
        ),
    ),
)
CAUSE_WEIGHTS = (
    (c.PovertyCause.ILLNESS, 24),
    (c.PovertyCause.DISABILITY, 8),
    (c.PovertyCause.SCHOOLING, 0),  # weighted by the students a household has
    (c.PovertyCause.DISASTER, 3),
    (c.PovertyCause.LACK_LAND, 3),
    (c.PovertyCause.LACK_WATER, 2),
    (c.PovertyCause.LACK_SKILLS, 22),
    (c.PovertyCause.LACK_LABOR, 14),
    (c.PovertyCause.LACK_FUNDS, 9),
    (c.PovertyCause.POOR_TRANSPORT, 3),
    (c.PovertyCause.LACK_MOTIVATION, 2),
)
STUDENT_STATUSES = {
    c.SchoolStatus.PRIMARY,
    c.SchoolStatus.JUNIOR,
    c.SchoolStatus.SENIOR,
    c.SchoolStatus.SECONDARY_VOCATIONAL,
    c.SchoolStatus.HIGHER_VOCATIONAL,
    c.SchoolStatus.UNDERGRADUATE,
}
COSTLY_STUDENT_STATUSES = STUDENT_STATUSES - {c.SchoolStatus.PRIMARY, c.SchoolStatus.JUNIOR}
DATA_CARDS = {145, 147, 149}  # mobile prefixes for data-only SIM cards
WORKING = {c.LaborAbility.ORDINARY, c.LaborAbility.SKILLED}
ILL = {c.Health.CHRONIC, c.Health.SERIOUS}


def address_code_for(birth: datetime.date, rng: random.Random) -> str:
    """The address code a Wulong resident born on `birth` carries."""
    if birth >= DISTRICT_SINCE:
        return DISTRICT_CODE
    if birth >= COUNTY_SINCE:
        return COUNTY_CODE
    return COUNTY_CODE if rng.random() < REREGISTERED_SHARE else SICHUAN_CODE


class Village(NamedTuple):
    code: str
    name: str
    township: str  # the township's name (苗族土家族乡 … sets the ethnic mix)


def demo_villages(district: str = WULONG) -> list[Village]:
    """Every village (level 5) in `district`, in code order."""
    townships = dict(
        Region.objects.filter(level=Region.Level.TOWNSHIP, code__startswith=district)
        .order_by("code")
        .values_list("code", "name")
    )
    villages = Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=district)
    return [
        Village(code, name, townships.get(code[:9], ""))
        for code, name in villages.order_by("code").values_list("code", "name")
    ]


def _weighted(pairs: Iterable[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    """(values, cumulative weights) for rng.choices(…, cum_weights=…)."""
    values, weights = zip(*pairs, strict=True)
    return list(values), list(itertools.accumulate(weights))


def _provider_attr(fake: Faker, name: str) -> Any:
    for provider in fake.get_providers():
        if hasattr(provider, name):
            return getattr(provider, name)
    raise LookupError(f"Faker zh_CN has no {name}")


class _Builder:
    """Builds household plans (plain dicts) from one Random and one seeded Faker."""

    def __init__(
        self,
        seed: int,
        used_ids: Iterable[str] = (),
        used_numbers: Iterable[str] = (),
    ) -> None:
        self.rng = random.Random(seed)
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        # Faker's zh_CN lists, drawn from its seeded Random: calling fake.last_name() or
        # fake.phone_number() costs 20–50 µs each (weights rebuilt per call), too slow
        # for 100,000 draws.
        self.fake_random = fake.random
        self.surnames = _weighted(_provider_attr(fake, "last_names").items())
        self.male_names = list(_provider_attr(fake, "first_names_male"))
        self.female_names = list(_provider_attr(fake, "first_names_female"))
        self.phone_prefixes = [
            str(p) for p in _provider_attr(fake, "phonenumber_prefixes") if p not in DATA_CARDS
        ]
        self.used_ids: set[str] = set(used_ids)
        self.used_numbers: set[str] = set(used_numbers)
        self.used_phones: set[str] = set()
        self.sizes = _weighted(HOUSEHOLD_SIZES)
        self.identified = _weighted(IDENTIFIED_YEARS)
        self.grades = _weighted(DISABILITY_GRADES)
        self.education = [(bound, _weighted(pairs)) for bound, pairs in EDUCATION_BY_AGE]
        self.healths = [
            (bound, _weighted(zip(HEALTH_VALUES, weights, strict=True)))
            for bound, weights in HEALTH_BY_AGE
        ]
        self.mixes = {
            "default": _weighted(ETHNIC_MIX_DEFAULT),
            "miao_tujia": _weighted(ETHNIC_MIX_MIAO_TUJIA),
            "miao_gelao": _weighted(ETHNIC_MIX_MIAO_GELAO),
        }

    # ---- small draws -------------------------------------------------------------

    def pick(self, table: tuple[list[Any], list[float]]) -> Any:
        return self.rng.choices(table[0], cum_weights=table[1])[0]

    def phone(self) -> str:
        """A mobile number no one else in the demo has (one phone, one place)."""
        while True:
            prefix = self.fake_random.choice(self.phone_prefixes)
            number = f"{prefix}{self.fake_random.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def surname(self) -> str:
        return self.fake_random.choices(self.surnames[0], cum_weights=self.surnames[1])[0]

    def given_name(self, male: bool) -> str:
        return self.fake_random.choice(self.male_names if male else self.female_names)

    def cadre_name(self) -> str:
        return self.surname() + self.given_name(self.fake_random.random() < 0.7)

    def birth_date(self, age: int) -> datetime.date:
        """A birth date giving exactly `age` full years on REFERENCE_DATE (31 Dec)."""
        year = REFERENCE_DATE.year - age
        days = (datetime.date(year + 1, 1, 1) - datetime.date(year, 1, 1)).days
        return datetime.date(year, 1, 1) + datetime.timedelta(days=self.rng.randrange(days))

    def id_number(self, birth: datetime.date, male: bool) -> str:
        code = address_code_for(birth, self.rng)
        while True:
            # Odd sequence = male (1…999), even = female (2…998).
            seq = 2 * self.rng.randrange(500) + 1 if male else 2 * self.rng.randrange(1, 500)
            number = make_id_number(code, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    # ---- people ------------------------------------------------------------------

    def schooling(self, age: int) -> tuple[str, str]:
        """(文化程度, 在校生状况) for an age on REFERENCE_DATE."""
        rng, E, S = self.rng, c.Education, c.SchoolStatus
        if age < 6:
            in_preschool = age >= 3 and rng.random() < 0.85
            return E.PRESCHOOL, S.PRESCHOOL if in_preschool else S.NOT_IN_SCHOOL
        if age < 12:
            return E.PRIMARY, S.PRIMARY
        if age < 15:
            return E.JUNIOR, S.JUNIOR
        if age < 18:
            r = rng.random()
            if r < 0.55:
                return E.SENIOR, S.SENIOR
            if r < 0.9:
                return E.VOCATIONAL, S.SECONDARY_VOCATIONAL
            return E.JUNIOR, S.NOT_IN_SCHOOL
        if age < 22 and rng.random() < 0.3:
            status = S.HIGHER_VOCATIONAL if rng.random() < 0.65 else S.UNDERGRADUATE
            return E.COLLEGE, status
        table = next(t for bound, t in self.education if age < bound)
        return self.pick(table), S.NOT_IN_SCHOOL

    def health(self, age: int) -> tuple[str, str]:
        """(健康状况, 残疾等级)."""
        health = self.pick(next(t for bound, t in self.healths if age < bound))
        grade = self.pick(self.grades) if health == c.Health.DISABLED else ""
        return health, grade

    def labor(self, person: dict[str, Any], age: int) -> str:
        """劳动技能 consistent with age, schooling and health."""
        rng, L = self.rng, c.LaborAbility
        if age < 16 or age > 70 or person["school_status"] in STUDENT_STATUSES:
            return L.NONE
        health = person["health"]
        if health == c.Health.SERIOUS:
            return L.LOST if rng.random() < 0.55 else L.WEAK
        if health == c.Health.DISABLED:
            if person["disability_grade"] in ("1", "2"):
                return L.LOST
            return L.WEAK if rng.random() < 0.6 else L.ORDINARY
        if health == c.Health.CHRONIC:
            return L.WEAK if rng.random() < 0.55 else L.ORDINARY
        if age >= 60:
            return L.WEAK if rng.random() < 0.5 else L.ORDINARY
        skilled = (
            0.3 if person["education"] in (c.Education.VOCATIONAL, c.Education.COLLEGE) else 0.1
        )
        return L.SKILLED if rng.random() < skilled else L.ORDINARY

    def person(
        self, relation: str, male: bool, age: int, surname: str, ethnicity: str
    ) -> dict[str, Any]:
        age = max(0, min(age, 99))
        birth = self.birth_date(age)
        name = surname + self.given_name(male)
        pinyin, initials = pinyin_keys(name)
        education, school_status = self.schooling(age)
        health, grade = self.health(age)
        p: dict[str, Any] = {
            "relation": relation,
            "name": name,
            "name_pinyin": pinyin,
            "name_initials": initials,
            "id_number": self.id_number(birth, male),
            "sex": c.Sex.MALE if male else c.Sex.FEMALE,
            "birth_date": birth,
            "ethnicity": ethnicity,
            "education": education,
            "school_status": school_status,
            "health": health,
            "disability_grade": grade,
            "labor_ability": "",
            "phone": "",
        }
        p["labor_ability"] = self.labor(p, age)
        return p

    def members(self, size: int, mix: tuple[list[Any], list[float]]) -> list[dict[str, Any]]:
        """A household of `size` people with relations consistent with their ages."""
        rng, R = self.rng, c.Relation
        single = size == 1
        band = rng.choices(
            HEAD_AGE_BANDS, weights=SINGLE_HEAD_AGE_WEIGHTS if single else HEAD_AGE_WEIGHTS
        )[0]
        head_age = rng.randint(*band)
        head_male = rng.random() < (0.75 if single else 0.88)
        surname = self.surname()
        ethnicity = self.pick(mix)
        people = [self.person(R.HEAD, head_male, head_age, surname, ethnicity)]
        slots = size - 1

        mother_age = None if head_male else head_age
        if slots and rng.random() < (0.6 if head_age > 70 else 0.9):
            gap = rng.randint(-2, 6)  # husbands are usually a little older
            age = max(20, head_age - gap if head_male else head_age + gap)
            eth = ethnicity if rng.random() < 0.7 else self.pick(mix)
            people.append(self.person(R.SPOUSE, not head_male, age, self.surname(), eth))
            mother_age = age if head_male else head_age
            slots -= 1
        # Children take the minority ethnicity of a mixed couple more often than not.
        child_eth = ethnicity
        if len(people) > 1 and ethnicity == HAN and people[1]["ethnicity"] != HAN:
            child_eth = people[1]["ethnicity"] if rng.random() < 0.6 else HAN

        if slots and head_age <= 58 and rng.random() < 0.3:
            # The head's parents (one or both): the father shares the head's surname.
            both = slots >= 2 and rng.random() < 0.5
            for male in (True, False) if both else (rng.random() < 0.4,):
                age = min(head_age + rng.randint(22, 34), 95)
                last = surname if male else self.surname()
                rel = R.FATHER if male else R.MOTHER
                people.append(self.person(rel, male, age, last, ethnicity))
                slots -= 1

        def child_surname() -> str:
            return surname if rng.random() < 0.92 else self.surname()

        parent_age = mother_age if mother_age is not None else head_age
        first_child = parent_age - rng.randint(20, 30)
        if slots >= 3 and first_child >= 26 and rng.random() < 0.6:
            # Three generations: a married son and his children live with the head.
            son_surname = child_surname()
            people.append(self.person(R.SON, True, first_child, son_surname, child_eth))
            slots -= 1
            if rng.random() < 0.75:
                dil_age = max(20, first_child - rng.randint(-2, 5))
                eth = child_eth if rng.random() < 0.7 else self.pick(mix)
                dil_surname = self.surname()
                people.append(self.person(R.DAUGHTER_IN_LAW, False, dil_age, dil_surname, eth))
                slots -= 1
            age = first_child - rng.randint(20, 30)
            while slots and age >= 0:
                male = rng.random() < 0.52
                rel = R.GRANDSON if male else R.GRANDDAUGHTER
                people.append(self.person(rel, male, age, son_surname, child_eth))
                slots -= 1
                age -= rng.randint(1, 5)
            age = first_child - rng.randint(1, 6)
        else:
            age = first_child
        while slots:
            if age < 0:
                # No room for another child: an unmarried brother or sister of the head.
                male = rng.random() < 0.6
                sib_age = max(16, head_age + rng.randint(-8, 8))
                people.append(self.person(R.SIBLING, male, sib_age, surname, ethnicity))
            else:
                male = rng.random() < 0.52
                rel = R.SON if male else R.DAUGHTER
                people.append(self.person(rel, male, age, child_surname(), child_eth))
                age -= rng.randint(1, 5)
            slots -= 1
        return people

    # ---- households ---------------------------------------------------------------

    def main_cause(self, people: list[dict[str, Any]]) -> str:
        statuses = {p["school_status"] for p in people}
        healths = {p["health"] for p in people}
        weights = []
        for cause, weight in CAUSE_WEIGHTS:
            if cause == c.PovertyCause.ILLNESS and healths & ILL:
                weight *= 2.5
            elif cause == c.PovertyCause.DISABILITY and c.Health.DISABLED in healths:
                weight *= 3
            elif cause == c.PovertyCause.SCHOOLING:
                weight = 70 if statuses & COSTLY_STUDENT_STATUSES else 25
                weight = weight if statuses & STUDENT_STATUSES else 0
            elif cause == c.PovertyCause.LACK_LABOR and not any(
                p["labor_ability"] in WORKING for p in people
            ):
                weight *= 3
            weights.append(weight)
        return self.rng.choices([cause for cause, _ in CAUSE_WEIGHTS], weights=weights)[0]

    def agree_with_cause(self, cause: str, people: list[dict[str, Any]], ages: list[int]) -> None:
        """因病 needs someone ill, 因残 someone disabled: make it so if chance did not.

        The one changed is a healthy member (adults first for illness), so nobody loses
        a disability to an illness or the other way round.
        """
        rng = self.rng
        healthy = [i for i, p in enumerate(people) if p["health"] == c.Health.HEALTHY]
        if cause == c.PovertyCause.ILLNESS and not any(p["health"] in ILL for p in people):
            index = rng.choice([i for i in healthy if ages[i] >= 18] or healthy or [0])
            health = c.Health.SERIOUS if rng.random() < 0.45 else c.Health.CHRONIC
            people[index]["health"], people[index]["disability_grade"] = health, ""
        elif cause == c.PovertyCause.DISABILITY and not any(
            p["health"] == c.Health.DISABLED for p in people
        ):
            index = rng.choice(healthy or [0])
            grade = self.pick(self.grades)
            people[index]["health"], people[index]["disability_grade"] = c.Health.DISABLED, grade
        else:
            return
        people[index]["labor_ability"] = self.labor(people[index], ages[index])

    def income(self, people: list[dict[str, Any]], kind: str, exited: bool) -> dict[str, Any]:
        """2020 income whose parts give the per-capita net exactly."""
        rng, n = self.rng, len(people)
        if exited:
            per_capita = int(rng.triangular(6000, 15000, 9000))
        else:
            per_capita = int(rng.triangular(4200, 6500, 5400))
        total = per_capita * n
        working = sum(p["labor_ability"] in WORKING for p in people)
        weak = sum(p["labor_ability"] == c.LaborAbility.WEAK for p in people)
        if working:
            wage_share = rng.uniform(0.45, 0.75)
        elif weak:
            wage_share = rng.uniform(0.1, 0.35)
        else:
            wage_share = rng.uniform(0.0, 0.08)
        transfer_share = {
            c.HouseholdType.ORDINARY_POOR: rng.uniform(0.08, 0.25),
            c.HouseholdType.SUBSISTENCE_POOR: rng.uniform(0.25, 0.5),
            c.HouseholdType.EXTREME_POOR: rng.uniform(0.6, 0.9),
        }[kind]
        property_share = rng.uniform(0.0, 0.04)
        scale = min(1.0, 0.95 / (wage_share + transfer_share + property_share))
        wage = round(total * wage_share * scale)
        transfer = round(total * transfer_share * scale)
        prop = round(total * property_share * scale)
        operating_net = total - wage - transfer - prop
        ratio = rng.uniform(0.2, 0.45)  # production costs as a share of production income
        cost = round(operating_net * ratio / (1 - ratio))
        return {
            "year": INCOME_YEAR,
            "per_capita_net": Decimal(per_capita),
            "wage": Decimal(wage),
            "operating": Decimal(operating_net + cost),
            "property_income": Decimal(prop),
            "transfer": Decimal(transfer),
            "production_cost": Decimal(cost),
        }

    def household(
        self, number: str, village: str, mix: Any, helper: tuple[str, str]
    ) -> dict[str, Any]:
        rng, T = self.rng, c.HouseholdType
        size = self.pick(self.sizes)
        people = self.members(size, mix)
        ages = [REFERENCE_DATE.year - p["birth_date"].year for p in people]
        for p, age in zip(people, ages, strict=True):
            chance = (0.85 if age < 75 else 0.5) if p["relation"] == c.Relation.HEAD else 0.45
            if 18 <= age <= 65 or p["relation"] == c.Relation.HEAD:
                if rng.random() < chance:
                    p["phone"] = self.phone()
        cause = self.main_cause(people)
        self.agree_with_cause(cause, people, ages)
        others = [code for code, _ in CAUSE_WEIGHTS if code != cause]
        other_causes = rng.sample(others, rng.randint(1, 2)) if rng.random() < 0.35 else []

        working = any(p["labor_ability"] in WORKING for p in people)
        if size == 1 and ages[0] >= 60 and not working:
            kind = rng.choices((T.ORDINARY_POOR, T.SUBSISTENCE_POOR, T.EXTREME_POOR), (30, 40, 30))
        else:
            kind = rng.choices((T.ORDINARY_POOR, T.SUBSISTENCE_POOR, T.EXTREME_POOR), (80, 19, 1))
        kind = kind[0]
        identified = self.pick(self.identified)
        exited = rng.random() >= NOT_EXITED_SHARE
        if exited:
            years = [(y, w) for y, w in EXIT_YEARS if y >= identified]
            exit_year = rng.choices([y for y, _ in years], [w for _, w in years])[0]
        else:
            exit_year = None
        phone = next((p["phone"] for p in people if p["phone"]), "")
        if not phone and rng.random() < 0.85:
            phone = self.phone()
        fields: dict[str, Any] = {
            "number": number,
            "village_id": village,
            "household_type": kind,
            "status": c.HouseholdStatus.EXITED if exited else c.HouseholdStatus.NOT_EXITED,
            "identified_year": identified,
            "exit_year": exit_year,
            "main_cause": cause,
            "other_causes": other_causes,
            "phone": phone,
            "helper_name": helper[0],
            "helper_phone": helper[1],
            **dict.fromkeys(c.ASSURANCE_FIELDS, True),
        }
        # 突出问题 are rare and, once a household has exited, should already be cleared.
        if rng.random() < (0.3 if not exited else 0.002):
            fields[rng.choice(list(c.ASSURANCE_FIELDS))] = False
        return {
            "household": fields,
            "members": people,
            "income": self.income(people, kind, exited),
        }


def _mix_for(township_name: str) -> str:
    if "仡佬族" in township_name:
        return "miao_gelao"
    if "苗族" in township_name or "土家族" in township_name:
        return "miao_tujia"
    return "default"


def allocate(weights: list[float], total: int) -> list[int]:
    """Split `total` by `weights` into integers (largest remainder, ties by position)."""
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    counts = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def laborer_count(members: list[dict[str, Any]]) -> int:
    """Poor laborers among a plan's members on REFERENCE_DATE (as selectors.laborers)."""
    low, high = settings.FUPIN_LABORER_AGE_MIN, settings.FUPIN_LABORER_AGE_MAX
    unable = (c.LaborAbility.LOST, c.LaborAbility.NONE)
    return sum(
        low <= REFERENCE_DATE.year - m["birth_date"].year <= high
        and m["labor_ability"] not in unable
        for m in members
    )


def _village_counts(
    villages: list[Village], weights: list[float], households: int, pinned: Mapping[str, int]
) -> list[int]:
    """Households per village: pinned townships get about target / LABORERS_PER_HOUSEHOLD
    (at least target / MAX_LABORERS_PER_SLOT, so the target stays reachable)."""
    if not pinned:
        return allocate(weights, households)
    counts = [0] * len(villages)
    rest = list(range(len(villages)))
    for township, target in sorted(pinned.items()):
        index = [i for i, v in enumerate(villages) if v.code.startswith(township)]
        if not index:
            raise ValueError(f"乡镇 {township} 没有村（社区）")
        wanted = max(round(target / LABORERS_PER_HOUSEHOLD), -(-target // MAX_LABORERS_PER_SLOT))
        for i, n in zip(index, allocate([weights[i] for i in index], wanted), strict=True):
            counts[i] = n
        rest = [i for i in rest if i not in set(index)]
    left = households - sum(counts)
    if left < 0 or (left and not rest):
        raise ValueError("户数太少，无法达到指定的乡镇劳动力人数")
    for i, n in zip(rest, allocate([weights[i] for i in rest], left), strict=True):
        counts[i] = n
    return counts


def build_households(
    villages: list[Village],
    *,
    seed: int = DEFAULT_SEED,
    households: int = DEFAULT_HOUSEHOLDS,
    used_ids: Iterable[str] = (),
    used_numbers: Iterable[str] = (),
    township_laborers: Mapping[str, int] | None = None,
) -> Iterator[dict[str, Any]]:
    """Household plans {"household", "members", "income"} — plain dicts, nothing saved.

    `villages` as from ``demo_villages``; `used_ids` / `used_numbers` are avoided (existing rows).
    `township_laborers` {township code: poor laborers} pins those townships' laborer counts
    exactly (on REFERENCE_DATE); the total number of households stays `households`.
    """
    if not villages:
        raise ValueError("没有可用的村（社区）：请先加载区划（fupin regions load）")
    pinned = dict(township_laborers or {})
    b = _Builder(seed, used_ids, used_numbers)
    rng = b.rng
    # Villages (村) are bigger than communities (社区), and no two are alike.
    weights = [rng.uniform(0.6, 1.4) * (0.3 if "社区" in v.name else 1.0) for v in villages]
    counts = _village_counts(villages, weights, households, pinned)
    # Pinned townships: laborers still to place and household slots left, per township.
    remaining = dict(pinned)
    slots = {
        t: sum(n for v, n in zip(villages, counts, strict=True) if v.code.startswith(t))
        for t in pinned
    }
    for village, count in zip(villages, counts, strict=True):
        if not count:
            continue
        code, mix = village.code, b.mixes[_mix_for(village.township)]
        township = next((t for t in pinned if code.startswith(t)), None)
        helpers = [(b.cadre_name(), b.phone()) for _ in range(max(1, -(-count // 8)))]
        seq = 0
        for _ in range(count):
            seq += 1
            while f"{code}{seq:04d}" in b.used_numbers:
                seq += 1
            number = f"{code}{seq:04d}"
            b.used_numbers.add(number)
            helper = helpers[rng.randrange(len(helpers))]
            plan = b.household(number, code, mix, helper)
            if township is not None:
                plan = _fit(b, plan, number, code, mix, helper, remaining, slots, township)
            yield plan


def _fit(
    b: _Builder,
    plan: dict[str, Any],
    number: str,
    code: str,
    mix: Any,
    helper: tuple[str, str],
    remaining: dict[str, int],
    slots: dict[str, int],
    township: str,
) -> dict[str, Any]:
    """Redraw a pinned township's household until its laborers keep the target reachable."""
    for _ in range(10_000):
        n = laborer_count(plan["members"])
        left, after = remaining[township] - n, slots[township] - 1
        if 0 <= left <= after * MAX_LABORERS_PER_SLOT:
            remaining[township], slots[township] = left, after
            return plan
        plan = b.household(number, code, mix, helper)
    raise RuntimeError(f"无法使乡镇 {township} 的劳动力人数恰好为目标值")


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def insert_rows(model: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    """INSERT plain rows ({attname: value}) with executemany, no model instances.

    For the demo's big tables whose keys nobody needs back: bulk_create on SQLite is held
    to 999 parameters a statement and prepares a model instance per row, which made up
    most of the demo's time. Missing fields take their defaults, created_at/updated_at now;
    JSON and date-time values go through the field's get_db_prep_save, the rest (str, int,
    date, bool, whole Decimals) as they are.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    now = timezone.now()
    prep = {}
    for f in fields:
        if f.attname in ("created_at", "updated_at"):
            defaults[f.attname] = f.get_db_prep_save(now, connection)
        elif isinstance(f, models.JSONField | models.DateTimeField):
            prep[f.attname] = f
    names = [f.attname for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            batch = []
            for row in rows[start : start + chunk]:
                values = {**defaults, **row}
                for name, field in prep.items():
                    if name in row and values[name] is not None:
                        values[name] = field.get_db_prep_save(values[name], connection)
                batch.append([values[n] for n in names])
            cursor.executemany(sql, batch)


def _ids_by_number(numbers: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(numbers), 900):  # under SQLite's 999 parameters
        part = numbers[start : start + 900]
        ids.update(Household.objects.filter(number__in=part).values_list("number", "id"))
    return ids


def write_households(plans: list[dict[str, Any]]) -> int:
    """Bulk-write one chunk of plans: households, then members, then incomes."""
    insert_rows(Household, [p["household"] for p in plans])
    ids = _ids_by_number([p["household"]["number"] for p in plans])
    persons = [
        {"household_id": ids[p["household"]["number"]], **m} for p in plans for m in p["members"]
    ]
    insert_rows(Person, persons)
    insert_rows(
        HouseholdIncome,
        [{"household_id": ids[p["household"]["number"]], **p["income"]} for p in plans],
    )
    return len(persons)


def generate_demo_district(
    seed: int = DEFAULT_SEED,
    households: int = DEFAULT_HOUSEHOLDS,
    progress: Callable[[int], None] | None = None,
    township_laborers: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Generate and save the Wulong demo district; `progress(n)` after each n households.

    `township_laborers` as in ``build_households`` (the command pins 凤山街道 to 1,187).

    Returns {"households", "persons", "incomes"}. One transaction, one audit entry.
    """
    villages = demo_villages(WULONG)
    codes = (SICHUAN_CODE, COUNTY_CODE, DISTRICT_CODE)
    with transaction.atomic():
        used_ids = [
            n
            for code in codes
            for n in Person.objects.filter(id_number__startswith=code).values_list(
                "id_number", flat=True
            )
        ]
        used_numbers = Household.objects.in_region(WULONG).values_list("number", flat=True)
        plans = build_households(
            villages,
            seed=seed,
            households=households,
            used_ids=used_ids,
            used_numbers=list(used_numbers),
            township_laborers=township_laborers,
        )
        done = persons = 0
        for chunk in _chunks(plans, CHUNK):
            persons += write_households(chunk)
            done += len(chunk)
            if progress:
                progress(len(chunk))
        audit.record(
            AuditLog.Action.IMPORT,
            object_type="registry.household",
            object_repr="演示数据",
            region_code=WULONG,
            changes={"seed": seed, "households": done, "persons": persons, "incomes": done},
            message=f"生成武隆区演示数据：{done} 户，{persons} 人（随机种子 {seed}）",
        )
    return {"households": done, "persons": persons, "incomes": done}

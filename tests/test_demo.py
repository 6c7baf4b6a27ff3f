"""The demo district generator and `fupin demo` (small districts, to stay fast)."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from fupin.accounts.models import User
from fupin.core.models import AuditLog
from fupin.regions.models import Region
from fupin.registry import choices as c
from fupin.registry.demo import (
    DISTRICT_SINCE,
    REFERENCE_DATE,
    WULONG,
    allocate,
    build_households,
    demo_villages,
    generate_demo_district,
    laborer_count,
)
from fupin.registry.idnumbers import birth_date_from_id, normalise_id_number, sex_from_id
from fupin.registry.models import Household, HouseholdIncome, Person

SMALL = 300


@pytest.fixture
def demo(db):
    return generate_demo_district(households=SMALL)


def _age(person: Person) -> int:
    return REFERENCE_DATE.year - person.birth_date.year


def test_counts_and_one_audit_entry(demo):
    persons = Person.objects.in_region(WULONG).count()
    assert demo == {"households": SMALL, "persons": persons, "incomes": SMALL}
    assert Household.objects.in_region(WULONG).count() == SMALL
    assert HouseholdIncome.objects.filter(year=2020).count() == SMALL
    assert 2.9 <= persons / SMALL <= 3.8
    sizes = Counter(
        Household.objects.annotate(n=Count("members")).values_list("n", flat=True)
    ).keys()
    assert min(sizes) >= 1 and max(sizes) <= 8
    entries = AuditLog.objects.filter(action=AuditLog.Action.IMPORT)
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.object_type, entry.object_repr, entry.region_code) == (
        "registry.household",
        "演示数据",
        WULONG,
    )
    assert str(SMALL) in entry.message
    # No per-row audit: the generation is one bulk system write.
    assert AuditLog.objects.count() == 1


def test_ids_valid_unique_and_agree_with_person(demo):
    people = list(Person.objects.all())
    assert len({p.id_number for p in people}) == len(people)
    for p in people:
        assert normalise_id_number(p.id_number) == p.id_number
        assert sex_from_id(p.id_number) == p.sex
        assert birth_date_from_id(p.id_number) == p.birth_date
        assert p.birth_date <= REFERENCE_DATE
        assert p.name_pinyin and p.name_initials


def test_address_code_follows_birth_date(demo):
    old = Counter()
    for number, birth in Person.objects.values_list("id_number", "birth_date"):
        code = number[:6]
        if birth >= DISTRICT_SINCE:
            assert code == "500156", (number, birth)
        elif birth.year >= 1997:
            assert code == "500232", (number, birth)
        else:
            assert code in {"512326", "500232"}, (number, birth)
            old[code] += 1
    assert old["512326"] > 2 * old["500232"] > 0


def test_households_are_consistent(demo):
    households = list(
        Household.objects.select_related("village").annotate(
            heads=Count("members", filter=Q(members__relation="head", members__removed_on=None))
        )
    )
    assert {h.heads for h in households} == {1}
    assert all(
        h.village.level == Region.Level.VILLAGE and h.village_id.startswith(WULONG)
        for h in households
    )
    assert all(h.number[:12] == h.village_id and len(h.number) == 16 for h in households)
    assert len({h.village_id[:9] for h in households}) >= 15  # spread over the townships
    for h in households:
        if h.status == c.HouseholdStatus.EXITED:
            assert 2016 <= h.exit_year <= 2020 and h.exit_year >= h.identified_year
        else:
            assert h.exit_year is None
        assert h.main_cause not in h.other_causes
        assert set(h.other_causes) <= set(c.PovertyCause.values)
        assert h.household_type in c.HouseholdType.values
        assert not h.phone or (len(h.phone) == 11 and h.phone.startswith("1"))
        assert h.helper_name and len(h.helper_phone) == 11
    statuses = Counter(h.status for h in households)
    assert statuses[c.HouseholdStatus.EXITED] > 0.9 * SMALL
    assert Counter(h.identified_year for h in households).most_common(1)[0][0] == 2014
    causes = {h.main_cause for h in households}
    assert {"illness", "lack_skills", "lack_labor"} <= causes
    assert sum(not h.failing_assurances for h in households) > 0.95 * SMALL

    sizes = dict(Household.objects.annotate(n=Count("members")).values_list("id", "n"))
    for income in HouseholdIncome.objects.all():
        net = (
            income.wage
            + income.operating
            + income.property_income
            + income.transfer
            - income.production_cost
        )
        assert net == income.per_capita_net * sizes[income.household_id]
        assert Decimal(4000) <= income.per_capita_net <= Decimal(15000)


def test_people_are_consistent(demo):
    people = list(Person.objects.select_related("household"))
    heads = {p.household_id: p for p in people if p.relation == c.Relation.HEAD}
    ethnicities = Counter(p.ethnicity for p in people)
    assert ethnicities.keys() <= {"01", "06", "15", "37"}
    assert ethnicities["01"] > ethnicities["15"] > 0
    assert sum(p.sex == "male" for p in heads.values()) > 0.75 * len(heads)
    assert all(30 <= _age(h) <= 80 for h in heads.values())
    same_surname = 0
    for p in people:
        age, head_age = _age(p), _age(heads[p.household_id])
        if p.relation in (c.Relation.SON, c.Relation.DAUGHTER):
            assert head_age - age >= 16
            same_surname += p.name[0] == heads[p.household_id].name[0]
        elif p.relation in (c.Relation.GRANDSON, c.Relation.GRANDDAUGHTER):
            assert head_age - age >= 32
        elif p.relation in (c.Relation.FATHER, c.Relation.MOTHER):
            assert age - head_age >= 16
        if p.relation in (c.Relation.SON, c.Relation.GRANDSON, c.Relation.FATHER):
            assert p.sex == "male"
        if p.relation in (c.Relation.DAUGHTER, c.Relation.GRANDDAUGHTER, c.Relation.MOTHER):
            assert p.sex == "female"
        if age < 6:
            assert p.education == c.Education.PRESCHOOL
        elif age < 12:
            assert p.school_status == c.SchoolStatus.PRIMARY
        elif age < 15:
            assert p.school_status == c.SchoolStatus.JUNIOR
        elif age >= 22:
            assert p.school_status == c.SchoolStatus.NOT_IN_SCHOOL
        if age < 16 or age > 70:
            assert p.labor_ability == c.LaborAbility.NONE
        if p.health == c.Health.SERIOUS and 16 <= age <= 70:
            assert p.labor_ability in (c.LaborAbility.LOST, c.LaborAbility.WEAK)
        assert bool(p.disability_grade) == (p.health == c.Health.DISABLED)
    children = sum(p.relation in (c.Relation.SON, c.Relation.DAUGHTER) for p in people)
    assert same_surname > 0.8 * children
    abilities = Counter(p.labor_ability for p in people)
    assert abilities[c.LaborAbility.ORDINARY] > abilities[c.LaborAbility.SKILLED] > 0
    # 因病 households have someone ill, 因残 ones someone disabled.
    for h in Household.objects.filter(main_cause="illness"):
        assert h.members.filter(health__in=["chronic", "serious"]).exists()
    for h in Household.objects.filter(main_cause="disability"):
        assert h.members.filter(health="disabled").exists()


def test_build_is_deterministic(db):
    villages = demo_villages()
    first = list(build_households(villages, seed=7, households=120))
    assert first == list(build_households(villages, seed=7, households=120))
    assert first != list(build_households(villages, seed=8, households=120))


def test_township_laborers_pinned_exactly(db):
    """凤山街道's published 1,187 poor laborers: a pinned township gets exactly its target
    (here scaled down), the district keeps its number of households."""
    villages = demo_villages()
    plans = list(
        build_households(villages, seed=3, households=400, township_laborers={"500156001": 57})
    )
    assert len(plans) == 400
    fengshan = [p for p in plans if p["household"]["village_id"].startswith("500156001")]
    assert sum(laborer_count(p["members"]) for p in fengshan) == 57
    assert 20 <= len(fengshan) <= 35


def _fingerprint() -> list[tuple]:
    return sorted(
        Person.objects.values_list(
            "household__number", "id_number", "name", "relation", "ethnicity", "health"
        )
    )


def test_generation_is_deterministic_in_the_database(db):
    generate_demo_district(seed=11, households=150)
    first = _fingerprint()
    households = sorted(Household.objects.values_list("number", "main_cause", "phone"))
    Person.objects.all().delete()
    Household.objects.all().delete()
    generate_demo_district(seed=11, households=150)
    assert _fingerprint() == first
    assert sorted(Household.objects.values_list("number", "main_cause", "phone")) == households


def test_allocate_sums_exactly():
    assert allocate([1.0, 1.0, 1.0], 10) == [4, 3, 3]
    assert sum(allocate([0.3, 1.2, 0.9, 1.4], 18_000)) == 18_000


def test_demo_command(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("demo", "--json", "--households", "200", stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue())
    assert result["households"] == 200 and result["users"] == 5
    assert result["persons"] == Person.objects.count() > 0
    assert isinstance(result["seconds"], float)
    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {
        "admin": "county_admin",
        "fengshan": "township_operator",
        "fengshancun": "village_clerk",
        "supervisor": "supervisor",
        "leader": "leader",
    }
    admin = User.objects.get(username="admin")
    assert admin.region_id == WULONG and admin.full_name == "武隆区人力社保局管理员"
    assert User.objects.get(username="fengshancun").region_id == "500156001201"
    assert admin.check_password("Fupin@2026")
    assert admin.groups.filter(name="county_admin").exists()
    # One bulk entry per generator (registry, employment), none per row; the current layer's
    # subsidies demo adds the bank-return import of its payment batch.
    imports = AuditLog.objects.filter(action="import").exclude(object_type="subsidies.paymentbatch")
    assert imports.filter(source="cli").count() == 2
    assert result["reference_date"] == "2020-12-31" and result["laborers"] > 0

    out = StringIO()
    call_command("demo", "--json", "--households", "200", stdout=out, stderr=StringIO())
    again = json.loads(out.getvalue())
    assert (again["households"], again["persons"], again["users"]) == (0, 0, 0)
    assert Household.objects.count() == 200 and User.objects.count() == 5
    assert imports.count() == 2

    out = StringIO()
    call_command("demo", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "已存在" in text and "http://127.0.0.1:8000/" in text
    for username in roles:
        assert username in text
    assert "武隆区凤山街道凤山村" in text and "Fupin@2026" in text
    assert Household.objects.count() == 200


def test_reference_date_is_fixed():
    assert REFERENCE_DATE == datetime.date(2020, 12, 31)

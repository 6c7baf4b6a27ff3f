"""Data-quality rules (疑点): each rule with a record it must flag and one it must not; the
quality run (hits per township, one rectification per new hit, never a duplicate),
scoping and the CLI."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.employment.models import (
    Employer,
    EmploymentRecord,
    Placement,
    PublicWelfarePost,
    Verification,
    Workshop,
)
from fupin.registry.models import Household, Person
from fupin.subsidies.models import Application, Payment, PaymentBatch, Policy
from fupin.supervision.models import RectificationTask
from fupin.supervision.rules import RULES, RULES_BY_CODE, rule_hits, run_quality
from tests.conftest import (
    FENGSHAN,
    FENGSHAN_OTHER_VILLAGE,
    FENGSHAN_VILLAGE,
    FURONG,
    FURONG_VILLAGE,
    WULONG,
    make_household,
    new_id,
)

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = datetime.date.today()


def born(years: int) -> datetime.date:
    """Someone `years` old today (birthday 100 days ago)."""
    try:
        day = TODAY.replace(year=TODAY.year - years)
    except ValueError:
        day = TODAY.replace(year=TODAY.year - years, day=28)
    return day - datetime.timedelta(days=100)


def person(village: str = FENGSHAN_VILLAGE, years: int = 35, **fields) -> Person:
    """A registered member (not the head) aged `years`, then given `fields` directly, as
    data arriving by import or older versions would be (services would refuse some)."""
    household = make_household(
        village,
        phone="",
        members=[
            {
                "relation": "son",
                "name": "测试人",
                "id_number": new_id(born(years)),
                "labor_ability": "ordinary",
            }
        ],
    )
    member = household.members.get(relation="son")
    if fields:
        Person.objects.filter(pk=member.pk).update(**fields)
    return member


def state(who: Person, **fields) -> EmploymentRecord:
    values = {"status": "employed", "form": "company", "location_tier": "in_county"}
    values.update(fields)
    return EmploymentRecord.objects.create(person=who, valid_from=D(2026, 1, 1), **values)


def household(**fields) -> Household:
    made = make_household(FENGSHAN_VILLAGE)
    if fields:
        Household.objects.filter(pk=made.pk).update(**fields)
    return made


def _employer(seq: int) -> Employer:
    return Employer.objects.create(
        credit_code=f"91500156MA{seq:08d}", name=f"单位{seq}", region_id=FENGSHAN_VILLAGE,
        trade="C",
    )  # fmt: skip


def _workshop(revoked: datetime.date | None) -> Workshop:
    return Workshop.objects.create(
        name="车间", employer=_employer(1 if revoked else 2), region_id=FENGSHAN_VILLAGE,
        recognized_on=D(2019, 1, 1), document_number="文号", revoked_on=revoked,
    )  # fmt: skip


def _post(closed: datetime.date | None = None) -> PublicWelfarePost:
    return PublicWelfarePost.objects.create(
        title="保洁", post_type="cleaning", unit="村委会", region_id=FENGSHAN_VILLAGE,
        monthly_pay=Decimal(792), funding="district", developed_on=D(2020, 1, 1),
        closed_on=closed,
    )  # fmt: skip


def _place(years: int, closed: datetime.date | None = None) -> Placement:
    return Placement.objects.create(
        post=_post(closed), person=person(years=years), start=D(2024, 1, 1)
    )


def _pair_phone(same_village: bool) -> int:
    phone = "13587654321" if same_village else "13512345678"
    a = person(phone=phone)
    person(FENGSHAN_VILLAGE if same_village else FURONG_VILLAGE, phone=phone)
    return a.pk


def _no_phone(with_member_phone: bool) -> int:
    made = household(phone="")
    Person.objects.filter(household=made).update(phone="13600001111" if with_member_phone else "")
    return made.pk


def _duplicate_household_phone(duplicate: bool) -> int:
    made = household(phone="13700000001" if duplicate else "13700000009")
    if duplicate:
        household(phone="13700000001")
    return made.pk


def _verified(verified: bool) -> int:
    who = person()
    if verified:
        Verification.objects.create(person=who, verified_on=TODAY - datetime.timedelta(10))
    else:
        Verification.objects.create(person=who, verified_on=TODAY - datetime.timedelta(90))
    return who.pk


def _head(years: int) -> int:
    made = household()
    head = made.members.get(relation="head")
    Person.objects.filter(pk=head.pk).update(birth_date=born(years))
    return head.pk


YEAR = TODAY.year - 1  # subsidies below were paid last year
PAID = D(YEAR, 6, 30)


def claim(who: Person, policy: str = "transport", period: str = str(YEAR), **fields) -> int:
    """A paid claim of `who` (as the subsidies app leaves it after the bank's answer)."""
    values = {"amount": Decimal(500), "status": "paid", "paid_on": PAID}
    values.update(fields)
    return Application.objects.create(
        policy=Policy.objects.get(code=policy), person=who, region_id=who.household.village_id,
        period=period, account_holder=who.name, bank_account="6228480000123451234", **values,
    ).pk  # fmt: skip


def worked(who: Person, tier: str, start: datetime.date, end: datetime.date | None) -> Person:
    EmploymentRecord.objects.create(
        person=who, valid_from=start, valid_to=end, status="employed", form="company",
        location_tier=tier, employer_name="单位", monthly_income=Decimal(3000),
    )  # fmt: skip
    return who


def _transport(left: bool) -> int:
    who = person()
    # Out of the province until 1 January of the subsidy's year (valid_to is exclusive:
    # not a day of that year), then in the township — or out again from March to October.
    worked(who, "out_of_province", D(YEAR - 1, 3, 1), D(YEAR, 1, 1))
    if left:
        worked(who, "in_township", D(YEAR, 1, 1), D(YEAR, 3, 1))
        worked(who, "in_province", D(YEAR, 3, 1), D(YEAR, 10, 1))
        worked(who, "in_township", D(YEAR, 10, 1), None)
    else:
        worked(who, "in_township", D(YEAR, 1, 1), None)
    return claim(who)


def _paid_to_holder(holder: str) -> int:
    pk = claim(person())
    app = Application.objects.get(pk=pk)
    batch = PaymentBatch.objects.create(number=f"PB{pk:08d}", region_id=FENGSHAN, status="closed")
    Payment.objects.create(
        batch=batch, application=app, amount=app.amount, account_holder=holder or app.person.name,
        bank_account="6228480000123451234", status="paid", paid_on=PAID,
    )  # fmt: skip
    return pk


# rule → (make the record it must flag, make the record it must not flag); each returns a pk.
CASES = {
    "employed_no_employer": (
        lambda: state(person(), employer_name="").person_id,
        lambda: state(person(), employer_name="鑫源服饰").person_id,
    ),
    "employed_no_income": (
        lambda: state(person(), monthly_income=None).person_id,
        lambda: state(person(), monthly_income=Decimal(3000)).person_id,
    ),
    "employed_no_location": (
        lambda: state(person(), location_tier="").person_id,
        lambda: state(person(), location_tier="in_province").person_id,
    ),
    "not_employed_with_income": (
        lambda: state(person(), status="unemployed", form="", monthly_income=500).person_id,
        lambda: state(person(), status="unemployed", form="", monthly_income=None).person_id,
    ),
    "negative_income": (
        lambda: state(person(), monthly_income=Decimal(-1)).pk,
        lambda: state(person(), monthly_income=Decimal(0)).pk,
    ),
    "workshop_outside_county": (
        lambda: state(person(), form="workshop", location_tier="out_of_province").pk,
        lambda: state(person(), form="workshop", location_tier="in_township").pk,
    ),
    "workshop_revoked": (
        lambda: state(person(), form="workshop", workshop=_workshop(D(2025, 1, 1))).pk,
        lambda: state(person(), form="workshop", workshop=_workshop(None)).pk,
    ),
    "placement_age": (lambda: _place(72).pk, lambda: _place(40).pk),
    "placement_closed_post": (
        lambda: _place(40, closed=D(2025, 6, 1)).pk,
        lambda: _place(41).pk,
    ),
    "phone_shared_across_villages": (lambda: _pair_phone(False), lambda: _pair_phone(True)),
    "household_phone_duplicate": (
        lambda: _duplicate_household_phone(True),
        lambda: _duplicate_household_phone(False),
    ),
    "household_no_phone": (lambda: _no_phone(False), lambda: _no_phone(True)),
    "school_age_not_in_school": (
        lambda: person(years=10, school_status="none", labor_ability="none").pk,
        lambda: person(years=10, school_status="primary", labor_ability="none").pk,
    ),
    "school_status_age_mismatch": (
        lambda: person(years=17, school_status="primary").pk,
        lambda: person(years=17, school_status="senior").pk,
    ),
    "minor_with_labor_ability": (
        lambda: person(years=12, labor_ability="ordinary", school_status="primary").pk,
        lambda: person(years=12, labor_ability="none", school_status="primary").pk,
    ),
    "elderly_with_labor_ability": (
        lambda: person(years=80, labor_ability="ordinary").pk,
        lambda: person(years=80, labor_ability="lost").pk,
    ),
    "severe_disability_with_labor_ability": (
        lambda: person(health="disabled", disability_grade="1", labor_ability="ordinary").pk,
        lambda: person(health="disabled", disability_grade="1", labor_ability="lost").pk,
    ),
    "disability_grade_mismatch": (
        lambda: person(health="disabled", disability_grade="").pk,
        lambda: person(health="disabled", disability_grade="3").pk,
    ),
    "laborer_not_verified": (lambda: _verified(False), lambda: _verified(True)),
    "head_under_16": (lambda: _head(14), lambda: _head(46)),
    "exit_before_identification": (
        lambda: household(identified_year=2016, exit_year=2015).pk,
        lambda: household(identified_year=2014, exit_year=2019).pk,
    ),
    "exit_status_year_mismatch": (
        lambda: household(status="exited", exit_year=None).pk,
        lambda: household(status="exited", exit_year=2019).pk,
    ),
    "transport_never_left": (lambda: _transport(False), lambda: _transport(True)),
    "subsidy_paid_to_removed_person": (
        lambda: claim(person(removed_on=D(YEAR, 5, 1))),
        lambda: claim(person(removed_on=D(YEAR, 8, 1))),  # removed after the payment
    ),
    "welfare_post_subsidy_age": (  # 71 on the paid date / 70 until the next day
        lambda: claim(person(birth_date=D(YEAR - 71, 6, 30)), "welfare_post", f"{YEAR}-06"),
        lambda: claim(person(birth_date=D(YEAR - 71, 7, 1)), "welfare_post", f"{YEAR}-06"),
    ),
    "subsidy_paid_to_other_account": (
        lambda: _paid_to_holder("王某某"),
        lambda: _paid_to_holder(""),
    ),
}


def test_every_rule_has_a_case_and_at_least_15_rules():
    assert len(RULES) >= 15
    assert set(CASES) == set(RULES_BY_CODE)
    for rule in RULES:
        assert rule.name and rule.description


@pytest.mark.parametrize("code", list(CASES))
def test_rule_flags_the_bad_record_and_not_the_good_one(db, code):
    bad_maker, good_maker = CASES[code]
    bad, good = bad_maker(), good_maker()
    rule = RULES_BY_CODE[code]
    with CaptureQueriesContext(connection) as queries:
        hits = set(rule_hits(rule, None, WULONG, TODAY).values_list("pk", flat=True))
    assert len(queries) == 1  # one query, never a loop over the table
    assert bad in hits, code
    assert good not in hits, code


@pytest.fixture
def flagged(db):
    """Two bad households in 凤山 (two villages), one in 芙蓉 (exit before identification)."""
    made = []
    for village in (FENGSHAN_VILLAGE, FENGSHAN_OTHER_VILLAGE, FURONG_VILLAGE):
        h = make_household(village)
        Household.objects.filter(pk=h.pk).update(identified_year=2016, exit_year=2015)
        made.append(h)
    return made


def test_run_reports_per_township_and_never_duplicates(flagged, supervisor):
    rules = ["exit_before_identification"]
    first = run_quality(acting_user=supervisor, region_code=WULONG, rules=rules)
    row = first["rules"][0]
    assert row["by_township"] == {FENGSHAN: 2, FURONG: 1} and row["hits"] == 3
    assert row["opened"] == 3 and first["opened"] == 3
    tasks = RectificationTask.objects.filter(rule="exit_before_identification")
    assert sorted(tasks.values_list("township_id", flat=True)) == [FENGSHAN, FENGSHAN, FURONG]
    assert all(t.source == "rule" and t.deadline > TODAY for t in tasks)
    second = run_quality(acting_user=supervisor, region_code=WULONG, rules=rules)
    assert second["opened"] == 0 and second["rules"][0]["hits"] == 3
    assert tasks.count() == 3
    # A new hit later gets its own task, the old ones stay single.
    extra = make_household(FENGSHAN_VILLAGE)
    Household.objects.filter(pk=extra.pk).update(identified_year=2018, exit_year=2017)
    third = run_quality(acting_user=supervisor, region_code=FENGSHAN, rules=rules)
    assert third["opened"] == 1
    assert RectificationTask.objects.filter(rule="exit_before_identification").count() == 4


def test_subsidy_rules_read_paid_claims_and_open_tasks_once(db, supervisor):
    """Only paid claims count, as of the run's date, placed by the claim's village; a
    transport claim with no employment record at all is flagged, other policies are not."""
    removed = {"removed_on": D(YEAR, 5, 1)}
    hit = claim(person(**removed))
    claim(person(**removed), status="approved", paid_on=None)  # not paid (yet)
    later = claim(person(**removed), paid_on=D(YEAR, 9, 1))  # paid after the run's date
    furong = claim(person(FURONG_VILLAGE, **removed))
    no_record = claim(person())
    claim(person(), "one_off_employment", "ever")  # never left, but not a transport subsidy
    day = D(YEAR, 8, 1)
    removed_rule = RULES_BY_CODE["subsidy_paid_to_removed_person"]
    assert set(rule_hits(removed_rule, None, WULONG, day).values_list("pk", flat=True)) == {
        hit,
        furong,
    }
    assert later in rule_hits(removed_rule, None, WULONG, TODAY).values_list("pk", flat=True)
    transport = rule_hits(RULES_BY_CODE["transport_never_left"], None, WULONG, day)
    assert set(transport.values_list("pk", flat=True)) == {hit, no_record, furong}
    rules = ["subsidy_paid_to_removed_person"]
    first = run_quality(acting_user=supervisor, region_code=WULONG, rules=rules, as_of=day)
    assert first["rules"][0]["by_township"] == {FENGSHAN: 1, FURONG: 1}
    assert first["opened"] == 2
    task = RectificationTask.objects.get(object_id=hit, rule=rules[0])
    assert task.content_type.model_class() is Application
    assert task.township_id == FENGSHAN and task.region_id == FENGSHAN_VILLAGE
    assert task.subject == "测试人" and "补贴发放给已移除人员" in task.problem
    again = run_quality(acting_user=supervisor, region_code=WULONG, rules=rules, as_of=day)
    assert again["opened"] == 0 and again["rules"][0]["hits"] == 2
    assert run_quality(acting_user=supervisor, region_code=WULONG, rules=rules)["opened"] == 1


def test_all_rules_run_together(flagged, supervisor):
    report = run_quality(acting_user=supervisor, region_code=WULONG)
    assert [r["code"] for r in report["rules"]] == [r.code for r in RULES]
    assert report["opened"] == RectificationTask.objects.count()
    assert run_quality(acting_user=supervisor, region_code=WULONG)["opened"] == 0


def test_run_scoping(flagged, supervisor, township_operator, outside_admin, county_admin):
    with pytest.raises(PermissionDenied):  # the township works tasks, does not open them
        run_quality(acting_user=township_operator, region_code=FENGSHAN)
    with pytest.raises(PermissionDenied):
        run_quality(acting_user=outside_admin, region_code=WULONG)
    with pytest.raises(ValidationError):
        run_quality(acting_user=county_admin, region_code="999999")
    report = run_quality(
        acting_user=county_admin, region_code=FURONG, rules=["exit_before_identification"]
    )
    assert report["rules"][0]["by_township"] == {FURONG: 1}
    # Township staff see their township's rule tasks only.
    web = Client()
    web.force_login(township_operator)
    body = web.get(reverse("supervision-rectifications")).content.decode()
    assert flagged[2].number not in body


def test_quality_page(flagged, supervisor):
    web = Client()
    web.force_login(supervisor)
    page = web.get(reverse("supervision-quality")).content.decode()
    assert all(rule.name in page for rule in RULES)
    response = web.post(reverse("supervision-quality"), {"region": FENGSHAN})
    assert response.status_code == 200
    assert RectificationTask.objects.filter(township_id=FENGSHAN).exists()
    assert not RectificationTask.objects.filter(township_id=FURONG).exists()


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_cli_json_and_errors(flagged, supervisor):
    payload = json.loads(
        run("quality", "run", "--region", WULONG, "--user", "supervisor", "--json",
            "--rule", "exit_before_identification")
    )  # fmt: skip
    assert set(payload) == {"region", "as_of", "opened", "rules"}
    assert payload["rules"][0] == {
        "code": "exit_before_identification",
        "name": "脱贫年度早于识别年度",
        "hits": 3,
        "by_township": {FENGSHAN: 2, FURONG: 1},
        "opened": 3,
    }
    dry = json.loads(
        run("quality", "run", "--region", WULONG, "--dry-run", "--json", "--as-of", "2020-12-31")
    )
    assert dry["opened"] == 0 and dry["as_of"] == "2020-12-31"
    with pytest.raises(CommandError, match="日期无效"):
        run("quality", "run", "--region", WULONG, "--as-of", "2020-13-01")
    assert "exit_before_identification" in run("quality", "rules")
    with pytest.raises(CommandError, match="未知规则"):
        run("quality", "run", "--region", WULONG, "--rule", "nope")
    with pytest.raises(CommandError, match="不存在"):
        run("quality", "run", "--region", WULONG, "--user", "ghost")
    with pytest.raises(CommandError, match="管辖范围"):
        run("quality", "run", "--region", "500119", "--user", "supervisor")

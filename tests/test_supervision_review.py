"""Review of supervision (督导核查): defects found in review, each shown by a test that
failed before its fix."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from fupin.employment.models import EmploymentRecord, Workshop
from fupin.registry.models import Household, Person
from fupin.supervision import services
from fupin.supervision.models import CallTask, RectificationTask, SampleItem, SamplingPlan
from fupin.supervision.rules import RULES_BY_CODE, rule_hits, run_quality
from fupin.supervision.sampling import draw_group, draw_plan, verify_plan
from fupin.supervision.workdays import add_workdays
from tests import test_supervision
from tests.conftest import FENGSHAN, FENGSHAN_VILLAGE, WULONG
from tests.test_quality import _employer, household, person
from tests.test_supervision import client, draw

pytestmark = pytest.mark.django_db
district = test_supervision.district  # the fixture: 凤山街道 20 laborers, 芙蓉街道 2
D = datetime.date
TODAY = datetime.date.today()


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def draw_args(proportion: str) -> list[str]:
    return ["sample", "draw", "--population", "laborers", "--region", WULONG,
            "--proportion", proportion, "--user", "supervisor"]  # fmt: skip


# --- Bad input on the CLI ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity"])
def test_cli_proportion_nan_is_a_clear_error(district, supervisor, value):
    """Decimal('NaN') parses, then `0 < NaN` raised InvalidOperation: a traceback."""
    with pytest.raises(CommandError, match="比例"):
        run(*draw_args(value))


def test_proportion_finer_than_stored_is_refused(district, supervisor):
    """The plan stores 4 decimal places: a finer proportion was drawn with its full value
    but read back rounded, so the plan failed its own verification."""
    with pytest.raises(CommandError, match="比例"):
        run(*draw_args("0.00001"))
    assert not SamplingPlan.objects.exists()


def test_cli_malformed_minimum_is_chinese(district, supervisor):
    with pytest.raises(CommandError, match="最少抽取数"):
        run(*draw_args("0.1"), "--min", "five")


def test_cli_verify_malformed_plan_id_is_chinese(db):
    with pytest.raises(CommandError, match="抽样计划编号"):
        run("sample", "verify", "abc")


# --- Verify against the draw's audit entry ----------------------------------------------


def _redraw_with(plan: SamplingPlan, seed: str) -> None:
    """Tamper: a new seed and the items it would give, consistently (as a DB user could)."""
    SamplingPlan.objects.filter(pk=plan.pk).update(seed=seed)
    for group in plan.groups.all():
        items = {i.object_id: i for i in group.items.all()}
        CallTask.objects.filter(item__group=group).delete()
        SampleItem.objects.filter(group=group).delete()
        chosen = draw_group(seed, group.township_id, group.stratum, group.population_ids,
                            group.drawn)  # fmt: skip
        template = next(iter(items.values()))
        for order, pk in enumerate(chosen, 1):
            SampleItem.objects.create(
                plan=plan, group=group, township_id=group.township_id,
                region_id=template.region_id, content_type=template.content_type,
                object_id=pk, household_id=template.household_id, person_id=pk, order=order,
            )  # fmt: skip


def test_verify_detects_a_changed_seed_with_consistent_items(district, supervisor):
    plan = draw(supervisor)
    assert verify_plan(plan)["matches"]
    _redraw_with(plan, "f" * 32)
    plan.refresh_from_db()
    assert not verify_plan(plan)["matches"]


def test_verify_detects_a_changed_proportion(district, supervisor):
    plan = draw(supervisor, proportion=Decimal("0.25"), minimum=0)
    SamplingPlan.objects.filter(pk=plan.pk).update(proportion=Decimal("0.2"))
    # a township of 20 gives 5 at both 0.25 and 0.2 (⌈4⌉ = 4 ≠ 5, so change the group too)
    plan.groups.filter(township_id=FENGSHAN).update(drawn=4)
    last = plan.items.filter(township_id=FENGSHAN).order_by("-order").first()
    CallTask.objects.filter(item=last).delete()
    last.delete()
    plan.refresh_from_db()
    assert not verify_plan(plan)["matches"]


def test_verify_detects_an_item_redirected_to_another_person(district, supervisor):
    """The record drawn is kept, but the call goes to someone else."""
    plan = draw(supervisor)
    item = plan.items.filter(township_id=FENGSHAN).first()
    other = plan.groups.get(township_id=FENGSHAN).population_ids
    stranger = next(pk for pk in other if pk != item.person_id)
    SampleItem.objects.filter(pk=item.pk).update(person_id=stranger)
    assert not verify_plan(plan)["matches"]


# --- Privacy: masking short (landline) numbers ------------------------------------------


@pytest.mark.parametrize("phone", ["77712345", "7771234", "023-77712345", "13812345678"])
def test_masked_phone_hides_at_least_four_digits(phone):
    masked = services.mask_phone(phone)
    assert len(masked) == len(phone)
    hidden = sum(1 for a, b in zip(phone, masked, strict=True) if a != b)
    assert hidden >= 4, masked


# --- Rules and populations: removed persons ---------------------------------------------


def test_employment_rules_skip_removed_persons():
    removed = person(removed_on=D(2025, 6, 1))
    EmploymentRecord.objects.create(
        person=removed, valid_from=D(2025, 1, 1), status="employed", form="company",
        location_tier="in_county", monthly_income=Decimal(-10),
    )  # fmt: skip
    rule = RULES_BY_CODE["negative_income"]
    assert not rule_hits(rule, None, WULONG, TODAY).exists()


def test_workshop_population_skips_removed_persons(supervisor):
    workshop = Workshop.objects.create(
        name="车间", employer=_employer(7), region_id=FENGSHAN_VILLAGE,
        recognized_on=D(2019, 1, 1), document_number="文号",
    )  # fmt: skip
    kept = person()
    gone = person(removed_on=D(2025, 6, 1))
    for who in (kept, gone):
        EmploymentRecord.objects.create(
            person=who, valid_from=D(2025, 1, 1), status="employed", form="workshop",
            location_tier="in_township", workshop=workshop, monthly_income=Decimal(2000),
        )  # fmt: skip
    plan = draw(supervisor, population="workshop_employees", proportion=Decimal(1), minimum=0)
    drawn = set(plan.items.values_list("person_id", flat=True))
    assert drawn == {kept.pk}


# --- Deadlines ----------------------------------------------------------------------------


def test_quality_run_for_a_past_date_gives_a_deadline_from_today(supervisor):
    """`--as-of` dates the data; the township's 5 working days start when the task opens
    (a run as of 2020-12-31 opened tasks already overdue)."""
    hit = household(exit_year=2013)  # 脱贫年度早于识别年度 (2014)
    run_quality(
        acting_user=supervisor,
        region_code=WULONG,
        rules=["exit_before_identification"],
        as_of=D(2020, 12, 31),
    )
    task = RectificationTask.objects.get(object_id=hit.pk, rule="exit_before_identification")
    assert task.deadline == add_workdays(timezone.localdate(), 5)
    assert not task.overdue


@pytest.mark.parametrize(
    "start,days,due",
    [
        (D(2026, 12, 30), 2, D(2027, 1, 4)),  # 元旦 2027 (Friday) is a holiday
        (D(2028, 4, 28), 1, D(2028, 5, 3)),  # 劳动节 1–2 May (Monday, Tuesday 2028)
        (D(2027, 9, 29), 3, D(2027, 10, 5)),  # 国庆节 1–3 October (Friday 1st)
    ],
)
def test_deadline_skips_fixed_holidays_in_a_year_the_calendar_lacks(start, days, due):
    assert add_workdays(start, days) == due


# --- Maker–checker on rectification -------------------------------------------------------


def test_whoever_submitted_a_rectification_cannot_close_it(district, supervisor, county_admin):
    """A county admin holds both the township's and the supervisor's permissions: having
    submitted the correction, they must not confirm it themselves."""
    plan = draw(supervisor)
    call = CallTask.objects.filter(item__plan=plan, item__township_id=FENGSHAN).first()
    services.record_call(
        acting_user=supervisor, task=call, result="false", wrong_fact="income", true_value="2000"
    )
    rect = RectificationTask.objects.get(call=call)
    services.submit_rectification(acting_user=county_admin, task=rect, evidence="已更正")
    with pytest.raises(PermissionDenied, match="提交"):
        services.review_rectification(acting_user=county_admin, task=rect, approve=True)
    response = client(county_admin).post(
        reverse("supervision-rectification-review", kwargs={"pk": rect.pk}),
        {"decision": "approve"},
    )
    assert response.status_code == 403
    rect.refresh_from_db()
    assert rect.status == "awaiting_review"
    services.review_rectification(acting_user=supervisor, task=rect, approve=True)
    rect.refresh_from_db()
    assert rect.status == "closed"


# --- The phone reveal fragment is HTML ---------------------------------------------------


def test_revealed_phone_is_escaped(district, supervisor):
    """Phones are free text on import (20 characters): the fragment must not run markup."""
    plan = draw(supervisor)
    task = CallTask.objects.filter(item__plan=plan, item__township_id=FENGSHAN).first()
    Person.objects.filter(pk=task.item.person_id).update(phone="<svg onload=alert()>")
    url = reverse("supervision-call-phone", kwargs={"pk": task.pk})
    body = client(supervisor).post(url).content.decode()
    assert "<svg" not in body and "&lt;svg onload=alert()&gt;" in body


# --- A minimum beyond the column ---------------------------------------------------------


def test_minimum_beyond_the_column_is_refused(district, supervisor):
    """PostgreSQL's integer column overflowed (a 500); refuse it in words everywhere."""
    with pytest.raises(ValidationError, match="最少抽取数"):
        draw(supervisor, minimum=2**31)
    with pytest.raises(CommandError, match="最少抽取数"):
        run(*draw_args("0.1"), "--min", str(2**40))
    assert not SamplingPlan.objects.exists()


# --- The seed is the system's, whoever made the plan row --------------------------------


def test_draw_plan_ignores_a_seed_chosen_before_the_draw(district, supervisor):
    """`draw_plan` draws any undrawn plan: a row created with a chosen seed (shell, a
    future page) steered the sample. The seed is generated at the draw itself."""
    chosen = "0" * 32
    plan = SamplingPlan.objects.create(
        population="laborers", region_id=WULONG, proportion=Decimal("0.25"), minimum=3,
        as_of=TODAY, seed=chosen, created_by=supervisor,
    )  # fmt: skip
    drawn = draw_plan(acting_user=supervisor, plan=plan)
    assert drawn.seed != chosen and len(drawn.seed) == 32
    assert verify_plan(drawn)["matches"]


# --- Two quality runs at once -------------------------------------------------------------


def test_concurrent_quality_run_gives_a_message_not_an_integrity_error(supervisor, monkeypatch):
    """The nightly run and a click on the page at the same moment: the second one's insert
    hits the one-task-per-hit constraint. It must say so, not fail with a 500."""
    from fupin.supervision import rules as rules_module

    hit = household(exit_year=2013)
    real = rules_module.rule_hits
    calls = []

    def racing(rule, user, region_code, as_of):
        calls.append(rule.code)
        if len(calls) == 2:  # after `existing` was read: the other run commits its task
            services.create_rectification(
                source="rule", region_code=hit.village_id,
                content_type=ContentType.objects.get_for_model(Household), object_id=hit.pk,
                subject=hit.number, problem="数据疑点：脱贫年度早于识别年度",
                rule="exit_before_identification",
            )  # fmt: skip
        return real(rule, user, region_code, as_of)

    monkeypatch.setattr(rules_module, "rule_hits", racing)
    with pytest.raises(ValidationError, match="重新运行"):
        run_quality(
            acting_user=supervisor, region_code=WULONG, rules=["exit_before_identification"]
        )


# --- Data dates out of range --------------------------------------------------------------


@pytest.mark.parametrize("day", ["0050-01-01", "9999-12-31"])
def test_cli_as_of_out_of_range_is_a_clear_error(district, supervisor, day):
    """Ages are counted back from the date (year 50 − 75 is no year: a traceback); a date
    after today would choose tomorrow's population."""
    with pytest.raises(CommandError, match="数据日期"):
        run(*draw_args("0.1"), "--as-of", day)
    with pytest.raises(CommandError, match="数据日期"):
        run("quality", "run", "--region", WULONG, "--as-of", day)
    assert not SamplingPlan.objects.exists()


# --- Call time ----------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "2999-01-01T10:00"])
def test_call_time_out_of_range_is_a_form_error(district, supervisor, when):
    """Year 1 overflowed converting to UTC (a 500); a call in the future is no record."""
    plan = draw(supervisor)
    task = CallTask.objects.filter(item__plan=plan).first()
    url = reverse("supervision-call", kwargs={"pk": task.pk})
    response = client(supervisor).post(url, {"result": "true", "called_at": when})
    assert response.status_code == 200
    assert "核查时间须在 1900 年之后且不晚于现在" in response.content.decode()
    task.refresh_from_db()
    assert task.status == "open" and task.attempts == 0


# --- The quality page with a region outside one's jurisdiction ---------------------------


def test_quality_page_outside_jurisdiction_is_a_message(county_admin):
    """A typed region code of another district gave Django's bare English 403 page."""
    response = client(county_admin).post(reverse("supervision-quality"), {"region": "500119"})
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert not RectificationTask.objects.exists()


def test_verify_detects_a_deleted_call_task(district, supervisor):
    """The item stays, its call is gone: nobody will ever call that (hard) case."""
    plan = draw(supervisor)
    CallTask.objects.filter(item__plan=plan).first().delete()
    report = verify_plan(plan)
    assert not report["matches"]
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("sample", "verify", str(plan.pk), stdout=out)
    assert "1 条样本没有电话核查任务" in out.getvalue()


# --- 60 days unverified, as of a past date ------------------------------------------------


def test_not_verified_as_of_a_past_date_ignores_later_verifications():
    """As of 1 September, a laborer last verified in May is 60+ days unverified, whatever
    was done in November."""
    from fupin.employment.models import Verification

    who = person()
    day = TODAY - datetime.timedelta(days=100)
    Verification.objects.create(person=who, verified_on=day - datetime.timedelta(days=90))
    Verification.objects.create(person=who, verified_on=TODAY - datetime.timedelta(days=5))
    rule = RULES_BY_CODE["laborer_not_verified"]
    assert who.pk in set(rule_hits(rule, None, WULONG, day).values_list("pk", flat=True))
    assert who.pk not in set(rule_hits(rule, None, WULONG, TODAY).values_list("pk", flat=True))

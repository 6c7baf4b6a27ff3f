"""Sampling population 补贴发放 (subsidy_payments): paid claims of persons, grouped by the
claim's township, drawn and verified like the other populations; the call shows the
payment's facts and the person's phone; a wrong fact opens a rectification task on the
claim."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from fupin.core.models import AuditLog
from fupin.employment.models import Employer, Workshop
from fupin.subsidies.models import Application, Payment, PaymentBatch, Policy
from fupin.supervision import services
from fupin.supervision.models import CallTask, RectificationTask, SampleItem, SamplingPlan
from fupin.supervision.sampling import draw_group, population_rows
from tests.conftest import (
    FENGSHAN,
    FENGSHAN_OTHER_VILLAGE,
    FENGSHAN_VILLAGE,
    FURONG,
    FURONG_VILLAGE,
    WULONG,
    new_id,
)

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR = datetime.date.today().year - 1
PAID = D(YEAR, 6, 30)
ACCOUNT = "6228480000123451234"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def paid(person, policy: str = "transport", **fields) -> Application:
    values = {
        "period": str(YEAR),
        "amount": Decimal(500),
        "status": "paid",
        "paid_on": PAID,
        "account_holder": person.name,
        "bank_name": "重庆农商行",
        "bank_account": ACCOUNT,
    }
    values.update(fields)
    return Application.objects.create(
        policy=Policy.objects.get(code=policy),
        person=person,
        region_id=person.household.village_id,
        **values,
    )


@pytest.fixture
def claims(household_factory):
    """凤山街道: 6 paid transport claims over two villages; 芙蓉街道: 1. Not in the
    population: an approved (unpaid) claim, a claim paid after the plan's date, a
    workshop's claim."""
    made = {"fengshan": [], "furong": []}
    for i in range(6):
        village = FENGSHAN_VILLAGE if i < 4 else FENGSHAN_OTHER_VILLAGE
        household = household_factory(
            village,
            head_name=f"领{i}",
            members=[
                {
                    "relation": "son",
                    "name": f"领{i}子",
                    "id_number": new_id(D(1990, 3, 1)),
                    "labor_ability": "ordinary",
                    "phone": f"1390000{i:04d}",
                }
            ],
        )
        made["fengshan"].append(paid(household.members.get(relation="son")))
    furong = household_factory(FURONG_VILLAGE, head_name="芙蓉领")
    made["furong"].append(
        paid(furong.members.get(), "one_off_employment", period="ever", amount=Decimal(1000))
    )
    extra = household_factory(FENGSHAN_VILLAGE, head_name="未发")
    paid(extra.members.get(), status="approved", paid_on=None)
    late = household_factory(FENGSHAN_VILLAGE, head_name="晚发")
    made["late"] = paid(late.members.get(), paid_on=D(YEAR, 12, 1))
    employer = Employer.objects.create(
        credit_code="91500156MA00000077", name="鑫源服饰", region_id=FENGSHAN_VILLAGE, trade="C"
    )
    workshop = Workshop.objects.create(
        name="鑫源扶贫车间", employer=employer, region_id=FENGSHAN_VILLAGE,
        recognized_on=D(2019, 1, 1), document_number="文号",
    )  # fmt: skip
    Application.objects.create(
        policy=Policy.objects.get(code="workshop_construction"), workshop=workshop,
        region_id=FENGSHAN_VILLAGE, period="ever", amount=Decimal(150000), status="paid",
        paid_on=PAID,
    )  # fmt: skip
    return made


AS_OF = D(YEAR, 9, 30)


def draw_cli(*extra: str) -> dict:
    return json.loads(
        run("sample", "draw", "--population", "subsidy_payments", "--region", WULONG,
            "--proportion", "0.5", "--min", "1", "--as-of", AS_OF.isoformat(),
            "--user", "supervisor", "--json", *extra)
    )  # fmt: skip


def test_population_is_paid_person_claims_in_fixed_order(claims):
    rows = population_rows("subsidy_payments", None, WULONG, AS_OF)
    ids = [r[0] for r in rows]
    fengshan = [a.pk for a in claims["fengshan"]]
    assert ids == [*fengshan, claims["furong"][0].pk]  # village, then id
    assert claims["late"].pk not in ids
    first = claims["fengshan"][0]
    assert rows[0] == (first.pk, FENGSHAN_VILLAGE, first.person.household_id, first.person_id)
    later = population_rows("subsidy_payments", None, WULONG, D(YEAR, 12, 31))
    assert claims["late"].pk in [r[0] for r in later]


def test_cli_draw_and_verify(claims, supervisor):
    payload = draw_cli()
    assert payload["population"] == "subsidy_payments"
    assert {t["code"]: (t["size"], t["drawn"]) for t in payload["townships"]} == {
        FENGSHAN: (6, 3),  # ⌈0.5 × 6⌉
        FURONG: (1, 1),
    }
    plan = SamplingPlan.objects.get(pk=payload["plan"])
    group = plan.groups.get(township_id=FENGSHAN)
    assert group.population_ids == [a.pk for a in claims["fengshan"]]
    stored = list(group.items.order_by("order").values_list("object_id", flat=True))
    assert stored == draw_group(plan.seed, FENGSHAN, "", group.population_ids, 3)
    item = plan.items.first()
    assert item.content_type.model_class() is Application
    app = Application.objects.get(pk=item.object_id)
    assert (item.person_id, item.household_id, item.region_id) == (
        app.person_id,
        app.person.household_id,
        app.region_id,
    )
    report = json.loads(run("sample", "verify", str(plan.pk), "--json"))
    assert report["matches"] is True and report["population_unchanged"] is True
    # A claim reversed after the draw changes today's population, not the stored draw.
    Application.objects.filter(pk=claims["fengshan"][0].pk).update(status="reversed")
    report = json.loads(run("sample", "verify", str(plan.pk), "--json"))
    assert report["matches"] is True and report["population_unchanged"] is False
    # A removed item is caught.
    CallTask.objects.filter(item=item).delete()
    item.delete()
    with pytest.raises(SystemExit):
        run("sample", "verify", str(plan.pk))


def test_village_strata(claims, supervisor):
    payload = draw_cli("--strata", "village")
    plan = SamplingPlan.objects.get(pk=payload["plan"])
    assert {(g.stratum, g.population_size, g.drawn) for g in plan.groups.all()} == {
        (FENGSHAN_VILLAGE, 4, 2),
        (FENGSHAN_OTHER_VILLAGE, 2, 1),
        (FURONG_VILLAGE, 1, 1),
    }
    assert json.loads(run("sample", "verify", str(plan.pk), "--json"))["matches"]


def test_call_page_shows_payment_facts_and_person_phone(claims, supervisor, county_admin):
    plan = SamplingPlan.objects.get(pk=draw_cli()["plan"])
    task = CallTask.objects.get(item__plan=plan, item__township_id=FURONG)
    app = claims["furong"][0]
    batch = PaymentBatch.objects.create(number="PB0001", region_id=FURONG, status="closed")
    Payment.objects.create(
        batch=batch, application=app, amount=app.amount, account_holder=app.person.name,
        bank_name="中国农业银行", bank_account="6228481111222233334", status="paid",
        paid_on=PAID,
    )  # fmt: skip
    facts = {f["key"]: f["value"] for f in services.call_facts(task)}
    assert facts == {
        "name": "芙蓉领",
        "village": app.region.short_name,
        "policy": "一次性就业补贴",
        "period": "不分期（限享受一次）",
        "amount": "1000 元",
        "paid_on": PAID.isoformat(),
        "bank": "中国农业银行 622848*********3334",  # the account the bank paid into
    }
    url = reverse("supervision-call", kwargs={"pk": task.pk})
    body = web(supervisor).get(url).content.decode()
    for label in ("补贴项目", "所属期", "发放金额", "发放日期", "收款账户", "一次性就业补贴"):
        assert label in body
    assert "6228481111222233334" not in body
    # The phone is the beneficiary's own (each son has one; the household has none).
    fengshan = CallTask.objects.filter(item__plan=plan, item__township_id=FENGSHAN).first()
    person_phone = fengshan.item.person.phone
    assert person_phone and services.phone_of(fengshan) == person_phone
    page = web(supervisor).get(reverse("supervision-call", kwargs={"pk": fengshan.pk}))
    assert services.mask_phone(person_phone) in page.content.decode()
    assert person_phone not in page.content.decode()
    reveal = reverse("supervision-call-phone", kwargs={"pk": fengshan.pk})
    assert person_phone in web(supervisor).post(reveal).content.decode()
    assert AuditLog.objects.filter(action="view_phone", object_id=str(fengshan.pk)).count() == 1
    assert web(county_admin).post(reveal).status_code == 403


def test_cents_and_unpaid_account_facts(claims, supervisor):
    Application.objects.filter(pk=claims["furong"][0].pk).update(amount=Decimal("792.50"))
    plan = SamplingPlan.objects.get(pk=draw_cli()["plan"])
    task = CallTask.objects.get(item__plan=plan, item__township_id=FURONG)
    facts = {f["key"]: f["value"] for f in services.call_facts(task)}
    assert facts["amount"] == "792.50 元"
    assert facts["bank"] == "重庆农商行 622848*********1234"  # no payment row: the claim's


def test_wrong_amount_opens_rectification_on_the_claim(claims, supervisor):
    plan = SamplingPlan.objects.get(pk=draw_cli()["plan"])
    task = CallTask.objects.filter(item__plan=plan, item__township_id=FENGSHAN).first()
    response = web(supervisor).post(
        reverse("supervision-call", kwargs={"pk": task.pk}),
        {"result": "false", "wrong_fact": "amount", "true_value": "只收到 300 元"},
    )
    assert response.status_code == 302
    rect = RectificationTask.objects.get(call=task)
    assert rect.content_type.model_class() is Application
    assert rect.object_id == task.item.object_id and rect.township_id == FENGSHAN
    assert rect.problem == "电话核查不属实：发放金额，实际为 只收到 300 元"
    assert rect.subject == task.item.person.name


def test_plan_page_offers_and_draws_subsidy_payments(claims, supervisor):
    client = web(supervisor)
    assert "补贴发放" in client.get(reverse("supervision-plan-new")).content.decode()
    response = client.post(
        reverse("supervision-plan-new"),
        {"population": "subsidy_payments", "region": FENGSHAN, "percent": "50", "minimum": "1"},
    )
    assert response.status_code == 302
    plan = SamplingPlan.objects.get()
    assert plan.get_population_display() == "补贴发放"
    # Drawn as of today: the claim paid in December is in the population too.
    assert SampleItem.objects.filter(plan=plan).count() == 4  # ⌈0.5 × 7⌉
    assert "补贴发放" in client.get(response["Location"]).content.decode()

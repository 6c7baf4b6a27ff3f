# ruff: noqa: F811 (fixtures imported from the support module)
"""Subsidies: the seeded catalogue, each eligibility rule passing and failing, the
workflow's guards, maker–checker, the unique claim per period, budget, reversals, the
eligible-but-unserved list (one query), bulk drafts, and payment batches with the bank's
file out and its return file in."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fupin.core.models import AuditLog
from fupin.subsidies import payments as pay
from fupin.subsidies import rules
from fupin.subsidies import services as s
from fupin.subsidies.models import Application, Payment, Policy
from fupin.subsidies.selectors import paid_rows, paid_summary
from tests.conftest import FENGSHAN
from tests.test_subsidies_support import ACCOUNT, MONTH, YEAR, policy, reviewer, world  # noqa: F401, I001

pytestmark = pytest.mark.django_db


def test_catalogue_seeded_with_domain_subsidies():
    names = set(Policy.objects.values_list("name", flat=True))
    assert {
        "一次性就业补贴", "外出务工交通补贴", "就业适应性培训补贴", "公益性岗位岗位补贴",
        "公益性岗位社保补贴", "扶贫车间建设补助", "稳岗补助", "以工代训补贴", "带动就业示范奖补",
        "创业担保贷款贴息", "劳务协作补贴",
    } <= names  # fmt: skip
    for p in Policy.objects.all():
        rules.validate_rules(p.beneficiary_kind, p.rules)


RULE_CASES = [
    # rule, period, passing, failing
    ("registered_poor", YEAR, "idle", "farmer"),
    ("poor_laborer", YEAR, "idle", "holder"),
    ("employed_in_period", YEAR, "local", "idle"),
    ("employed_outside_county_this_year", YEAR, "migrant", "local"),
    ("public_welfare_on_post_this_month", MONTH, "holder", "migrant"),
    ("completed_adaptive_training", YEAR, "trainee", "dropout"),
    ("startup_with_loan", YEAR, "founder", "migrant"),
    ("workshop_recognised", YEAR, "workshop", "revoked"),
    ("workshop_employs_poor", YEAR, "workshop", "revoked"),
    ("employer_employs_poor", YEAR, "employer", "quiet"),
    ("labor_cooperation", YEAR, None, "migrant"),
]


@pytest.mark.parametrize(("key", "period", "passing", "failing"), RULE_CASES)
def test_each_rule_passes_and_fails(world, key, period, passing, failing):
    rule = rules.RULES[key]
    cap = "once_per_month" if len(period) == 7 else "once_per_year"
    p = Policy(
        code=key, name=key, beneficiary_kind=rule.kind, standard_kind="fixed",
        amount=Decimal(100), period_cap=cap, rules=[key], valid_from=rules.EPOCH,
    )  # fmt: skip
    eligible = set(rules.eligible(p, FENGSHAN, period))
    if passing:
        assert world[passing] in eligible
        ok, reasons = rules.explain(p, world[passing], period)
        assert ok and reasons == [f"符合条件：{rule.label}"]
    if failing:
        assert world[failing] not in eligible
        ok, reasons = rules.explain(p, world[failing], period)
        assert not ok and reasons == [f"不符合条件：{rule.missing}"]


def test_labor_cooperation_and_wrong_kind(world):
    """Labor cooperation passes by channel; a person is no beneficiary of a workshop policy."""
    ok, reasons = rules.explain(policy("workshop_construction"), world["migrant"], "ever")
    assert not ok and "补贴对象是扶贫车间" in reasons[0]
    coop = policy("labor_cooperation")
    from tests.test_subsidies_support import employ

    employ(world["local"], channel="cooperation")
    assert rules.explain(coop, world["local"], YEAR)[0]
    assert world["local"] in set(rules.eligible(coop, FENGSHAN, YEAR))


def test_period_keys_fit_the_cap():
    assert rules.period_key(policy("one_off_employment")) == "ever"
    assert rules.period_key(policy("transport")) == YEAR
    assert rules.period_key(policy("welfare_post")) == MONTH
    with pytest.raises(ValidationError, match="2026-11"):
        rules.window(policy("welfare_post"), "2026")
    with pytest.raises(ValidationError, match="所属期"):
        rules.window(policy("transport"), "abcd")


def make(user, who, code="transport", period=YEAR, **data):
    chosen = policy(code)
    if chosen.standard_kind == "actual_capped":  # 据实: a receipt at the cap unless given
        data.setdefault("actual_cost", chosen.cap)
    return s.create_application(
        acting_user=user,
        policy=chosen,
        beneficiary=who,
        period=period,
        data={"bank_account": ACCOUNT, "bank_name": "农商行", **data},
    )


def through_review(app, maker, checker):
    s.submit(acting_user=maker, application=app)
    return s.review(acting_user=checker, application=app)


def test_create_checks_eligibility_with_reasons(world, township_operator):
    app = make(township_operator, world["migrant"])
    assert app.status == "draft" and app.amount == Decimal(500) and app.eligible
    assert "符合条件：所属期内在县（区）外务工" in app.reasons
    assert app.region_id == world["migrant"].household.village_id
    with pytest.raises(ValidationError, match="不符合条件：所属期内没有县（区）外务工记录"):
        make(township_operator, world["local"])
    assert AuditLog.objects.filter(object_type="subsidies.application", action="create").count()


def test_amount_standards(world, township_operator):
    assert make(township_operator, world["migrant"], actual_cost=Decimal(320)).amount == 320
    stab = make(township_operator, world["workshop"], "workshop_stabilisation", MONTH)
    assert stab.heads == 1 and stab.amount == Decimal(500)


def test_one_claim_per_beneficiary_policy_period(world, township_operator):
    first = make(township_operator, world["migrant"])
    with pytest.raises(ValidationError, match="只能享受一次"):
        make(township_operator, world["migrant"])
    s.cancel(acting_user=township_operator, application=first)
    again = make(township_operator, world["migrant"])  # a cancelled claim steps aside
    assert again.pk != first.pk


def test_state_machine_guards(world, township_operator, reviewer, county_admin):
    app = make(township_operator, world["migrant"])
    with pytest.raises(ValidationError, match="须先提交"):
        s.review(acting_user=reviewer, application=app)
    with pytest.raises(ValidationError, match="须先经乡镇审核"):
        s.approve(acting_user=county_admin, application=app)
    with pytest.raises(ValidationError, match="不能纳入发放批次"):
        pay.create_batch(acting_user=county_admin, applications=[app])
    s.submit(acting_user=township_operator, application=app)
    with pytest.raises(ValidationError, match="须先经乡镇审核"):
        s.approve(acting_user=county_admin, application=app)
    with pytest.raises(ValidationError, match="不能提交"):
        s.submit(acting_user=township_operator, application=app)
    s.review(acting_user=reviewer, application=app)
    with pytest.raises(ValidationError, match="不能撤销"):
        s.cancel(acting_user=township_operator, application=app)
    s.approve(acting_user=county_admin, application=app)
    with pytest.raises(ValidationError, match="冲正"):
        s.update_application(acting_user=township_operator, application=app, data={"heads": 2})
    with pytest.raises(ValidationError, match="不能退回"):
        s.reject(acting_user=county_admin, application=app, reason="x")
    with pytest.raises(ValidationError, match="不能审批"):
        s.approve(acting_user=county_admin, application=app)
    statuses = AuditLog.objects.filter(object_id=str(app.pk), object_type="subsidies.application")
    assert statuses.filter(changes__status=["reviewed", "approved"]).exists()


def test_maker_checker(world, township_operator, reviewer, county_admin):
    app = make(township_operator, world["migrant"])
    s.submit(acting_user=township_operator, application=app)
    with pytest.raises(PermissionDenied, match="经办与审核须分离"):
        s.review(acting_user=township_operator, application=app)
    s.review(acting_user=county_admin, application=app)
    with pytest.raises(PermissionDenied, match="经办人或审核人"):
        s.approve(acting_user=county_admin, application=app)
    second = make(county_admin, world["trainee"], "adaptive_training")
    through_review(second, county_admin, reviewer)
    with pytest.raises(PermissionDenied, match="经办人或审核人"):
        s.approve(acting_user=county_admin, application=second)


def test_permissions_and_jurisdiction(world, township_operator, other_township_operator, leader):
    with pytest.raises(PermissionDenied):
        make(leader, world["migrant"])
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        make(other_township_operator, world["migrant"])
    app = make(township_operator, world["migrant"])
    s.submit(acting_user=township_operator, application=app)
    with pytest.raises(PermissionDenied):  # township staff cannot approve
        s.approve(acting_user=other_township_operator, application=app)


def test_reject_needs_reason_and_frees_the_period(world, township_operator, reviewer):
    app = make(township_operator, world["migrant"])
    s.submit(acting_user=township_operator, application=app)
    with pytest.raises(ValidationError, match="退回原因"):
        s.reject(acting_user=reviewer, application=app, reason=" ")
    app = s.reject(acting_user=reviewer, application=app, reason="车票不清晰")
    assert app.status == "rejected" and app.reject_reason == "车票不清晰"
    assert make(township_operator, world["migrant"]).status == "draft"


def test_review_rechecks_eligibility(world, township_operator, reviewer):
    from fupin.employment.models import EmploymentRecord

    app = make(township_operator, world["migrant"])
    s.submit(acting_user=township_operator, application=app)
    EmploymentRecord.objects.filter(person=world["migrant"]).update(location_tier="in_township")
    with pytest.raises(ValidationError, match="不符合条件"):
        s.review(acting_user=reviewer, application=app)


def test_budget_is_never_overspent(world, township_operator, reviewer, county_admin):
    Policy.objects.filter(code="transport").update(yearly_budget=Decimal(700))
    first = through_review(make(township_operator, world["migrant"]), township_operator, reviewer)
    s.approve(acting_user=county_admin, application=first)
    employ_furong = world["furong"]
    from fupin.accounts.services import create_user
    from tests.conftest import FURONG, PASSWORD

    furong_reviewer = create_user(
        acting_user=None, username="fr2", role="township_operator", region_code=FURONG,
        password=PASSWORD,
    )  # fmt: skip
    maker = create_user(
        acting_user=None, username="fr1", role="township_operator", region_code=FURONG,
        password=PASSWORD,
    )  # fmt: skip
    second = through_review(make(maker, employ_furong), maker, furong_reviewer)
    with pytest.raises(ValidationError, match="剩余 200.00 元"):
        s.approve(acting_user=county_admin, application=second)
    assert s.committed(policy("transport"), int(YEAR)) == Decimal(500)


def test_update_recomputes_and_only_before_approval(world, township_operator):
    app = make(township_operator, world["migrant"])
    app = s.update_application(
        acting_user=township_operator, application=app, data={"actual_cost": Decimal(120)}
    )
    assert app.amount == Decimal(120)
    with pytest.raises(ValidationError, match="银行账号"):
        s.update_application(
            acting_user=township_operator, application=app, data={"bank_account": "12ab"}
        )


def approved(world, maker, checker, approver, who="migrant", code="transport", period=YEAR):
    app = through_review(make(maker, world[who], code, period), maker, checker)
    return s.approve(acting_user=approver, application=app)


def test_reversal_instead_of_edit(world, township_operator, reviewer, county_admin):
    app = approved(world, township_operator, reviewer, county_admin)
    with pytest.raises(ValidationError, match="冲正原因"):
        s.reverse(acting_user=county_admin, application=app, reason="")
    reversal = s.reverse(acting_user=county_admin, application=app, reason="金额有误")
    app.refresh_from_db()
    assert app.status == "reversed" and reversal.amount == -app.amount
    assert reversal.reversal_of == app and reversal.status == "reversal"
    corrected = make(township_operator, world["migrant"], actual_cost=Decimal(300))
    assert corrected.amount == Decimal(300)


def test_unserved_list_is_one_query_and_excludes_claimed(world, township_operator):
    p = policy("transport")
    with CaptureQueriesContext(connection) as queries:
        people = list(s.unserved(p, FENGSHAN, YEAR))
    assert len(queries) == 1
    assert people == [world["migrant"]]  # 芙蓉 is another township; 农户 not registered-poor
    make(township_operator, world["migrant"])
    assert list(s.unserved(p, FENGSHAN, YEAR)) == []
    assert set(s.unserved(p, "500156", YEAR)) == {world["furong"]}


def test_bulk_drafts_all_or_nothing(world, township_operator):
    p = policy("welfare_post")
    created = s.bulk_create_drafts(
        acting_user=township_operator, policy=p, period=MONTH, region_code=FENGSHAN
    )
    assert [a.person for a in created] == [world["holder"]]
    assert created[0].amount == Decimal(792) and created[0].reasons.startswith("符合条件")
    with pytest.raises(ValidationError, match="没有可生成申请的对象"):
        s.bulk_create_drafts(
            acting_user=township_operator, policy=p, period=MONTH, region_code=FENGSHAN
        )
    with pytest.raises(PermissionDenied):
        s.bulk_create_drafts(
            acting_user=township_operator, policy=p, period=MONTH, region_code="500156002"
        )


@pytest.fixture
def batch(world, township_operator, reviewer, county_admin):
    first = approved(world, township_operator, reviewer, county_admin)
    second = approved(
        world, township_operator, reviewer, county_admin, "trainee", "adaptive_training"
    )
    return pay.create_batch(acting_user=county_admin, applications=[first, second])


def test_batch_takes_approved_claims_once(batch, county_admin):
    apps = list(Application.objects.filter(payments__batch=batch))
    assert {a.status for a in apps} == {"batched"}
    with pytest.raises(ValidationError, match="已纳入发放批次"):
        pay.create_batch(acting_user=county_admin, applications=apps)
    assert Payment.objects.count() == 2


def read_bank_file(batch, user, full=False):
    out = io.BytesIO()
    pay.write_bank_file(acting_user=user, batch=batch, out=out, full=full)
    out.seek(0)
    return list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))


def test_bank_file_masked_with_totals(batch, county_admin):
    rows = read_bank_file(batch, county_admin)
    assert rows[0][0].startswith("补贴代发明细") and rows[1][0] == "流水号"
    lines = rows[2:-1]
    assert {r[3] for r in lines} == {"621700*********5678"}
    assert rows[-1][0] == "合计" and rows[-1][4] == 800 and rows[-1][1] == "2 笔"
    assert sum(r[4] for r in lines) == 800
    assert AuditLog.objects.filter(action="export", object_type="subsidies.paymentbatch").exists()
    full = read_bank_file(batch, county_admin, full=True)
    assert {r[3] for r in full[2:-1]} == {ACCOUNT}
    assert AuditLog.objects.filter(action="view_full_id", object_type="subsidies.paymentbatch")


def return_file(batch, outcomes, suffix="csv"):
    lines = ["流水号,结果,失败原因,发放日期"]
    for payment, (word, reason) in zip(batch.payments.order_by("id"), outcomes, strict=False):
        lines.append(f"{payment.pk},{word},{reason},{YEAR}-06-30")
    return io.BytesIO("\n".join(lines).encode()), f"return.{suffix}"


def test_return_file_marks_paid_and_failed_then_reissue(
    batch, county_admin, township_operator, reviewer
):
    source, name = return_file(batch, [("成功", ""), ("失败", "账户已销户")])
    counts = pay.import_return(acting_user=county_admin, batch=batch, source=source, filename=name)
    assert counts == {"paid": 1, "failed": 1, "unchanged": 0}
    paid, failed = Application.objects.filter(payments__batch=batch).order_by("payments__id")
    assert paid.status == "paid" and paid.paid_on.isoformat() == f"{YEAR}-06-30"
    assert failed.status == "failed" and failed.failure_reason == "账户已销户"
    batch.refresh_from_db()
    assert batch.status == "closed"
    source, name = return_file(batch, [("成功", ""), ("失败", "账户已销户")])
    again = pay.import_return(acting_user=county_admin, batch=batch, source=source, filename=name)
    assert again == {"paid": 0, "failed": 0, "unchanged": 2}
    with pytest.raises(ValidationError, match="已发放"):
        pay.create_batch(acting_user=county_admin, applications=[paid])
    reissue = pay.create_batch(acting_user=county_admin, applications=[failed])
    failed.refresh_from_db()
    assert failed.status == "batched" and failed.payments.count() == 2
    assert reissue.payments.get().status == "pending"
    rows = paid_rows("500156", None, county_admin)
    assert [(r["name"], r["amount"]) for r in rows] == [(paid.person.name, paid.amount)]
    assert rows[0]["id_number"].count("*") == 8 and rows[0]["policy"] == "外出务工交通补贴"
    assert paid_rows("500156002", None, county_admin) == []
    summary = paid_summary("500156", None, county_admin)
    assert summary == [
        {"policy": "transport", "name": "外出务工交通补贴", "claims": 1, "people": 1,
         "amount": paid.amount}
    ]  # fmt: skip
    assert paid_rows("500156", None, AnonymousUser()) == []  # anonymous sees nothing
    assert len(paid_rows("500156", None, None)) == 1  # the system (None) sees all


def test_bad_return_file_writes_nothing(batch, county_admin):
    first = batch.payments.order_by("id").first()
    bad = io.BytesIO(f"流水号,结果,失败原因\n{first.pk},成功,\n999999,成功,\n".encode())
    with pytest.raises(ValidationError) as info:
        pay.import_return(acting_user=county_admin, batch=batch, source=bad, filename="r.csv")
    assert "第3行 流水号：999999 不属于批次" in str(info.value)
    assert not Payment.objects.filter(status="paid").exists()
    no_reason = io.BytesIO(f"流水号,结果,失败原因\n{first.pk},失败,\n".encode())
    with pytest.raises(ValidationError, match="须写明原因"):
        pay.import_return(acting_user=county_admin, batch=batch, source=no_reason, filename="r.csv")
    with pytest.raises(ValidationError, match="不支持的文件类型"):
        pay.import_return(
            acting_user=county_admin, batch=batch, source=io.BytesIO(b"x"), filename="r.pdf"
        )
    assert set(Application.objects.values_list("status", flat=True)) == {"batched"}


def test_return_file_as_xlsx(batch, county_admin):
    out = io.BytesIO()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["银行回盘"])
    sheet.append(["流水号", "姓名", "结果", "失败原因"])
    for p in batch.payments.order_by("id"):
        sheet.append([p.pk, p.account_holder, "成功", ""])
    book.save(out)
    out.seek(0)
    counts = pay.import_return(acting_user=county_admin, batch=batch, source=out, filename="r.xlsx")
    assert counts["paid"] == 2


def test_policy_edits_county_only(county_admin, township_operator):
    p = policy("transport")
    changed = s.save_policy(acting_user=county_admin, instance=p, data={"amount": Decimal(600)})
    assert changed.amount == Decimal(600)
    with pytest.raises(PermissionDenied):
        s.save_policy(acting_user=township_operator, instance=p, data={"amount": Decimal(1)})
    with pytest.raises(ValidationError, match="不适用于该补贴对象"):
        s.save_policy(acting_user=county_admin, instance=p, data={"rules": ["workshop_recognised"]})


def test_a_districts_own_policy_covers_only_its_district(world):
    p = policy("transport")
    p.region_id = "500156002"  # 芙蓉街道 only
    assert set(rules.eligible(p, "500156", YEAR)) == {world["furong"]}
    ok, reasons = rules.explain(p, world["migrant"], YEAR)
    assert not ok and "不在政策适用区域" in reasons[0]


def test_bulk_drafts_for_workshops_per_head(world, township_operator):
    created = s.bulk_create_drafts(
        acting_user=township_operator,
        policy=policy("workshop_stabilisation"),
        period=MONTH,
        region_code="",
    )
    assert [(a.workshop, a.heads, a.amount) for a in created] == [
        (world["workshop"], 1, Decimal(500))
    ]
    assert created[0].region_id == world["workshop"].region_id


def test_demo_command_pays_and_is_idempotent(world):
    from django.core.management import call_command

    from fupin.subsidies.selectors import paid_applications

    out = io.StringIO()
    call_command("subsidies", "demo", "--json", stdout=out)
    assert '"paid": 5' in out.getvalue()  # 3 one-off, 1 transport, 1 welfare post
    assert paid_applications("500156001", None, None).count() == 5  # None: the system
    assert Application.objects.filter(status="paid").count() == 5
    assert all(a.bank_account for a in Application.objects.all())
    call_command("subsidies", "demo", stdout=io.StringIO())
    assert Application.objects.count() == 5


def test_withdraw_a_batch_the_bank_has_not_answered(batch, county_admin, township_operator):
    """Withdrawn: payments kept as 已撤回 history, claims approved again and batchable; the
    page and the API both do it, with a reason; nothing else may withdraw it."""
    from django.urls import reverse

    from tests.test_subsidies_support import api, client

    read_bank_file(batch, county_admin)  # sent to the bank
    batch.refresh_from_db()
    assert batch.status == "sent"
    url = reverse("payment-batch-withdraw", kwargs={"pk": batch.pk})
    assert client(township_operator).post(url, {"reason": "误操作"}).status_code == 403
    with pytest.raises(ValidationError, match="撤回原因"):
        pay.withdraw_batch(acting_user=county_admin, batch=batch, reason=" ")
    assert client(county_admin).post(url, {"reason": "银行未受理"}).status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.withdrawn_reason) == ("withdrawn", "银行未受理")
    assert set(batch.payments.values_list("status", flat=True)) == {"withdrawn"}
    apps = list(Application.objects.filter(payments__batch=batch))
    assert {a.status for a in apps} == {"approved"}
    assert AuditLog.objects.filter(
        object_type="subsidies.paymentbatch", message__contains="撤回发放批次"
    ).exists()
    with pytest.raises(ValidationError, match="不能撤回"):
        pay.withdraw_batch(acting_user=county_admin, batch=batch, reason="再次")
    again = pay.create_batch(acting_user=county_admin, applications=apps)
    assert again.payments.filter(status="pending").count() == 2  # one live payment each

    response = api(county_admin).post(
        f"/api/payment-batches/{again.pk}/withdraw/", {"reason": "批次有误"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


def test_a_returned_batch_cannot_be_withdrawn(batch, county_admin):
    source, name = return_file(batch, [("成功", "")])  # one line answered
    pay.import_return(acting_user=county_admin, batch=batch, source=source, filename=name)
    with pytest.raises(ValidationError, match="已回盘"):
        pay.withdraw_batch(acting_user=county_admin, batch=batch, reason="撤回")
    assert not Payment.objects.filter(status="withdrawn").exists()


def test_bank_file_after_a_partial_return_lists_only_unanswered_lines(batch, county_admin):
    """Re-exported after the bank answered one line, the file asks only for the other."""
    pending_before = list(batch.payments.order_by("id").values_list("pk", flat=True))
    source, name = return_file(batch, [("成功", "")])  # the first line paid
    pay.import_return(acting_user=county_admin, batch=batch, source=source, filename=name)
    rows = read_bank_file(batch, county_admin)
    assert [r[0] for r in rows[2:-1]] == pending_before[1:]
    assert rows[-1][1] == "1 笔"
    source, name = return_file(batch, [("成功", ""), ("成功", "")])
    pay.import_return(acting_user=county_admin, batch=batch, source=source, filename=name)
    with pytest.raises(ValidationError, match="已全部回盘"):
        read_bank_file(batch, county_admin)


def test_actual_cost_claims_need_the_receipt_before_submission(world, township_operator):
    """据实补贴: the cap only stands in on a draft; submitting needs the receipt's amount,
    which is then what is paid (never more than the cap)."""
    app = make(township_operator, world["migrant"], actual_cost=None)
    assert app.amount == policy("transport").cap  # the draft shows the cap
    with pytest.raises(ValidationError, match="实际费用"):
        s.submit(acting_user=township_operator, application=app)
    s.update_application(
        acting_user=township_operator, application=app, data={"actual_cost": Decimal(260)}
    )
    s.submit(acting_user=township_operator, application=app)
    app.refresh_from_db()
    assert (app.status, app.amount) == ("submitted", Decimal(260))

# ruff: noqa: F811 (fixtures imported from the support module)
"""Review of the subsidies app: each test pins one defect found in review (and fixed)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fupin.core.models import AuditLog
from fupin.subsidies.models import Application, IdempotencyKey, PaymentBatch
from tests.test_subsidies_support import (  # noqa: F401, I001
    ACCOUNT,
    YEAR,
    api,
    client,
    policy,
    reviewer,
    world,
)

pytestmark = pytest.mark.django_db
APPS = "/api/subsidy-applications/"
BATCHES = "/api/payment-batches/"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def create(user, person, code="transport", **extra):
    body = {"policy": policy(code).pk, "person": person.pk, "period": YEAR}
    if policy(code).standard_kind == "actual_capped":  # 据实: a receipt at the cap
        body["actual_cost"] = str(policy(code).cap)
    body.update(bank_account=ACCOUNT, **extra)
    return api(user).post(APPS, body, format="json")


def approved(world, maker, checker, approver, who="migrant", code="transport"):
    app_id = create(maker, world[who], code).json()["id"]
    url = f"{APPS}{app_id}/"
    assert api(maker).post(f"{url}submit/").status_code == 200
    assert api(checker).post(f"{url}review/").status_code == 200
    assert api(approver).post(f"{url}approve/").status_code == 200
    return app_id


# --- exactly once: one period, one spelling -------------------------------------------


def test_period_spelled_differently_is_not_a_second_claim(world, township_operator):
    """所属期 "２０２６" (full-width digits, as Chinese input methods type them) passed
    int() and made a second once-per-year claim for the same person and year."""
    assert create(township_operator, world["migrant"]).status_code == 201
    second = create(township_operator, world["migrant"], period=YEAR.translate(FULLWIDTH))
    assert second.status_code == 400, second.json()
    assert "所属期" in str(second.json())
    assert Application.objects.count() == 1


def test_month_spelled_differently_is_not_a_second_claim(world, township_operator):
    from fupin.subsidies import rules

    monthly = policy("welfare_post_insurance")
    assert monthly.period_cap == "once_per_month"
    with pytest.raises(Exception, match="所属期"):
        rules.window(monthly, f"{YEAR}-+1")
    with pytest.raises(Exception, match="所属期"):
        rules.window(monthly, f"{YEAR}-０１")
    assert rules.window(monthly, f"{YEAR}-01").start.month == 1


# --- bad input on the eligible page ----------------------------------------------------


def test_eligible_page_with_malformed_policy_is_not_a_500(world, township_operator):
    browser = client(township_operator)
    page = browser.get("/subsidies/eligible/?policy=abc")
    assert page.status_code == 200
    drafts = browser.post("/subsidies/eligible/drafts/", {"policy": "abc", "all": "1"})
    assert drafts.status_code == 404
    assert not Application.objects.exists()


# --- a withdrawn batch is not sent to the bank again -----------------------------------


def test_withdrawn_batch_gives_no_bank_file(world, township_operator, reviewer, county_admin):
    app_id = approved(world, township_operator, reviewer, county_admin)
    batch = api(county_admin).post(BATCHES, {"applications": [app_id]}, format="json").json()
    url = f"{BATCHES}{batch['id']}/"
    assert api(county_admin).post(f"{url}withdraw/", {"reason": "批次有误"}).status_code == 200
    # the claim goes into a new batch; the withdrawn file must not reach the bank as well
    again = api(county_admin).post(BATCHES, {"applications": [app_id]}, format="json")
    assert again.status_code == 201
    refused = api(county_admin).get(f"{url}bank-file/")
    assert refused.status_code == 400 and "撤回" in str(refused.json())
    page = client(county_admin).get(f"/subsidies/batches/{batch['id']}/bank-file/")
    assert page.status_code == 302
    assert PaymentBatch.objects.get(pk=batch["id"]).status == "withdrawn"
    assert not AuditLog.objects.filter(
        object_type="subsidies.paymentbatch", object_id=str(batch["id"]), action="export"
    ).exists()


# --- privacy: full accounts only on reads, each audited --------------------------------


def test_full_account_not_in_write_responses(world, township_operator, reviewer, county_admin):
    """?full_id=true on a POST (create, actions) returned the full bank account with no
    view_full_id audit entry, and stored it in the idempotency table."""
    body = {"policy": policy("transport").pk, "person": world["migrant"].pk, "period": YEAR}
    made = api(county_admin).post(
        f"{APPS}?full_id=true",
        {**body, "bank_account": ACCOUNT, "actual_cost": "500"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="full-1",
    )
    assert made.status_code == 201
    assert made.json()["bank_account"] != ACCOUNT
    stored = IdempotencyKey.objects.get(key="full-1").response
    assert ACCOUNT not in str(stored)
    url = f"{APPS}{made.json()['id']}/"
    submitted = api(county_admin).post(f"{url}submit/?full_id=true")
    assert submitted.status_code == 200 and submitted.json()["bank_account"] != ACCOUNT
    assert not AuditLog.objects.filter(action="view_full_id").exists()
    # reads still reveal, audited
    assert api(county_admin).get(f"{url}?full_id=true").json()["bank_account"] == ACCOUNT
    assert AuditLog.objects.filter(action="view_full_id").exists()


# --- maker–checker: whoever changed the claim does not check it --------------------------


def test_only_the_maker_edits_a_claim(world, township_operator, reviewer, county_admin):
    """B changed the bank account of A's submitted claim, then reviewed it (or a county
    admin edited, then approved): the checker checked their own change."""
    app_id = create(township_operator, world["migrant"]).json()["id"]
    url = f"{APPS}{app_id}/"
    assert api(township_operator).post(f"{url}submit/").status_code == 200
    for other in (reviewer, county_admin):
        edit = api(other).patch(url, {"bank_account": "6222020000001111"}, format="json")
        assert edit.status_code == 403, edit.json()
        assert "经办人" in str(edit.json())
    assert Application.objects.get(pk=app_id).bank_account == ACCOUNT
    own = api(township_operator).patch(url, {"bank_name": "农商行"}, format="json")
    assert own.status_code == 200
    assert api(reviewer).post(f"{url}review/").status_code == 200


def test_system_draft_is_made_by_whoever_completes_it(world, township_operator, reviewer):
    from fupin.subsidies import services as s

    (draft,) = s.bulk_create_drafts(
        acting_user=None,
        policy=policy("transport"),
        period=YEAR,
        region_code="",
        ids=[world["migrant"].pk],
    )
    url = f"{APPS}{draft.pk}/"
    edit = api(reviewer).patch(url, {"bank_account": ACCOUNT, "actual_cost": "380"}, format="json")
    assert edit.status_code == 200
    assert api(reviewer).post(f"{url}submit/").status_code == 200
    assert api(reviewer).post(f"{url}review/").status_code == 403
    assert api(township_operator).post(f"{url}review/").status_code == 200


# --- N+1: the batch list ----------------------------------------------------------------


def test_batch_list_api_fixed_query_count(world, township_operator, reviewer, county_admin):
    ids = [
        approved(world, township_operator, reviewer, county_admin, who, code)
        for who, code in (("migrant", "transport"), ("trainee", "adaptive_training"))
    ]
    caller = api(county_admin)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            listed = caller.get(BATCHES)
        assert listed.status_code == 200
        return len(ctx.captured_queries), listed.json()["results"]

    assert caller.post(BATCHES, {"applications": ids[:1]}, format="json").status_code == 201
    one, _ = queries()
    assert caller.post(BATCHES, {"applications": ids[1:]}, format="json").status_code == 201
    two, rows = queries()
    assert two == one
    assert sorted((r["count"], r["total"]) for r in rows) == [(1, "300.00"), (1, "500.00")]


# --- per-head amounts follow the records ----------------------------------------------


def test_per_head_claim_cannot_claim_more_heads_than_employed(world, township_operator):
    """稳岗补助 is 500 per poor laborer employed; a typed 人数 of 50 for a workshop that
    employs one made a 25,000 yuan claim."""
    body = {
        "policy": policy("workshop_stabilisation").pk,
        "workshop": world["workshop"].pk,
        "heads": 50,
        "bank_account": ACCOUNT,
    }
    refused = api(township_operator).post(APPS, body, format="json")
    assert refused.status_code == 400 and "人数" in str(refused.json())
    made = api(township_operator).post(APPS, {**body, "heads": 1}, format="json")
    assert made.status_code == 201 and made.json()["amount"] == "500.00"
    url = f"{APPS}{made.json()['id']}/"
    edit = api(township_operator).patch(url, {"heads": 9}, format="json")
    assert edit.status_code == 400
    assert Application.objects.get().amount == 500


# --- bad input in the bank's return file ------------------------------------------------


def test_return_file_with_odd_digits_is_a_message_not_a_500(
    world, township_operator, reviewer, county_admin
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    app_id = approved(world, township_operator, reviewer, county_admin)
    batch = api(county_admin).post(BATCHES, {"applications": [app_id]}, format="json").json()
    upload = SimpleUploadedFile("r.csv", "流水号,结果\n²,成功\n".encode())
    answer = api(county_admin).post(
        f"{BATCHES}{batch['id']}/return-file/", {"file": upload}, format="multipart"
    )
    assert answer.status_code == 400 and "流水号" in str(answer.json())
    assert Application.objects.get(pk=app_id).status == "batched"


# --- a policy's period cap is fixed once it has claims ----------------------------------


def test_period_cap_cannot_change_under_existing_claims(world, township_operator, county_admin):
    """A once-per-year claim ("2026") and, after the cap became once-ever, an "ever" claim
    for the same person: two payments where the policy now allows one."""
    assert create(township_operator, world["migrant"]).status_code == 201
    url = f"/api/policies/{policy('transport').pk}/"
    changed = api(county_admin).patch(url, {"period_cap": "once_ever"}, format="json")
    assert changed.status_code == 400 and "享受次数" in str(changed.json())
    assert policy("transport").period_cap == "once_per_year"
    again = create(township_operator, world["migrant"], period="ever")
    assert again.status_code == 400
    assert Application.objects.count() == 1
    # a policy without claims can still be reconfigured, and other fields always
    other = api(county_admin).patch(
        f"/api/policies/{policy('labor_cooperation').pk}/",
        {"period_cap": "once_ever"},
        format="json",
    )
    assert other.status_code == 200
    assert api(county_admin).patch(url, {"amount": "400.00"}, format="json").status_code == 200


# --- privacy: no full ID number in a URL ------------------------------------------------


def test_claims_are_not_searched_by_full_id_in_the_url(world, township_operator):
    """?q=<full ID number> found the claim, so staff would put full ID numbers in URLs
    (browser history, access logs) — the registry looks them up by POST only."""
    assert create(township_operator, world["migrant"]).status_code == 201
    full = world["migrant"].id_number
    by_id = api(township_operator).get(f"{APPS}?q={full}").json()
    assert by_id["count"] == 0
    page = client(township_operator).get(f"/subsidies/applications/?q={full}")
    assert page.status_code == 200 and "外出甲" not in page.content.decode()
    assert api(township_operator).get(f"{APPS}?q=外出甲").json()["count"] == 1


# --- bad ids in the batch and draft forms -----------------------------------------------


@pytest.mark.parametrize("bad", ["²", str(10**20)])
def test_odd_ids_are_ignored_not_a_500(world, township_operator, county_admin, bad):
    picked = client(county_admin).post("/subsidies/batches/pick/", {"ids": [bad]})
    assert picked.status_code == 200 and not PaymentBatch.objects.exists()
    drafts = client(township_operator).post(
        "/subsidies/eligible/drafts/",
        {"policy": policy("transport").pk, "period": YEAR, "ids": [bad]},
    )
    assert drafts.status_code == 302 and not Application.objects.exists()
    if bad.isascii():
        answer = api(county_admin).post(BATCHES, {"applications": [int(bad)]}, format="json")
        assert answer.status_code == 400


# --- exactly once per year: not next year's claim today --------------------------------


def test_future_periods_are_refused(world, township_operator):
    """Today's open-ended job passed the rules for 2027, 2028, …: the once-per-year
    transport subsidy could be claimed (and paid) for every future year at once."""
    assert create(township_operator, world["migrant"]).status_code == 201
    for later in (str(int(YEAR) + 1), str(int(YEAR) + 5)):
        refused = create(township_operator, world["migrant"], period=later)
        assert refused.status_code == 400 and "尚未开始" in str(refused.json())
    assert Application.objects.count() == 1
    url = f"/api/policies/{policy('transport').pk}/eligible/?period={int(YEAR) + 1}"
    assert api(township_operator).get(url).status_code == 400

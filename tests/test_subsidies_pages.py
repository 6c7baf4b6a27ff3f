# ruff: noqa: F811 (fixtures imported from the support module)
"""Subsidy pages: permission matrix (anonymous, no role, inside, outside) for each page,
the workflow through forms and action buttons, the unserved list with bulk drafts and
export, policy editing, and payment batches (pick, bank file, return file)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fupin.accounts.models import User
from fupin.core.models import AuditLog
from fupin.subsidies import services as s
from fupin.subsidies.models import Application, PaymentBatch
from tests.test_subsidies_support import (  # noqa: F401, I001
    ACCOUNT,
    MONTH,
    YEAR,
    client,
    policy,
    reviewer,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def nobody(db):
    return User.objects.create_user("nobody", password="x", region_id="500156")


@pytest.fixture
def claim(world, township_operator):
    return s.create_application(
        acting_user=township_operator,
        policy=policy("transport"),
        beneficiary=world["migrant"],
        period=YEAR,
        data={"bank_account": ACCOUNT, "actual_cost": Decimal(500)},
    )


LIST_PAGES = [
    "subsidies-home",
    "subsidy-policy-list",
    "subsidy-application-list",
    "payment-batch-list",
    "subsidy-eligible",
    "subsidy-application-export",
]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_matrix(name, claim, nobody, township_operator, other_township_operator):
    url = reverse(name)
    anonymous = client(None).get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert client(nobody).get(url).status_code == 403
    assert client(township_operator).get(url).status_code == 200
    assert client(other_township_operator).get(url).status_code == 200


def test_application_list_and_detail_scoped(
    claim, township_operator, other_township_operator, leader, county_admin
):
    listed = client(township_operator).get(reverse("subsidy-application-list"))
    assert "外出甲" in listed.content.decode()
    other = client(other_township_operator).get(reverse("subsidy-application-list"))
    assert "外出甲" not in other.content.decode()
    detail = reverse("subsidy-application-detail", args=[claim.pk])
    assert client(other_township_operator).get(detail).status_code == 404
    page = client(leader).get(detail).content.decode()
    assert "符合条件：所属期内在县（区）外务工" in page and ACCOUNT not in page
    assert "621700*********5678" in page and "提交</button>" not in page
    own = client(township_operator).get(detail).content.decode()
    assert "提交</button>" in own and "查看完整银行账号" not in own
    full = client(county_admin).get(detail + "?full=1").content.decode()
    assert ACCOUNT in full
    assert AuditLog.objects.filter(action="view_full_id", object_id=str(claim.pk)).exists()


def test_workflow_through_pages(claim, township_operator, reviewer, county_admin, leader):
    def act(user, name, **data):
        url = reverse(f"subsidy-application-{name}", args=[claim.pk])
        return client(user).post(url, data, follow=True)

    assert act(leader, "submit").status_code == 403
    early = act(township_operator, "review")
    assert "须先提交" in early.content.decode()
    act(township_operator, "submit")
    refused = act(township_operator, "review").content.decode()
    assert "经办与审核须分离" in refused
    act(reviewer, "review")
    act(county_admin, "approve")
    claim.refresh_from_db()
    assert claim.status == "approved"
    edit = client(township_operator).post(
        reverse("subsidy-application-edit", args=[claim.pk]), {"actual_cost": "100"}
    )
    assert "冲正" in edit.content.decode()
    act(county_admin, "reverse", reason="金额有误")
    claim.refresh_from_db()
    assert claim.status == "reversed" and claim.reversals.get().amount == -claim.amount


def test_create_application_form(world, township_operator, other_township_operator):
    url = reverse("subsidy-application-create")
    assert client(township_operator).get(url).status_code == 200
    data = {"policy": policy("transport").pk, "person": world["migrant"].pk, "period": YEAR}
    done = client(township_operator).post(url, {**data, "bank_account": ACCOUNT})
    app = Application.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "subsidy-application-detail", args=[app.pk]
    )
    again = client(township_operator).post(url, data).content.decode()
    assert "只能享受一次" in again
    not_eligible = client(township_operator).post(url, {**data, "person": world["local"].pk})
    assert "不符合条件" in not_eligible.content.decode()
    outside = client(other_township_operator).post(url, data)
    assert outside.status_code == 200 and Application.objects.count() == 1


def test_eligible_page_bulk_drafts_and_export(world, township_operator, leader):
    p = policy("welfare_post")
    url = reverse("subsidy-eligible") + f"?policy={p.pk}&period={MONTH}"
    page = client(township_operator).get(url).content.decode()
    assert "保洁己" in page and "为全部对象生成申请草稿" in page
    assert "生成申请草稿" not in client(leader).get(url).content.decode()
    assert client(township_operator).get(url + "&region=500156002").status_code == 403
    export = client(township_operator).get(url + "&export=xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[2][0] == "保洁己" and "*" in rows[2][1]
    drafts = reverse("subsidy-eligible-drafts")
    body = {"policy": p.pk, "period": MONTH, "region": "500156001", "all": "1"}
    assert client(leader).post(drafts, body).status_code == 403
    done = client(township_operator).post(drafts, body)
    assert done.status_code == 302
    assert Application.objects.filter(policy=p, period=MONTH).count() == 1
    assert "保洁己" not in client(township_operator).get(url).content.decode()


def test_policy_pages(county_admin, township_operator):
    p = policy("transport")
    edit = reverse("subsidy-policy-edit", args=[p.pk])
    assert client(township_operator).get(edit).status_code == 403
    form = client(county_admin).get(edit)
    assert form.status_code == 200 and "资格条件" in form.content.decode()
    data = {
        "code": p.code, "name": p.name, "region": "", "beneficiary_kind": "person",
        "standard_kind": "actual_capped", "amount": "600", "months": "1", "cap": "600",
        "period_cap": "once_per_year", "valid_from": "2016-01-01", "active": "on",
        "rules": ["poor_laborer", "employed_outside_county_this_year"],
    }  # fmt: skip
    saved = client(county_admin).post(edit, data)
    assert saved.status_code == 302
    p.refresh_from_db()
    assert p.amount == 600 and p.cap == 600
    wrong = client(county_admin).post(edit, {**data, "rules": ["workshop_recognised"]})
    assert "不适用于该补贴对象" in wrong.content.decode()


def test_batch_pages(world, township_operator, reviewer, county_admin, leader):
    app = s.create_application(
        acting_user=township_operator,
        policy=policy("transport"),
        beneficiary=world["migrant"],
        period=YEAR,
        data={"bank_account": ACCOUNT, "actual_cost": Decimal(500)},
    )
    s.submit(acting_user=township_operator, application=app)
    s.review(acting_user=reviewer, application=app)
    s.approve(acting_user=county_admin, application=app)
    pick = reverse("payment-batch-pick")
    assert client(township_operator).get(pick).status_code == 403
    assert "外出甲" in client(county_admin).get(pick).content.decode()
    made = client(county_admin).post(pick, {"ids": [app.pk], "note": "测试"})
    batch = PaymentBatch.objects.get()
    assert made.status_code == 302
    detail = reverse("payment-batch-detail", args=[batch.pk])
    seen = client(leader).get(detail).content.decode()
    assert "导入银行回盘" not in seen and "621700*********5678" in seen and ACCOUNT not in seen
    bank = reverse("payment-batch-bank-file", args=[batch.pk])
    assert client(leader).get(bank).status_code == 403
    assert client(county_admin).get(bank).status_code == 200
    payment = batch.payments.get()
    upload = reverse("payment-batch-return", args=[batch.pk])
    bad = SimpleUploadedFile("r.csv", "流水号,结果\n1,未知\n".encode())
    shown = client(county_admin).post(upload, {"file": bad}, follow=True).content.decode()
    assert "未做任何修改" in shown
    good = SimpleUploadedFile("r.csv", f"流水号,结果,失败原因\n{payment.pk},成功,\n".encode())
    client(county_admin).post(upload, {"file": good})
    app.refresh_from_db()
    assert app.status == "paid"


def test_list_pages_fixed_query_count(world, township_operator, claim):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.test_subsidies_support import api

    def queries(url, caller):
        with CaptureQueriesContext(connection) as captured:
            assert caller.get(url).status_code == 200
        return len(captured)

    browser, rest = client(township_operator), api(township_operator)
    page, endpoint = reverse("subsidy-application-list"), "/api/subsidy-applications/"
    one = (queries(page, browser), queries(endpoint, rest))
    for who, code in (("trainee", "adaptive_training"), ("local", "one_off_employment")):
        s.create_application(
            acting_user=township_operator, policy=policy(code), beneficiary=world[who],
            period=None,
        )  # fmt: skip
    s.create_application(
        acting_user=township_operator,
        policy=policy("workshop_stabilisation"),
        beneficiary=world["workshop"],
        period=MONTH,
    )
    assert Application.objects.count() == 4
    assert (queries(page, browser), queries(endpoint, rest)) == one


def test_detail_pages_matrix(claim, nobody, township_operator, other_township_operator, leader):
    p = policy("transport")
    for url, outside_status in (
        (reverse("subsidy-policy-detail", args=[p.pk]), 200),  # the catalogue is shared
        (reverse("subsidy-application-detail", args=[claim.pk]), 404),
        (reverse("subsidy-application-edit", args=[claim.pk]), 404),
    ):
        anonymous = client(None).get(url)
        assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
        assert client(nobody).get(url).status_code == 403
        assert client(township_operator).get(url).status_code == 200
        assert client(other_township_operator).get(url).status_code == outside_status
    assert (
        client(leader).get(reverse("subsidy-application-edit", args=[claim.pk])).status_code == 403
    )
    submit = reverse("subsidy-application-submit", args=[claim.pk])
    assert client(None).post(submit).status_code == 302
    assert client(other_township_operator).post(submit).status_code == 404
    claim.refresh_from_db()
    assert claim.status == "draft"

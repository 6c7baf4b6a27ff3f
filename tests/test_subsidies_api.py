# ruff: noqa: F811 (fixtures imported from the support module)
"""Subsidy API: permission matrix (anonymous, no role, inside, outside) for every endpoint,
the workflow through the actions, the eligible list, idempotency keys, masked accounts,
payment batches with the bank file and the return file."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.models import User
from fupin.core.models import AuditLog
from fupin.subsidies.models import Application, IdempotencyKey, Payment, PaymentBatch
from tests.conftest import FENGSHAN
from tests.test_subsidies_support import (  # noqa: F401, I001
    ACCOUNT,
    YEAR,
    api,
    policy,
    reviewer,
    world,
)

pytestmark = pytest.mark.django_db
APPS = "/api/subsidy-applications/"


@pytest.fixture
def nobody(db):
    """Logged in, in Wulong, but without a role (no permissions)."""
    return User.objects.create_user("nobody", password="x", region_id="500156")


def create(user, person, code="transport", **extra):
    body = {"policy": policy(code).pk, "person": person.pk, "period": YEAR}
    if policy(code).standard_kind == "actual_capped":  # 据实: a receipt at the cap
        body["actual_cost"] = str(policy(code).cap)
    body.update(bank_account=ACCOUNT, **extra)
    return api(user).post(APPS, body, format="json")


def test_create_and_workflow_through_actions(world, township_operator, reviewer, county_admin):
    made = create(township_operator, world["migrant"])
    assert made.status_code == 201, made.json()
    data = made.json()
    assert data["status"] == "draft" and data["amount"] == "500.00"
    assert data["bank_account"] == "621700*********5678"
    assert data["person_id_number"].count("*") == 8 and "符合条件" in data["reasons"]
    url = f"{APPS}{data['id']}/"
    too_early = api(county_admin).post(f"{url}approve/")
    assert too_early.status_code == 400 and "须先经乡镇审核" in str(too_early.json())
    assert api(township_operator).post(f"{url}submit/").json()["status"] == "submitted"
    own = api(township_operator).post(f"{url}review/")
    assert own.status_code == 403 and "经办与审核须分离" in str(own.json())
    assert api(reviewer).post(f"{url}review/").json()["status"] == "reviewed"
    assert api(county_admin).post(f"{url}approve/").json()["status"] == "approved"
    edit = api(township_operator).patch(url, {"actual_cost": "100"}, format="json")
    assert edit.status_code == 400 and "冲正" in str(edit.json())
    ineligible = create(township_operator, world["local"])
    assert ineligible.status_code == 400 and "不符合条件" in str(ineligible.json())
    twice = create(township_operator, world["migrant"])
    assert twice.status_code == 400 and "只能享受一次" in str(twice.json())


def test_reject_and_cancel(world, township_operator, reviewer):
    app_id = create(township_operator, world["migrant"]).json()["id"]
    url = f"{APPS}{app_id}/"
    api(township_operator).post(f"{url}submit/")
    no_reason = api(reviewer).post(f"{url}reject/", {}, format="json")
    assert no_reason.status_code == 400
    done = api(reviewer).post(f"{url}reject/", {"reason": "材料不全"}, format="json")
    assert done.json()["status"] == "rejected" and done.json()["reject_reason"] == "材料不全"
    again = create(township_operator, world["migrant"]).json()["id"]
    assert api(township_operator).post(f"{APPS}{again}/cancel/").json()["status"] == "cancelled"


def test_matrix_applications(
    world, township_operator, other_township_operator, leader, nobody, county_admin
):
    app_id = create(township_operator, world["migrant"]).json()["id"]
    detail = f"{APPS}{app_id}/"
    for url in (APPS, detail):
        assert api(None).get(url).status_code in (401, 403)
        assert api(nobody).get(url).status_code == 403
        assert api(township_operator).get(url).status_code == 200
        assert api(leader).get(url).status_code == 200  # read-only role sees its district
    assert api(other_township_operator).get(detail).status_code == 404
    assert api(other_township_operator).get(APPS).json()["count"] == 0
    assert api(township_operator).get(APPS).json()["count"] == 1
    assert api(None).post(APPS, {}).status_code in (401, 403)
    assert create(leader, world["migrant"]).status_code == 403
    outside = create(other_township_operator, world["migrant"])
    assert outside.status_code == 400  # the person is not among the ones they may pick
    for name in ("submit", "review", "approve", "reject", "cancel"):
        assert api(other_township_operator).post(f"{detail}{name}/").status_code == 404
        assert api(leader).post(f"{detail}{name}/").status_code == 403
    assert Application.objects.count() == 1


def test_full_accounts_only_when_permitted_and_audited(world, township_operator, county_admin):
    app_id = create(township_operator, world["migrant"]).json()["id"]
    url = f"{APPS}{app_id}/?full_id=true"
    assert api(township_operator).get(url).json()["bank_account"] != ACCOUNT
    assert api(county_admin).get(url).json()["bank_account"] == ACCOUNT
    assert AuditLog.objects.filter(action="view_full_id", object_id=str(app_id)).exists()


def test_idempotency_key_replays_the_first_answer(world, township_operator, county_admin):
    caller = api(township_operator)
    body = {"policy": policy("transport").pk, "person": world["migrant"].pk, "period": YEAR}
    body["actual_cost"] = "500"
    first = caller.post(APPS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = caller.post(APPS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1
    url = f"{APPS}{first.json()['id']}/submit/"
    assert caller.post(url, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 200
    assert caller.post(url, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 200  # replayed
    assert caller.post(url, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 400  # a new request
    reused = caller.post(f"{APPS}{first.json()['id']}/cancel/", HTTP_IDEMPOTENCY_KEY="k-1")
    assert reused.status_code == 400 and "幂等键" in str(reused.json())
    other_user = api(county_admin).post(APPS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other_user.status_code == 400  # keys are per user: a real second attempt
    assert IdempotencyKey.objects.filter(key="k-1").count() == 1


def test_idempotency_keys_expire(world, township_operator):
    """A key answers retries for a day; after that it is gone and the same key is new."""
    import datetime

    from django.utils import timezone

    caller = api(township_operator)
    body = {"policy": policy("transport").pk, "person": world["migrant"].pk, "period": YEAR}
    first = caller.post(APPS, body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert first.status_code == 201
    day_ago = timezone.now() - datetime.timedelta(hours=25)
    IdempotencyKey.objects.filter(key="old").update(created_at=day_ago)
    again = caller.post(APPS, body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 400 and "Idempotent-Replayed" not in again  # a real retry
    assert Application.objects.count() == 1  # still one: the unique constraint holds
    assert not IdempotencyKey.objects.filter(key="old", created_at=day_ago).exists()


def test_policies_and_eligible(
    world, township_operator, other_township_operator, county_admin, nobody
):
    assert api(None).get("/api/policies/").status_code in (401, 403)
    assert api(nobody).get("/api/policies/").status_code == 403
    listed = api(township_operator).get("/api/policies/").json()
    assert listed["count"] >= 11
    p = policy("transport")
    url = f"/api/policies/{p.pk}/eligible/?period={YEAR}"
    rows = api(township_operator).get(url).json()["results"]
    assert [r["name"] for r in rows] == ["外出甲"] and "*" in rows[0]["id_number"]
    assert api(other_township_operator).get(url).json()["results"][0]["name"] == "芙蓉丁"
    assert api(township_operator).get(f"{url}&region=500156002").status_code == 403
    create(township_operator, world["migrant"])
    assert api(township_operator).get(url).json()["results"] == []
    assert len(api(township_operator).get(f"{url}&all=true").json()["results"]) == 1
    change = {"amount": "600.00"}
    assert api(township_operator).patch(f"/api/policies/{p.pk}/", change).status_code == 403
    done = api(county_admin).patch(f"/api/policies/{p.pk}/", change, format="json")
    assert done.status_code == 200 and done.json()["amount"] == "600.00"
    bad = api(county_admin).patch(
        f"/api/policies/{p.pk}/", {"rules": ["workshop_recognised"]}, format="json"
    )
    assert bad.status_code == 400
    new = {
        "code": "test_policy", "name": "测试补贴", "beneficiary_kind": "person",
        "standard_kind": "fixed", "amount": "100", "period_cap": "once_per_year",
        "rules": ["poor_laborer"], "valid_from": "2026-01-01",
    }  # fmt: skip
    assert api(county_admin).post("/api/policies/", new, format="json").status_code == 201
    assert api(township_operator).post("/api/policies/", new, format="json").status_code == 403


@pytest.fixture
def approved_ids(world, township_operator, reviewer, county_admin):
    ids = []
    for who, code in (("migrant", "transport"), ("trainee", "adaptive_training")):
        app_id = create(township_operator, world[who], code).json()["id"]
        url = f"{APPS}{app_id}/"
        api(township_operator).post(f"{url}submit/")
        api(reviewer).post(f"{url}review/")
        assert api(county_admin).post(f"{url}approve/").status_code == 200
        ids.append(app_id)
    return ids


def test_batches_bank_file_and_return_file(
    approved_ids, county_admin, township_operator, other_township_operator, leader
):
    body = {"applications": approved_ids, "note": "十一月"}
    assert (
        api(township_operator).post("/api/payment-batches/", body, format="json").status_code == 403
    )
    made = api(county_admin).post(
        "/api/payment-batches/", body, format="json", HTTP_IDEMPOTENCY_KEY="b-1"
    )
    assert made.status_code == 201, made.json()
    again = api(county_admin).post(
        "/api/payment-batches/", body, format="json", HTTP_IDEMPOTENCY_KEY="b-1"
    )
    assert again.json() == made.json() and PaymentBatch.objects.count() == 1
    batch = made.json()
    assert batch["count"] == 2 and batch["total"] == "800.00"
    url = f"/api/payment-batches/{batch['id']}/"
    assert api(leader).get(url).status_code == 200
    assert api(other_township_operator).get(url).status_code == 404
    assert api(leader).get(f"{url}bank-file/").status_code == 403
    xlsx = api(county_admin).get(f"{url}bank-file/")
    assert xlsx.status_code == 200
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[-1][0] == "合计" and rows[-1][4] == 800
    assert all("*" in r[3] for r in rows[2:-1])
    payments = api(county_admin).get(f"/api/payments/?batch={batch['id']}").json()["results"]
    assert len(payments) == 2 and all("*" in p["bank_account"] for p in payments)
    assert api(other_township_operator).get("/api/payments/").json()["count"] == 0
    bad = SimpleUploadedFile("r.csv", "流水号,结果\n999999,成功\n".encode())
    refused = api(county_admin).post(f"{url}return-file/", {"file": bad}, format="multipart")
    assert refused.status_code == 400 and "不属于批次" in str(refused.json())
    assert not Payment.objects.exclude(status="pending").exists()
    lines = ["流水号,结果,失败原因"] + [
        f"{p['id']},{'成功' if i == 0 else '失败'},{'' if i == 0 else '户名不符'}"
        for i, p in enumerate(payments)
    ]
    good = SimpleUploadedFile("r.csv", "\n".join(lines).encode())
    counts = api(county_admin).post(f"{url}return-file/", {"file": good}, format="multipart")
    assert counts.json() == {"paid": 1, "failed": 1, "unchanged": 0}
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses == {"paid", "failed"}
    assert api(county_admin).get(url).json()["status"] == "closed"


def test_batch_of_unapproved_is_refused(world, township_operator, county_admin):
    app_id = create(township_operator, world["migrant"]).json()["id"]
    refused = api(county_admin).post(
        "/api/payment-batches/", {"applications": [app_id]}, format="json"
    )
    assert refused.status_code == 400 and "草稿" in str(refused.json())
    assert not PaymentBatch.objects.exists()


def test_schema_lists_the_endpoints(county_admin):
    schema = api(county_admin).get("/api/schema/").content.decode()
    for path in (
        "/api/policies/{id}/eligible/",
        "/api/subsidy-applications/{id}/approve/",
        "/api/payment-batches/{id}/return-file/",
        "/api/payments/",
    ):
        assert path in schema
    assert FENGSHAN

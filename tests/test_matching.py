"""Job matching (issue 5): hard limits, reasons, stable runs, the engine against the per-pair
reference, pushes and their outcome (openings taken, a full posting no longer recommended),
scoping, the CLI and the API."""

from __future__ import annotations

import datetime
import io
import itertools
import json
from decimal import Decimal
from unittest.mock import patch

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from rest_framework.test import APIClient
from stdnum.cn import uscc

from fupin.core.models import AuditLog
from fupin.employment import measure_services as ms
from fupin.employment import services as es
from fupin.employment.models import EmploymentRecord, JobPosting, Service
from fupin.matching import services
from fupin.matching.engine import Matcher
from fupin.matching.features import bigrams, education_rank
from fupin.matching.models import Push, Recommendation
from fupin.matching.reference import ReferenceMatcher
from fupin.regions.models import Region
from fupin.registry.idnumbers import make_id_number
from tests.conftest import FENGSHAN, FENGSHAN_VILLAGE, FURONG_VILLAGE, WULONG

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
_seq = itertools.count(200)


def born(years: int) -> datetime.date:
    return TODAY.replace(year=TODAY.year - years, day=1) - datetime.timedelta(days=40)


def laborer(
    household_factory,
    name: str,
    *,
    years: int = 35,
    female: bool = False,
    village: str = FENGSHAN_VILLAGE,
    education: str = "junior",
    health: str = "healthy",
    labor: str = "ordinary",
    needs: dict | None = None,
):
    """An unemployed laborer with needs, registered and recorded by the system."""
    seq = (next(_seq) * 2 + (0 if female else 1)) % 1000  # odd male, even female
    household = household_factory(
        village,
        members=[
            {
                "relation": "son",
                "name": name,
                "id_number": make_id_number(WULONG, born(years), seq % 1000),
                "labor_ability": labor,
                "education": education,
                "health": health,
            }
        ],
    )
    person = household.members.get(name=name)
    es.record_employment(acting_user=None, person=person, data={"status": "unemployed"})
    es.set_needs(acting_user=None, person=person, data=needs or {})
    return person


_credit = itertools.count(1)


def employer(region: str = FENGSHAN_VILLAGE, trade: str = "C"):
    body = f"91500156MA{next(_credit):07d}"
    return ms.save_employer(
        acting_user=None,
        data={
            "credit_code": body + uscc.calc_check_digit(body),
            "name": f"武隆测试企业{body[-4:]}",
            "region_id": region,
            "trade": trade,
            "contact_name": "李经理",
            "contact_phone": "13800000000",
        },
    )


def posting(firm, title: str = "缝纫工", **fields) -> JobPosting:
    data = {
        "employer": firm,
        "title": title,
        "trade": "C",
        "openings": 3,
        "wage_min": Decimal(3000),
        "wage_max": Decimal(4500),
        "region_id": FENGSHAN_VILLAGE,
        "source": "local",
        "valid_from": TODAY - datetime.timedelta(days=10),
        "age_min": 18,
        "age_max": 60,
        **fields,
    }
    return ms.save_job_posting(acting_user=None, data=data)


def recommended(person) -> list[int]:
    return list(
        Recommendation.objects.filter(person=person)
        .order_by("rank")
        .values_list("posting_id", flat=True)
    )


SEWING = {"wished_trade": "C", "wished_job": "缝纫工", "expected_wage": Decimal(3000)}


@pytest.fixture
def firm(db):
    return employer()


@pytest.fixture(autouse=True)
def jinan(db):
    """A partner district outside the province (劳务协作: 鲁渝)."""
    Region.objects.create(code="37", name="山东省", level=1)
    Region.objects.create(code="3701", name="济南市", level=2, parent_id="37")
    Region.objects.create(code="370102", name="历下区", level=3, parent_id="3701")


# --- hard limits ---------------------------------------------------------------------


def test_each_hard_limit_excludes_a_posting_that_would_score_high(household_factory, firm):
    """A 50-year-old man, primary school, chronically ill, who must stay near home: every
    posting matches his wish perfectly, but each breaks one limit except two."""
    person = laborer(
        household_factory,
        "孙老三",
        years=50,
        education="primary",
        health="chronic",
        needs={**SEWING, "near_home": True},
    )
    own = posting(firm, "缝纫", trade="O")  # own township, weaker match (other trade)
    other_township = posting(firm, region_id=FURONG_VILLAGE)  # same county
    excluded = {
        "heavy": posting(firm, physical_demand="heavy"),
        "age": posting(firm, age_max=45),
        "education": posting(firm, education_min="初中"),
        "sex": posting(firm, sex_requirement="女", sex_requirement_basis="女职工劳动保护特别规定"),
        "outside_county": posting(firm, region_id="370102", source="partner"),
        "closed": posting(firm, status="closed"),
        "full": posting(firm, openings=2, filled=2),
        "expired": posting(
            firm,
            valid_from=TODAY - datetime.timedelta(days=30),
            valid_to=TODAY - datetime.timedelta(days=1),
        ),
        "not_yet": posting(firm, valid_from=TODAY + datetime.timedelta(days=3)),
    }
    summary = services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert summary["laborers"] == 1
    # Own township first although the other township's posting scores higher.
    assert recommended(person) == [own.pk, other_township.pk]
    scores = dict(Recommendation.objects.values_list("posting_id", "score"))
    assert scores[other_township.pk] > scores[own.pk]
    assert not set(recommended(person)) & {p.pk for p in excluded.values()}


def test_limits_that_allow(household_factory, firm):
    """Medium work is fine for a chronic illness; an unlawful (basis-less) sex requirement
    would be ignored — the service already refuses one without a basis."""
    person = laborer(household_factory, "周二", years=30, health="chronic", needs=SEWING)
    medium = posting(firm, physical_demand="medium")
    college = posting(firm, education_min="大专")
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert recommended(person) == [medium.pk]
    assert college.pk not in recommended(person)
    with pytest.raises(ValidationError):
        posting(firm, sex_requirement="男")


def test_weak_laborer_gets_light_work_only_and_young_woman_gets_female_post(
    household_factory, firm
):
    weak = laborer(household_factory, "吴弱", labor="weak", needs=SEWING)
    woman = laborer(household_factory, "郑芳", female=True, needs=SEWING)
    light = posting(firm)
    medium = posting(firm, physical_demand="medium")
    female = posting(firm, sex_requirement="女", sex_requirement_basis="国家规定")
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert set(recommended(weak)) == {light.pk}
    assert set(recommended(woman)) == {light.pk, medium.pk, female.pk}


# --- scores and reasons --------------------------------------------------------------


def test_explanations_are_present_and_true(household_factory, firm):
    person = laborer(
        household_factory,
        "王大",
        needs={**SEWING, "expected_wage": Decimal(5000), "wished_tier": "in_township"},
    )
    job = posting(firm, skills="会操作平车")
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    rec = Recommendation.objects.get(person=person, posting=job)
    reasons = {r["factor"]: r for r in rec.explanation}
    assert set(reasons) == {"trade", "title", "area", "wage", "distance"}
    assert reasons["trade"]["text"] == "意向行业与岗位行业一致（制造业）"
    assert "缝纫工" in reasons["title"]["text"]
    assert reasons["area"]["text"] == "岗位在意向就业地域（乡镇内）"
    # 4,500 offered against 5,000 expected: 10% short costs a quarter of the points.
    assert reasons["wage"]["text"] == "月薪3000–4500元，比期望月薪5000元低500元"
    assert reasons["wage"]["points"] == 11.2
    assert reasons["distance"]["text"].startswith("离家近：岗位在乡镇内")
    assert float(rec.score) == pytest.approx(sum(r["points"] for r in rec.explanation))
    assert all(r["label"] and r["points"] > 0 for r in rec.explanation)


def test_caring_posts_favour_the_hard_to_employ_and_partner_posts_those_who_go_far(
    household_factory, firm
):
    older = laborer(household_factory, "老黄", years=52, education="primary", needs=SEWING)
    young = laborer(household_factory, "小黄", years=25, needs=SEWING)
    far = laborer(
        household_factory, "远行", years=28, needs={**SEWING, "wished_tier": "out_of_province"}
    )
    caring = posting(firm, "缝纫工", caring_post=True)
    partner = posting(firm, "缝纫工", region_id="370102", source="partner")
    services.run_matching(acting_user=None, region_code=FENGSHAN)

    def reasons(person, job):
        rec = Recommendation.objects.get(person=person, posting=job)
        return {r["factor"]: r for r in rec.explanation}

    assert "caring" in reasons(older, caring)
    assert "52岁" in reasons(older, caring)["caring"]["text"]
    assert "文化程度低" in reasons(older, caring)["caring"]["text"]
    assert "caring" not in reasons(young, caring)
    assert reasons(far, partner)["partner"]["text"] == "劳务协作岗位，符合外出务工意愿"
    assert "partner" not in reasons(young, partner)
    assert recommended(far)[0] == partner.pk
    assert recommended(older)[0] == caring.pk


def test_skills_from_completed_training(household_factory, firm):
    person = laborer(household_factory, "学员", needs={"wished_trade": "O"})
    other = laborer(household_factory, "未学", needs={"wished_trade": "O"})
    training = ms.save_training_class(
        acting_user=None,
        data={
            "name": "2024年月嫂培训班",
            "training_type": "skills",
            "provider": "武隆职教中心",
            "region_id": FENGSHAN,
            "start": TODAY - datetime.timedelta(days=60),
            "end": TODAY - datetime.timedelta(days=30),
            "occupation": "家政服务员",
        },
    )
    enrollment = ms.enroll(acting_user=None, training=training, person=person)
    ms.update_enrollment(
        acting_user=None, instance=enrollment, data={"completed": True, "certificate": "月嫂证"}
    )
    job = posting(firm, "月嫂", trade="O", skills="持月嫂证优先")
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    rec = Recommendation.objects.get(person=person, posting=job)
    skills = [r for r in rec.explanation if r["factor"] == "skills"]
    assert skills and "月嫂证" in skills[0]["text"]
    assert not any(
        r["factor"] == "skills"
        for r in Recommendation.objects.get(person=other, posting=job).explanation
    )


def test_same_data_same_results_and_runs_replace(household_factory, firm):
    people = [laborer(household_factory, f"人{i}", years=20 + i, needs=SEWING) for i in range(4)]
    for i in range(14):  # equal scores: ties broken by the posting, the same every time
        posting(firm, "缝纫工", wage_max=Decimal(4000 + 100 * (i % 3)))

    def snapshot():
        return list(
            Recommendation.objects.order_by("person_id", "rank").values_list(
                "person_id", "posting_id", "rank", "score", "explanation"
            )
        )

    services.run_matching(acting_user=None, region_code=FENGSHAN, top=5)
    first = snapshot()
    services.run_matching(acting_user=None, region_code=FENGSHAN, top=5)
    assert snapshot() == first
    assert len(first) == 4 * 5
    assert Recommendation.objects.count() == 20  # replaced, not added
    es.record_employment(
        acting_user=None,
        person=people[0],
        data={"status": "employed", "form": "company", "location_tier": "in_county"},
    )
    services.run_matching(acting_user=None, region_code=FENGSHAN, top=5)
    assert not Recommendation.objects.filter(person=people[0]).exists()


def test_engine_agrees_with_the_per_pair_reference():
    from benchmarks.matching import synthetic

    laborers, postings = synthetic(300, 700, seed=7)
    result = Matcher(laborers, postings).run(10)
    reference = ReferenceMatcher(laborers, postings)
    got: dict[int, list] = {}
    for li, pj, score in zip(result.laborer, result.posting, result.score, strict=True):
        got.setdefault(int(li), []).append((int(pj), round(float(score), 1)))
    for i in range(0, 300, 7):
        assert got.get(i, []) == reference.top(i, 10), i
    assert np.all(result.rank[result.laborer == 0] == np.arange(1, len(got.get(0, [])) + 1))


def test_nothing_to_match(household_factory, firm):
    """A region without unemployed laborers, or without postings, runs and stores nothing."""
    summary = services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert (summary["laborers"], summary["recommendations"]) == (0, 0)
    JobPosting.objects.all().delete()
    laborer(household_factory, "无岗", needs=SEWING)
    summary = services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert (summary["laborers"], summary["postings"], summary["recommendations"]) == (1, 0, 0)


def test_text_helpers():
    assert bigrams("缝纫工") == {"缝纫", "纫工"}
    assert "培训" not in bigrams("2024年月嫂培训班")
    assert education_rank("初中及以上") == 3
    assert education_rank("senior") == 4
    assert education_rank("") == -1


def test_weights_are_configuration(household_factory, firm, settings):
    person = laborer(household_factory, "权重", needs=SEWING)
    job = posting(firm)
    settings.FUPIN_MATCH_WEIGHTS = {"trade": 50}
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    rec = Recommendation.objects.get(person=person, posting=job)
    assert {r["factor"]: r["points"] for r in rec.explanation}["trade"] == 50


# --- pushes and outcomes -------------------------------------------------------------


def test_push_and_outcome_to_hired_takes_the_last_opening(
    household_factory, firm, township_operator
):
    first = laborer(household_factory, "甲", needs=SEWING)
    second = laborer(household_factory, "乙", needs=SEWING)
    job = posting(firm, openings=1)
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert Recommendation.objects.filter(posting=job).count() == 2

    push = services.push_postings(
        acting_user=township_operator, person=first, postings=[job], channel="text"
    )[0]
    service = Service.objects.get(person=first)
    assert service.service_type == "job_push" and push.service == service
    assert "缝纫工" in push.message and "李经理" in push.message and "甲您好" in push.message
    with pytest.raises(ValidationError):  # once per person and posting
        services.push_postings(
            acting_user=township_operator, person=first, postings=[job], channel="phone"
        )
    # A double click racing the first push gets past the check: one push, a message.
    with (
        patch.object(services, "already_pushed", return_value=set()),
        pytest.raises(ValidationError, match="已向该人员推送过"),
    ):
        services.push_postings(
            acting_user=township_operator, person=first, postings=[job], channel="phone"
        )
    assert Push.objects.filter(person=first).count() == 1
    assert Service.objects.filter(person=first).count() == 1  # the second one rolled back
    with pytest.raises(ValidationError):  # not straight to hired
        services.record_outcome(acting_user=township_operator, push=push, status="hired")
    for status in ("interested", "interviewed", "hired"):
        push = services.record_outcome(acting_user=township_operator, push=push, status=status)
    job.refresh_from_db()
    assert (job.filled, job.status) == (1, "filled")
    record = EmploymentRecord.objects.get(person=first, valid_to=None)
    assert push.employment_record == record
    assert (record.status, record.employer_id, record.form) == ("employed", firm.pk, "company")
    assert record.location_tier == "in_township"
    # The full posting is recommended to nobody now, and cannot be pushed or hired again.
    assert not Recommendation.objects.filter(posting=job).exists()
    with pytest.raises(ValidationError):
        services.push_postings(
            acting_user=township_operator, person=second, postings=[job], channel="visit"
        )
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert job.pk not in recommended(second)
    assert AuditLog.objects.filter(object_type="matching.push").count() == 4
    assert AuditLog.objects.filter(object_type="employment.jobposting", action="update").exists()


def test_declined_needs_a_reason_and_is_final(household_factory, firm, village_clerk):
    person = laborer(household_factory, "丙", needs=SEWING)
    job = posting(firm)
    push = services.push_postings(
        acting_user=village_clerk, person=person, postings=[job], channel="visit"
    )[0]
    with pytest.raises(ValidationError):
        services.record_outcome(acting_user=village_clerk, push=push, status="declined")
    push = services.record_outcome(
        acting_user=village_clerk, push=push, status="declined", reason="嫌工资低"
    )
    assert push.decline_reason == "嫌工资低"
    with pytest.raises(ValidationError):
        services.record_outcome(acting_user=village_clerk, push=push, status="interested")
    job.refresh_from_db()
    assert job.filled == 0


def test_push_outside_jurisdiction_or_without_permission_is_refused(
    household_factory, firm, other_township_operator, supervisor
):
    person = laborer(household_factory, "丁", needs=SEWING)
    job = posting(firm)
    for user in (other_township_operator, supervisor):
        with pytest.raises(PermissionDenied):
            services.push_postings(acting_user=user, person=person, postings=[job], channel="text")
    assert not Push.objects.exists()


# --- scoping ---------------------------------------------------------------------------


def test_township_run_covers_its_laborers_and_district_and_partner_postings(
    household_factory, township_operator, other_township_operator, outside_admin
):
    mine = laborer(household_factory, "凤山人", needs={"wished_trade": "C"})
    theirs = laborer(
        household_factory, "芙蓉人", village=FURONG_VILLAGE, needs={"wished_trade": "C"}
    )
    local = posting(employer(FURONG_VILLAGE), region_id=FURONG_VILLAGE)
    partner = posting(employer("370102"), region_id="370102", source="partner")
    summary = services.run_matching(acting_user=township_operator, region_code=FENGSHAN)
    assert summary == {**summary, "laborers": 1, "postings": 2}
    assert set(recommended(mine)) == {local.pk, partner.pk}
    assert recommended(theirs) == []
    with pytest.raises(ValidationError):
        services.run_matching(acting_user=other_township_operator, region_code=FENGSHAN)
    with pytest.raises(ValidationError):
        services.run_matching(acting_user=outside_admin, region_code=WULONG)


# --- CLI and API -----------------------------------------------------------------------


def test_cli_json(household_factory, firm, township_operator):
    laborer(household_factory, "命令行", needs=SEWING)
    posting(firm)
    out = io.StringIO()
    call_command("match", "run", "--region", FENGSHAN, "--user", township_operator.username,
                 "--json", stdout=out)  # fmt: skip
    data = json.loads(out.getvalue())
    assert set(data) == {"laborers", "postings", "recommendations", "seconds"}
    assert (data["laborers"], data["postings"], data["recommendations"]) == (1, 1, 1)
    out = io.StringIO()
    err = io.StringIO()
    call_command("match", "run", "--region", FENGSHAN, "--top", "3", stdout=out, stderr=err)
    assert "保存 1 条推荐" in out.getvalue()
    with pytest.raises(Exception, match="不在"):
        call_command("match", "run", "--region", "500119", "--user", township_operator.username)


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_shape_and_scoping(
    household_factory, firm, township_operator, other_township_operator, leader, county_admin
):
    person = laborer(household_factory, "接口", needs=SEWING)
    job = posting(firm)
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    response = api(township_operator).get(f"/api/recommendations/?laborer={person.pk}")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["laborer"] == person.pk
    assert row["posting"] == {
        "id": job.pk,
        "title": "缝纫工",
        "region_code": FENGSHAN_VILLAGE,
        "employer": firm.name,
    }
    assert row["rank"] == 1 and row["score"] > 0
    assert {"factor", "label", "points", "text"} <= set(row["explanation"][0])
    by_job = api(county_admin).get(f"/api/recommendations/?job={job.pk}").json()
    assert [r["laborer"] for r in by_job["results"]] == [person.pk]
    assert api(leader).get("/api/recommendations/").json()["count"] == 1
    assert api(other_township_operator).get("/api/recommendations/").json()["count"] == 0
    assert api(other_township_operator).get(f"/api/recommendations/{row['id']}/").status_code == 404
    assert api(None).get("/api/recommendations/").status_code in (401, 403)
    JobPosting.objects.filter(pk=job.pk).update(status="closed")
    assert api(township_operator).get("/api/recommendations/").json()["count"] == 0


def test_api_laborers_near_home_filter(household_factory, township_operator):
    near = laborer(household_factory, "恋家", needs={"near_home": True})
    laborer(household_factory, "远游", needs={"near_home": False})
    rows = api(township_operator).get("/api/laborers/?near_home=true").json()["results"]
    assert [r["id"] for r in rows] == [near.pk]

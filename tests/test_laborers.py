"""Poor laborers: who counts, dated employment history, needs, services, monthly verification;
their pages and API (permission matrix, filters, masking, fixed query counts)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from fupin.employment import services
from fupin.employment.laborer_filters import scoped_laborers, served_share_by_township
from fupin.employment.models import EmploymentRecord, Verification
from fupin.employment.selectors import laborers, with_state
from fupin.registry import services as registry_services
from tests.conftest import FENGSHAN_OTHER_VILLAGE, FURONG_VILLAGE, new_id

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def born(years: int, days: int = 100) -> datetime.date:
    """A birth date `years` years and `days` days before today."""
    try:
        day = TODAY.replace(year=TODAY.year - years)
    except ValueError:
        day = TODAY.replace(year=TODAY.year - years, day=28)
    return day - datetime.timedelta(days=days)


def member(name: str, years: int, labor: str = "ordinary", relation: str = "son") -> dict:
    return {
        "relation": relation,
        "name": name,
        "id_number": new_id(birth=born(years)),
        "labor_ability": labor,
    }


def page(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


EMPLOYED = {
    "status": "employed",
    "form": "company",
    "location_tier": "out_of_province",
    "monthly_income": 4500,
}


@pytest.fixture
def family(household_factory):
    """A 凤山村 household: head 46, a 15-, a 61-year-old, a 30-year-old who lost the ability
    to work, and a 25-year-old daughter."""
    household = household_factory(
        head_name="赵淑碧",
        members=[
            member("钱小小", 15),
            member("钱老汉", 61, relation="father"),
            member("钱病人", 30, labor="lost", relation="brother"),
            member("钱二妹", 25, relation="daughter"),
        ],
    )
    people = {p.name: p for p in household.members.all()}
    return household, people


@pytest.fixture
def matrix(family, household_factory, township_operator, other_township_operator, leader):
    household, people = family
    return {
        "laborer": people["赵淑碧"],
        "non_laborer": people["钱小小"],
        "inside": township_operator,
        "outside": other_township_operator,
        "wrong_role": leader,
    }


# --- Who is a laborer --------------------------------------------------------------------


def test_working_age_and_labor_ability_rule(family):
    household, people = family
    names = set(laborers().filter(household=household).values_list("name", flat=True))
    assert names == {"赵淑碧", "钱二妹"}


def test_laborers_follow_registry_changes(family, township_operator):
    household, people = family
    registry_services.remove_member(
        acting_user=None, person=people["钱二妹"], reason="married_out", on=TODAY
    )
    names = set(laborers().filter(household=household).values_list("name", flat=True))
    assert names == {"赵淑碧"}
    url = reverse("laborer-detail", kwargs={"pk": people["钱二妹"].pk})
    assert page(township_operator).get(url).status_code == 404


def test_non_laborers_have_no_laborer_page_or_api_row(family, township_operator):
    household, people = family
    for name in ("钱小小", "钱老汉", "钱病人"):
        pk = people[name].pk
        assert page(township_operator).get(reverse("laborer-detail", args=[pk])).status_code == 404
        assert api(township_operator).get(f"/api/laborers/{pk}/").status_code == 404
    body = api(township_operator).get("/api/laborers/").json()
    assert body["count"] == 2
    with pytest.raises(ValidationError, match="不是贫困劳动力"):
        services.record_employment(
            acting_user=township_operator, person=people["钱小小"], data={"status": "unemployed"}
        )


# --- History ---------------------------------------------------------------------------------


def test_history_kept_on_change_and_past_answerable(family, township_operator):
    _, people = family
    person = people["赵淑碧"]
    d1, d2 = TODAY - datetime.timedelta(days=90), TODAY - datetime.timedelta(days=10)
    first = services.record_employment(
        acting_user=township_operator, person=person, data={"status": "unemployed"}, valid_from=d1
    )
    second = services.record_employment(
        acting_user=township_operator, person=person, data=EMPLOYED, valid_from=d2
    )
    first.refresh_from_db()
    assert first.valid_to == d2 and second.valid_to is None
    assert EmploymentRecord.objects.filter(person=person).count() == 2
    now = with_state(laborers().filter(pk=person.pk)).get()
    past = with_state(laborers(d1).filter(pk=person.pk), as_of=d1 + datetime.timedelta(days=1))
    assert now.status == "employed" and now.form == "company"
    assert past.get().status == "unemployed"
    assert (
        with_state(laborers().filter(pk=person.pk), as_of=d1 - datetime.timedelta(1)).get().status
        is None
    )
    response = page(township_operator).get(reverse("laborer-detail", args=[person.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert d1.isoformat() in content and d2.isoformat() in content and "市外" in content


def test_same_day_correction_replaces(family, township_operator):
    _, people = family
    person = people["赵淑碧"]
    services.record_employment(acting_user=township_operator, person=person, data=EMPLOYED)
    services.record_employment(
        acting_user=township_operator, person=person, data={**EMPLOYED, "monthly_income": 5200}
    )
    records = EmploymentRecord.objects.filter(person=person)
    assert records.count() == 1 and records.get().monthly_income == 5200


def test_backdating_before_current_state_is_refused_on_the_form(family, township_operator):
    _, people = family
    person = people["赵淑碧"]
    services.record_employment(acting_user=township_operator, person=person, data=EMPLOYED)
    url = reverse("laborer-employment", args=[person.pk])
    earlier = (TODAY - datetime.timedelta(days=5)).isoformat()
    response = page(township_operator).post(url, {"valid_from": earlier, "status": "unemployed"})
    assert response.status_code == 200
    assert "日期不能早于当前状态的开始日期" in response.content.decode()
    assert EmploymentRecord.objects.filter(person=person).count() == 1


def test_validation_messages_on_the_form(family, township_operator):
    _, people = family
    url = reverse("laborer-employment", args=[people["赵淑碧"].pk])
    client = page(township_operator)
    cases = [
        ({"status": "employed"}, "已就业须填写就业形式"),
        ({"status": "employed", "form": "company"}, "已就业须填写就业地域"),
        ({"status": "not_seeking"}, "请选择暂无就业意愿的原因"),
        ({"status": "unemployed", "form": "company"}, "未就业或暂无就业意愿时不填写就业信息"),
        ({**EMPLOYED, "destination": "999999"}, "找不到该区划代码"),
    ]
    for data, message in cases:
        response = client.post(url, {"valid_from": TODAY.isoformat(), **data})
        assert response.status_code == 200
        assert message in response.content.decode(), message
    assert not EmploymentRecord.objects.exists()


def test_record_state_needs_and_service_through_pages(family, township_operator):
    _, people = family
    person = people["赵淑碧"]
    client = page(township_operator)
    response = client.post(
        reverse("laborer-employment", args=[person.pk]),
        {**EMPLOYED, "valid_from": TODAY.isoformat(), "destination": "500105"},
    )
    assert response.status_code == 302
    record = EmploymentRecord.objects.get(person=person)
    assert record.destination_id == "500105" and record.recorded_by == township_operator
    response = client.post(
        reverse("laborer-needs", args=[person.pk]),
        {"wished_job": "电工", "service_needs": ["training", "referral"], "near_home": "on"},
    )
    assert response.status_code == 302
    assert person.needs.near_home and person.needs.service_needs == ["training", "referral"]
    response = client.post(
        reverse("laborer-service-add", args=[person.pk]),
        {"service_type": "job_push", "date": TODAY.isoformat()},
    )
    assert response.status_code == 302
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("laborer-service-add", args=[person.pk]),
        {"service_type": "job_push", "date": tomorrow},
    )
    assert "服务日期不能晚于今天" in response.content.decode()
    content = client.get(reverse("laborer-detail", args=[person.pk])).content.decode()
    assert "电工" in content and "岗位推送" in content and person.masked_id in content
    assert person.id_number not in content


# --- List page -------------------------------------------------------------------------------


def test_list_filters_and_masking(family, household_factory, township_operator):
    household, people = family
    other = household_factory(FENGSHAN_OTHER_VILLAGE, head_name="孙务农")
    services.record_employment(acting_user=None, person=people["赵淑碧"], data=EMPLOYED)
    services.record_employment(
        acting_user=None,
        person=other.members.get(),
        data={"status": "employed", "form": "farming"},
    )
    client = page(township_operator)
    url = reverse("laborer-list")

    def names(**params):
        content = client.get(url, params).content.decode()
        return {n for n in ("赵淑碧", "钱二妹", "孙务农") if f">{n}</a>" in content}

    assert names() == {"赵淑碧", "钱二妹", "孙务农"}
    assert names(status="employed") == {"赵淑碧", "孙务农"}
    assert names(status="unrecorded") == {"钱二妹"}
    assert names(transferred="true") == {"赵淑碧"}
    assert names(form="farming") == {"孙务农"}
    assert names(region=FENGSHAN_OTHER_VILLAGE) == {"孙务农"}
    assert names(q="zsb") == {"赵淑碧"}
    assert names(q="钱") == {"钱二妹"}
    assert names(q=people["赵淑碧"].id_number) == set()  # full IDs never via a URL
    content = client.get(url).content.decode()
    assert "市外" in content and "待核实" in content
    assert people["赵淑碧"].id_number not in content


def test_list_query_count_is_fixed(household_factory, county_admin):
    client = page(county_admin)
    url = reverse("laborer-list")

    def count() -> int:
        client.get(url)  # warm the session and permission caches alike
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    first = household_factory(members=[member("钱二妹", 25, relation="daughter")])
    services.record_employment(acting_user=None, person=first.members.first(), data=EMPLOYED)
    small = count()
    for village in (FENGSHAN_OTHER_VILLAGE, FURONG_VILLAGE, FURONG_VILLAGE):
        h = household_factory(village, members=[member("孙小妹", 22, relation="daughter")])
        for p in h.members.all():
            services.record_employment(acting_user=None, person=p, data=EMPLOYED)
            services.add_service(acting_user=None, person=p, service_type="policy", date=TODAY)
    assert count() == small
    assert small <= 14, small


def test_htmx_rows_fragment(family, township_operator):
    response = page(township_operator).get(reverse("laborer-list"), HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content and "赵淑碧" in content


def test_served_this_year_share_per_township(family, household_factory, county_admin):
    household, people = family
    furong = household_factory(FURONG_VILLAGE, head_name="李服务")
    last_year = TODAY.replace(year=TODAY.year - 1, day=1)
    services.add_service(
        acting_user=None, person=people["赵淑碧"], service_type="policy", date=TODAY
    )
    services.add_service(
        acting_user=None, person=people["赵淑碧"], service_type="guidance", date=TODAY
    )
    services.add_service(
        acting_user=None, person=people["钱二妹"], service_type="policy", date=last_year
    )
    services.add_service(
        acting_user=None, person=furong.members.get(), service_type="policy", date=TODAY
    )
    rows = {r["township"]: r for r in served_share_by_township(laborers(), TODAY.year)}
    assert rows["500156001"]["total"] == 2 and rows["500156001"]["served_count"] == 1
    assert rows["500156001"]["share"] == 50.0 and rows["500156001"]["name"] == "凤山街道"
    assert rows["500156002"]["share"] == 100.0
    content = page(county_admin).get(reverse("laborer-list")).content.decode()
    assert "凤山街道" in content and "50.0%" in content and "100.0%" in content


def test_coverage_is_scoped(family, household_factory, township_operator):
    household_factory(FURONG_VILLAGE, head_name="李服务")
    content = page(township_operator).get(reverse("laborer-list")).content.decode()
    assert "芙蓉街道" not in content.split('id="coverage"')[1]


# --- Verification ------------------------------------------------------------------------------


def test_verification_flow_goes_person_by_person(family, village_clerk):
    _, people = family
    zhao, qian = people["赵淑碧"], people["钱二妹"]
    services.verify(acting_user=None, person=zhao, on=TODAY - datetime.timedelta(days=40))
    client = page(village_clerk)
    start = client.get(reverse("laborer-verify")).content.decode()
    # Never verified comes first, then the oldest verification.
    assert "钱二妹" in start and "还剩 2 人" in start
    response = client.post(
        reverse("laborer-verify-confirm", args=[qian.pk]), {"skip": ""}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert "<html" not in content and "赵淑碧" in content and "还剩 1 人" in content
    assert Verification.objects.get(person=qian, verified_on=TODAY).changed is False
    form = client.get(reverse("laborer-verify-change", args=[zhao.pk]), HTTP_HX_REQUEST="true")
    assert "保存并核实" in form.content.decode()
    response = client.post(
        reverse("laborer-verify-change", args=[zhao.pk]),
        {**EMPLOYED, "valid_from": TODAY.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert "全部核实完毕" in response.content.decode()
    assert Verification.objects.get(person=zhao, verified_on=TODAY).changed is True
    assert EmploymentRecord.objects.get(person=zhao).status == "employed"


def test_verification_change_with_errors_writes_nothing(family, village_clerk):
    _, people = family
    zhao = people["赵淑碧"]
    response = page(village_clerk).post(
        reverse("laborer-verify-change", args=[zhao.pk]),
        {"status": "employed", "valid_from": TODAY.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert "已就业须填写就业形式" in response.content.decode()
    assert not Verification.objects.exists() and not EmploymentRecord.objects.exists()


def test_skip_moves_on_without_verifying(family, village_clerk):
    _, people = family
    client = page(village_clerk)
    first = client.get(reverse("laborer-verify")).context["person"]
    response = client.post(reverse("laborer-verify-skip", args=[first.pk]), HTTP_HX_REQUEST="true")
    assert response.context["person"].pk != first.pk
    assert not Verification.objects.exists()


def test_flagged_after_n_days(family, township_operator, settings):
    settings.FUPIN_VERIFY_EVERY_DAYS = 5
    _, people = family
    zhao, qian = people["赵淑碧"], people["钱二妹"]
    services.verify(acting_user=None, person=zhao, on=TODAY - datetime.timedelta(days=4))
    services.verify(acting_user=None, person=qian, on=TODAY - datetime.timedelta(days=5))
    body = api(township_operator).get("/api/laborers/", {"unverified": "true"}).json()
    assert [r["name"] for r in body["results"]] == ["钱二妹"]
    rows = {p.name: p for p in scoped_laborers(township_operator)}
    assert rows["赵淑碧"].last_verified == TODAY - datetime.timedelta(days=4)
    content = page(township_operator).get(reverse("laborer-list"), {"unverified": "true"})
    assert "钱二妹" in content.content.decode() and ">赵淑碧<" not in content.content.decode()


def test_verify_outside_jurisdiction_is_404(family, other_township_operator):
    _, people = family
    url = reverse("laborer-verify-confirm", args=[people["赵淑碧"].pk])
    assert page(other_township_operator).post(url).status_code == 404
    assert not Verification.objects.exists()


# --- Permission matrix -----------------------------------------------------------------------

OBJECT_PAGES = ["laborer-detail", "laborer-employment", "laborer-needs", "laborer-service-add"]
VERIFY_POSTS = ["laborer-verify-confirm", "laborer-verify-change", "laborer-verify-skip"]


@pytest.mark.parametrize("name", ["laborer-list", "laborer-verify"])
def test_list_pages_matrix(matrix, name):
    url = reverse(name)
    anonymous = page(None).get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert page(matrix["wrong_role"]).get(url).status_code == 403
    assert page(matrix["inside"]).get(url).status_code == 200
    outside = page(matrix["outside"]).get(url)
    assert outside.status_code == 200 and "赵淑碧" not in outside.content.decode()


@pytest.mark.parametrize("name", OBJECT_PAGES)
def test_object_pages_matrix(matrix, name):
    url = reverse(name, args=[matrix["laborer"].pk])
    anonymous = page(None).get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert page(matrix["wrong_role"]).get(url).status_code == 403
    assert page(matrix["inside"]).get(url).status_code == 200
    assert page(matrix["outside"]).get(url).status_code == 404
    non_laborer = reverse(name, args=[matrix["non_laborer"].pk])
    assert page(matrix["inside"]).get(non_laborer).status_code == 404


@pytest.mark.parametrize("name", [*OBJECT_PAGES[1:], *VERIFY_POSTS])
def test_writes_matrix(matrix, name):
    url = reverse(name, args=[matrix["laborer"].pk])
    assert page(None).post(url).status_code == 302
    assert page(matrix["wrong_role"]).post(url).status_code == 403
    assert page(matrix["outside"]).post(url).status_code == 404
    assert not EmploymentRecord.objects.exists() and not Verification.objects.exists()


def test_supervisor_reads_but_cannot_write(matrix, supervisor):
    pk = matrix["laborer"].pk
    assert page(supervisor).get(reverse("laborer-detail", args=[pk])).status_code == 200
    assert page(supervisor).get(reverse("laborer-employment", args=[pk])).status_code == 403
    assert page(supervisor).get(reverse("laborer-verify")).status_code == 403


@pytest.mark.parametrize("base", ["/api/laborers/", "/api/services/", "/api/employment-records/"])
def test_api_matrix(matrix, base):
    laborer = matrix["laborer"]
    record = services.record_employment(acting_user=None, person=laborer, data=EMPLOYED)
    service = services.add_service(
        acting_user=None, person=laborer, service_type="policy", date=TODAY
    )
    pk = {"/api/laborers/": laborer.pk, "/api/services/": service.pk}.get(base, record.pk)
    assert api(None).get(base).status_code in (401, 403)
    assert api(matrix["wrong_role"]).get(base).status_code == 403
    inside = api(matrix["inside"]).get(base)
    assert inside.status_code == 200 and inside.json()["count"] >= 1
    assert api(matrix["inside"]).get(f"{base}{pk}/").status_code == 200
    assert api(matrix["outside"]).get(base).json()["count"] == 0
    assert api(matrix["outside"]).get(f"{base}{pk}/").status_code == 404


# --- API ------------------------------------------------------------------------------------


def test_api_laborers_filters_and_masking(family, household_factory, county_admin):
    _, people = family
    farmer = household_factory(FENGSHAN_OTHER_VILLAGE, head_name="孙务农").members.get()
    furong = household_factory(FURONG_VILLAGE, head_name="李外出").members.get()
    services.record_employment(acting_user=None, person=people["赵淑碧"], data=EMPLOYED)
    services.record_employment(
        acting_user=None, person=farmer, data={"status": "employed", "form": "farming"}
    )
    services.record_employment(
        acting_user=None,
        person=furong,
        data={**EMPLOYED, "form": "workshop", "location_tier": "in_township"},
    )
    services.set_needs(acting_user=None, person=furong, data={"near_home": True})
    client = api(county_admin)

    def names(**params):
        body = client.get("/api/laborers/", params).json()
        assert body["count"] == len(body["results"])
        return {r["name"] for r in body["results"]}

    assert names() == {"赵淑碧", "钱二妹", "孙务农", "李外出"}
    assert names(region="500156001") == {"赵淑碧", "钱二妹", "孙务农"}
    assert names(region="500156001", status="employed") == {"赵淑碧", "孙务农"}
    assert names(transferred="true") == {"赵淑碧", "李外出"}
    assert names(form="workshop") == {"李外出"}
    assert names(near_home="true") == {"李外出"}
    assert names(status="unemployed") == set()
    row = client.get("/api/laborers/", {"q": "zsb"}).json()["results"][0]
    zhao = people["赵淑碧"]
    assert row["id"] == zhao.pk and row["id_number"] == zhao.masked_id and "*" in row["id_number"]
    assert row["village_code"] == zhao.household.village_id
    assert row["status"] == "employed" and row["form"] == "company"
    assert row["location_tier"] == "out_of_province" and row["location_tier_label"] == "市外"
    assert row["monthly_income"] == "4500.00" and row["birth_date"] == zhao.birth_date.isoformat()
    assert "sex" in row and "destination_code" in row


def test_api_laborers_query_count_is_fixed(household_factory, county_admin):
    client = api(county_admin)

    def count() -> int:
        client.get("/api/laborers/")  # warm the permission cache
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/laborers/").status_code == 200
        return len(queries)

    household_factory()
    small = count()
    for _ in range(4):
        household_factory(FURONG_VILLAGE, members=[member("孙小妹", 22, relation="daughter")])
    assert count() == small


def test_api_employment_record_create_and_history(family, township_operator):
    _, people = family
    zhao = people["赵淑碧"]
    client = api(township_operator)
    earlier = (TODAY - datetime.timedelta(days=30)).isoformat()
    response = client.post(
        "/api/employment-records/",
        {"person": zhao.pk, "status": "unemployed", "valid_from": earlier},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = client.post(
        "/api/employment-records/",
        {"person": zhao.pk, **EMPLOYED, "destination": "500105"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["destination"] == "500105"
    body = client.get("/api/employment-records/", {"person": zhao.pk}).json()
    assert body["count"] == 2
    assert [r["valid_to"] for r in body["results"]] == [None, TODAY.isoformat()]
    bad = client.post("/api/employment-records/", {"person": zhao.pk, "status": "employed"})
    assert bad.status_code == 400 and "已就业须填写就业形式" in bad.content.decode()
    backdated = client.post(
        "/api/employment-records/",
        {"person": zhao.pk, "status": "unemployed", "valid_from": earlier},
    )
    assert backdated.status_code == 400 and "不能早于" in backdated.content.decode()
    not_laborer = client.post(
        "/api/employment-records/", {"person": people["钱小小"].pk, "status": "unemployed"}
    )
    assert not_laborer.status_code == 400 and "不是贫困劳动力" in not_laborer.content.decode()


def test_api_services_create_and_filters(
    family, household_factory, township_operator, county_admin
):
    _, people = family
    client = api(township_operator)
    response = client.post(
        "/api/services/",
        {"person": people["赵淑碧"].pk, "service_type": "referral", "date": TODAY.isoformat()},
    )
    assert response.status_code == 201, response.content
    assert response.json()["person_name"] == "赵淑碧"
    last_year = TODAY.replace(year=TODAY.year - 1, day=1).isoformat()
    client.post(
        "/api/services/",
        {"person": people["钱二妹"].pk, "service_type": "policy", "date": last_year},
    )
    furong = household_factory(FURONG_VILLAGE).members.get()
    outside = client.post(
        "/api/services/", {"person": furong.pk, "service_type": "policy", "date": TODAY}
    )
    assert outside.status_code == 400  # a person outside the jurisdiction does not exist
    services.add_service(acting_user=None, person=furong, service_type="policy", date=TODAY)
    admin = api(county_admin)

    def count(**params) -> int:
        return admin.get("/api/services/", params).json()["count"]

    assert count() == 3
    assert count(region="500156001") == 2
    assert count(year=TODAY.year) == 2
    assert count(service_type="policy") == 2
    assert count(region="500156001", year=TODAY.year - 1) == 1


def test_state_form_uses_municipality_tier_labels(family, township_operator):
    _, people = family
    response = page(township_operator).get(
        reverse("laborer-employment", args=[people["赵淑碧"].pk])
    )
    content = response.content.decode()
    assert "市内区外" in content and "市外" in content and "县外省内" not in content


def test_state_form_is_prefilled_with_the_current_state(family, township_operator):
    _, people = family
    services.record_employment(acting_user=None, person=people["赵淑碧"], data=EMPLOYED)
    form = page(township_operator).get(reverse("laborer-employment", args=[people["赵淑碧"].pk]))
    assert form.context["form"].initial["form"] == "company"
    assert form.context["form"].initial["valid_from"] == TODAY


def test_api_laborers_unrecorded_status(family, township_operator):
    _, people = family
    services.record_employment(acting_user=None, person=people["赵淑碧"], data=EMPLOYED)
    body = api(township_operator).get("/api/laborers/", {"status": "unrecorded"}).json()
    assert [r["name"] for r in body["results"]] == ["钱二妹"]
    assert body["results"][0]["status"] is None


def test_laborer_page_query_count_is_fixed(family, township_operator):
    _, people = family
    person = people["赵淑碧"]
    client = page(township_operator)
    url = reverse("laborer-detail", args=[person.pk])

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    services.record_employment(
        acting_user=None, person=person, data=EMPLOYED, valid_from=TODAY - datetime.timedelta(9)
    )
    services.add_service(acting_user=None, person=person, service_type="policy", date=TODAY)
    services.verify(acting_user=township_operator, person=person)
    small = count()
    for days in (6, 3, 0):
        services.record_employment(
            acting_user=township_operator,
            person=person,
            data={**EMPLOYED, "monthly_income": 4000 + days},
            valid_from=TODAY - datetime.timedelta(days),
        )
        services.add_service(acting_user=None, person=person, service_type="guidance", date=TODAY)
        services.verify(acting_user=township_operator, person=person)
    assert count() == small

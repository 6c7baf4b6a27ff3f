"""Employers, jobs, recruitment events and the measures: permission matrix over every
page and API endpoint, and the rules (credit code, one holder per post, age limits,
employment history, enrollments, labor export, workshops, exports)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from stdnum.cn import uscc

from fupin.core.models import AuditLog
from fupin.employment import choices as c
from fupin.employment import measure_services as s
from fupin.employment.models import Employer, EmploymentRecord, Placement
from fupin.employment.selectors import tier_between
from fupin.regions.models import Region
from tests.conftest import FENGSHAN_VILLAGE, FURONG_VILLAGE, new_id

pytestmark = pytest.mark.django_db
D = datetime.date


def credit_code(seq: int) -> str:
    body = f"91500156MA{seq:07d}"
    return body + uscc.calc_check_digit(body)


BORN = D(1980, 5, 17)


def person_in(household_factory, village=FENGSHAN_VILLAGE, birth=BORN, name="孙大勇"):
    household = household_factory(
        village,
        members=[
            {
                "relation": "son",
                "name": name,
                "id_number": new_id(birth),
                "labor_ability": "ordinary",
            }
        ],
    )
    return household.members.get(name=name)


@pytest.fixture
def world(household_factory, township_operator, other_township_operator, leader, outside_admin):
    """One record of each type in 凤山街道, created by the system."""
    person = person_in(household_factory)
    employer = s.save_employer(
        acting_user=None,
        data={
            "credit_code": credit_code(1),
            "name": "武隆鑫源服饰有限公司",
            "region_id": FENGSHAN_VILLAGE,
            "trade": "C",
        },
    )
    job = s.save_job_posting(
        acting_user=None,
        data={
            "employer": employer,
            "title": "缝纫工",
            "trade": "C",
            "openings": 5,
            "wage_min": Decimal(3000),
            "wage_max": Decimal(4500),
            "region_id": FENGSHAN_VILLAGE,
            "source": "local",
            "valid_from": D(2024, 3, 1),
        },
    )
    event = s.save_recruitment_event(
        acting_user=None,
        data={
            "name": "春风行动招聘会",
            "mode": "onsite",
            "date": D(2024, 2, 20),
            "region_id": FENGSHAN_VILLAGE,
            "employers": [employer],
        },
    )
    workshop = s.save_workshop(
        acting_user=None,
        data={
            "name": "鑫源扶贫车间",
            "employer": employer,
            "region_id": FENGSHAN_VILLAGE,
            "recognized_on": D(2019, 5, 1),
            "document_number": "武人社发〔2019〕12号",
            "capacity": 30,
        },
    )
    post = s.save_public_welfare_post(
        acting_user=None,
        data={
            "title": "村道保洁",
            "post_type": "cleaning",
            "unit": "凤山村委会",
            "region_id": FENGSHAN_VILLAGE,
            "monthly_pay": Decimal(792),
            "funding": "district",
            "developed_on": D(2020, 1, 1),
            "full_time": False,
        },
    )
    startup = s.save_startup(
        acting_user=None,
        data={
            "person": person,
            "business_name": "大勇农家乐",
            "started_on": D(2021, 4, 1),
            "trade": "H",
            "jobs_created": 3,
        },
    )
    loan = s.save_loan(
        acting_user=None,
        data={
            "startup": startup,
            "bank": "重庆农商行",
            "amount": Decimal(150000),
            "granted_on": D(2021, 5, 1),
            "status": "granted",
        },
    )
    training = s.save_training_class(
        acting_user=None,
        data={
            "name": "月嫂培训班",
            "training_type": "skills",
            "provider": "武隆职教中心",
            "region_id": FENGSHAN_VILLAGE,
            "start": D(2024, 3, 1),
            "end": D(2024, 3, 20),
            "subsidy_per_head": Decimal(1500),
        },
    )
    enrollment = s.enroll(acting_user=None, training=training, person=person)
    batch = s.save_export_batch(
        acting_user=None,
        data={
            "departed_on": D(2024, 2, 26),
            "mode": "bus",
            "region_id": FENGSHAN_VILLAGE,
            "destination_id": "500101",
        },
    )
    placement = s.place_on_post(
        acting_user=None,
        post=post,
        person=person_in(household_factory, name="李四妹"),
        start=D(2024, 6, 1),
    )
    return {
        "person": person, "employer": employer, "job": job, "recruitment-event": event,
        "workshop": workshop, "public-welfare-post": post, "startup": startup, "loan": loan,
        "training": training, "enrollment": enrollment, "export-batch": batch,
        "placement": placement,
        "inside": township_operator, "outside": other_township_operator, "wrong_role": leader,
        "other_district": outside_admin,
    }  # fmt: skip


def client(user) -> Client:
    browser = Client()
    if user is not None:
        browser.force_login(user)
    return browser


def api(user) -> APIClient:
    caller = APIClient()
    if user is not None:
        caller.force_authenticate(user)
    return caller


RESOURCES = [
    "employer", "job", "recruitment-event", "workshop", "public-welfare-post", "startup",
    "training", "export-batch",
]  # fmt: skip
DISTRICT_WIDE = {"employer", "job", "training", "export-batch"}


@pytest.mark.parametrize("name", RESOURCES)
@pytest.mark.parametrize("page", ["list", "create", "export"])
def test_list_pages_matrix(world, name, page):
    url = reverse(f"{name}-{page}")
    anonymous = client(None).get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert client(world["wrong_role"]).get(url).status_code == 403
    assert client(world["inside"]).get(url).status_code == 200


@pytest.mark.parametrize("name", RESOURCES)
@pytest.mark.parametrize("page", ["detail", "edit"])
def test_object_pages_matrix(world, name, page):
    url = reverse(f"{name}-{page}", kwargs={"pk": world[name].pk})
    assert client(None).get(url).status_code == 302
    assert client(world["wrong_role"]).get(url).status_code == 403
    assert client(world["inside"]).get(url).status_code == 200
    # Employers and postings are readable district-wide but editable only in one's region.
    visible = name in DISTRICT_WIDE and page == "detail"
    assert client(world["outside"]).get(url).status_code == (200 if visible else 404)
    assert client(world["other_district"]).get(url).status_code == 404


ACTIONS = [
    ("workshop-revoke", "workshop"),
    ("workshop-employ", "workshop"),
    ("public-welfare-post-place", "public-welfare-post"),
    ("public-welfare-post-end", "public-welfare-post"),
    ("startup-loan", "startup"),
    ("training-enroll", "training"),
    ("training-result", "training"),
    ("export-batch-participant", "export-batch"),
]


OPEN_TO_DISTRICT = {"training-enroll", "training-result", "export-batch-participant"}


@pytest.mark.parametrize("name,key", ACTIONS)
def test_actions_matrix(world, name, key):
    url = reverse(name, kwargs={"pk": world[key].pk})
    assert client(None).post(url).status_code == 302
    assert reverse("login") in client(None).post(url)["Location"]
    assert client(world["wrong_role"]).post(url).status_code == 403
    # District-wide classes and batches take people from every township (checked per person).
    open_to_district = name in OPEN_TO_DISTRICT
    assert client(world["outside"]).post(url).status_code == (302 if open_to_district else 404)
    assert client(world["other_district"]).post(url).status_code == 404
    assert client(world["inside"]).post(url).status_code == 302  # back to the page


API = [
    ("employers", "employer"), ("jobs", "job"), ("recruitment-events", "recruitment-event"),
    ("workshops", "workshop"), ("public-welfare-posts", "public-welfare-post"),
    ("placements", "placement"), ("startups", "startup"), ("loans", "loan"),
    ("trainings", "training"), ("enrollments", "enrollment"), ("export-batches", "export-batch"),
]  # fmt: skip


@pytest.mark.parametrize("route,key", API)
def test_api_matrix(world, route, key):
    url, detail = f"/api/{route}/", f"/api/{route}/{world[key].pk}/"
    assert api(None).get(url).status_code in (401, 403)
    assert api(world["wrong_role"]).get(url).status_code == 403
    body = api(world["inside"]).get(url, {"region": "500156001"}).json()
    assert body["count"] == 1 and body["results"][0]["id"] == world[key].pk
    assert api(world["inside"]).get(url, {"region": "500156002"}).json()["count"] == 0
    assert api(world["inside"]).get(detail).status_code == 200
    outside = api(world["outside"])
    visible = key in DISTRICT_WIDE
    assert outside.get(detail).status_code == (200 if visible else 404)
    assert outside.get(url).json()["count"] == (1 if visible else 0)
    assert api(world["other_district"]).get(detail).status_code == 404
    assert 'id_number": "' not in api(world["inside"]).get(detail).content.decode()


def test_api_update_outside_region_is_refused(world):
    url = f"/api/employers/{world['employer'].pk}/"
    response = api(world["outside"]).patch(url, {"name": "改名"}, format="json")
    assert response.status_code == 403
    ok = api(world["inside"]).patch(url, {"contact_name": "王经理"}, format="json")
    assert ok.status_code == 200, ok.content
    assert Employer.objects.get().contact_name == "王经理"


# --- rules -------------------------------------------------------------------------


def test_credit_code_checksum_and_normalisation(township_operator):
    good = credit_code(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = {"name": "某公司", "region_id": FENGSHAN_VILLAGE, "trade": "C"}
    with pytest.raises(ValidationError) as exc:
        s.save_employer(acting_user=township_operator, data={**data, "credit_code": bad})
    assert "校验位" in str(exc.value)
    employer = s.save_employer(
        acting_user=township_operator, data={**data, "credit_code": good.lower()}
    )
    assert employer.credit_code == good
    with pytest.raises(ValidationError, match="已登记"):
        s.save_employer(acting_user=township_operator, data={**data, "credit_code": good})
    response = api(township_operator).post(
        "/api/employers/", {**data, "region": FENGSHAN_VILLAGE, "credit_code": bad}, format="json"
    )
    assert response.status_code == 400 and "校验位" in response.content.decode()


def test_employer_page_create(township_operator):
    response = client(township_operator).post(
        reverse("employer-create"),
        {
            "credit_code": credit_code(9),
            "name": "仙女山旅游公司",
            "region": FENGSHAN_VILLAGE,
            "trade": "H",
        },
    )
    employer = Employer.objects.get(name="仙女山旅游公司")
    assert response.status_code == 302 and response["Location"] == reverse(
        "employer-detail", kwargs={"pk": employer.pk}
    )
    assert AuditLog.objects.filter(object_type="employment.employer", action="create").exists()
    refused = client(township_operator).post(
        reverse("employer-create"),
        {
            "credit_code": credit_code(10),
            "name": "外区公司",
            "region": FURONG_VILLAGE,
            "trade": "H",
        },
    )
    assert refused.status_code == 200 and "不在您的管辖范围内" in refused.content.decode()


def test_job_posting_rules(world, township_operator):
    base = {
        "employer": world["employer"], "title": "保安", "trade": "O", "openings": 2,
        "region_id": FENGSHAN_VILLAGE, "source": "local", "valid_from": D(2024, 1, 1),
    }  # fmt: skip
    cases = [
        ({"openings": 0}, "openings"),
        ({"wage_min": Decimal(5000), "wage_max": Decimal(3000)}, "wage_max"),
        ({"age_min": 14}, "age_min"),
        ({"age_min": 40, "age_max": 30}, "age_max"),
        ({"sex_requirement": "男"}, "sex_requirement_basis"),
    ]
    for extra, field in cases:
        with pytest.raises(ValidationError) as exc:
            s.save_job_posting(acting_user=township_operator, data={**base, **extra})
        assert field in exc.value.message_dict
    job = s.save_job_posting(
        acting_user=township_operator,
        data={**base, "sex_requirement": "男", "sex_requirement_basis": "井下作业（女职工禁忌）"},
    )
    assert job.sex_requirement == "男"


def test_one_holder_per_post(world, household_factory, township_operator):
    post = world["public-welfare-post"]
    first = world["placement"]
    newcomer = person_in(household_factory, name="周小红")
    with pytest.raises(ValidationError, match="已有在岗人员"):
        s.place_on_post(
            acting_user=township_operator, post=post, person=newcomer, start=D(2024, 9, 1)
        )
    s.end_placement(
        acting_user=township_operator, placement=first, end=D(2024, 12, 31), reason="外出务工"
    )
    second = s.place_on_post(
        acting_user=township_operator, post=post, person=newcomer, start=D(2025, 1, 2)
    )
    assert list(post.placements.filter(end__isnull=True)) == [second]


def test_second_placement_by_page_shows_message(world, household_factory, township_operator):
    newcomer = person_in(household_factory, name="周小红")
    url = reverse("public-welfare-post-place", kwargs={"pk": world["public-welfare-post"].pk})
    response = client(township_operator).post(
        url, {"person": newcomer.pk, "start": "2024-09-01"}, follow=True
    )
    assert "已有在岗人员" in response.content.decode()
    assert Placement.objects.count() == 1


@pytest.mark.parametrize(
    "birth,ok",
    [(D(2009, 1, 1), False), (D(1953, 1, 1), False), (D(2008, 1, 1), True), (D(1955, 1, 1), True)],
)
def test_holder_age_limits(world, household_factory, township_operator, birth, ok):
    post = s.save_public_welfare_post(
        acting_user=township_operator,
        data={"title": "护林员", "post_type": "forest_ranger", "unit": "林业站",
              "region_id": FENGSHAN_VILLAGE, "monthly_pay": Decimal(800), "funding": "central",
              "developed_on": D(2020, 1, 1)},
    )  # fmt: skip
    person = person_in(household_factory, birth=birth, name="年龄测试")
    if ok:
        placement = s.place_on_post(
            acting_user=township_operator, post=post, person=person, start=D(2024, 6, 1)
        )
        assert placement.pk
        # Holders of 61–70 are placed but are not poor laborers (working age 16–60): the
        # placement is their record; no employment state is written for them.
        is_laborer = birth > D(1963, 6, 1)
        assert EmploymentRecord.objects.filter(person=person).exists() == is_laborer
    else:
        with pytest.raises(ValidationError, match="16–70"):
            s.place_on_post(
                acting_user=township_operator, post=post, person=person, start=D(2024, 6, 1)
            )


def test_placement_sets_employment_and_ending_keeps_history(world, township_operator):
    placement = world["placement"]
    person = placement.person
    current = EmploymentRecord.objects.get(person=person, valid_to__isnull=True)
    assert current.status == c.Status.EMPLOYED and current.form == c.Form.PUBLIC_WELFARE
    assert current.location_tier == c.LocationTier.IN_TOWNSHIP and current.placement == placement
    assert current.valid_from == D(2024, 6, 1)
    url = reverse("public-welfare-post-end", kwargs={"pk": placement.post_id})
    client(township_operator).post(
        url, {"placement": placement.pk, "end": "2025-03-31", "reason": "身体原因"}
    )
    placement.refresh_from_db()
    assert placement.end == D(2025, 3, 31) and placement.end_reason == "身体原因"
    history = list(EmploymentRecord.objects.filter(person=person).order_by("valid_from"))
    assert [(r.status, r.form) for r in history] == [
        ("employed", "public_welfare"),
        ("unemployed", ""),
    ]
    assert history[0].valid_to == D(2025, 3, 31) and history[1].valid_to is None


def test_new_income_on_the_same_post_keeps_the_placement(world, township_operator):
    """A new state of the same job (here a raise) stays linked to the post it came from, so
    the post still counts its holder; another job drops the link."""
    from fupin.employment.services import record_employment

    placement = world["placement"]
    current = EmploymentRecord.objects.get(person=placement.person, valid_to__isnull=True)
    same_job = {
        f: getattr(current, f) for f in ("status", "form", "location_tier", "employer_name")
    }
    raised = record_employment(
        acting_user=township_operator,
        person=placement.person,
        valid_from=D(2024, 9, 1),
        data={**same_job, "monthly_income": Decimal(900)},
    )
    assert raised.placement == placement and raised.monthly_income == Decimal(900)
    other = record_employment(
        acting_user=township_operator,
        person=placement.person,
        valid_from=D(2024, 10, 1),
        data={**same_job, "form": "company", "employer_name": "别处"},
    )
    assert other.placement is None


def test_placement_api_active_filter(world, township_operator):
    body = api(township_operator).get("/api/placements/", {"active": "true"}).json()
    assert body["count"] == 1 and "*" in body["results"][0]["person_id_number"]
    s.end_placement(
        acting_user=None, placement=world["placement"], end=D(2024, 7, 1), reason="辞职"
    )
    assert api(township_operator).get("/api/placements/", {"active": "true"}).json()["count"] == 0
    assert api(township_operator).get("/api/placements/", {"active": "false"}).json()["count"] == 1


def test_enrollment_is_unique(world, township_operator):
    with pytest.raises(ValidationError, match="已报名"):
        s.enroll(acting_user=township_operator, training=world["training"], person=world["person"])
    response = api(township_operator).post(
        "/api/enrollments/",
        {"training": world["training"].pk, "person": world["person"].pk},
        format="json",
    )
    assert response.status_code == 400 and "已报名" in response.content.decode()


def test_district_class_takes_trainees_from_every_township(
    world, household_factory, other_township_operator
):
    """A class held in 凤山 is open to 芙蓉's clerk for 芙蓉 people only; they can't edit the
    class nor see or change 凤山's trainees."""
    training = world["training"]
    own = person_in(household_factory, village=FURONG_VILLAGE, name="芙蓉学员")
    furong = client(other_township_operator)
    url = reverse("training-enroll", kwargs={"pk": training.pk})
    assert furong.post(url, {"person": own.pk}).status_code == 302
    assert training.enrollments.filter(person=own).exists()
    with pytest.raises(PermissionDenied):  # 凤山 person, outside 芙蓉 jurisdiction
        s.enroll(acting_user=other_township_operator, training=training, person=world["person"])
    page = furong.get(reverse("training-detail", kwargs={"pk": training.pk})).content.decode()
    assert "芙蓉学员" in page and world["person"].name not in page
    edit = furong.post(reverse("training-edit", kwargs={"pk": training.pk}), {"name": "改名"})
    assert edit.status_code == 404
    result = furong.post(
        reverse("training-result", kwargs={"pk": training.pk}),
        {"enrollment": world["enrollment"].pk, "completed": "on"},
    )
    assert result.status_code == 302
    world["enrollment"].refresh_from_db()
    assert not world["enrollment"].completed  # not theirs: refused, nothing changed
    body = api(other_township_operator).get("/api/enrollments/").json()
    assert [row["person"] for row in body["results"]] == [own.pk]


def test_tier_between():
    home = FENGSHAN_VILLAGE
    assert tier_between(home, "500156001202") == c.LocationTier.IN_TOWNSHIP
    assert tier_between(home, "500156002") == c.LocationTier.IN_COUNTY
    assert tier_between(home, "500101") == c.LocationTier.IN_PROVINCE
    assert tier_between(home, "370100") == c.LocationTier.OUT_OF_PROVINCE


def test_export_batch_participation_sets_state_and_tier(world, household_factory, county_admin):
    Region.objects.create(code="37", name="山东省", level=1)
    Region.objects.create(code="3701", name="济南市", level=2, parent_id="37")
    batch = s.save_export_batch(
        acting_user=county_admin,
        data={"departed_on": D(2020, 3, 1), "mode": "charter", "region_id": "500156",
              "destination_id": "3701", "employers": [world["employer"]]},
    )  # fmt: skip
    person = person_in(household_factory, name="吴飞")
    url = reverse("export-batch-participant", kwargs={"pk": batch.pk})
    client(county_admin).post(url, {"person": person.pk})
    state = EmploymentRecord.objects.get(person=person, valid_to__isnull=True)
    assert state.status == "employed" and state.export_batch == batch
    assert state.location_tier == c.LocationTier.OUT_OF_PROVINCE
    assert state.channel == c.Channel.COOPERATION and state.destination_id == "3701"
    assert state.employer == world["employer"]
    nearby = s.add_export_participant(
        acting_user=county_admin, batch=world["export-batch"], person=world["person"]
    )
    assert nearby.pk
    near_state = EmploymentRecord.objects.get(person=world["person"], valid_to__isnull=True)
    assert near_state.location_tier == c.LocationTier.IN_PROVINCE
    assert near_state.channel == c.Channel.GOVERNMENT
    with pytest.raises(ValidationError, match="已在该批次"):
        s.add_export_participant(acting_user=county_admin, batch=batch, person=person)


def test_workshop_employment_counted_and_revocation(world, household_factory, township_operator):
    workshop = world["workshop"]
    worker = person_in(household_factory, name="郑秀英")
    url = reverse("workshop-employ", kwargs={"pk": workshop.pk})
    client(township_operator).post(url, {"person": worker.pk, "start": "2024-04-01"})
    state = EmploymentRecord.objects.get(person=worker, valid_to__isnull=True)
    assert state.form == c.Form.WORKSHOP and state.workshop == workshop
    assert state.location_tier == c.LocationTier.IN_TOWNSHIP
    page = client(township_operator).get(reverse("workshop-list"))
    assert page.status_code == 200 and "郑秀英" not in page.content.decode()
    assert [row[1][6] for row in page.context["rows"]] == [1]
    detail = client(township_operator).get(reverse("workshop-detail", kwargs={"pk": workshop.pk}))
    assert "郑秀英" in detail.content.decode()
    with pytest.raises(ValidationError, match="撤销原因"):
        s.revoke_workshop(
            acting_user=township_operator, workshop=workshop, on=D(2025, 1, 1), reason=""
        )
    s.revoke_workshop(
        acting_user=township_operator, workshop=workshop, on=D(2025, 1, 1), reason="停产"
    )
    workshop.refresh_from_db()
    assert workshop.revoked_on == D(2025, 1, 1) and workshop.revocation_reason == "停产"


def test_loan_amount_positive(world, township_operator):
    with pytest.raises(ValidationError, match="大于 0"):
        s.save_loan(
            acting_user=township_operator,
            data={
                "startup": world["startup"],
                "bank": "农行",
                "amount": Decimal(0),
                "status": "applied",
            },
        )


def test_xlsx_export_masks_ids_neutralises_formulas_and_is_audited(world, township_operator):
    s.save_startup(
        acting_user=township_operator,
        instance=world["startup"],
        data={"business_name": '=HYPERLINK("http://evil")'},
    )
    response = client(township_operator).get(reverse("startup-export"), {"q": "sundayong"})
    assert response.status_code == 200
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[0][:3] == ("经营主体名称", "姓名", "证件号码")
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    full = world["person"].id_number
    assert "*" in rows[1][2] and full not in str(rows)
    entry = AuditLog.objects.get(action="export")
    assert entry.changes["rows"] == 1 and entry.username == township_operator.username
    # A full ID number typed into the search is kept masked in the audit log.
    client(township_operator).get(reverse("startup-export"), {"q": full.lower()})
    entry = AuditLog.objects.filter(action="export").latest("pk")
    assert full not in entry.message and full not in str(entry.changes)
    assert "*" in entry.changes["filters"]["q"]


def test_list_page_filters_search_and_fixed_queries(
    world, township_operator, django_assert_max_num_queries
):
    browser = client(township_operator)
    for i in range(5):
        s.save_public_welfare_post(
            acting_user=None,
            data={"title": f"保洁{i}", "post_type": "cleaning", "unit": "村委",
                  "region_id": FENGSHAN_VILLAGE, "monthly_pay": Decimal(792),
                  "funding": "district", "developed_on": D(2020, 1, 1)},
        )  # fmt: skip
    with django_assert_max_num_queries(12):
        page = browser.get(reverse("public-welfare-post-list"), {"ordering": "-monthly_pay"})
    assert page.context["page"].paginator.count == 6
    assert "李四妹" in page.content.decode()
    rows = browser.get(reverse("public-welfare-post-list"), {"q": "村道"}, HTTP_HX_REQUEST="true")
    assert rows.context["page"].paginator.count == 1
    assert "<html" not in rows.content.decode()
    other = browser.get(reverse("public-welfare-post-list"), {"region": FURONG_VILLAGE})
    assert other.context["page"].paginator.count == 0


def test_person_picker_is_scoped_and_masks(world, household_factory, township_operator):
    person_in(household_factory, FURONG_VILLAGE, name="孙外人")
    body = (
        client(township_operator).get(reverse("pick-person"), {"person__q": "孙"}).content.decode()
    )
    assert "孙大勇" in body and "孙外人" not in body
    assert world["person"].id_number not in body and "*" in body


def test_workshop_api_counts_employed(world, household_factory, township_operator):
    for name in ("甲", "乙"):
        worker = person_in(household_factory, name=f"工人{name}")
        s.employ_at_workshop(
            acting_user=township_operator,
            workshop=world["workshop"],
            person=worker,
            start=D(2024, 4, 1),
        )
    body = api(township_operator).get("/api/workshops/", {"region": "500156"}).json()
    assert body["results"][0]["employed"] == 2


def test_placement_end_via_api(world, township_operator, other_township_operator):
    url = f"/api/placements/{world['placement'].pk}/end/"
    assert api(other_township_operator).post(url, {}, format="json").status_code == 404
    missing = api(township_operator).post(url, {"end": "2024-12-31"}, format="json")
    assert missing.status_code == 400
    done = api(township_operator).post(url, {"end": "2024-12-31", "reason": "辞职"}, format="json")
    assert done.status_code == 200 and done.json()["end"] == "2024-12-31"
    again = api(township_operator).post(url, {"end": "2025-01-31", "reason": "辞职"}, format="json")
    assert again.status_code == 400 and "已于" in again.content.decode()


def _payloads(world) -> dict:
    v = FENGSHAN_VILLAGE
    return {
        "employers": {"credit_code": credit_code(21), "name": "新公司", "region": v, "trade": "C"},
        "jobs": {"employer": world["employer"].pk, "title": "普工", "trade": "C", "openings": 3,
                 "region": v, "source": "local", "valid_from": "2024-05-01"},
        "recruitment-events": {"name": "就业援助月", "mode": "online", "date": "2024-01-10",
                               "region": v, "employers": [world["employer"].pk]},
        "workshops": {"name": "竹编车间", "employer": world["employer"].pk, "region": v,
                      "recognized_on": "2020-03-01", "document_number": "武人社〔2020〕3号"},
        "public-welfare-posts": {"title": "护路员", "post_type": "road_care", "unit": "交通站",
                                 "region": v, "monthly_pay": "800.00", "funding": "district",
                                 "developed_on": "2021-01-01"},
        "startups": {"person": world["person"].pk, "business_name": "竹编作坊",
                     "started_on": "2022-01-01", "trade": "C"},
        "loans": {"startup": world["startup"].pk, "bank": "邮储银行", "amount": "200000.00",
                  "granted_on": "2022-02-01", "status": "granted"},
        "trainings": {"name": "电商培训", "training_type": "startup", "provider": "职教中心",
                      "region": v, "start": "2024-04-01", "end": "2024-04-10"},
        "export-batches": {"departed_on": "2024-03-01", "mode": "train", "region": v,
                           "destination": "500101"},
    }  # fmt: skip


@pytest.mark.parametrize(
    "route",
    ["employers", "jobs", "recruitment-events", "workshops", "public-welfare-posts", "startups",
     "loans", "trainings", "export-batches"],
)  # fmt: skip
def test_api_create_through_services(world, route):
    payload = _payloads(world)[route]
    outside = api(world["outside"]).post(f"/api/{route}/", payload, format="json")
    assert outside.status_code in (400, 403)  # person/startup not visible → 400; region → 403
    before = AuditLog.objects.filter(action="create").count()
    response = api(world["inside"]).post(f"/api/{route}/", payload, format="json")
    assert response.status_code == 201, response.content
    assert AuditLog.objects.filter(action="create").count() == before + 1
    assert (
        api(world["wrong_role"]).post(f"/api/{route}/", payload, format="json").status_code == 403
    )


def test_api_job_rules_answer_400(world, township_operator):
    payload = {**_payloads(world)["jobs"], "wage_min": "5000", "wage_max": "3000"}
    response = api(township_operator).post("/api/jobs/", payload, format="json")
    assert response.status_code == 400 and "wage_max" in response.json()


def test_page_form_only_offers_people_in_jurisdiction(world, household_factory, township_operator):
    stranger = person_in(household_factory, FURONG_VILLAGE, name="钱外村")
    data = {
        "business_name": "外村作坊",
        "started_on": "2023-01-01",
        "trade": "C",
        "jobs_created": 0,
    }
    refused = client(township_operator).post(
        reverse("startup-create"), {**data, "person": stranger.pk}
    )
    assert refused.status_code == 200 and "person" in refused.context["form"].errors
    assert stranger.id_number not in refused.content.decode()
    ok = client(township_operator).post(
        reverse("startup-create"), {**data, "person": world["person"].pk}
    )
    assert ok.status_code == 302
    edit = client(township_operator).get(
        reverse("startup-edit", kwargs={"pk": world["startup"].pk})
    )
    html = edit.content.decode()
    assert "孙大勇" in html and world["person"].id_number not in html


def test_partner_employer_outside_province(county_admin, township_operator, outside_admin):
    Region.objects.create(code="37", name="山东省", level=1)
    Region.objects.create(code="3701", name="济南市", level=2, parent_id="37")
    data = {
        "credit_code": credit_code(31),
        "name": "济南劳务协作企业",
        "region": "3701",
        "trade": "C",
    }
    response = client(county_admin).post(reverse("employer-create"), data)
    employer = Employer.objects.get(name="济南劳务协作企业")
    assert response.status_code == 302
    edit = reverse("employer-edit", kwargs={"pk": employer.pk})
    assert client(county_admin).get(edit).status_code == 200
    detail = reverse("employer-detail", kwargs={"pk": employer.pk})
    assert client(township_operator).get(detail).status_code == 200  # partners: visible
    assert client(township_operator).get(edit).status_code == 404  # but not editable
    with pytest.raises(PermissionDenied):
        s.save_employer(
            acting_user=township_operator,
            data={
                "credit_code": credit_code(32),
                "name": "济南二厂",
                "region_id": "3701",
                "trade": "C",
            },
        )

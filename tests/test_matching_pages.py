"""Matching pages: permission matrix (anonymous · no role · wrong role · inside · outside),
push and outcome through the forms, the 重新匹配 button as a background job, the job card,
push figures per township."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from fupin.employment.models import Service
from fupin.matching import services
from fupin.matching.models import Push, Recommendation
from fupin.matching.selectors import push_figures, pushes
from tests.conftest import FENGSHAN, WULONG
from tests.test_matching import SEWING, employer, jinan, laborer, posting  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def page(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(household_factory, township_operator, other_township_operator, county_admin):
    person = laborer(household_factory, "页面人", needs=SEWING)
    firm = employer()
    job = posting(firm, skills="会用平车")
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    no_role = get_user_model().objects.create_user(
        username="no_role", password="Fupin@2026x", region_id=WULONG
    )
    return {"person": person, "job": job, "firm": firm, "no_role": no_role}


def urls(world) -> dict[str, str]:
    pk = world["person"].pk
    return {
        "list": reverse("matching-list"),
        "laborer": reverse("matching-laborer", args=[pk]),
        "card": reverse("matching-card", args=[pk]),
        "job": reverse("matching-job", args=[world["job"].pk]),
        "stats": reverse("matching-stats"),
    }


@pytest.mark.parametrize("name", ["list", "laborer", "card", "job", "stats"])
def test_read_pages_matrix(world, name, township_operator, other_township_operator, leader):
    url = urls(world)[name]
    anonymous = page(None).get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert page(world["no_role"]).get(url).status_code == 403
    inside = page(township_operator).get(url)
    assert inside.status_code == 200
    assert page(leader).get(url).status_code == 200  # leaders read
    outside = page(other_township_operator).get(url)
    if name in ("laborer", "card"):
        assert outside.status_code == 404
    else:
        assert outside.status_code == 200 and "页面人" not in outside.content.decode()
    if name in ("list", "laborer", "job"):
        assert "页面人" in inside.content.decode() or name == "laborer"
        assert "缝纫工" in inside.content.decode()


def test_laborer_page_shows_reasons_and_card_is_printable(world, township_operator):
    html = page(township_operator).get(urls(world)["laborer"]).content.decode()
    assert "意向行业与岗位行业一致（制造业）" in html and "推送所选岗位" in html
    card = page(township_operator).get(urls(world)["card"]).content.decode()
    assert "@media print" in card and "怎么报名" in card
    assert "李经理" in card and "13800000000" in card and "缝纫工" in card


def test_push_and_outcomes_through_the_forms(world, village_clerk, supervisor):
    person, job = world["person"], world["job"]
    push_url = reverse("matching-push", args=[person.pk])
    data = {"postings": [job.pk], "channel": "phone", "on": TODAY.isoformat()}
    assert page(None).post(push_url, data).status_code == 302
    assert page(supervisor).post(push_url, data).status_code == 403
    assert not Push.objects.exists()
    response = page(village_clerk).post(push_url, data)
    assert response.status_code == 302
    push = Push.objects.get()
    assert Service.objects.filter(person=person, service_type="job_push").count() == 1
    outcome_url = reverse("matching-outcome", args=[push.pk])
    assert page(supervisor).post(outcome_url, {"status": "interested"}).status_code == 403
    client = page(village_clerk)
    response = client.post(
        outcome_url, {"status": "declined", "reason": "", "on": TODAY.isoformat()}, follow=True
    )
    assert "请填写未成功的原因" in response.content.decode()
    for status in ("interested", "interviewed", "hired"):
        client.post(outcome_url, {"status": status, "on": TODAY.isoformat()})
    push.refresh_from_db()
    job.refresh_from_db()
    assert push.status == "hired" and job.filled == 1
    html = client.get(urls(world)["laborer"]).content.decode()
    assert "已录用" in html


def test_outcome_outside_jurisdiction_is_404(world, township_operator, other_township_operator):
    [push] = services.push_postings(
        acting_user=township_operator,
        person=world["person"],
        postings=[world["job"]],
        channel="visit",
    )
    url = reverse("matching-outcome", args=[push.pk])
    assert page(other_township_operator).post(url, {"status": "interested"}).status_code == 404


def test_rerun_button_runs_in_the_background(world, township_operator, village_clerk):
    Recommendation.objects.all().delete()
    url = reverse("matching-run")
    assert page(village_clerk).post(url).status_code == 403  # clerks push, townships run
    response = page(township_operator).post(url, {"region": ""})
    assert response.status_code == 302
    job_page = page(township_operator).get(response["Location"])
    assert job_page.status_code == 200 and "匹配完成" in job_page.content.decode()
    assert Recommendation.objects.filter(person=world["person"]).count() == 1
    outside = page(township_operator).post(url, {"region": "500156002"}, follow=True)
    assert "不在您的管辖范围内" in outside.content.decode()


def test_push_figures_per_township(world, household_factory, township_operator, county_admin):
    second = laborer(household_factory, "第二人", needs=SEWING)
    for person in (world["person"], second):
        services.push_postings(
            acting_user=township_operator, person=person, postings=[world["job"]], channel="text"
        )
    first = Push.objects.get(person=world["person"])
    for status in ("interested", "interviewed", "hired"):
        first = services.record_outcome(acting_user=township_operator, push=first, status=status)
    [row] = push_figures(pushes(county_admin))
    assert row["township"] == FENGSHAN and row["name"] == "凤山街道"
    assert (row["pushes"], row["interested"], row["hired"], row["conversion"]) == (2, 1, 1, 50.0)
    html = page(county_admin).get(reverse("matching-stats")).content.decode()
    assert "凤山街道" in html and "50.0%" in html


def test_list_query_count_is_fixed(world, household_factory, township_operator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        client = page(township_operator)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("matching-list")).status_code == 200
        return len(ctx)

    before = count()
    for i in range(3):
        laborer(household_factory, f"加{i}", needs=SEWING)
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert count() == before


def test_api_matrix(world, township_operator, other_township_operator, supervisor):
    from rest_framework.test import APIClient

    def get(user, url="/api/recommendations/"):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client.get(url)

    assert get(None).status_code in (401, 403)
    assert get(world["no_role"]).status_code == 403
    assert get(township_operator).json()["count"] == 1
    assert get(supervisor).json()["count"] == 1
    assert get(other_township_operator).json()["count"] == 0
    person = world["person"].pk
    assert (
        get(other_township_operator, f"/api/recommendations/?laborer={person}").json()["count"] == 0
    )
    # Reads only: recommendations are written by runs, not through the API.
    client = APIClient()
    client.force_authenticate(township_operator)
    assert client.post("/api/recommendations/", {}).status_code in (403, 405)

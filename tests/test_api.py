"""The REST API: scoped lists, masked IDs, audited full-ID views, writes via services."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fupin.core.models import AuditLog
from fupin.registry.models import Household, Person
from tests.conftest import FENGSHAN_VILLAGE, FURONG_VILLAGE, new_id

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def household_payload(number: str, village: str = FENGSHAN_VILLAGE) -> dict:
    return {
        "number": number,
        "village_code": village,
        "household_type": "ordinary_poor",
        "status": "not_exited",
        "identified_year": 2016,
        "main_cause": "illness",
        "members": [
            {"relation": "head", "name": "赵淑碧", "id_number": new_id()},
            {"relation": "spouse", "name": "钱大山", "id_number": new_id()},
        ],
    }


def test_create_household_with_members_is_audited(township_operator):
    response = api(township_operator).post(
        "/api/households/", household_payload("H0001"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["village_code"] == FENGSHAN_VILLAGE
    assert body["head_name"] == "赵淑碧" and body["member_count"] == 2
    assert all("*" in m["id_number"] for m in body["members"])
    household = Household.objects.get(number="H0001")
    entries = AuditLog.objects.filter(context_key=f"household:{household.pk}")
    assert entries.count() == 3
    assert {e.source for e in entries} == {"api"}
    assert {e.username for e in entries} == {township_operator.username}


def test_create_outside_jurisdiction_is_refused(township_operator):
    response = api(township_operator).post(
        "/api/households/", household_payload("H0002", FURONG_VILLAGE), format="json"
    )
    assert response.status_code == 403
    assert not Household.objects.filter(number="H0002").exists()


def test_create_with_bad_id_says_why_and_writes_nothing(township_operator):
    payload = household_payload("H0003")
    payload["members"][1]["id_number"] = "500156198001011234"
    response = api(township_operator).post("/api/households/", payload, format="json")
    assert response.status_code == 400
    assert "校验位" in response.content.decode()
    assert not Household.objects.filter(number="H0003").exists()


def test_list_is_paginated_with_count_and_page_size(household_factory, county_admin):
    for _ in range(3):
        household_factory()
    body = api(county_admin).get("/api/households/", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert len(body["results"][0]["village_code"]) == 12


def test_search_by_pinyin_and_initials(household_factory, county_admin):
    target = household_factory(head_name="赵淑碧")
    household_factory(head_name="钱多多")
    for query in ("zhaoshubi", "zsb", "赵淑"):
        body = api(county_admin).get("/api/households/", {"q": query}).json()
        assert [h["number"] for h in body["results"]] == [target.number], query


def test_full_id_only_for_permitted_users_and_audited(
    household_factory, county_admin, township_operator
):
    household = household_factory()
    person = household.members.get()
    masked = api(township_operator).get(f"/api/persons/{person.pk}/", {"full_id": "true"})
    assert masked.json()["id_number"] != person.id_number
    full = api(county_admin).get(f"/api/persons/{person.pk}/", {"full_id": "true"})
    assert full.json()["id_number"] == person.id_number
    views = AuditLog.objects.filter(action="view_full_id", object_id=str(person.pk))
    assert views.count() == 1 and views.get().username == county_admin.username
    default = api(county_admin).get(f"/api/persons/{person.pk}/")
    assert default.json()["id_number"] != person.id_number


def test_lookup_by_full_id_in_body(household_factory, township_operator, other_township_operator):
    person = household_factory().members.get()
    found = api(township_operator).post(
        "/api/persons/lookup/", {"id_number": person.id_number.lower()}, format="json"
    )
    assert found.status_code == 200 and found.json()["id"] == person.pk
    hidden = api(other_township_operator).post(
        "/api/persons/lookup/", {"id_number": person.id_number}, format="json"
    )
    assert hidden.status_code == 404


def test_add_and_update_person(household_factory, township_operator):
    household = household_factory()
    client = api(township_operator)
    created = client.post(
        "/api/persons/",
        {"household": household.pk, "relation": "son", "name": "赵小明", "id_number": new_id()},
        format="json",
    )
    assert created.status_code == 201, created.content
    person = Person.objects.get(pk=created.json()["id"])
    updated = client.patch(f"/api/persons/{person.pk}/", {"phone": "13800000000"}, format="json")
    assert updated.status_code == 200
    person.refresh_from_db()
    assert person.phone == "13800000000"
    assert AuditLog.objects.filter(action="update", object_id=str(person.pk)).exists()


def test_second_head_is_refused(household_factory, township_operator):
    household = household_factory()
    response = api(township_operator).post(
        "/api/persons/",
        {"household": household.pk, "relation": "head", "name": "李四", "id_number": new_id()},
        format="json",
    )
    assert response.status_code == 400
    assert household.members.count() == 1


def test_token_auth(household_factory, township_operator):
    household_factory()
    token = Token.objects.create(user=township_operator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/households/").json()["count"] == 1


def test_schema_and_docs(county_admin):
    client = api(county_admin)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/households/" in schema.content
    assert client.get("/api/docs/").status_code == 200

"""Permission matrix for every page and API endpoint: anonymous, wrong role, inside and
outside the jurisdiction."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import FURONG_VILLAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(household_factory, township_operator, other_township_operator, leader, county_admin):
    """A household in 凤山街道 (the operator's township) and one in 芙蓉街道."""
    mine = household_factory(members=[])
    theirs = household_factory(FURONG_VILLAGE, head_name="钱多多")
    return {
        "mine": mine,
        "theirs": theirs,
        "person": mine.members.get(),
        "users": {
            "inside": township_operator,
            "outside": other_township_operator,
            "wrong_role": leader,
            "admin": county_admin,
        },
    }


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# (url name, kwargs key, method, expected for: anonymous, wrong role, inside, outside)
OBJECT_PAGES = [
    ("household-detail", "mine", "get"),
    ("household-edit", "mine", "get"),
    ("member-add", "mine", "get"),
    ("person-detail", "person", "get"),
    ("person-edit", "person", "get"),
]
LIST_PAGES = ["household-list", "household-create", "household-import", "household-export"]


@pytest.mark.parametrize("name,key,method", OBJECT_PAGES)
def test_object_pages_matrix(data, name, key, method):
    obj = data[key]
    url = reverse(name, kwargs={"pk": obj.pk})
    anonymous = _client(None).get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert _client(data["users"]["wrong_role"]).get(url).status_code == 403
    assert _client(data["users"]["inside"]).get(url).status_code == 200
    assert _client(data["users"]["outside"]).get(url).status_code == 404
    assert _client(data["users"]["admin"]).get(url).status_code == 200


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_matrix(data, name):
    url = reverse(name)
    assert _client(None).get(url).status_code == 302
    assert _client(data["users"]["wrong_role"]).get(url).status_code == 403
    assert _client(data["users"]["inside"]).get(url).status_code == 200


@pytest.mark.parametrize(
    "name", ["person-remove", "person-move", "person-make-head", "person-reveal-id"]
)
def test_person_actions_matrix(data, name):
    url = reverse(name, kwargs={"pk": data["person"].pk})
    assert _client(None).post(url).status_code == 302
    assert _client(data["users"]["wrong_role"]).post(url).status_code == 403
    expected_outside = 403 if name == "person-reveal-id" else 404
    assert _client(data["users"]["outside"]).post(url).status_code == expected_outside


def test_household_list_shows_only_jurisdiction(data):
    page = _client(data["users"]["inside"]).get(reverse("household-list")).content.decode()
    assert data["mine"].number in page
    assert data["theirs"].number not in page
    admin_page = _client(data["users"]["admin"]).get(reverse("household-list")).content.decode()
    assert data["mine"].number in admin_page and data["theirs"].number in admin_page


def test_home_counts_only_jurisdiction(data):
    page = _client(data["users"]["inside"]).get(reverse("home"))
    assert page.status_code == 200
    assert page.context["totals"]["households"] == 1
    assert _client(data["users"]["admin"]).get(reverse("home")).context["totals"]["households"] == 2
    leader_home = _client(data["users"]["wrong_role"]).get(reverse("home"))
    assert leader_home.status_code == 200 and leader_home.context["totals"]["households"] == 2


def test_audit_page_only_for_county_admin(data):
    url = reverse("audit-log")
    assert _client(None).get(url).status_code == 302
    assert _client(data["users"]["inside"]).get(url).status_code == 403
    assert _client(data["users"]["admin"]).get(url).status_code == 200


def test_region_options_are_scoped(data):
    url = reverse("region-options")
    inside = (
        _client(data["users"]["inside"])
        .get(url, {"field": "village", "village__q": "村"})
        .content.decode()
    )
    assert "凤山村" in inside
    assert "三坪村" not in inside  # 芙蓉街道, outside the operator's township
    admin = (
        _client(data["users"]["admin"])
        .get(url, {"field": "village", "village__township": "500156002"})
        .content.decode()
    )
    assert "三坪村" in admin


def test_user_management_only_for_county_admin(data):
    url = reverse("user-list")
    assert _client(data["users"]["inside"]).get(url).status_code == 403
    assert _client(data["users"]["admin"]).get(url).status_code == 200


API = [
    ("household-list", None),
    ("household-detail", "mine"),
    ("person-list", None),
    ("person-detail", "person"),
]


@pytest.mark.parametrize("name,key", API)
def test_api_matrix(data, name, key):
    url = "/api/" + ("households/" if name.startswith("household") else "persons/")
    if key:
        url += f"{data[key].pk}/"
    assert _client(None).get(url).status_code == 403
    assert _client(data["users"]["wrong_role"]).get(url).status_code == 403
    assert _client(data["users"]["inside"]).get(url).status_code == 200
    outside = _client(data["users"]["outside"]).get(url)
    if key:
        assert outside.status_code == 404
    else:
        assert outside.status_code == 200
        assert all(
            row.get("village_code", "500156002").startswith("500156002")
            for row in outside.json()["results"]
        )


def test_region_picker_for_village_clerk_shows_their_village(data, village_clerk):
    page = _client(village_clerk).get(reverse("household-list")).content.decode()
    assert "凤山街道" in page and "凤山村" in page
    assert "芙蓉街道" not in page

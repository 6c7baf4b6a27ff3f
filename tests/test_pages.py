"""Registry pages through the test client: create/edit households and members, member
actions, full-ID reveal and masking, search, filters, query counts, export and import UI."""

from __future__ import annotations

import datetime
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.core.models import AuditLog
from fupin.registry import choices as c
from fupin.registry.idnumbers import make_id_number
from fupin.registry.models import Household, Person
from tests.conftest import (
    FENGSHAN,
    FENGSHAN_OTHER_VILLAGE,
    FENGSHAN_VILLAGE,
    FURONG_VILLAGE,
    WULONG,
    new_id,
)

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    """The fixtures' users are created with a password; PBKDF2 costs 0.6 s per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def household_post(**overrides: Any) -> dict[str, Any]:
    """POST data for /households/new/: HouseholdForm fields and the head form (prefix head)."""
    data: dict[str, Any] = {
        "number": "FS-NEW-0001",
        "village": FENGSHAN_VILLAGE,
        "household_type": c.HouseholdType.ORDINARY_POOR,
        "status": c.HouseholdStatus.NOT_EXITED,
        "identified_year": "2015",
        "exit_year": "",
        "main_cause": c.PovertyCause.ILLNESS,
        "other_causes": [c.PovertyCause.LACK_FUNDS],
        "phone": "13900000001",
        "helper_name": "王帮扶",
        "helper_phone": "13900000002",
        **{name: "on" for name in c.ASSURANCE_FIELDS},
        "head-relation": c.Relation.HEAD,
        "head-name": "赵淑碧",
        "head-id_number": make_id_number(WULONG, datetime.date(1975, 3, 8), 123),
        "head-ethnicity": "15",  # 土家族
        "head-education": c.Education.PRIMARY,
        "head-school_status": c.SchoolStatus.NOT_IN_SCHOOL,
        "head-health": c.Health.HEALTHY,
        "head-disability_grade": "",
        "head-labor_ability": c.LaborAbility.ORDINARY,
        "head-phone": "",
    }
    data.update(overrides)
    return data


def household_edit_post(household: Household, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": household.number,
        "village": household.village_id,
        "household_type": household.household_type,
        "status": household.status,
        "identified_year": str(household.identified_year),
        "exit_year": str(household.exit_year or ""),
        "main_cause": household.main_cause,
        "other_causes": list(household.other_causes),
        "phone": household.phone,
        "helper_name": household.helper_name,
        "helper_phone": household.helper_phone,
    }
    for name in c.ASSURANCE_FIELDS:
        if getattr(household, name):
            data[name] = "on"
    data.update(overrides)
    return data


def person_post(person: Person | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "relation": person.relation if person else c.Relation.SPOUSE,
        "name": person.name if person else "李秀英",
        "id_number": "",
        "ethnicity": person.ethnicity if person else "01",
        "education": person.education if person else "",
        "school_status": person.school_status if person else "",
        "health": person.health if person else "",
        "disability_grade": person.disability_grade if person else "",
        "labor_ability": person.labor_ability if person else "",
        "phone": person.phone if person else "",
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, int, int]:
    return Household.objects.count(), Person.objects.count(), AuditLog.objects.count()


def listed(response: Any) -> list[str]:
    return [h.number for h in response.context["page"].object_list]


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- create ----------------------------------------------------------------------------


def test_create_household_as_township_operator(township_operator):
    client = client_for(township_operator)
    assert client.get(reverse("household-create")).status_code == 200
    data = household_post()
    response = client.post(reverse("household-create"), data)

    household = Household.objects.get(number="FS-NEW-0001")
    assert response.status_code == 302
    assert response["Location"] == reverse("household-detail", kwargs={"pk": household.pk})
    assert household.village_id == FENGSHAN_VILLAGE
    assert household.other_causes == [c.PovertyCause.LACK_FUNDS]
    assert household.phone == "13900000001"
    head = household.members.get()
    assert head.relation == c.Relation.HEAD
    assert head.id_number == data["head-id_number"]
    assert head.sex == c.Sex.MALE  # sequence 123: odd
    assert head.birth_date == datetime.date(1975, 3, 8)
    assert head.ethnicity == "15"
    assert head.name_pinyin == "zhaoshubi"

    entries = AuditLog.objects.filter(
        action=AuditLog.Action.CREATE, username=township_operator.username
    )
    assert {e.object_type for e in entries} == {"registry.household", "registry.person"}
    for entry in entries:
        assert entry.source == "web"
        assert entry.user_id == township_operator.pk
        assert entry.ip == "127.0.0.1"
        assert entry.region_code == FENGSHAN_VILLAGE
    person_entry = entries.get(object_type="registry.person")
    assert person_entry.changes["id_number"] != head.id_number  # stored masked
    assert person_entry.changes["id_number"].startswith(head.id_number[:6])

    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "已登记贫困户 FS-NEW-0001" in messages_of(detail)


def test_create_with_bad_checksum_rerenders_with_error(township_operator):
    good = make_id_number(WULONG, datetime.date(1975, 3, 8), 123)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    client = client_for(township_operator)
    before = counts()
    response = client.post(reverse("household-create"), household_post(**{"head-id_number": bad}))
    assert response.status_code == 200
    assert "证件号码校验位错误" in response.content.decode()
    assert response.context["head_form"].errors["id_number"]
    assert counts() == before


def test_create_in_village_outside_jurisdiction_is_refused(township_operator):
    client = client_for(township_operator)
    before = counts()
    response = client.post(reverse("household-create"), household_post(village=FURONG_VILLAGE))
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert counts() == before
    assert not Household.objects.filter(number="FS-NEW-0001").exists()


def test_create_with_duplicate_number_is_refused(township_operator, household_factory):
    household_factory(number="FS-DUP-1")
    client = client_for(township_operator)
    before = counts()
    response = client.post(reverse("household-create"), household_post(number="FS-DUP-1"))
    assert response.status_code == 200
    assert response.context["form"].errors.get("number")
    assert "FS-DUP-1" in response.content.decode()
    assert counts() == before


# --- edit household --------------------------------------------------------------------


def test_edit_household_phone_is_audited_and_shown_in_history(township_operator, household_factory):
    household = household_factory(phone="13811112222")
    client = client_for(township_operator)
    url = reverse("household-edit", kwargs={"pk": household.pk})
    assert client.get(url).status_code == 200

    response = client.post(url, household_edit_post(household, phone="13633334444"))
    assert response.status_code == 302
    assert response["Location"] == reverse("household-detail", kwargs={"pk": household.pk})
    household.refresh_from_db()
    assert household.phone == "13633334444"

    entry = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_id=str(household.pk))
    assert entry.changes == {"phone": ["13811112222", "13633334444"]}
    assert entry.username == township_operator.username
    assert entry.source == "web"

    page = client.get(response["Location"]).content.decode()
    history = page.split("变更记录", 1)[1]
    assert "修改" in history
    assert "13811112222" in history and "13633334444" in history
    assert township_operator.username in history


def test_edit_household_unchanged_writes_no_audit(township_operator, household_factory):
    household = household_factory(phone="13811112222")
    client = client_for(township_operator)
    before = AuditLog.objects.count()
    response = client.post(
        reverse("household-edit", kwargs={"pk": household.pk}), household_edit_post(household)
    )
    assert response.status_code == 302
    assert AuditLog.objects.count() == before


def test_edit_household_into_village_outside_jurisdiction_is_refused(
    township_operator, household_factory
):
    household = household_factory()
    client = client_for(township_operator)
    before = AuditLog.objects.count()
    response = client.post(
        reverse("household-edit", kwargs={"pk": household.pk}),
        household_edit_post(household, village=FURONG_VILLAGE),
    )
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    household.refresh_from_db()
    assert household.village_id == FENGSHAN_VILLAGE
    assert AuditLog.objects.count() == before


# --- members -----------------------------------------------------------------------------


def test_add_member(township_operator, household_factory):
    household = household_factory(members=[])
    id_number = make_id_number(WULONG, datetime.date(1978, 11, 2), 124)
    client = client_for(township_operator)
    url = reverse("member-add", kwargs={"pk": household.pk})
    response = client.post(url, person_post(name="李秀英", id_number=id_number))
    assert response.status_code == 302
    assert response["Location"] == reverse("household-detail", kwargs={"pk": household.pk})
    spouse = household.members.get(relation=c.Relation.SPOUSE)
    assert spouse.name == "李秀英"
    assert spouse.sex == c.Sex.FEMALE
    assert spouse.birth_date == datetime.date(1978, 11, 2)
    entry = AuditLog.objects.get(
        action=AuditLog.Action.CREATE, object_type="registry.person", object_id=str(spouse.pk)
    )
    assert entry.username == township_operator.username
    assert entry.context_key == f"household:{household.pk}"


def test_add_member_with_registered_id_is_refused(township_operator, household_factory):
    household = household_factory(members=[])
    other = household_factory()
    taken = other.members.get().id_number
    client = client_for(township_operator)
    before = counts()
    response = client.post(
        reverse("member-add", kwargs={"pk": household.pk}), person_post(id_number=taken)
    )
    assert response.status_code == 200
    assert f"证件号码已登记在户 {other.number}" in response.content.decode()
    assert counts() == before


def test_edit_member_blank_id_keeps_number(township_operator, household_factory):
    household = household_factory(
        members=[{"relation": "spouse", "name": "李秀英", "id_number": new_id()}]
    )
    spouse = household.members.get(relation="spouse")
    original = spouse.id_number
    client = client_for(township_operator)
    url = reverse("person-edit", kwargs={"pk": spouse.pk})
    form_page = client.get(url).content.decode()
    assert original not in form_page
    assert spouse.masked_id in form_page

    response = client.post(url, person_post(spouse, name="李秀芬", phone="13700001111"))
    assert response.status_code == 302
    assert response["Location"] == reverse("person-detail", kwargs={"pk": spouse.pk})
    spouse.refresh_from_db()
    assert spouse.id_number == original
    assert spouse.name == "李秀芬"
    assert spouse.name_pinyin == "lixiufen"
    assert spouse.phone == "13700001111"
    entry = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_id=str(spouse.pk))
    assert entry.changes["name"] == ["李秀英", "李秀芬"]
    assert "id_number" not in entry.changes


def test_editing_the_head_cannot_leave_household_without_head(township_operator, household_factory):
    household = household_factory(
        members=[{"relation": "spouse", "name": "李秀英", "id_number": new_id()}]
    )
    head = household.members.get(relation="head")
    client = client_for(township_operator)
    response = client.post(
        reverse("person-edit", kwargs={"pk": head.pk}), person_post(head, relation="spouse")
    )
    assert household.members.filter(relation="head", removed_on__isnull=True).count() == 1
    assert response.status_code == 200
    head.refresh_from_db()
    assert head.relation == c.Relation.HEAD


def test_make_head_swaps_roles(township_operator, household_factory):
    household = household_factory(
        members=[{"relation": "son", "name": "赵小明", "id_number": new_id()}]
    )
    old_head = household.members.get(relation="head")
    son = household.members.get(relation="son")
    response = client_for(township_operator).post(
        reverse("person-make-head", kwargs={"pk": son.pk}), {"old_head_relation": "spouse"}
    )
    assert response.status_code == 302
    old_head.refresh_from_db()
    son.refresh_from_db()
    assert son.relation == c.Relation.HEAD
    assert old_head.relation == c.Relation.SPOUSE
    assert household.members.filter(relation="head", removed_on__isnull=True).count() == 1
    assert (
        AuditLog.objects.filter(
            action=AuditLog.Action.UPDATE, object_id__in=[str(son.pk), str(old_head.pk)]
        ).count()
        == 2
    )


def test_remove_member_and_head_cannot_be_removed(township_operator, household_factory):
    household = household_factory(
        members=[{"relation": "father", "name": "赵老汉", "id_number": new_id()}]
    )
    head = household.members.get(relation="head")
    father = household.members.get(relation="father")
    client = client_for(township_operator)

    response = client.post(
        reverse("person-remove", kwargs={"pk": father.pk}),
        {"reason": c.RemovalReason.DEATH, "on": "2024-01-05"},
    )
    assert response.status_code == 302
    father.refresh_from_db()
    assert father.removed_on == datetime.date(2024, 1, 5)
    assert father.removal_reason == c.RemovalReason.DEATH
    entry = AuditLog.objects.get(action=AuditLog.Action.DELETE, object_id=str(father.pk))
    assert entry.changes["removal_reason"] == "death"

    page = client.get(reverse("household-detail", kwargs={"pk": household.pk}))
    assert [m.pk for m in page.context["removed"]] == [father.pk]
    assert [m.pk for m in page.context["members"]] == [head.pk]
    removed_section = page.content.decode().split("已移除成员", 1)[1].split("变更记录", 1)[0]
    assert "赵老汉" in removed_section and "死亡" in removed_section

    before = AuditLog.objects.count()
    refused = client.post(
        reverse("person-remove", kwargs={"pk": head.pk}),
        {"reason": c.RemovalReason.DEATH, "on": "2024-01-05"},
        follow=True,
    )
    assert any("不能移除户主" in m for m in messages_of(refused))
    head.refresh_from_db()
    assert head.removed_on is None and head.relation == c.Relation.HEAD
    assert AuditLog.objects.count() == before


def test_move_member_inside_jurisdiction(township_operator, household_factory):
    source = household_factory(
        members=[{"relation": "daughter", "name": "赵小红", "id_number": new_id()}]
    )
    target = household_factory(FENGSHAN_OTHER_VILLAGE, number="FS-TARGET-1")
    daughter = source.members.get(relation="daughter")
    response = client_for(township_operator).post(
        reverse("person-move", kwargs={"pk": daughter.pk}),
        {"to_number": "FS-TARGET-1", "relation": "daughter_in_law"},
    )
    assert response.status_code == 302
    daughter.refresh_from_db()
    assert daughter.household_id == target.pk
    assert daughter.relation == "daughter_in_law"
    moves = AuditLog.objects.filter(action=AuditLog.Action.MOVE, object_id=str(daughter.pk))
    assert {m.context_key for m in moves} == {f"household:{source.pk}", f"household:{target.pk}"}


def test_move_member_outside_jurisdiction_is_refused(township_operator, household_factory):
    source = household_factory(
        members=[{"relation": "daughter", "name": "赵小红", "id_number": new_id()}]
    )
    household_factory(FURONG_VILLAGE, number="FR-TARGET-1")
    daughter = source.members.get(relation="daughter")
    client = client_for(township_operator)
    before = AuditLog.objects.count()
    response = client.post(
        reverse("person-move", kwargs={"pk": daughter.pk}),
        {"to_number": "FR-TARGET-1", "relation": "daughter_in_law"},
        follow=True,
    )
    assert any("找不到该户编号" in m for m in messages_of(response))
    daughter.refresh_from_db()
    assert daughter.household_id == source.pk
    assert daughter.relation == "daughter"
    assert AuditLog.objects.count() == before


# --- full ID -----------------------------------------------------------------------------


def test_county_admin_reveals_full_id_and_it_is_audited(county_admin, household_factory):
    household = household_factory()
    person = household.members.get()
    response = client_for(county_admin).post(reverse("person-reveal-id", kwargs={"pk": person.pk}))
    assert response.status_code == 200
    assert person.id_number in response.content.decode()
    entry = AuditLog.objects.get(action=AuditLog.Action.VIEW_FULL_ID)
    assert entry.object_id == str(person.pk)
    assert entry.username == county_admin.username
    assert entry.ip == "127.0.0.1"


def test_reveal_id_requires_permission(township_operator, household_factory):
    person = household_factory().members.get()
    client = client_for(township_operator)
    url = reverse("person-reveal-id", kwargs={"pk": person.pk})
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 403
    assert not AuditLog.objects.filter(action=AuditLog.Action.VIEW_FULL_ID).exists()


def test_reveal_id_is_post_only(county_admin, household_factory):
    person = household_factory().members.get()
    response = client_for(county_admin).get(reverse("person-reveal-id", kwargs={"pk": person.pk}))
    assert response.status_code == 405
    assert not AuditLog.objects.filter(action=AuditLog.Action.VIEW_FULL_ID).exists()


@pytest.mark.parametrize(
    "role", ["county_admin", "township_operator", "village_clerk", "supervisor"]
)
def test_pages_never_show_full_id(request, role, household_factory):
    user = request.getfixturevalue(role)
    household = household_factory(
        members=[{"relation": "spouse", "name": "李秀英", "id_number": new_id()}]
    )
    people = list(household.members.all())
    client = client_for(user)
    pages = [
        reverse("household-detail", kwargs={"pk": household.pk}),
        reverse("household-list"),
        *(reverse("person-detail", kwargs={"pk": p.pk}) for p in people),
    ]
    if user.has_perm("registry.change_person"):
        pages += [reverse("person-edit", kwargs={"pk": p.pk}) for p in people]
    for url in pages:
        content = client.get(url).content.decode()
        for person in people:
            assert person.id_number not in content, url
    detail = client.get(pages[0]).content.decode()
    for person in people:
        masked = person.masked_id
        assert masked == person.id_number[:6] + "*" * 8 + person.id_number[-4:]
        assert masked in detail


# --- search ------------------------------------------------------------------------------


@pytest.fixture
def searchable(household_factory):
    zhao = household_factory(number="8800001", head_name="赵淑碧")
    qian = household_factory(number="8900001", head_name="钱多多")
    return zhao, qian


@pytest.mark.parametrize("query", ["赵淑", "zhaoshubi", "zhao", "zsb", "ZSB", "880"])
def test_search_by_name_pinyin_initials_and_number(township_operator, searchable, query):
    response = client_for(township_operator).get(reverse("household-list"), {"q": query})
    assert response.status_code == 200
    assert listed(response) == ["8800001"]


def test_search_by_full_id_via_post(township_operator, searchable):
    zhao, _ = searchable
    id_number = zhao.members.get().id_number
    response = client_for(township_operator).post(reverse("household-list"), {"q": id_number})
    assert response.status_code == 200
    assert "Location" not in response
    assert listed(response) == ["8800001"]
    assert id_number not in response.content.decode()
    # Lower-case x and spaces are normalised like everywhere else.
    spaced = f" {id_number[:6]} {id_number[6:]} ".lower()
    again = client_for(township_operator).post(reverse("household-list"), {"q": spaced})
    assert listed(again) == ["8800001"]


def test_search_by_id_never_redirects_with_the_number(township_operator, searchable):
    zhao, _ = searchable
    id_number = zhao.members.get().id_number
    client = client_for(township_operator)
    response = client.post(
        reverse("household-list"), {"q": id_number, "status": "exited"}, follow=True
    )
    assert listed(response) == ["8800001"]
    for url, _status in response.redirect_chain:
        assert id_number not in url
    assert id_number not in response.content.decode()


def test_post_search_without_id_redirects_to_get(township_operator, searchable):
    client = client_for(township_operator)
    response = client.post(reverse("household-list"), {"q": "zsb", "status": "exited"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("household-list")
    assert parse_qs(location.query) == {"q": ["zsb"], "status": ["exited"]}
    followed = client.get(response["Location"])
    assert listed(followed) == ["8800001"]


def test_search_by_long_number_prefix(township_operator, household_factory):
    household_factory(number="5001560012010017")
    household_factory(number="5001560012010027")
    client = client_for(township_operator)
    # 15 digits look like an old ID number; the household number prefix still matches.
    response = client.get(reverse("household-list"), {"q": "500156001201001"})
    assert listed(response) == ["5001560012010017"]
    response = client.post(reverse("household-list"), {"q": "500156001201002"})
    assert listed(response) == ["5001560012010027"]


def test_search_does_not_cross_jurisdiction(township_operator, household_factory):
    theirs = household_factory(FURONG_VILLAGE, number="8700001", head_name="赵淑碧")
    client = client_for(township_operator)
    assert listed(client.get(reverse("household-list"), {"q": "zsb"})) == []
    assert listed(client.get(reverse("household-list"), {"q": "870"})) == []
    id_number = theirs.members.get().id_number
    assert listed(client.post(reverse("household-list"), {"q": id_number})) == []


# --- filters, ordering, pagination -------------------------------------------------------


@pytest.fixture
def spread(household_factory):
    return [
        household_factory(FENGSHAN_VILLAGE, number="H1", head_name="Bob", status="exited"),
        household_factory(
            FENGSHAN_OTHER_VILLAGE,
            number="H2",
            head_name="Ann",
            status="not_exited",
            exit_year=None,
        ),
        household_factory(FURONG_VILLAGE, number="H3", head_name="Cid", status="exited"),
    ]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({}, ["H1", "H2", "H3"]),
        ({"region": FENGSHAN}, ["H1", "H2"]),
        ({"region": FENGSHAN_OTHER_VILLAGE}, ["H2"]),
        ({"region": "", "region__township": FENGSHAN}, ["H1", "H2"]),
        ({"region": FURONG_VILLAGE, "region__township": "500156002"}, ["H3"]),
        ({"status": "not_exited"}, ["H2"]),
        ({"status": "exited", "region": FENGSHAN}, ["H1"]),
        ({"ordering": "head_name"}, ["H2", "H1", "H3"]),
        ({"ordering": "-head_name"}, ["H3", "H1", "H2"]),
        ({"ordering": "-number"}, ["H3", "H2", "H1"]),
    ],
)
def test_list_filters_and_ordering(county_admin, spread, params, expected):
    response = client_for(county_admin).get(reverse("household-list"), params)
    assert response.status_code == 200
    assert listed(response) == expected


def test_page_size_and_pages(county_admin, household_factory):
    for n in range(25):
        household_factory(number=f"P{n:03d}", members=[])
    client = client_for(county_admin)
    url = reverse("household-list")
    assert len(listed(client.get(url))) == 20
    assert len(listed(client.get(url, {"page_size": 50}))) == 25
    assert len(listed(client.get(url, {"page_size": 7}))) == 20  # not offered: default
    assert len(listed(client.get(url, {"page_size": "x"}))) == 20
    second = client.get(url, {"page": 2})
    assert listed(second) == [f"P{n:03d}" for n in range(20, 25)]
    assert "共 25 户" in second.content.decode()


def test_htmx_request_gets_rows_fragment(county_admin, spread):
    client = client_for(county_admin)
    response = client.get(
        reverse("household-list"), {"region": FENGSHAN}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "H1" in content and "H2" in content and "H3" not in content
    assert "共 2 户" in content
    full = client.get(reverse("household-list"), {"region": FENGSHAN}).content.decode()
    assert "<html" in full


def test_list_query_count_does_not_grow_with_rows(county_admin, household_factory):
    client = client_for(county_admin)
    url = reverse("household-list")

    def measure() -> int:
        client.get(url)  # warm caches (content types, …)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    for n in range(3):
        household_factory(members=[{"relation": "son", "name": f"子{n}", "id_number": new_id()}])
    few = measure()
    for n in range(27):
        household_factory(members=[{"relation": "son", "name": f"孙{n}", "id_number": new_id()}])
    many = measure()
    assert few == many


# --- export ------------------------------------------------------------------------------


def xlsx_rows(response: Any) -> list[dict[str, Any]]:
    content = b"".join(response.streaming_content)
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_export_button_masks_and_scopes(township_operator, household_factory):
    mine = household_factory(
        number="FS-EXP-1",
        members=[{"relation": "spouse", "name": "李秀英", "id_number": new_id()}],
    )
    household_factory(FENGSHAN_OTHER_VILLAGE, number="FS-EXP-2")
    household_factory(FURONG_VILLAGE, number="FR-EXP-1")
    client = client_for(township_operator)

    response = client.get(reverse("household-export"), {"region": WULONG})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert sorted({r["户编号"] for r in rows}) == ["FS-EXP-1", "FS-EXP-2"]
    assert len(rows) == 3
    full_ids = set(Person.objects.values_list("id_number", flat=True))
    for row in rows:
        assert row["证件号码"] not in full_ids
        assert "*" in row["证件号码"]
    spouse = mine.members.get(relation="spouse")
    assert spouse.masked_id in {r["证件号码"] for r in rows}

    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert entry.username == township_operator.username
    assert entry.changes == {"rows": 3, "full_ids": False}
    assert entry.source == "web"

    filtered = xlsx_rows(
        client.get(reverse("household-export"), {"region": FENGSHAN_OTHER_VILLAGE})
    )
    assert {r["户编号"] for r in filtered} == {"FS-EXP-2"}


def test_export_full_ids_for_county_admin(county_admin, household_factory):
    household = household_factory(number="FS-EXP-9")
    response = client_for(county_admin).get(reverse("household-export"))
    assert [r["证件号码"] for r in xlsx_rows(response)] == [household.members.get().id_number]
    assert AuditLog.objects.get(action=AuditLog.Action.EXPORT).changes["full_ids"] is True


# --- import UI ---------------------------------------------------------------------------

IMPORT_HEADER = [
    "户编号",
    "区划代码",
    "与户主关系",
    "姓名",
    "证件号码",
    "贫困户属性",
    "户状态",
    "识别年度",
    "主要致贫原因",
]


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(IMPORT_HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_rows(bad_member_id: str | None = None) -> list[list[Any]]:
    ids = [make_id_number(WULONG, datetime.date(1970 + n, 1, 1), 200 + n) for n in range(3)]
    rows = [
        ["IMP-1", FENGSHAN_VILLAGE, "户主", "赵一", ids[0], "一般贫困户", "未脱贫", "2016", "因病"],
        ["IMP-1", "", "配偶", "李一", bad_member_id or ids[1], "", "", "", ""],
        ["IMP-2", FENGSHAN_OTHER_VILLAGE, "户主", "钱二", ids[2], "低保贫困户", "未脱贫", "2015",
         "缺资金"],
    ]  # fmt: skip
    return rows


@pytest.fixture
def job_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def upload(client: Client, name: str, content: bytes) -> Any:
    return client.post(reverse("household-import"), {"file": SimpleUploadedFile(name, content)})


def test_import_upload_validate_then_confirm(township_operator, job_dir):
    client = client_for(township_operator)
    assert client.get(reverse("household-import")).status_code == 200
    response = upload(client, "贫困户.xlsx", workbook(import_rows()))
    assert response.status_code == 302
    assert Household.objects.count() == 0 and Person.objects.count() == 0

    report = client.get(response["Location"])
    assert report.status_code == 200
    job = report.context["job"]
    assert job.status == "done" and job.params["dry_run"] is True
    assert job.result["households_created"] == 2
    assert job.result["persons_created"] == 3
    assert job.result["rejected"] == 0
    content = report.content.decode()
    assert "将新增户" in content and "确认导入" in content
    assert Household.objects.count() == 0

    confirmed = client.post(reverse("household-import-confirm", kwargs={"pk": job.pk}))
    assert confirmed.status_code == 302
    assert sorted(Household.objects.values_list("number", flat=True)) == ["IMP-1", "IMP-2"]
    assert Person.objects.count() == 3
    assert Household.objects.get(number="IMP-2").household_type == "subsistence_poor"
    done = client.get(confirmed["Location"])
    assert "导入完成" in done.content.decode()
    assert done.context["job"].params["dry_run"] is False
    created = AuditLog.objects.filter(
        action=AuditLog.Action.CREATE, object_type="registry.household"
    )
    assert sorted(created.values_list("object_repr", flat=True)) == ["IMP-1", "IMP-2"]
    summary = AuditLog.objects.get(action=AuditLog.Action.IMPORT)
    for entry in [*created, summary]:
        assert entry.username == township_operator.username
        assert entry.source == "web"
        assert entry.ip == "127.0.0.1"

    # Confirming twice does not import twice.
    again = client.post(reverse("household-import-confirm", kwargs={"pk": job.pk}))
    assert again["Location"] == confirmed["Location"]
    assert Person.objects.count() == 3


def test_import_bad_row_reported_with_errors_file(township_operator, job_dir):
    good = make_id_number(WULONG, datetime.date(1985, 1, 1), 301)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    client = client_for(township_operator)
    response = upload(client, "bad.xlsx", workbook(import_rows(bad_member_id=bad)))
    report = client.get(response["Location"])
    job = report.context["job"]
    assert job.result["rejected"] == 1
    errors = report.context["errors"]
    assert [e["row"] for e in errors] == [3]
    assert errors[0]["column"] == "证件号码"
    assert "校验位" in errors[0]["message"]
    content = report.content.decode()
    assert "校验位" in content and "<td>3</td>" in content

    download = client.get(reverse("household-import-errors", kwargs={"pk": job.pk}))
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    rows = xlsx_rows(download)
    assert len(rows) == 1
    assert rows[0]["姓名"] == "李一"
    assert "校验位" in rows[0]["错误原因"]

    client.post(reverse("household-import-confirm", kwargs={"pk": job.pk}))
    assert Person.objects.count() == 2
    assert not Person.objects.filter(name="李一").exists()


def test_import_csv_upload(township_operator, job_dir):
    lines = [",".join(IMPORT_HEADER)] + [",".join(map(str, row)) for row in import_rows()]
    client = client_for(township_operator)
    response = upload(client, "households.csv", "\n".join(lines).encode("utf-8-sig"))
    report = client.get(response["Location"])
    assert report.context["job"].result["persons_created"] == 3
    client.post(reverse("household-import-confirm", kwargs={"pk": report.context["job"].pk}))
    assert Person.objects.count() == 3


def test_import_rejects_text_file(township_operator, job_dir):
    response = upload(client_for(township_operator), "data.txt", b"hello")
    assert response.status_code == 200
    assert "只支持 .xlsx 或 .csv 文件" in response.content.decode()
    assert Household.objects.count() == 0


def test_import_job_of_another_user_is_hidden(township_operator, county_admin, job_dir):
    response = upload(client_for(township_operator), "a.xlsx", workbook(import_rows()))
    assert client_for(county_admin).get(response["Location"]).status_code == 404


def test_import_template_download(township_operator):
    response = client_for(township_operator).get(reverse("household-import-template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header = [cell.value for cell in next(book.worksheets[0].iter_rows(max_row=1))]
    for name in IMPORT_HEADER:
        assert name in header


def test_income_recorded_and_corrected_with_audit(household_factory, township_operator):
    household = household_factory()
    client = client_for(township_operator)
    url = reverse("household-income", kwargs={"pk": household.pk})
    assert client.post(url, {"year": 2020, "per_capita_net": "8000.50"}).status_code == 302
    assert client.post(url, {"year": 2020, "per_capita_net": "8100"}).status_code == 302
    income = household.incomes.get()
    assert str(income.per_capita_net) == "8100.00"
    entries = AuditLog.objects.filter(object_type="registry.householdincome")
    assert [e.action for e in entries.order_by("id")] == ["create", "update"]
    bad = client.post(url, {"year": 1999, "per_capita_net": "1"})
    assert bad.status_code == 200 and "年度应在" in bad.content.decode()


def test_income_outside_jurisdiction_is_404(household_factory, other_township_operator):
    household = household_factory()
    url = reverse("household-income", kwargs={"pk": household.pk})
    assert client_for(other_township_operator).get(url).status_code == 404


def test_chinese_by_default_english_on_request(township_operator):
    client = client_for(township_operator)
    page = client.get(reverse("household-list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登记新户" in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/households/"})
    english = client.get(reverse("household-list")).content.decode()
    assert "Households" in english and "登记新户" not in english

"""Laborer export (`fupin export laborers` and the list's button): scoping through
`for_user`, the list's filters, masking, audit, formula neutralising, the permission
matrix, and an export with full IDs importing back unchanged."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from fupin.core.models import AuditLog
from fupin.employment import services
from fupin.employment.laborer_imports import COLUMNS
from tests.conftest import (
    FENGSHAN,
    FENGSHAN_OTHER_VILLAGE,
    FURONG,
    FURONG_VILLAGE,
    WULONG,
    new_id,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [s.header for s in COLUMNS]


def rows_of(source: Any) -> list[dict[str, Any]]:
    if hasattr(source, "streaming_content"):
        source = io.BytesIO(b"".join(source.streaming_content))
    sheet = openpyxl.load_workbook(source).active
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(household_factory) -> dict[str, Any]:
    """凤山村: 赵淑碧 employed (employer named like a formula) and a 10-year-old (not a
    laborer); 黄渡村 (凤山): 周光辉 unemployed; 芙蓉: 孙芙蓉 without a state."""
    child = {
        "relation": "son",
        "name": "钱小小",
        "id_number": new_id(birth=datetime.date(TODAY.year - 10, 1, 1)),
    }
    zhao = household_factory(head_name="赵淑碧", members=[child]).members.get(relation="head")
    zhou = household_factory(FENGSHAN_OTHER_VILLAGE, head_name="周光辉").members.get()
    sun = household_factory(FURONG_VILLAGE, head_name="孙芙蓉").members.get()
    services.record_employment(
        acting_user=None,
        person=zhao,
        data={
            "status": "employed",
            "form": "company",
            "location_tier": "in_province",
            "destination_id": "500105",
            "employer_name": '=HYPERLINK("http://x","点我")',
            "trade": "C",
            "monthly_income": 4500,
            "has_contract": True,
        },
        valid_from=TODAY - datetime.timedelta(days=3),
    )
    services.record_employment(acting_user=None, person=zhou, data={"status": "unemployed"})
    return {"zhao": zhao, "zhou": zhou, "sun": sun}


def export(tmp_path: Path, user: Any, region: str, *extra: str) -> dict[str, Any]:
    out = io.StringIO()
    path = tmp_path / "laborers.xlsx"
    call_command(
        "export", "laborers", "--region", region, "--user", user.username,
        "--out", str(path), "--json", *extra, stdout=out,
    )  # fmt: skip
    payload = json.loads(out.getvalue())
    payload["rows_read"] = rows_of(path)
    return payload


# --- the command ------------------------------------------------------------------------


def test_township_operator_gets_masked_ids_of_their_laborers_only(
    tmp_path, world, township_operator
):
    result = export(tmp_path, township_operator, FENGSHAN)
    rows = result["rows_read"]
    assert result["rows"] == 2 and result["full_ids"] is False
    assert [r["姓名"] for r in rows] == ["赵淑碧", "周光辉"]  # no child, no 芙蓉
    assert list(rows[0])[: len(HEADER)] == HEADER
    zhao = rows[0]
    assert zhao["证件号码"] == world["zhao"].masked_id and "*" in zhao["证件号码"]
    assert (zhao["就业状态"], zhao["就业形式"], zhao["就业地区代码"]) == (
        "已就业",
        "企业务工",
        "500105",
    )
    assert zhao["就业地域"] == "市内区外"  # the municipality's label
    assert zhao["行业"] == "制造业" and zhao["月收入"] == 4500
    assert zhao["是否签订劳动合同"] == "是" and zhao["是否参加社会保险"] == "否"
    assert zhao["状态日期"].date() == TODAY - datetime.timedelta(days=3)
    assert zhao["就业单位"] == '\'=HYPERLINK("http://x","点我")'  # neutralised
    assert zhao["村（社区）"] and zhao["乡镇（街道）"]
    assert rows[1]["就业状态"] == "未就业" and rows[1]["就业形式"] is None

    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert entry.object_type == "employment.employmentrecord"
    assert entry.username == township_operator.username and entry.source == "cli"
    assert entry.region_code == FENGSHAN
    assert entry.changes == {"rows": 2, "full_ids": False}


def test_county_admin_gets_full_ids_and_a_region_narrows(tmp_path, world, county_admin):
    result = export(tmp_path, county_admin, WULONG)
    assert result["full_ids"] is True
    ids = {r["证件号码"] for r in result["rows_read"]}
    assert ids == {world[k].id_number for k in ("zhao", "zhou", "sun")}
    sun = next(r for r in result["rows_read"] if r["姓名"] == "孙芙蓉")
    assert sun["就业状态"] is None and sun["是否签订劳动合同"] is None  # no state yet
    assert [r["姓名"] for r in export(tmp_path, county_admin, FURONG)["rows_read"]] == ["孙芙蓉"]
    assert AuditLog.objects.filter(action="export").first().changes["full_ids"] is True


def test_refused_outside_jurisdiction_unknown_region_and_wrong_role(
    tmp_path, world, township_operator, leader, supervisor
):
    with pytest.raises(CommandError, match="不在用户 fengshan_operator 的管辖范围内"):
        export(tmp_path, township_operator, FURONG)
    with pytest.raises(CommandError, match="区划代码 500156999 不存在"):
        export(tmp_path, township_operator, "500156999")
    with pytest.raises(CommandError, match="不能导出贫困劳动力"):
        export(tmp_path, leader, WULONG)
    with pytest.raises(CommandError, match="输出文件应为 .xlsx"):
        call_command(
            "export", "laborers", "--region", WULONG, "--user", supervisor.username,
            "--out", str(tmp_path / "a.csv"), stdout=io.StringIO(),
        )  # fmt: skip
    assert not AuditLog.objects.filter(action="export").exists()
    assert export(tmp_path, supervisor, WULONG)["rows"] == 3  # supervisors may export


def test_an_export_with_full_ids_imports_back_unchanged(tmp_path, world, county_admin):
    export(tmp_path, county_admin, FENGSHAN)
    out = io.StringIO()
    call_command(
        "import", "laborers", str(tmp_path / "laborers.xlsx"), "--user", county_admin.username,
        "--json", stdout=out,
    )  # fmt: skip
    result = json.loads(out.getvalue())
    assert (result["rows"], result["unchanged"], result["rejected"]) == (2, 2, 0)


# --- the list's button ------------------------------------------------------------------


def test_button_applies_the_lists_filters_masks_and_audits(world, township_operator):
    client = client_for(township_operator)
    listing = client.get(reverse("laborer-list"), {"status": "employed"})
    assert 'id="laborer-export"' in listing.content.decode()
    querystring = listing.context["querystring"]
    response = client.post(reverse("laborer-export"), {"querystring": querystring})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert [r["姓名"] for r in rows] == ["赵淑碧"]
    assert rows[0]["证件号码"] == world["zhao"].masked_id
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert entry.source == "web" and entry.username == township_operator.username
    assert "status=employed" in entry.message and entry.changes["full_ids"] is False

    everyone = rows_of(client.get(reverse("laborer-export")))
    assert sorted(r["姓名"] for r in everyone) == ["周光辉", "赵淑碧"]
    village = rows_of(client.get(reverse("laborer-export"), {"region": FENGSHAN_OTHER_VILLAGE}))
    assert [r["姓名"] for r in village] == ["周光辉"]


def test_button_is_scoped_for_another_township(world, other_township_operator):
    rows = rows_of(client_for(other_township_operator).get(reverse("laborer-export")))
    assert [r["姓名"] for r in rows] == ["孙芙蓉"]
    outside = client_for(other_township_operator).get(
        reverse("laborer-export"), {"region": FENGSHAN}
    )
    assert outside.status_code == 200 and rows_of(outside) == []  # a region outside: nothing


def test_county_admin_button_gives_full_ids(world, county_admin):
    rows = rows_of(client_for(county_admin).get(reverse("laborer-export")))
    assert {r["证件号码"] for r in rows} == {world[k].id_number for k in ("zhao", "zhou", "sun")}


@pytest.mark.parametrize(
    "role, expected",
    [
        (None, 302),
        ("leader", 403),
        ("supervisor", 200),
        ("village_clerk", 200),
        ("township_operator", 200),
        ("county_admin", 200),
    ],
)
def test_export_permission_matrix(world, request, role, expected):
    user = request.getfixturevalue(role) if role else None
    response = client_for(user).post(reverse("laborer-export"), {"querystring": ""})
    assert response.status_code == expected
    if expected == 302:
        assert reverse("login") in response["Location"]
    shown = 'id="laborer-export"' in client_for(user).get(reverse("laborer-list")).content.decode()
    assert shown == (expected == 200)

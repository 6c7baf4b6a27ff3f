"""`fupin export households` and export_households(): masking, scoping, neutralising,
audit, streaming without per-row queries, and re-importing an export."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fupin.core.context import acting_as
from fupin.core.models import AuditLog
from fupin.registry.exports import export_households
from fupin.registry.imports import COLUMNS
from fupin.registry.models import Household
from fupin.registry.services import remove_member
from tests.conftest import FENGSHAN, FURONG_VILLAGE, WULONG, new_id

HEADER = [spec.header for spec in COLUMNS]


def export(tmp_path: Path, user: Any, region: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    out = tmp_path / "export.xlsx"
    buffer = io.StringIO()
    call_command(
        "export", "households", "--region", region, "--user", user.username,
        "--out", str(out), "--json", stdout=buffer,
    )  # fmt: skip
    return json.loads(buffer.getvalue()), read(out)


def read(path: Path | io.BytesIO) -> list[dict[str, Any]]:
    values = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert list(values[0][: len(HEADER)]) == HEADER
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


@pytest.fixture
def households(household_factory):
    mine = household_factory(
        number="FS001",
        members=[
            {"relation": "spouse", "name": "=cmd|' /C calc'!A0", "id_number": new_id()},
            {"relation": "son", "name": "赵小明", "id_number": new_id(datetime.date(2010, 1, 1))},
        ],
    )
    other = household_factory(FURONG_VILLAGE, number="FR001")
    return mine, other


def test_township_operator_gets_masked_ids_of_their_township_only(
    db, tmp_path, households, township_operator
):
    mine, _other = households
    summary, rows = export(tmp_path, township_operator, FENGSHAN)
    assert summary["rows"] == 3 and summary["full_ids"] is False
    assert {row["户编号"] for row in rows} == {"FS001"}
    people = {p.name: p for p in mine.members.all()}
    assert rows[0]["与户主关系"] == "户主"  # the head first
    for row in rows:
        assert "*" in row["证件号码"]
        name = row["姓名"].removeprefix("'")
        assert row["证件号码"] == people[name].masked_id
    spouse = next(row for row in rows if row["与户主关系"] == "配偶")
    assert spouse["姓名"] == "'=cmd|' /C calc'!A0"  # neutralised
    assert rows[0]["区划代码"] == mine.village_id and rows[0]["贫困户属性"] == "一般贫困户"
    assert rows[0]["出生日期"].date() == people["赵淑碧"].birth_date
    entry = AuditLog.objects.get(action="export")
    assert (entry.username, entry.source, entry.region_code) == (
        "fengshan_operator",
        "cli",
        FENGSHAN,
    )
    assert "3 行" in entry.message and "已脱敏" in entry.message
    assert entry.changes == {"rows": 3, "full_ids": False}


def test_county_admin_gets_full_ids_of_the_county(db, tmp_path, households, county_admin):
    summary, rows = export(tmp_path, county_admin, WULONG)
    assert summary["rows"] == 4 and summary["full_ids"] is True
    assert {row["户编号"] for row in rows} == {"FS001", "FR001"}
    ids = {p.id_number for h in households for p in h.members.all()}
    assert {row["证件号码"] for row in rows} == ids
    assert "完整" in AuditLog.objects.get(action="export").message


def test_region_outside_jurisdiction_unknown_region_and_no_permission(
    db, tmp_path, households, township_operator, leader
):
    with pytest.raises(CommandError, match="不在用户 fengshan_operator 的管辖范围内"):
        export(tmp_path, township_operator, WULONG)
    with pytest.raises(CommandError, match="不存在"):
        export(tmp_path, township_operator, "500156001999")
    with pytest.raises(CommandError, match="不能导出"):
        export(tmp_path, leader, WULONG)
    assert not AuditLog.objects.filter(action="export").exists()


def test_removed_members_are_not_exported(db, tmp_path, households, county_admin):
    mine, _ = households
    son = mine.members.get(relation="son")
    remove_member(acting_user=None, person=son, reason="moved_out")
    _, rows = export(tmp_path, county_admin, FENGSHAN)
    assert "赵小明" not in {row["姓名"] for row in rows}


def test_export_streams_without_per_row_queries(db, household_factory, county_admin):
    def queries(count: int) -> int:
        for _ in range(count):
            household_factory(
                members=[{"relation": "spouse", "name": "配偶", "id_number": new_id()}]
            )
        with CaptureQueriesContext(connection) as captured, acting_as(county_admin):
            export_households(Household.objects.all(), io.BytesIO(), user=county_admin)
        return len(captured)

    queries(1)  # warm up: the user's permissions are cached after the first check
    assert queries(2) == queries(6) <= 3  # the people, the audit entry


def test_an_export_imports_back_unchanged(db, tmp_path, households, county_admin):
    _, rows = export(tmp_path, county_admin, WULONG)
    out = io.StringIO()
    path = tmp_path / "export.xlsx"
    call_command("import", "households", str(path), "--user", "county_admin", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["rows"] == len(rows) == result["unchanged"]
    assert result["rejected"] == 0

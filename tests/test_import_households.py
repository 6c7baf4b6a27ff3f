"""`fupin import households`: rules 1–9 of issue #2, formats, jurisdiction, idempotency,
dry run, the errors workbook, the template, and the audit trail."""

from __future__ import annotations

import csv
import datetime
import gc
import io
import itertools
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.core.management import CommandError, call_command
from django.utils import timezone

from fupin.core.bulk import bulk_mode, execute, insert
from fupin.core.context import acting_as
from fupin.core.models import AuditLog
from fupin.registry import import_validation, import_writing
from fupin.registry.idnumbers import EXCEL_MESSAGE, make_id_number
from fupin.registry.imports import (
    COLUMNS,
    ImportFileError,
    import_households,
    write_errors,
    write_template,
)
from fupin.registry.models import Household, HouseholdIncome, Person
from fupin.registry.services import household_context
from tests.conftest import (
    FENGSHAN,
    FENGSHAN_OTHER_VILLAGE,
    FENGSHAN_VILLAGE,
    FURONG_VILLAGE,
)

HEADER = [spec.header for spec in COLUMNS]
_ids = itertools.count(1)


def pid(birth: datetime.date | None = None, address: str = "500156") -> str:
    """A valid ID, unique within the test session."""
    n = next(_ids)
    birth = birth or datetime.date(1960, 1, 1) + datetime.timedelta(days=n * 37)
    return make_id_number(address, birth, n % 1000)


def head(number: str, village: str = FENGSHAN_VILLAGE, **extra: Any) -> dict[str, Any]:
    return {
        "户编号": number,
        "区划代码": village,
        "与户主关系": "户主",
        "姓名": "赵淑碧",
        "证件号码": pid(),
        "民族": "土家族",
        "贫困户属性": "一般贫困户",
        "户状态": "已脱贫",
        "识别年度": "2014",
        "脱贫年度": "2019",
        "主要致贫原因": "因病",
        "家庭人均纯收入": 8500,
        **extra,
    }


def member(number: str, **extra: Any) -> dict[str, Any]:
    return {"户编号": number, "与户主关系": "配偶", "姓名": "李秀英", "证件号码": pid(), **extra}


def write_xlsx(
    path: Path, rows: list[dict[str, Any]], header: list[str] = HEADER, titles: int = 0
) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r in range(titles):
        sheet.write_string(r, 0, f"武隆区贫困户信息表（标题行{r + 1}）")
    sheet.write_row(titles, 0, header)
    for r, row in enumerate(rows, titles + 1):
        for col, name in enumerate(header):
            value = row.get(name)
            if value is None:
                continue
            if isinstance(value, datetime.date):
                sheet.write_datetime(r, col, value, date_format)
            elif isinstance(value, str):
                sheet.write_string(r, col, value)
            else:
                sheet.write_number(r, col, value)
    book.close()
    return path


def run(path: Path, *args: str, user: Any = None) -> dict[str, Any]:
    out = io.StringIO()
    extra = ["--user", user.username] if user is not None else []
    call_command("import", "households", str(path), "--json", *extra, *args, stdout=out)
    return json.loads(out.getvalue())


def errors_of(result: dict[str, Any]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for error in result["errors"]:
        found.setdefault(error["row"], []).append(f"{error['column']}：{error['message']}")
    return found


def db_state() -> tuple[list[Any], list[Any], list[Any]]:
    people = list(
        Person.objects.order_by("id_number").values_list(
            "id_number", "household__number", "relation", "name", "sex", "birth_date",
            "ethnicity", "phone", "name_pinyin", "updated_at",
        )
    )  # fmt: skip
    households = list(
        Household.objects.order_by("number").values_list(
            "number", "village_id", "household_type", "status", "identified_year",
            "exit_year", "main_cause", "updated_at",
        )
    )  # fmt: skip
    incomes = list(
        HouseholdIncome.objects.values_list("household__number", "year", "per_capita_net")
    )
    return people, households, incomes


# --- the happy path ----------------------------------------------------------------


def test_valid_file_creates_households_members_income_and_audit(db, tmp_path):
    a, b = "500156001201900", "500156001201901"
    rows = [
        head(a, 性别="男", 出生日期=None, 联系电话="13800000001", 文化程度="初中"),
        member(a, 与户主关系="之子", 姓名="赵小明", 文化程度="小学", 在校生状况="小学"),
        head(b, 姓名="周光辉", 主要致贫原因="缺技术", 家庭人均纯收入=6000.5),
    ]
    rows[0]["证件号码"] = make_id_number("512326", datetime.date(1965, 3, 8), 11)  # male
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    assert result == {
        "rows": 3,
        "households_created": 2,
        "households_updated": 0,
        "persons_created": 3,
        "persons_updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "errors": [],
    }
    household = Household.objects.get(number=a)
    assert household.village_id == FENGSHAN_VILLAGE
    assert (household.household_type, household.status) == ("ordinary_poor", "exited")
    assert (household.identified_year, household.exit_year, household.main_cause) == (
        2014,
        2019,
        "illness",
    )
    assert household.phone == "13800000001"
    head_person = household.members.get(relation="head")
    assert head_person.sex == "male" and head_person.birth_date == datetime.date(1965, 3, 8)
    assert (head_person.name_pinyin, head_person.name_initials) == ("zhaoshubi", "zsb")
    assert head_person.ethnicity == "15" and head_person.education == "junior"
    son = household.members.get(relation="son")
    assert son.ethnicity == ""  # not given: unknown, not assumed 汉族
    assert son.school_status == "primary"
    year = datetime.date.today().year
    assert str(household.incomes.get(year=year).per_capita_net) == "8500.00"
    assert str(HouseholdIncome.objects.get(household__number=b).per_capita_net) == "6000.50"

    entries = AuditLog.objects.filter(object_type="registry.household")
    created = entries.get(action="create", object_id=str(household.pk))
    assert created.source == "cli"
    assert created.context_key == household_context(household.pk)
    assert created.region_code == FENGSHAN_VILLAGE
    members = created.changes["members"]
    assert {m["name"] for m in members} == {"赵淑碧", "赵小明"}
    assert all("*" in m["id_number"] for m in members)
    assert head_person.id_number not in json.dumps(created.changes)
    summary = entries.get(action="import")
    assert summary.source == "cli" and summary.changes["persons_created"] == 3


def test_engine_api_with_user_progress_and_timings(db, tmp_path, county_admin):
    path = write_xlsx(tmp_path / "h.xlsx", [head("H1"), member("H1")])

    class Progress:
        done, expected = 0, None

        def __call__(self, count=1):
            self.done += count

        def total(self, total):
            self.expected = total

    progress = Progress()
    with acting_as(county_admin, source="web", ip="10.0.0.1"):
        result = import_households(path, user=county_admin, progress=progress)
    assert result.persons_created == 2 and result.rejected == 0
    assert progress.expected == progress.done == 4  # validated and written rows
    assert set(result.timings) == {"parse", "validate", "write"}
    assert list(result.as_dict()) == [*ImportResultKeys]
    entry = AuditLog.objects.get(action="create", object_type="registry.household")
    assert (entry.username, entry.source, entry.ip) == ("county_admin", "web", "10.0.0.1")


ImportResultKeys = (
    "rows",
    "households_created",
    "households_updated",
    "persons_created",
    "persons_updated",
    "unchanged",
    "rejected",
    "errors",
)


def test_engine_runs_as_the_given_user_without_a_context(db, tmp_path, county_admin):
    path = write_xlsx(tmp_path / "h.xlsx", [head("H1")])
    import_households(path, user=county_admin)
    assert AuditLog.objects.filter(username="county_admin", action="import").exists()


# --- rules 1–9 ---------------------------------------------------------------------


def test_rule1_invalid_and_excel_number_ids_rejected_others_kept(db, tmp_path):
    good = pid()
    bad_checksum = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        head("H1"),
        member("H1", 证件号码=bad_checksum),
        member("H1", 证件号码=5.00156198001011e17),  # Excel stored it as a number
        member("H1", 证件号码="500156203001011234"),  # born in the future
        member("H1", 证件号码="50015619800101"),  # too short
        member("H1", 证件号码=" ５００１５６" + good[6:17] + good[17].lower() + "\u200b"),
        member("H2", 证件号码=""),
    ]
    rows[5]["证件号码"] = rows[5]["证件号码"].replace("X", "x")
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    errors = errors_of(result)
    assert set(errors) == {3, 4, 5, 6, 8}
    assert "校验位" in errors[3][0]
    assert EXCEL_MESSAGE in errors[4][0]
    assert "晚于今天" in errors[5][0]
    assert "长度" in errors[6][0]
    assert "必填项为空" in " ".join(errors[8])
    assert result["persons_created"] == 2  # the head and the full-width/zero-width one
    assert Person.objects.filter(id_number=good).exists()


def test_rule1_fifteen_digit_id_is_upgraded(db, tmp_path):
    result = run(write_xlsx(tmp_path / "h.xlsx", [head("H1", 证件号码="512326650308011")]))
    assert result["persons_created"] == 1
    assert Person.objects.get().id_number.startswith("51232619650308011")


def test_rule2_sex_or_birth_date_contradicting_the_id(db, tmp_path):
    male = make_id_number("500156", datetime.date(1990, 1, 1), 11)
    ids = [make_id_number("500156", datetime.date(1990, 1, 1), n) for n in (13, 15, 17, 19, 21)]
    rows = [
        head("H1", 证件号码=male, 性别="男", 出生日期=datetime.date(1990, 1, 1)),
        member("H1", 证件号码=ids[0], 性别="女"),
        member("H1", 证件号码=ids[1], 出生日期="1990-01-02"),
        member("H1", 证件号码=ids[2], 出生日期="1990/1/1", 性别="male"),
        member("H1", 证件号码=ids[3], 出生日期="19900101"),
        member("H1", 证件号码=ids[4], 出生日期="1990年1月1日"),
    ]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    errors = errors_of(result)
    assert set(errors) == {3, 4}
    assert errors[3] == ["性别：性别“女”与证件号码（男）不符"]
    assert "出生日期 1990-01-02 与证件号码（1990-01-01）不符" in errors[4][0]
    assert result["persons_created"] == 4


def test_rule3_village_unknown_not_a_village_or_outside_jurisdiction(
    db, tmp_path, township_operator
):
    rows = [
        head("H1", 区划代码="500156001999"),  # unknown
        head("H2", 区划代码=FENGSHAN),  # a township
        head("H3", 区划代码=FURONG_VILLAGE),  # another township's village
        head("H4", 区划代码=FENGSHAN_OTHER_VILLAGE),  # fine
    ]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows), user=township_operator)
    errors = errors_of(result)
    assert "不存在" in errors[2][0]
    assert "不是12位" in errors[3][0]
    assert "不在您的管辖范围内" in errors[4][0]
    assert result["households_created"] == 1 and result["rejected"] == 3
    assert list(Household.objects.values_list("number", flat=True)) == ["H4"]


def test_rule4_code_lists_and_required_values(db, tmp_path):
    rows = [
        head("H1"),
        member("H1", 与户主关系="表哥"),
        member("H1", 姓名=""),
        member("H1", 文化程度="博士"),
        member("H1", 民族="火星族"),
        member("H1", 与户主关系="daughter", 文化程度="小学", 民族="苗"),  # identifiers / short
        head("H2", 贫困户属性=""),
    ]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    errors = errors_of(result)
    assert errors[3] == [
        "与户主关系：“表哥”不是有效的与户主关系，可选值："
        "户主、配偶、之子、之女、之儿媳、之女婿、之孙子、之孙女、之外孙子、之外孙女、之父、之母、"
        "之岳父、之岳母、之公公、之婆婆、之祖父、之祖母、之兄弟姐妹、其他"
    ]
    assert errors[4] == ["姓名：必填项为空"]
    assert "可选值：学龄前儿童" in errors[5][0]
    assert "民族" in errors[6][0]
    assert errors[8] == ["贫困户属性：必填项为空"]
    daughter = Person.objects.get(relation="daughter")
    assert daughter.education == "primary" and daughter.ethnicity == "06"
    assert result["persons_created"] == 2


def test_rule5_no_head_or_two_heads_reject_the_whole_household(db, tmp_path):
    rows = [
        member("H1"),
        member("H1", 与户主关系="之子"),
        head("H2"),
        head("H2", 姓名="王二"),
        member("H2"),
        head("H3", 证件号码="123"),  # an invalid head row sinks its household
        member("H3"),
        head("H4"),
        member("H4"),
    ]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    errors = errors_of(result)
    assert set(errors) == {2, 3, 4, 5, 6, 7, 8}
    assert "没有户主行" in errors[2][0] and "没有户主行" in errors[3][0]
    assert "有多个户主行（第4、5行）" in errors[6][0]
    assert "户主行（第7行）有错误" in errors[8][0]
    assert result["households_created"] == 1 and result["persons_created"] == 2
    assert list(Household.objects.values_list("number", flat=True)) == ["H4"]


def test_rule6_member_in_another_village_than_the_head(db, tmp_path):
    rows = [
        head("H1"),
        member("H1", 区划代码=FENGSHAN_OTHER_VILLAGE),
        member("H1", 区划代码=FENGSHAN_VILLAGE),
        member("H1"),
    ]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    assert errors_of(result) == {
        3: [f"区划代码：区划代码 {FENGSHAN_OTHER_VILLAGE} 与户主的区划代码 {FENGSHAN_VILLAGE} 不同"]
    }
    assert result["persons_created"] == 3


def test_rule7_duplicate_id_in_the_file(db, tmp_path):
    twice = pid()
    rows = [head("H1"), member("H1", 证件号码=twice), head("H2"), member("H2", 证件号码=twice)]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    assert errors_of(result) == {5: ["证件号码：与第3行重复"]}
    assert Person.objects.get(id_number=twice).household.number == "H1"


def test_rule7_first_valid_row_wins(db, tmp_path):
    twice = pid()
    rows = [
        head("H1"),
        member("H1", 证件号码=twice, 性别="男" if int(twice[16]) % 2 == 0 else "女"),
    ]
    rows.append(member("H1", 证件号码=twice))
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    errors = errors_of(result)
    assert set(errors) == {3}  # row 3 contradicts its ID; row 4 is then the first valid
    assert Person.objects.filter(id_number=twice).exists()


def test_rule8_id_registered_in_another_household(db, tmp_path, household_factory):
    other = household_factory(number="EXISTING1")
    taken = other.members.get().id_number
    result = run(write_xlsx(tmp_path / "h.xlsx", [head("H1"), member("H1", 证件号码=taken)]))
    assert errors_of(result) == {
        3: ["证件号码：证件号码已登记在户 EXISTING1（赵淑碧）；成员迁移请在系统中办理"]
    }
    assert result["persons_created"] == 1
    assert Person.objects.get(id_number=taken).household == other


def test_rule8_other_household_outside_jurisdiction_is_not_named(
    db, tmp_path, household_factory, township_operator
):
    other = household_factory(FURONG_VILLAGE, number="FURONG1")
    taken = other.members.get().id_number
    rows = [head("H1"), member("H1", 证件号码=taken)]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows), user=township_operator)
    message = errors_of(result)[3][0]
    assert "FURONG1" not in message and "不在您的管辖范围内" in message


def test_rule9_existing_people_updated_or_unchanged(db, tmp_path):
    a = head("H1", 联系电话="13800000001")
    b = member("H1", 文化程度="初中")
    run(write_xlsx(tmp_path / "1.xlsx", [a, b]))
    before = Person.objects.get(id_number=b["证件号码"])
    b2 = {**b, "文化程度": "高中", "姓名": "李秀兰"}
    new = member("H1", 与户主关系="之女")
    result = run(write_xlsx(tmp_path / "2.xlsx", [a, b2, new]))
    assert result["persons_updated"] == 1 and result["unchanged"] == 1
    assert result["persons_created"] == 1 and result["households_updated"] == 0
    after = Person.objects.get(pk=before.pk)
    assert (after.education, after.name, after.name_pinyin) == ("senior", "李秀兰", "lixiulan")
    entry = AuditLog.objects.filter(action="update", object_type="registry.household").get()
    assert entry.changes["members_updated"][0]["changes"]["education"] == ["junior", "senior"]
    assert "members_added" in entry.changes
    # Household fields from the head row and the income update the household.
    result = run(
        write_xlsx(tmp_path / "3.xlsx", [{**a, "户状态": "未脱贫", "家庭人均纯收入": 9000}])
    )
    assert result["households_updated"] == 1 and result["unchanged"] == 1
    household = Household.objects.get(number="H1")
    assert household.status == "not_exited"
    assert household.incomes.get().per_capita_net == 9000


def test_importing_twice_changes_nothing(db, tmp_path):
    rows = [head("H1"), member("H1"), member("H1", 与户主关系="之子"), head("H2")]
    path = write_xlsx(tmp_path / "h.xlsx", rows)
    first = run(path)
    state = db_state()
    audit_count = AuditLog.objects.count()
    second = run(path)
    assert first["persons_created"] == 4
    assert second == {**first, "households_created": 0, "persons_created": 0, "unchanged": 4}
    assert db_state() == state
    assert AuditLog.objects.count() == audit_count + 1  # only the run's summary


def test_existing_household_with_another_head_is_rejected(db, tmp_path, household_factory):
    household_factory(number="H1", head_name="原户主")
    result = run(write_xlsx(tmp_path / "h.xlsx", [head("H1"), member("H1")]))
    errors = errors_of(result)
    assert set(errors) == {2, 3} and "现户主是 原户主" in errors[2][0]


def test_existing_household_outside_jurisdiction_is_rejected(
    db, tmp_path, household_factory, township_operator
):
    household_factory(FURONG_VILLAGE, number="H1")
    result = run(write_xlsx(tmp_path / "h.xlsx", [head("H1")]), user=township_operator)
    assert "户编号 H1 已存在，且不在您的管辖范围内" in errors_of(result)[2][0]


# --- formats -----------------------------------------------------------------------


def test_title_rows_aliases_and_numbers_stored_as_floats(db, tmp_path):
    header = [
        "户号", "行政区划代码", "与户主关系名称", "姓 名", "身份证号", "民族", "贫困户属性",
        "户状态", "识别年度", "主要致贫原因", "人均纯收入", "备注",
    ]  # fmt: skip
    row = {
        "户号": 500156001201777,
        "行政区划代码": int(FENGSHAN_VILLAGE),
        "与户主关系名称": "户主",
        "姓 名": "赵淑碧",
        "身份证号": pid(),
        "民族": "汉族",
        "贫困户属性": "低保贫困户",
        "户状态": "未脱贫",
        "识别年度": 2016,
        "主要致贫原因": "缺资金",
        "人均纯收入": 7000,
        "备注": "ignored",
    }
    result = run(write_xlsx(tmp_path / "h.xlsx", [row], header=header, titles=3))
    assert result["persons_created"] == 1 and result["rejected"] == 0
    household = Household.objects.get()
    assert household.number == "500156001201777"
    assert household.village_id == FENGSHAN_VILLAGE
    assert household.identified_year == 2016


def test_error_rows_are_worksheet_row_numbers(db, tmp_path):
    rows = [head("H1"), member("H1", 与户主关系="表哥")]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows, titles=2))
    assert [e["row"] for e in result["errors"]] == [5]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_input(db, tmp_path, encoding):
    path = tmp_path / "h.csv"
    rows = [head("H1"), member("H1", 出生日期="")]
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["武隆区贫困户信息表"])
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow(["" if row.get(h) is None else row.get(h) for h in HEADER])
    result = run(path)
    assert result["persons_created"] == 2 and result["rejected"] == 0


def test_corrupt_file_is_a_command_error_and_writes_nothing(db, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(CommandError, match="无法读取"):
        run(path)
    assert not Household.objects.exists() and not AuditLog.objects.exists()


def test_unusable_inputs(db, tmp_path):
    with pytest.raises(CommandError, match="不支持的文件类型"):
        run(tmp_path / "h.pdf")
    with pytest.raises(CommandError, match="文件不存在"):
        run(tmp_path / "missing.xlsx")
    no_id = write_xlsx(tmp_path / "noid.xlsx", [{"姓名": "x"}], header=["户编号", "姓名"])
    with pytest.raises(CommandError, match="证件号码"):
        run(no_id)
    missing = write_xlsx(tmp_path / "missing_cols.xlsx", [], header=["证件号码", "姓名"])
    with pytest.raises(CommandError, match="缺少必需的列：户编号"):
        run(missing)
    with pytest.raises(ImportFileError):
        import_households(no_id, user=None)


def test_unknown_user_and_user_without_permission(db, tmp_path, leader):
    path = write_xlsx(tmp_path / "h.xlsx", [head("H1")])
    with pytest.raises(CommandError, match="不存在"):
        call_command("import", "households", str(path), "--user", "nobody")
    with pytest.raises(CommandError, match="不能导入"):
        run(path, user=leader)
    assert not Household.objects.exists()


# --- modes and outputs -------------------------------------------------------------


def test_dry_run_reports_and_writes_nothing(db, tmp_path):
    rows = [head("H1"), member("H1"), member("H1", 与户主关系="表哥")]
    result = run(write_xlsx(tmp_path / "h.xlsx", rows), "--dry-run")
    assert result["households_created"] == 1 and result["persons_created"] == 2
    assert result["rejected"] == 1
    assert not Household.objects.exists() and not Person.objects.exists()
    assert not AuditLog.objects.exists()


def test_errors_workbook(db, tmp_path):
    good = pid()
    wrong = good[:17] + ("1" if good[17] == "0" else "0")
    bad = member("H1", 与户主关系="表哥", 证件号码=wrong)
    rows = [head("H1"), bad, member("H1")]
    out = tmp_path / "errors.xlsx"
    result = run(write_xlsx(tmp_path / "h.xlsx", rows, titles=1), "--errors", str(out))
    assert result["rejected"] == 1
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == [*HEADER, "错误原因"]
    assert len(values) == 2
    rejected = dict(zip(values[0], values[1], strict=True))
    assert rejected["证件号码"] == wrong and rejected["与户主关系"] == "表哥"
    assert rejected["错误原因"].startswith("第4行 ")
    assert "与户主关系：“表哥”不是有效的与户主关系" in rejected["错误原因"]
    assert "证件号码：" in rejected["错误原因"]


def test_human_output(db, tmp_path):
    out = io.StringIO()
    path = write_xlsx(tmp_path / "h.xlsx", [head("H1"), member("H1", 与户主关系="表哥")])
    call_command("import", "households", str(path), stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "新增 1 户 1 人" in text and "拒绝 1 行" in text and "第3行 与户主关系" in text


def test_interrupted_import_leaves_whole_households_and_rerun_completes(
    db, tmp_path, settings, monkeypatch
):
    settings.FUPIN_IMPORT_BATCH_HOUSEHOLDS = 1
    rows = [head("H1"), member("H1"), head("H2"), member("H2"), member("H2")]
    path = write_xlsx(tmp_path / "h.xlsx", rows)
    original = import_writing.Writer._write_batch
    calls = itertools.count()

    def killed_on_second_batch(self, plans):
        if next(calls) == 1:
            raise KeyboardInterrupt
        return original(self, plans)

    monkeypatch.setattr(import_writing.Writer, "_write_batch", killed_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run(path)
    assert list(Household.objects.values_list("number", flat=True)) == ["H1"]
    assert Person.objects.count() == 2
    monkeypatch.setattr(import_writing.Writer, "_write_batch", original)
    result = run(path)
    assert result["households_created"] == 1 and result["persons_created"] == 3
    assert result["unchanged"] == 2
    assert Person.objects.count() == 5


def test_registry_changed_meanwhile_rejects_only_the_clashing_household(
    db, tmp_path, settings, monkeypatch, household_factory
):
    """An ID registered elsewhere between validation and writing makes its batch fail;
    the batch is retried household by household and only that household is rejected."""
    settings.FUPIN_IMPORT_BATCH_HOUSEHOLDS = 10
    rows = [head("H1"), member("H1"), head("H2"), member("H2"), head("H3")]
    taken = rows[3]["证件号码"]
    validate = import_validation.Validation.validate

    def validate_then_register(self):
        plans = validate(self)
        household_factory(
            number="OTHER", members=[{"relation": "spouse", "name": "王二", "id_number": taken}]
        )
        return plans

    monkeypatch.setattr(import_validation.Validation, "validate", validate_then_register)
    result = run(write_xlsx(tmp_path / "h.xlsx", rows))
    errors = errors_of(result)
    assert set(errors) == {4, 5} and all(
        "写入数据库失败，本户未导入" in e[0] for e in errors.values()
    )
    assert result["households_created"] == 2 and result["persons_created"] == 3
    assert result["rejected"] == 2
    assert sorted(Household.objects.values_list("number", flat=True)) == ["H1", "H3", "OTHER"]
    created = AuditLog.objects.filter(action="create", object_type="registry.household")
    assert sorted(created.values_list("object_repr", flat=True)) == ["H1", "H3", "OTHER"]


def test_template(db, tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["贫困户成员", "说明", "lists"]
    assert book["lists"].sheet_state == "hidden"
    sheet = book["贫困户成员"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.freeze_panes == "A2"
    id_column = HEADER.index("证件号码") + 1
    assert sheet.column_dimensions[openpyxl.utils.get_column_letter(id_column)].number_format == "@"
    validations = {
        str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation
    }
    letter = openpyxl.utils.get_column_letter
    assert "户主" in validations[f"{letter(HEADER.index('与户主关系') + 1)}2"]
    assert validations[f"{letter(HEADER.index('民族') + 1)}2"].startswith("lists!")
    # An empty template imports as an empty file.
    assert run(path)["rows"] == 0


def test_errors_workbook_from_the_engine(db, tmp_path):
    path = write_xlsx(tmp_path / "h.xlsx", [member("H1")])
    result = import_households(path, user=None, dry_run=True)
    buffer = io.BytesIO()
    assert write_errors(result, buffer) == 1
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert "没有户主行" in sheet.cell(row=2, column=len(HEADER) + 1).value


# --- the bulk machinery ------------------------------------------------------------


def test_garbage_collection_is_restored(db, tmp_path):
    """The engine turns cyclic garbage collection off while it runs (bulk_mode): it must
    come back on however the import ends, and concurrent imports share the switch."""
    assert gc.isenabled()
    path = write_xlsx(tmp_path / "h.xlsx", [head("H1"), member("H1")])
    assert import_households(path, user=None).persons_created == 2
    assert gc.isenabled()
    with pytest.raises(ImportFileError):
        import_households(tmp_path / "missing.xlsx", user=None)
    assert gc.isenabled()
    with pytest.raises(KeyError), bulk_mode():
        assert not gc.isenabled()
        with bulk_mode():  # a second import, e.g. in another thread of the web process
            assert not gc.isenabled()
        assert not gc.isenabled()  # still one running
        raise KeyError
    assert gc.isenabled()
    gc.disable()  # off before: left off
    try:
        import_households(path, user=None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_bulk_insert_constants_and_returning(db):
    """Values shared by all rows go into the SQL (literals on SQLite, quoted) or are
    bound once; RETURNING gives the keys of the new rows."""
    now = timezone.now()
    shared = {"username": "o'brien; --", "source": "cli\n", "ip": "10.0.0.1"}
    rows = [("update", f"{n}", "x", {"n": n, "name": "李'秀英"}, "m") for n in range(3)]
    fields = ["action", "object_id", "object_repr", "changes", "message"]
    returned = execute(
        [insert(AuditLog, fields, rows, now, shared=shared, returning=["object_id", "pk"])]
    )
    ids = dict(returned)
    assert sorted(ids) == ["0", "1", "2"]
    for entry in AuditLog.objects.filter(pk__in=ids.values()):
        assert (entry.username, entry.source, entry.ip) == ("o'brien; --", "cli\n", "10.0.0.1")
        assert entry.changes == {"n": int(entry.object_id), "name": "李'秀英"}
        assert entry.at == now and ids[entry.object_id] == entry.pk

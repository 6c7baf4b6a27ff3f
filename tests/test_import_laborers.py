"""`fupin import laborers` and the laborer upload page: every rejection rule, idempotency,
history kept, jurisdiction, --json / --errors, unusable input, whole batches, audit,
template, and the pages' permission matrix."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from fupin.core.models import AuditLog
from fupin.employment import laborer_imports, services
from fupin.employment.models import Employer, EmploymentRecord
from fupin.employment.selectors import laborers, with_state
from fupin.regions.models import Region
from tests.conftest import FURONG_VILLAGE, new_id

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
HEADER = [spec.header for spec in laborer_imports.COLUMNS]


def born(years: int, days: int = 100) -> datetime.date:
    try:
        day = TODAY.replace(year=TODAY.year - years)
    except ValueError:
        day = TODAY.replace(year=TODAY.year - years, day=28)
    return day - datetime.timedelta(days=days)


def write_xlsx(path: Path, rows: list[dict[str, Any]], header: list[str] = HEADER) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, 1):
        for col, name in enumerate(header):
            value = row.get(name)
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, col, value)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(r, col, value, book.add_format({"num_format": "yyyy-mm-dd"}))
            else:
                sheet.write_number(r, col, value)
    book.close()
    return path


def run(path: Path, *args: str, user: Any = None) -> dict[str, Any]:
    out = io.StringIO()
    extra = ["--user", user.username] if user is not None else []
    call_command("import", "laborers", str(path), "--json", *extra, *args, stdout=out)
    return json.loads(out.getvalue())


def errors_of(result: dict[str, Any]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for error in result["errors"]:
        found.setdefault(error["row"], []).append(f"{error['column']}：{error['message']}")
    return found


def member(
    name: str, years: int, labor: str = "ordinary", relation: str = "son", days: int = 100
) -> dict:
    return {
        "relation": relation,
        "name": name,
        "id_number": new_id(birth=born(years, days)),
        "labor_ability": labor,
    }


@pytest.fixture
def people(household_factory) -> dict[str, Any]:
    """凤山村: 赵淑碧 (46), 钱二妹 (25), 钱三 (30), 钱小小 (15), 钱老汉 (61), 钱病人 (lost);
    芙蓉 (another township): 孙芙蓉 (40). Also the region 44 (广东省, not bundled)."""
    Region.objects.get_or_create(code="44", defaults={"name": "广东省", "level": 1})
    household = household_factory(
        head_name="赵淑碧",
        members=[
            member("钱二妹", 25, relation="daughter"),
            member("钱三", 30),
            member("钱小小", 15),
            member("钱老汉", 61, relation="father"),
            member("钱病人", 30, labor="lost", relation="brother"),
        ],
    )
    found = {p.name: p for p in household.members.all()}
    furong = household_factory(FURONG_VILLAGE, head_name="孙芙蓉")
    found["孙芙蓉"] = furong.members.get()
    return found


def employed(person: Any, **extra: Any) -> dict[str, Any]:
    return {
        "证件号码": person.id_number,
        "姓名": person.name,
        "就业状态": "已就业",
        "就业形式": "企业务工",
        "就业地区代码": "44",
        "就业单位": "东莞某电子厂",
        "行业": "制造业",
        "开始日期": "2020-03-01",
        "月收入": 4500,
        "就业渠道": "劳务协作",
        "是否签订劳动合同": "是",
        "是否参加社会保险": "否",
        **extra,
    }


def current(person: Any) -> EmploymentRecord | None:
    return EmploymentRecord.objects.filter(person=person, valid_to=None).first()


# --- the happy path, idempotency, history -----------------------------------------------


def test_rows_become_states_and_a_second_import_changes_nothing(tmp_path, people, county_admin):
    zhao, qian, san = people["赵淑碧"], people["钱二妹"], people["钱三"]
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            employed(zhao),
            {"证件号码": qian.id_number, "就业状态": "未就业"},
            {"证件号码": san.id_number, "就业状态": "暂无就业意愿", "未就业原因": "照料家庭"},
        ],
    )
    result = run(path, user=county_admin)
    assert result == {
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "errors": [],
    }
    record = current(zhao)
    assert (record.status, record.form, record.destination_id) == ("employed", "company", "44")
    assert record.location_tier == "out_of_province"  # derived by tier_between
    assert (record.employer_name, record.trade, record.channel) == (
        "东莞某电子厂",
        "C",
        "cooperation",
    )
    assert record.start_date == datetime.date(2020, 3, 1) and record.monthly_income == 4500
    assert record.has_contract and not record.has_social_insurance
    assert record.valid_from == TODAY and record.recorded_by == county_admin
    assert current(san).not_seeking_reason == "caring"

    before = list(EmploymentRecord.objects.order_by("pk").values())
    audits = AuditLog.objects.count()
    again = run(path, user=county_admin)
    assert again["unchanged"] == 3 and again["created"] == again["updated"] == 0
    assert list(EmploymentRecord.objects.order_by("pk").values()) == before
    assert AuditLog.objects.count() == audits + 1  # only the import's own entry


def test_a_change_opens_a_new_dated_state_and_the_past_stays_answerable(
    tmp_path, people, township_operator
):
    zhao = people["赵淑碧"]
    d1, d2 = TODAY - datetime.timedelta(days=90), TODAY - datetime.timedelta(days=10)
    services.record_employment(
        acting_user=township_operator, person=zhao, data={"status": "unemployed"}, valid_from=d1
    )
    path = write_xlsx(tmp_path / "a.xlsx", [employed(zhao, 状态日期=d2)])
    result = run(path, user=township_operator)
    assert (result["created"], result["updated"], result["rejected"]) == (0, 1, 0)
    history = list(EmploymentRecord.objects.filter(person=zhao).order_by("valid_from"))
    assert [(r.status, r.valid_from, r.valid_to) for r in history] == [
        ("unemployed", d1, d2),
        ("employed", d2, None),
    ]
    past = with_state(laborers(d1 + datetime.timedelta(days=1)), d1 + datetime.timedelta(days=1))
    assert past.get(pk=zhao.pk).status == "unemployed"
    assert with_state(laborers()).get(pk=zhao.pk).status == "employed"
    assert run(path, user=township_operator)["unchanged"] == 1


def test_same_day_row_corrects_the_current_state(tmp_path, people, township_operator):
    zhao = people["赵淑碧"]
    first = services.record_employment(
        acting_user=township_operator, person=zhao, data={"status": "unemployed"}
    )
    result = run(write_xlsx(tmp_path / "a.xlsx", [employed(zhao)]), user=township_operator)
    assert result["updated"] == 1
    assert list(EmploymentRecord.objects.filter(person=zhao).values_list("pk", "status")) == [
        (first.pk, "employed")
    ]
    entry = AuditLog.objects.filter(object_id=str(first.pk), action="update").get()
    assert entry.changes["status"] == ["unemployed", "employed"]


def test_missing_columns_keep_the_current_values_while_the_status_stays(
    tmp_path, people, county_admin
):
    zhao = people["赵淑碧"]
    run(write_xlsx(tmp_path / "a.xlsx", [employed(zhao)]), user=county_admin)
    header = ["身份证号", "就业状态", "月收入", "状态日期"]  # an alias for the ID column
    later = TODAY
    row = {"身份证号": zhao.id_number, "就业状态": "已就业", "月收入": 5200, "状态日期": later}
    result = run(write_xlsx(tmp_path / "b.xlsx", [row], header), user=county_admin)
    assert result["updated"] == 1 and result["rejected"] == 0
    record = current(zhao)
    assert record.monthly_income == 5200
    assert (record.form, record.destination_id, record.employer_name) == (
        "company",
        "44",
        "东莞某电子厂",
    )


def test_a_new_state_of_the_same_job_keeps_its_links(tmp_path, people, county_admin):
    """A new income for the same job keeps the employer (and workshop, post, batch) that
    the measures linked; another job does not."""
    zhao = people["赵淑碧"]
    employer = Employer.objects.create(
        credit_code="91500156MA60000000", name="武隆某厂", region_id="500156", trade="C"
    )
    old = TODAY - datetime.timedelta(days=30)
    services.record_employment(
        acting_user=None,
        person=zhao,
        data={"status": "employed", "form": "company", "location_tier": "in_county",
              "employer_id": employer.pk},
        valid_from=old,
    )  # fmt: skip
    row = {
        "证件号码": zhao.id_number,
        "就业状态": "已就业",
        "就业形式": "企业务工",
        "就业地域": "区内乡镇外",
        "月收入": 3000,
        "状态日期": TODAY - datetime.timedelta(days=2),
    }
    assert run(write_xlsx(tmp_path / "a.xlsx", [row]), user=county_admin)["updated"] == 1
    assert current(zhao).employer_id == employer.pk and current(zhao).monthly_income == 3000
    other = {**row, "就业单位": "另一家厂", "状态日期": TODAY}
    assert run(write_xlsx(tmp_path / "b.xlsx", [other]), user=county_admin)["updated"] == 1
    assert current(zhao).employer_id is None and current(zhao).employer_name == "另一家厂"


def test_an_unchanged_state_dated_before_the_16th_birthday_is_not_an_error(
    tmp_path, household_factory, county_admin
):
    """A laborer today whose current state was recorded a little before they turned 16:
    the equal row is unchanged; a different row of that date is refused."""
    household = household_factory(members=[member("钱少年", 16, days=10)])
    young = household.members.get(name="钱少年")
    early = TODAY - datetime.timedelta(days=20)
    EmploymentRecord.objects.create(person=young, valid_from=early, status="unemployed")
    row = {"证件号码": young.id_number, "就业状态": "未就业", "状态日期": early}
    assert run(write_xlsx(tmp_path / "a.xlsx", [row]), user=county_admin)["unchanged"] == 1
    changed = {**row, "就业状态": "暂无就业意愿", "未就业原因": "在读在训"}
    result = run(write_xlsx(tmp_path / "b.xlsx", [changed]), user=county_admin)
    assert "未满16周岁" in result["errors"][0]["message"]


# --- rejection rules --------------------------------------------------------------------


def test_every_rule_rejects_its_row_with_column_and_reason(
    tmp_path, people, county_admin, household_factory
):
    zhao, qian, san = people["赵淑碧"], people["钱二妹"], people["钱三"]
    names = ["甲", "乙", "丙", "丁", "戊", "己", "庚"]
    more = household_factory(head_name="周光辉", members=[member(n, 30) for n in names])
    p = {x.name: x for x in more.members.all()}
    services.record_employment(
        acting_user=county_admin,
        person=san,
        data={"status": "unemployed"},
        valid_from=TODAY - datetime.timedelta(days=5),
    )
    ok = {"就业状态": "未就业"}
    rows = [
        employed(zhao),  # row 2: valid
        {"证件号码": zhao.id_number, **ok},  # 3: duplicate of row 2
        {"证件号码": "", **ok},  # 4
        {"证件号码": "500156198005170000", **ok},  # 5: wrong check digit
        {"证件号码": new_id(), **ok},  # 6: not registered
        {"证件号码": p["甲"].id_number, "姓名": "甲乙", **ok},  # 7
        {"证件号码": qian.id_number, "就业状态": "在家"},  # 8: not in the code list
        {"证件号码": qian.id_number},  # 9: status blank
        {"证件号码": p["乙"].id_number, "就业状态": "已就业"},  # 10: no form
        {"证件号码": p["丙"].id_number, "就业状态": "已就业", "就业形式": "企业务工"},  # 11
        {"证件号码": p["丁"].id_number, "就业状态": "暂无就业意愿"},  # 12: no reason
        {"证件号码": p["戊"].id_number, "就业状态": "未就业", "就业形式": "务农"},  # 13
        employed(qian, 就业地区代码="999999"),  # 14
        employed(p["己"], 就业地域="乡镇内"),  # 15: 44 is out of the province
        employed(qian, 月收入=-1),  # 16
        employed(qian, 开始日期="去年春天"),  # 17
        employed(qian, 状态日期=TODAY + datetime.timedelta(days=1)),  # 18
        employed(san, 状态日期=TODAY - datetime.timedelta(days=30)),  # 19: before current
        employed(qian, 是否签订劳动合同="可能"),  # 20
        {"证件号码": people["钱小小"].id_number, **ok},  # 21: 15 years old
        {"证件号码": people["钱老汉"].id_number, **ok},  # 22: 61
        {"证件号码": people["钱病人"].id_number, **ok},  # 23: lost the ability to work
        {"证件号码": p["庚"].id_number, "就业状态": "未就业", "就业地区代码": "500105"},  # 24
        employed(qian, 就业渠道="网上"),  # 25
    ]
    result = run(write_xlsx(tmp_path / "bad.xlsx", rows), user=county_admin)
    errors = errors_of(result)
    expected = {
        3: "证件号码：与第2行重复",
        4: "证件号码：必填项为空",
        5: "证件号码：",
        6: "证件号码：该证件号码未登记",
        7: "姓名：姓名“甲乙”与登记的姓名“甲”不符",
        8: "就业状态：“在家”不是有效的就业状态，可选值：已就业、未就业、暂无就业意愿",
        9: "就业状态：必填项为空",
        10: "就业形式：已就业须填写就业形式",
        11: "就业地区代码：已就业（务农除外）须填写就业地区代码或就业地域",
        12: "未就业原因：请选择暂无就业意愿的原因",
        13: "就业形式：未就业或暂无就业意愿时不填写就业信息",
        14: "就业地区代码：区划代码 999999 不存在",
        15: "就业地域：就业地域“乡镇内”与就业地区代码（市外）不符",
        16: "月收入：月收入不能为负数",
        17: "开始日期：无法识别的日期“去年春天”",
        18: "状态日期：状态日期不能晚于今天",
        19: "状态日期：状态日期不能早于该人员当前就业情况的日期",
        20: "是否签订劳动合同：“可能”不是有效的是否签订劳动合同，可选值：是、否",
        21: "证件号码：该人员在",
        22: "证件号码：该人员在",
        23: "证件号码：该人员劳动能力为“丧失劳动力”，不是贫困劳动力",
        24: "就业地区代码：未就业或暂无就业意愿时不填写就业信息",
        25: "就业渠道：“网上”不是有效的就业渠道，可选值：政府组织、企业招聘、亲友介绍/自发、"
        "劳务协作",
    }
    assert set(errors) == set(expected)
    for row, start in expected.items():
        assert any(e.startswith(start) for e in errors[row]), (row, errors[row])
    assert "未满16周岁" in errors[21][0] and "已超过60周岁" in errors[22][0]
    assert result["rows"] == 24 and result["rejected"] == 23 and result["created"] == 1
    # Only the valid row was written; the rejected people keep what they had.
    assert current(zhao).status == "employed"
    assert current(san).status == "unemployed"
    assert not EmploymentRecord.objects.exclude(person__in=[zhao, san]).exists()


def test_rejections_match_the_laborer_rule(tmp_path, people, county_admin):
    """Exactly the registered persons who are not laborers today are rejected as such."""
    rows = [{"证件号码": p.id_number, "就业状态": "未就业"} for p in people.values()]
    result = run(write_xlsx(tmp_path / "a.xlsx", rows), user=county_admin)
    rejected = {r - 2 for r in errors_of(result)}
    names = list(people)
    ids = set(laborers().values_list("pk", flat=True))
    assert {names[i] for i in rejected} == {n for n, p in people.items() if p.pk not in ids}


# --- jurisdiction and permissions -------------------------------------------------------


def test_township_operator_cannot_import_another_townships_person(
    tmp_path, people, township_operator, other_township_operator
):
    inside, outside = people["赵淑碧"], people["孙芙蓉"]
    path = write_xlsx(tmp_path / "a.xlsx", [employed(inside), employed(outside)])
    result = run(path, user=township_operator)
    assert errors_of(result) == {3: ["证件号码：该人员不在您的管辖范围内"]}
    assert current(inside) is not None and current(outside) is None

    only_outside = write_xlsx(tmp_path / "b.xlsx", [employed(people["钱二妹"])])
    result = run(only_outside, user=other_township_operator)
    assert result["rejected"] == 1 and result["created"] == 0
    assert current(people["钱二妹"]) is None


def test_village_clerk_imports_and_wrong_roles_are_refused(
    tmp_path, people, village_clerk, supervisor, leader
):
    path = write_xlsx(tmp_path / "a.xlsx", [employed(people["赵淑碧"])])
    for user in (supervisor, leader):
        with pytest.raises(CommandError, match="不能导入就业情况"):
            run(path, user=user)
    assert not EmploymentRecord.objects.exists()
    assert run(path, user=village_clerk)["created"] == 1


# --- the command's input and output -----------------------------------------------------


def test_unusable_input_exits_non_zero(tmp_path, people, county_admin):
    with pytest.raises(CommandError, match="文件不存在"):
        run(tmp_path / "missing.xlsx", user=county_admin)
    no_id = write_xlsx(tmp_path / "no_id.xlsx", [{"姓名": "赵淑碧"}], ["姓名", "就业状态"])
    with pytest.raises(CommandError, match="未找到表头行"):
        run(no_id, user=county_admin)
    no_status = write_xlsx(tmp_path / "no_status.xlsx", [{"证件号码": "x"}], ["证件号码", "姓名"])
    with pytest.raises(CommandError, match="缺少必需的列：就业状态"):
        run(no_status, user=county_admin)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(CommandError, match="无法读取文件"):
        run(broken, user=county_admin)
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(CommandError, match="不支持的文件类型"):
        run(tmp_path / "a.pdf", user=county_admin)
    good = write_xlsx(tmp_path / "good.xlsx", [employed(people["赵淑碧"])])
    with pytest.raises(CommandError, match="用户 nobody 不存在"):
        call_command("import", "laborers", str(good), "--user", "nobody", stdout=io.StringIO())
    assert not EmploymentRecord.objects.exists()


def test_text_output_dry_run_and_csv_with_gbk_and_titles(tmp_path, people, county_admin):
    zhao = people["赵淑碧"]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["贫困劳动力就业情况表"])
    writer.writerow(["身份证号码", "姓名", "就业情况", "就业方式", "务工地区代码", "月工资"])
    writer.writerow([zhao.id_number, "赵淑碧", "已就业", "扶贫车间", "500156001201", "2000"])
    writer.writerow(["", "", "失业", "", "", ""])
    path = tmp_path / "a.csv"
    path.write_bytes(text.getvalue().encode("gb18030"))
    out = io.StringIO()
    call_command(
        "import", "laborers", str(path), "--user", county_admin.username, "--dry-run", stdout=out
    )
    report = out.getvalue()
    assert "（试运行，未写入）共 2 行：新增 1 人" in report and "拒绝 1 行" in report
    assert "第4行 证件号码：必填项为空" in report
    assert not EmploymentRecord.objects.exists()
    assert run(path, user=county_admin)["created"] == 1
    assert current(zhao).location_tier == "in_township" and current(zhao).form == "workshop"


def test_errors_file_holds_the_rejected_rows_with_reasons(tmp_path, people, county_admin):
    zhao = people["赵淑碧"]
    rows = [
        employed(zhao),
        {"证件号码": people["钱小小"].id_number, "姓名": "钱小小", "就业状态": "未就业"},
        {"证件号码": zhao.id_number, "就业状态": "=cmd|' /C calc'!A0"},
    ]
    out = tmp_path / "errors.xlsx"
    result = run(write_xlsx(tmp_path / "a.xlsx", rows), "--errors", str(out), user=county_admin)
    assert result["rejected"] == 2
    sheet = openpyxl.load_workbook(out).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == [*HEADER, "错误原因"]
    assert values[1][0] == people["钱小小"].id_number and values[1][2] == "未就业"
    assert values[1][-1].startswith("第3行 证件号码：该人员在") and "未满16周岁" in values[1][-1]
    assert values[2][2] == "'=cmd|' /C calc'!A0"  # neutralised
    assert values[2][-1].startswith("第4行 就业状态：")
    assert len(values) == 3


def test_audit_entries_for_each_state_and_the_import(tmp_path, people, township_operator):
    zhao = people["赵淑碧"]
    run(write_xlsx(tmp_path / "a.xlsx", [employed(zhao)]), user=township_operator)
    record = current(zhao)
    entry = AuditLog.objects.get(
        object_type="employment.employmentrecord", object_id=str(record.pk)
    )
    assert entry.action == "create" and entry.username == township_operator.username
    assert entry.source == "cli" and entry.region_code == zhao.household.village_id
    assert entry.changes["status"] == "employed" and entry.context_key.startswith("household:")
    summary = AuditLog.objects.get(action="import", object_type="employment.employmentrecord")
    assert summary.changes == {"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert summary.region_code == township_operator.region_id


def test_a_failing_batch_leaves_no_half_written_rows(
    tmp_path, people, county_admin, settings, monkeypatch
):
    """A batch is one transaction: the person whose batch fails keeps their state (the
    closing of the old state is rolled back with the new one)."""
    zhao, qian = people["赵淑碧"], people["钱二妹"]
    old = TODAY - datetime.timedelta(days=30)
    for person in (zhao, qian):
        services.record_employment(
            acting_user=None, person=person, data={"status": "unemployed"}, valid_from=old
        )
    settings.FUPIN_IMPORT_BATCH_LABORERS = 1
    calls = []
    real = laborer_imports.execute

    def execute(inserts: Any) -> Any:
        calls.append(1)
        if len(calls) == 4:  # the second batch's audit entries, after its state writes
            raise KeyboardInterrupt  # killed
        return real(inserts)

    monkeypatch.setattr(laborer_imports, "execute", execute)
    path = write_xlsx(tmp_path / "a.xlsx", [employed(zhao), employed(qian)])
    with pytest.raises(KeyboardInterrupt):
        run(path, user=county_admin)
    assert current(zhao).status == "employed"
    assert current(qian).status == "unemployed" and current(qian).valid_from == old
    assert EmploymentRecord.objects.filter(person=qian).count() == 1
    monkeypatch.setattr(laborer_imports, "execute", real)
    again = run(path, user=county_admin)  # running it again completes it
    assert (again["unchanged"], again["updated"]) == (1, 1)


def test_template_has_the_columns_drop_downs_and_notes(tmp_path):
    path = tmp_path / "t.xlsx"
    laborer_imports.write_template(path)
    book = openpyxl.load_workbook(path)
    sheet = book["贫困劳动力就业情况"]
    assert [c.value for c in sheet[1]] == HEADER
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert '"已就业,未就业,暂无就业意愿"' in lists.values()
    assert '"是,否"' in lists.values()
    assert "说明" in book.sheetnames
    # The template imports as it is: a header without rows.
    assert laborer_imports.read_laborer_file(path).rows == []


# --- the upload pages -------------------------------------------------------------------


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def job_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def upload(client: Client, path: Path) -> Any:
    with path.open("rb") as handle:
        content = handle.read()
    return client.post(reverse("laborer-import"), {"file": SimpleUploadedFile(path.name, content)})


def test_upload_validate_then_confirm(tmp_path, people, township_operator, job_dir):
    client = client_for(township_operator)
    assert client.get(reverse("laborer-list")).content.decode().count(reverse("laborer-import"))
    assert client.get(reverse("laborer-import")).status_code == 200
    rows = [employed(people["赵淑碧"]), employed(people["孙芙蓉"])]  # the second: 芙蓉
    response = upload(client, write_xlsx(tmp_path / "就业.xlsx", rows))
    assert response.status_code == 302
    report = client.get(response["Location"])
    job = report.context["job"]
    assert job.params["dry_run"] and job.result["created"] == 1 and job.result["rejected"] == 1
    content = report.content.decode()
    assert "该人员不在您的管辖范围内" in content and "确认导入其余有效行" in content
    assert not EmploymentRecord.objects.exists()

    download = client.get(reverse("laborer-import-errors", kwargs={"pk": job.pk}))
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert "不在您的管辖范围内" in list(book.active.iter_rows(values_only=True))[1][-1]

    confirmed = client.post(reverse("laborer-import-confirm", kwargs={"pk": job.pk}))
    assert confirmed.status_code == 302
    assert current(people["赵淑碧"]).status == "employed" and current(people["孙芙蓉"]) is None
    done = client.get(confirmed["Location"])
    assert "导入完成" in done.content.decode()
    summary = AuditLog.objects.get(action="import", object_type="employment.employmentrecord")
    assert summary.source == "web" and summary.username == township_operator.username
    again = client.post(reverse("laborer-import-confirm", kwargs={"pk": job.pk}))
    assert again["Location"] == confirmed["Location"]
    assert EmploymentRecord.objects.count() == 1


def test_upload_refuses_other_files_and_hides_other_users_jobs(
    tmp_path, people, township_operator, county_admin, job_dir
):
    client = client_for(township_operator)
    bad = tmp_path / "a.txt"
    bad.write_bytes(b"hello")
    response = upload(client, bad)
    assert response.status_code == 200 and "只支持 .xlsx 或 .csv 文件" in response.content.decode()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    report = client.get(upload(client, broken)["Location"])
    assert report.context["job"].status == "failed" and "无法处理该文件" in report.content.decode()
    ok = upload(client, write_xlsx(tmp_path / "ok.xlsx", [employed(people["赵淑碧"])]))
    assert client_for(county_admin).get(ok["Location"]).status_code == 404


def test_template_download(township_operator):
    response = client_for(township_operator).get(reverse("laborer-import-template"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))] == HEADER


@pytest.mark.parametrize("name", ["laborer-import", "laborer-import-template"])
@pytest.mark.parametrize(
    "role, expected",
    [
        (None, 302),
        ("leader", 403),
        ("supervisor", 403),
        ("village_clerk", 200),
        ("township_operator", 200),
        ("county_admin", 200),
    ],
)
def test_import_pages_permission_matrix(db, request, name, role, expected):
    user = request.getfixturevalue(role) if role else None
    response = client_for(user).get(reverse(name))
    assert response.status_code == expected
    if expected == 302:
        assert reverse("login") in response["Location"]
    listing = client_for(user).get(reverse("laborer-list"))
    assert (reverse("laborer-import") in listing.content.decode()) == (expected == 200)

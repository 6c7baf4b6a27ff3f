"""The 11 work ledgers: contents against independent counts, government-form layout read
back with openpyxl, scoping, past dates, formula injection, masking, audit, the command
and the page (permission matrix, background job, download, expiry)."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from stdnum.cn import uscc

from fupin.core.context import acting_as
from fupin.core.models import AuditLog, Job
from fupin.employment import measure_services as ms
from fupin.employment import services as es
from fupin.ledgers import views as ledger_views
from fupin.ledgers.definitions import LEDGER_LIST, LEDGERS
from fupin.ledgers.services import export_ledger
from fupin.ledgers.writer import write_ledger
from fupin.regions.models import Region
from tests.conftest import (
    FENGSHAN,
    FENGSHAN_OTHER_VILLAGE,
    FENGSHAN_VILLAGE,
    FURONG,
    FURONG_VILLAGE,
    WULONG,
    new_id,
)

pytestmark = pytest.mark.django_db
D = datetime.date
AS_OF = D(2024, 12, 31)
ADULT = D(1985, 3, 1)


def credit_code(seq: int) -> str:
    body = f"91500156MA{seq:07d}"
    return body + uscc.calc_check_digit(body)


def adult(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "relation": "son",
        "name": name,
        "id_number": new_id(ADULT),
        "labor_ability": "ordinary",
        **extra,
    }


def employ(person: Any, day: D, **state: Any) -> None:
    es.record_employment(acting_user=None, person=person, valid_from=day, data=state)


COMPANY = {"status": "employed", "form": "company", "monthly_income": Decimal(4500)}


@pytest.fixture
def world(household_factory) -> dict[str, Any]:
    """凤山村: 户主一 (no record), 甲 company outside the province (formula-like employer),
    乙 at a workshop, 丙 employed then unemployed, 丁 farming, 戊 not seeking, a child and
    one unable to work; 黄渡村: 户主二, 庚 on a public-welfare post, 辛 exported;
    芙蓉街道: 户主三, 己 employed in the county. Measures in 凤山 dated 2024."""
    h1 = household_factory(
        FENGSHAN_VILLAGE,
        head_name="户主一",
        members=[
            adult("甲"),
            adult("乙"),
            adult("丙"),
            adult("丁"),
            adult("戊"),
            {**adult("小孩"), "id_number": new_id(D(2012, 1, 1))},
            adult("病人", labor_ability="lost"),
        ],
    )
    h2 = household_factory(
        FENGSHAN_OTHER_VILLAGE, head_name="户主二", members=[adult("庚"), adult("辛")]
    )
    h3 = household_factory(FURONG_VILLAGE, head_name="户主三", members=[adult("己")])
    p = {m.name: m for h in (h1, h2, h3) for m in h.members.all()}

    employ(
        p["甲"],
        D(2024, 2, 1),
        **COMPANY,
        location_tier="out_of_province",
        employer_name='=HYPERLINK("http://x")',
        has_contract=True,
    )
    employ(p["丙"], D(2024, 3, 1), **COMPANY, location_tier="in_county", employer_name="鑫源")
    employ(p["丙"], D(2024, 9, 1), status="unemployed")
    employ(p["丁"], D(2024, 3, 1), status="employed", form="farming", location_tier="in_township")
    employ(p["戊"], D(2024, 3, 1), status="not_seeking", not_seeking_reason="caring")
    employ(p["己"], D(2024, 3, 1), **COMPANY, location_tier="in_county")
    es.set_needs(
        acting_user=None, person=p["丙"], data={"service_needs": ["guidance"], "wished_job": "保安"}
    )
    for kind, day in (("guidance", D(2024, 10, 1)), ("job_push", D(2024, 11, 1))):
        es.add_service(acting_user=None, person=p["丙"], service_type=kind, date=day)
    es.add_service(acting_user=None, person=p["丙"], service_type="policy", date=D(2023, 5, 1))

    employer = ms.save_employer(
        acting_user=None,
        data={
            "credit_code": credit_code(1),
            "name": "武隆鑫源服饰有限公司",
            "region_id": FENGSHAN_VILLAGE,
            "trade": "C",
        },
    )
    workshop = ms.save_workshop(
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
    ms.employ_at_workshop(acting_user=None, workshop=workshop, person=p["乙"], start=D(2024, 4, 1))
    post_data = {
        "post_type": "cleaning",
        "unit": "凤山村委会",
        "region_id": FENGSHAN_VILLAGE,
        "monthly_pay": Decimal(792),
        "funding": "district",
        "developed_on": D(2020, 1, 1),
        "full_time": False,
    }
    post = ms.save_public_welfare_post(acting_user=None, data={**post_data, "title": "村道保洁"})
    ms.save_public_welfare_post(acting_user=None, data={**post_data, "title": "护林"})
    ms.place_on_post(acting_user=None, post=post, person=p["庚"], start=D(2024, 6, 1))
    startup = ms.save_startup(
        acting_user=None,
        data={
            "person": p["甲"],
            "business_name": "甲农家乐",
            "started_on": D(2021, 4, 1),
            "trade": "H",
            "jobs_created": 3,
        },
    )
    for amount, day in ((150000, D(2024, 5, 1)), (50000, D(2022, 5, 1))):
        ms.save_loan(
            acting_user=None,
            data={
                "startup": startup,
                "bank": "重庆农商行",
                "amount": Decimal(amount),
                "granted_on": day,
                "status": "granted",
            },
        )
    training = ms.save_training_class(
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
    enrollment = ms.enroll(acting_user=None, training=training, person=p["丙"])
    ms.update_enrollment(
        acting_user=None, instance=enrollment, data={"completed": True, "certificate": "月嫂证"}
    )
    batch = ms.save_export_batch(
        acting_user=None,
        data={
            "departed_on": D(2024, 2, 26),
            "mode": "bus",
            "region_id": FENGSHAN_VILLAGE,
            "destination_id": "500101",
            "other_workers": 3,
        },
    )
    ms.add_export_participant(acting_user=None, batch=batch, person=p["辛"])
    for seq, (region, day) in enumerate(
        ((FENGSHAN_VILLAGE, D(2024, 3, 1)), (FENGSHAN_VILLAGE, D(2023, 3, 1)),
         (FURONG_VILLAGE, D(2024, 4, 1))),
    ):  # fmt: skip
        ms.save_job_posting(
            acting_user=None,
            data={
                "employer": employer,
                "title": f"缝纫工{seq}",
                "trade": "C",
                "openings": 5,
                "filled": 2,
                "region_id": region,
                "source": "local",
                "valid_from": day,
            },
        )
    return p


def export(tmp_path: Path, user: Any, ledger: str, region: str, as_of: D = AS_OF) -> Any:
    path = tmp_path / f"{ledger}-{region}-{as_of}.xlsx"
    with acting_as(user):
        result = export_ledger(LEDGERS[ledger], path, region_code=region, as_of=as_of, user=user)
    return result, path


def read(path: Path | io.BytesIO, data_only: bool = True) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(path, data_only=data_only).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def records(rows: list[list[Any]]) -> list[dict[str, Any]]:
    """Data rows (between the header and the 合计 row) as dicts by header."""
    header = rows[2]
    return [dict(zip(header, r, strict=True)) for r in rows[3:-1]]


def names(path: Path, column: str = "姓名") -> set[str]:
    return {r[column] for r in records(read(path))}


# --- contents --------------------------------------------------------------------------

FENGSHAN_LABORERS = {"户主一", "甲", "乙", "丙", "丁", "戊", "户主二", "庚", "辛"}


def test_registry_has_the_11_ledgers_in_order():
    assert [x.id for x in LEDGER_LIST] == [
        "laborers", "transferred", "local", "workshops", "public_welfare", "startups",
        "training", "unemployed", "labor_export", "jobs", "subsidies",
    ]  # fmt: skip
    for ledger in LEDGER_LIST:
        assert ledger.title.endswith("台账") and ledger.columns


def test_person_ledgers_against_independent_sets(world, tmp_path, township_operator):
    expected = {
        "laborers": FENGSHAN_LABORERS,
        "transferred": {"甲", "乙", "庚", "辛"},  # employed, not farming
        "local": {"乙", "庚"},  # in the township / county; farming (丁) left out
        "unemployed": {"丙"},
    }
    for ledger, people in expected.items():
        result, path = export(tmp_path, township_operator, ledger, FENGSHAN)
        assert names(path) == people, ledger
        assert result.rows == len(people)
        assert read(path)[-1][:2] == ["合计", f"{len(people)}人"]
        queryset = LEDGERS[ledger].queryset(FENGSHAN, AS_OF, township_operator)
        assert queryset.count() == len(people)
    rows = {r["姓名"]: r for r in records(read(tmp_path / f"laborers-{FENGSHAN}-{AS_OF}.xlsx"))}
    assert rows["甲"]["就业状态"] == "已就业" and rows["甲"]["就业地域"] == "市外"
    assert rows["户主一"]["就业状态"] == "未填报"
    assert rows["丙"]["本年接受服务（次）"] == 2 and rows["丙"]["本年已服务"] == "是"
    assert rows["丙"]["服务需求"] == "职业指导" and rows["甲"]["年龄"] == 39
    unemployed = records(read(tmp_path / f"unemployed-{FENGSHAN}-{AS_OF}.xlsx"))[0]
    assert unemployed["职业指导（次）"] == 1 and unemployed["岗位推送（次）"] == 1
    assert unemployed["政策宣传（次）"] == 0 and unemployed["本年服务合计（次）"] == 2
    assert unemployed["最近服务日期"] == datetime.datetime(2024, 11, 1)


def test_measure_ledgers_against_independent_counts(world, tmp_path, township_operator):
    summaries = {x.id: x.summary(FENGSHAN, AS_OF, township_operator) for x in LEDGER_LIST}
    assert summaries["workshops"] == {
        "rows": 1, "totals": {"吸纳就业能力（人）": 30, "吸纳贫困劳动力（人）": 1}
    }  # fmt: skip
    assert summaries["public_welfare"]["rows"] == 2
    assert summaries["public_welfare"]["totals"]["在岗"] == 1
    startups = summaries["startups"]
    assert startups["rows"] == 1 and startups["totals"]["本年放款（笔）"] == 1
    assert startups["totals"]["本年放款金额（元）"] == Decimal(150000)
    assert startups["totals"]["累计贷款金额（元）"] == Decimal(200000)
    assert summaries["training"] == {
        "rows": 1,
        "totals": {"已结业": 1, "培训后就业": 0, "补贴标准（元/人）": Decimal(1500)},
    }
    export_totals = summaries["labor_export"]["totals"]
    assert summaries["labor_export"]["rows"] == 1
    assert export_totals["建档立卡人员（人）"] == 1 and export_totals["输出合计（人）"] == 4
    assert summaries["jobs"]["rows"] == 1  # 2024, in 凤山 (not 2023, not 芙蓉)
    assert summaries["jobs"]["totals"]["招聘人数"] == 5
    assert summaries["subsidies"] == {"rows": 0, "totals": {"发放金额（元）": 0}}
    # The workbook's 合计 row carries the same figures (values stored with the formulas).
    _, path = export(tmp_path, township_operator, "startups", FENGSHAN)
    rows = read(path)
    total = dict(zip(rows[2], rows[-1], strict=True))
    assert total["本年放款金额（元）"] == 150000 and total["带动就业（人）"] == 3
    formulas = dict(zip(rows[2], read(path, data_only=False)[-1], strict=True))
    assert formulas["带动就业（人）"].startswith("=SUBTOTAL(9,")
    post = {
        r["岗位名称"]: r
        for r in records(read(export(tmp_path, township_operator, "public_welfare", FENGSHAN)[1]))
    }
    assert post["村道保洁"]["在岗人员"] == "庚" and post["村道保洁"]["在岗"] == "是"
    assert post["护林"]["在岗人员"] is None


def test_county_sees_more_than_a_township(world, tmp_path, county_admin):
    _, path = export(tmp_path, county_admin, "laborers", WULONG)
    assert names(path) == FENGSHAN_LABORERS | {"户主三", "己"}
    _, path = export(tmp_path, county_admin, "transferred", WULONG)
    assert names(path) == {"甲", "乙", "庚", "辛", "己"}
    assert LEDGERS["jobs"].queryset(WULONG, AS_OF, county_admin).count() == 2
    assert LEDGERS["local"].queryset(FURONG, AS_OF, county_admin).count() == 1


# --- past dates -----------------------------------------------------------------------


def test_a_past_date_shows_the_state_on_that_date(world, tmp_path, township_operator):
    before_placement = D(2024, 5, 31)
    _, path = export(tmp_path, township_operator, "transferred", FENGSHAN, before_placement)
    assert names(path) == {"甲", "乙", "丙", "辛"}  # 丙 in the county until 1 September
    _, path = export(tmp_path, township_operator, "local", FENGSHAN, before_placement)
    assert names(path) == {"乙", "丙"}
    _, path = export(tmp_path, township_operator, "unemployed", FENGSHAN, before_placement)
    assert names(path) == set()
    _, path = export(tmp_path, township_operator, "public_welfare", FENGSHAN, before_placement)
    assert all(r["在岗"] is None for r in records(read(path)))
    _, path = export(tmp_path, township_operator, "laborers", FENGSHAN, before_placement)
    status = {r["姓名"]: r["就业状态"] for r in records(read(path))}
    assert status["丙"] == "已就业" and status["庚"] == "未填报"
    _, path = export(tmp_path, township_operator, "transferred", FENGSHAN, D(2024, 1, 31))
    assert names(path) == set()


# --- layout ---------------------------------------------------------------------------


def test_government_form_layout(world, tmp_path, township_operator):
    _, path = export(tmp_path, township_operator, "laborers", FENGSHAN)
    sheet = openpyxl.load_workbook(path).active
    last_col = openpyxl.utils.get_column_letter(sheet.max_column)
    assert sheet["A1"].value == "武隆区凤山街道贫困劳动力实名制台账"
    assert f"A1:{last_col}1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A2"].value == "填报单位：武隆区凤山街道"
    unit_row = [c.value for c in sheet[2] if c.value]
    assert unit_row[-1] == "截止日期：2024年12月31日"
    header = sheet[3]
    assert header[0].value == "序号" and header[1].value == "乡镇（街道）"
    assert all(c.font.b and c.border.left.style == "thin" for c in header)
    assert sheet["A4"].value == 1 and sheet["A4"].border.left.style == "thin"
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # One page wide (1 is the default, which xlsxwriter leaves out), any number of pages tall.
    assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.column_dimensions["G"].width > 15  # 证件号码
    last = sheet.max_row
    assert sheet.cell(last, 1).value == "合计" and sheet.cell(last, 1).font.b


def test_year_ledgers_say_their_period(world, tmp_path, township_operator):
    _, path = export(tmp_path, township_operator, "training", FENGSHAN)
    texts = [v for v in read(path)[1] if v]
    assert texts[-1] == "截止日期：2024年12月31日（统计期间自2024年1月1日起）"


def test_village_title_and_empty_ledger(world, tmp_path, village_clerk):
    _, path = export(tmp_path, village_clerk, "subsidies", FENGSHAN_VILLAGE)
    rows = read(path)
    assert rows[0][0] == "武隆区凤山街道凤山村就业扶贫补贴发放台账"
    assert rows[2][0] == "序号" and rows[3][:2] == ["合计", "0人"]


def test_fast_rows_match_the_public_api(world, tmp_path, county_admin):
    region = Region.objects.get(code=WULONG)
    for ledger in LEDGER_LIST:
        paths = []
        for fast in (True, False):
            path = tmp_path / f"{ledger.id}-{fast}.xlsx"
            write_ledger(
                ledger, path, region=region, as_of=AS_OF, user=county_admin, full_ids=True,
                fast=fast,
            )  # fmt: skip
            paths.append(path)
        assert read(paths[0]) == read(paths[1]), ledger.id
        styles = [
            [
                (c.number_format, c.font.b, c.border.left.style, c.alignment.horizontal)
                for row in openpyxl.load_workbook(p).active.iter_rows()
                for c in row
            ]
            for p in paths
        ]
        assert styles[0] == styles[1], ledger.id


def test_no_per_row_queries(world, tmp_path, county_admin, household_factory):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            for ledger in LEDGER_LIST:
                export(tmp_path, county_admin, ledger.id, WULONG)
        return len(captured)

    queries()  # warm the user's permission cache
    before = queries()
    for i in range(5):
        household_factory(FENGSHAN_VILLAGE, head_name=f"新户{i}", members=[adult(f"新{i}")])
    assert queries() == before


# --- safety: injection, masking, audit, scoping -------------------------------------


def test_formula_injection_is_neutralised(world, tmp_path, township_operator):
    _, path = export(tmp_path, township_operator, "transferred", FENGSHAN)
    sheet = openpyxl.load_workbook(path).active
    cells = [c for row in sheet.iter_rows(min_row=4) for c in row if c.value]
    employer = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert len(employer) == 1
    assert employer[0].value == '\'=HYPERLINK("http://x")' and employer[0].data_type == "s"


def test_ids_masked_unless_permitted(world, tmp_path, township_operator, county_admin):
    full = world["甲"].id_number
    _, path = export(tmp_path, township_operator, "laborers", FENGSHAN)
    masked = {r["姓名"]: r["证件号码"] for r in records(read(path))}["甲"]
    assert masked != full and masked.startswith(full[:6]) and masked.endswith(full[-4:])
    assert "*" in masked
    _, path = export(tmp_path, county_admin, "laborers", FENGSHAN)
    assert {r["姓名"]: r["证件号码"] for r in records(read(path))}["甲"] == full


def test_exports_are_audited(world, tmp_path, township_operator):
    export(tmp_path, township_operator, "laborers", FENGSHAN)
    entry = AuditLog.objects.get(action="export", object_type="ledgers.laborers")
    assert entry.username == township_operator.username
    assert entry.region_code == FENGSHAN
    assert entry.changes == {
        "ledger": "laborers", "as_of": "2024-12-31", "rows": 9, "full_ids": False
    }  # fmt: skip


def test_scoping(world, tmp_path, township_operator, village_clerk, outside_admin):
    for region in (FURONG, WULONG, "500119"):
        with pytest.raises(PermissionDenied):
            export(tmp_path, township_operator, "laborers", region)
    with pytest.raises(Region.DoesNotExist):
        export(tmp_path, township_operator, "laborers", "500156999")
    _, path = export(tmp_path, township_operator, "laborers", "")  # own jurisdiction
    assert names(path) == FENGSHAN_LABORERS
    _, path = export(tmp_path, village_clerk, "laborers", FENGSHAN_VILLAGE)
    assert names(path) == {"户主一", "甲", "乙", "丙", "丁", "戊"}
    with pytest.raises(PermissionDenied):
        export(tmp_path, village_clerk, "laborers", FENGSHAN_OTHER_VILLAGE)
    with pytest.raises(PermissionDenied):
        export(tmp_path, outside_admin, "laborers", WULONG)


# --- command --------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("ledger", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_command_list_and_export(world, tmp_path, township_operator):
    listing = run("list")
    assert all(x.id in listing and x.title in listing for x in LEDGER_LIST)
    assert len(json.loads(run("list", "--json"))["ledgers"]) == 11
    one = tmp_path / "one.xlsx"
    args = ["--region", FENGSHAN, "--user", township_operator.username, "--as-of", "2024-12-31"]
    text = run("export", "laborers", *args, "--out", str(one))
    assert "已导出 1 本台账" in text and names(one) == FENGSHAN_LABORERS
    folder = tmp_path / "all"
    payload = json.loads(run("export", "all", *args, "--out", str(folder), "--json"))
    assert [x["id"] for x in payload["ledgers"]] == list(LEDGERS)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{i}.xlsx" for i in LEDGERS)
    rows = {x["id"]: x["rows"] for x in payload["ledgers"]}
    assert rows["laborers"] == 9 and rows["transferred"] == 4 and rows["subsidies"] == 0
    assert all({"id", "rows", "path", "seconds"} <= set(x) for x in payload["ledgers"])


@pytest.mark.parametrize(
    "args,message",
    [
        (["nope", "--region", FENGSHAN], "未知的台账"),
        (["laborers", "--region", "500156999"], "不存在"),
        (["laborers", "--region", FURONG], "不在您的管辖范围内"),
        (["laborers", "--region", FENGSHAN, "--as-of", "2024-02-30"], "截止日期"),
        (["laborers", "--region", FENGSHAN, "--user", "nobody"], "用户 nobody 不存在"),
    ],
)
def test_command_errors(world, tmp_path, township_operator, args, message):
    if "--user" not in args:
        args = [*args, "--user", township_operator.username]
    with pytest.raises(CommandError, match=message):
        run("export", *args, "--out", str(tmp_path / "x.xlsx"))


# --- page -----------------------------------------------------------------------------


def browser(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def no_role(db) -> Any:
    return get_user_model().objects.create_user(
        username="norole", password="x", region=Region.objects.get(code=WULONG)
    )


def test_page_permission_matrix(world, no_role, township_operator, leader, supervisor):
    url = reverse("ledger-index")
    anonymous = browser(None).get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert browser(no_role).get(url).status_code == 403
    for user in (township_operator, leader, supervisor):
        page = browser(user).get(url)
        assert page.status_code == 200 and "贫困劳动力实名制台账" in page.content.decode()
    assert 'href="/ledgers/"' in browser(township_operator).get(reverse("home")).content.decode()
    post = {"ledger": "laborers", "region": FURONG_VILLAGE, "as_of": "2024-12-31"}
    assert browser(township_operator).post(url, post).status_code == 403
    assert browser(township_operator).post(url, {**post, "ledger": "nope"}).status_code == 404


def test_job_runs_and_owner_downloads(world, settings, tmp_path, township_operator,
                                      other_township_operator, leader):  # fmt: skip
    settings.VAR_DIR = tmp_path
    client = browser(township_operator)
    post = {"ledger": "laborers", "region": FENGSHAN_OTHER_VILLAGE, "as_of": "2024-12-31"}
    response = client.post(reverse("ledger-index"), post)
    job = Job.objects.get(kind="ledger")
    assert response.status_code == 302 and response["Location"] == reverse(
        "ledger-job", args=[job.pk]
    )
    assert job.status == "done" and job.result["rows"] == 3 and job.total == 3
    page = client.get(reverse("ledger-job", args=[job.pk])).content.decode()
    assert "下载台账" in page and "武隆区凤山街道黄渡村贫困劳动力实名制台账" in page
    partial = client.get(reverse("ledger-job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    download = client.get(reverse("ledger-download", args=[job.pk]))
    assert download.status_code == 200
    assert (
        "黄渡村" in download["Content-Disposition"]
        or "filename*" in download["Content-Disposition"]
    )
    body = io.BytesIO(b"".join(download.streaming_content))
    assert {r["姓名"] for r in records(read(body))} == {"户主二", "庚", "辛"}
    # Only the owner: others get 404, even with the permission.
    for other in (other_township_operator, leader):
        assert browser(other).get(reverse("ledger-download", args=[job.pk])).status_code == 404
        assert browser(other).get(reverse("ledger-job", args=[job.pk])).status_code == 404
    # A leader produces ledgers of the district too (masked IDs).
    response = browser(leader).post(reverse("ledger-index"), {**post, "region": ""})
    leader_job = Job.objects.filter(user=leader).get()
    assert leader_job.status == "done" and leader_job.params["region"] == WULONG
    assert leader_job.result["rows"] == 11


def test_files_expire(world, settings, tmp_path, township_operator):
    settings.VAR_DIR = tmp_path
    client = browser(township_operator)
    client.post(reverse("ledger-index"), {"ledger": "jobs", "region": "", "as_of": "2024-12-31"})
    job = Job.objects.get(kind="ledger")
    path = Path(job.result["file"])
    assert path.is_file()
    Job.objects.filter(pk=job.pk).update(created_at=job.created_at - datetime.timedelta(hours=25))
    assert client.get(reverse("ledger-download", args=[job.pk])).status_code == 404
    assert not path.exists()
    assert Job.objects.get(pk=job.pk).result["expired"] is True
    assert ledger_views.cleanup_expired() == 0
    assert "已过期" in client.get(reverse("ledger-index")).content.decode()


def test_subsidies_ledger_lists_payments_of_the_year(world, tmp_path, township_operator):
    """Paid claims of the as-of year, by paid date, in the township; drafts, failures,
    last year's payments and other townships' are not listed."""
    from fupin.subsidies.models import Application, Policy

    policy = Policy.objects.get(code="transport")

    def claim(person: Any, region: str, status: str, paid_on: D | None) -> None:
        Application.objects.create(
            policy=policy, person=person, region_id=region, period=str(AS_OF.year),
            amount=Decimal(500), status=status, paid_on=paid_on,
        )  # fmt: skip

    claim(world["甲"], FENGSHAN_VILLAGE, "paid", D(2024, 6, 30))
    claim(world["乙"], FENGSHAN_VILLAGE, "paid", D(2025, 1, 5))  # after the date
    claim(world["丙"], FENGSHAN_VILLAGE, "failed", None)
    claim(world["丁"], FENGSHAN_VILLAGE, "paid", D(2023, 12, 1))  # last year
    claim(world["己"], FURONG_VILLAGE, "paid", D(2024, 6, 30))  # another township
    _, path = export(tmp_path, township_operator, "subsidies", FENGSHAN)
    rows = records(read(path))
    assert [(r["姓名（单位）"], r["补贴项目"], r["发放金额（元）"]) for r in rows] == [
        ("甲", policy.name, 500)
    ]
    assert "*" in rows[0]["证件号码"]
    summary = LEDGERS["subsidies"].summary(FENGSHAN, AS_OF, township_operator)
    assert summary == {"rows": 1, "totals": {"发放金额（元）": Decimal(500)}}


def test_jobs_ledger_counts_pushes_and_outcomes_by_the_date(world, tmp_path, township_operator):
    """岗位信息及推送台账: per posting, the pushes to the user's laborers, how many reached
    interest and how many were hired — each as of the ledger's date."""
    from fupin.employment.models import JobPosting
    from fupin.matching.models import Push

    posting = JobPosting.objects.get(title="缝纫工0")  # 凤山, 2024
    for person, status, status_on in (
        (world["甲"], "hired", D(2024, 6, 1)),
        (world["乙"], "interested", D(2024, 5, 2)),
        (world["丙"], "declined", D(2024, 5, 3)),
        (world["丁"], "hired", D(2025, 1, 2)),  # hired after the ledger's date
    ):
        Push.objects.create(
            person=person, posting=posting, channel="phone", pushed_on=D(2024, 5, 1),
            status=status, status_on=status_on,
        )  # fmt: skip
    _, path = export(tmp_path, township_operator, "jobs", FENGSHAN)
    (row,) = records(read(path))
    assert (row["推送（人次）"], row["有意向（人次）"], row["推送录用（人）"]) == (4, 2, 1)
    earlier = LEDGERS["jobs"].summary(FENGSHAN, D(2024, 5, 31), township_operator)
    assert earlier["totals"]["推送（人次）"] == 4 and earlier["totals"]["推送录用（人）"] == 0

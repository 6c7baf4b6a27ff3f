"""Report page, xlsx export, dashboard page, its JSON data and /api/stats/: permission
matrix (anonymous, every role, outside the jurisdiction), contents, the xlsx read back,
and a fixed number of queries for the dashboard data whatever the number of townships."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from fupin.core.models import AuditLog
from fupin.regions.models import Region
from fupin.stats import dashboard
from fupin.stats.dashboard import month_ends
from fupin.stats.figures import figures
from tests.conftest import FENGSHAN, FENGSHAN_VILLAGE, FURONG, FURONG_VILLAGE, WULONG
from tests.test_stats import AS_OF, PAST, build_world, head, state

pytestmark = pytest.mark.django_db
DATE = {"as_of": AS_OF.isoformat()}
PAGES = ["/stats/", "/stats/dashboard/", "/stats/dashboard/data/", "/stats/export/"]
ROLES = ["county_admin", "township_operator", "village_clerk", "supervisor", "leader"]


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    return build_world()


def browser(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(url):
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_its_own_jurisdiction(world, request, role, url):
    user = request.getfixturevalue(role)
    response = browser(user).get(url, DATE)
    assert response.status_code == 200, response.content[:300]
    if url == "/stats/dashboard/data/":
        expected = figures(None, AS_OF, user)
        assert response.json()["region"]["code"] == user.region_id
        assert response.json()["laborers"] == expected["laborers"]


@pytest.mark.parametrize("url", PAGES)
def test_outside_the_jurisdiction_is_refused(world, township_operator, outside_admin, url):
    for user, region in ((township_operator, FURONG), (township_operator, WULONG)):
        response = browser(user).get(url, {**DATE, "region": region})
        assert response.status_code == 403
    response = browser(outside_admin).get(url, {**DATE, "region": WULONG})
    assert response.status_code == 403
    if url == "/stats/dashboard/data/":
        assert "不在您的管辖范围内" in response.json()["error"]


def test_unknown_region_and_bad_date(world, county_admin):
    client = browser(county_admin)
    assert client.get("/stats/", {"region": "500156999"}).status_code == 404
    data = client.get("/stats/dashboard/data/", {"region": "500156999"})
    assert data.status_code == 404 and "不存在" in data.json()["error"]
    bad = client.get("/stats/dashboard/data/", {"as_of": "2024-02-30"})
    assert bad.status_code == 400 and "格式不正确" in bad.json()["error"]
    page = client.get("/stats/", {"as_of": "2999-01-01"})
    assert page.status_code == 200 and "不能晚于今天" in page.content.decode()


def test_report_page(world, county_admin):
    html = browser(county_admin).get("/stats/", DATE).content.decode()
    for text in (
        "武隆区 · 就业帮扶统计",
        "转移就业（人）",
        "其中：市外",
        "各乡镇（街道）",
        "凤山街道",
    ):
        assert text in html
    assert f'href="?region={FENGSHAN}&as_of=2024-12-31"' in html  # drill down
    assert "/stats/export/?region=500156&amp;as_of=2024-12-31" in html
    village = browser(county_admin).get("/stats/", {**DATE, "region": FENGSHAN}).content.decode()
    assert "各村（社区）" in village and "凤山村" in village and "本级" in village
    # The picker's township select (no village chosen) gives the township.
    picked = browser(county_admin).get(
        "/stats/", {**DATE, "region": "", "region__township": FURONG}
    )
    assert "武隆区芙蓉街道 · 就业帮扶统计" in picked.content.decode()


def test_xlsx_read_back_neutralised_and_audited(world, county_admin):
    Region.objects.create(code="500156998", name="=HYPERLINK(1)", level=4, parent_id=WULONG)
    response = browser(county_admin).get("/stats/export/", DATE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["主要指标", "各乡镇（街道）"]
    head_sheet = book["主要指标"]
    assert head_sheet["A1"].value == "武隆区就业帮扶统计（截至2024-12-31）"
    assert [c.value for c in head_sheet[2]] == ["指标", "数值"]
    values = {
        row[0].strip(): row[1]
        for row in head_sheet.iter_rows(min_row=3, values_only=True)
        if row[0]
    }
    assert values["转移就业（人）"] == 5 and values["贫困劳动力（人）"] == 8
    assert values["创业担保贷款金额（元）"] == 150_000 and values["就业服务覆盖率（%）"] == 25
    assert values["其中：务工地在广东省"] == 1
    table = book["各乡镇（街道）"]
    assert table.freeze_panes == "A3"
    header = [c.value for c in table[2]]
    assert header[:5] == ["区划代码", "名称", "贫困劳动力", "已就业", "转移就业"]
    body = list(table.iter_rows(min_row=3, values_only=True))
    by_name = {row[1]: row for row in body}
    assert by_name["凤山街道"][2:5] == (6, 5, 4)
    assert by_name["合计"][2] == 8 and by_name["合计"][4] == 5
    assert "'=HYPERLINK(1)" in by_name  # formula text neutralised
    entry = AuditLog.objects.filter(action="export", object_type="stats.figures").get()
    assert entry.region_code == WULONG and entry.username == county_admin.username
    assert entry.changes["as_of"] == "2024-12-31"


def test_dashboard_page(world, leader):
    html = browser(leader).get("/stats/dashboard/", DATE).content.decode()
    assert "数据驾驶舱" in html and "vendor/echarts/echarts.min.js" in html
    assert "stats/dashboard.js" in html
    assert 'data-url="/stats/dashboard/data/?region=500156&amp;as_of=2024-12-31"' in html
    assert '<div class="figure">25.0%</div>' in html  # coverage tile
    assert 'href="/stats/dashboard/"' in html  # nav link, also for leaders
    drilled = browser(leader).get("/stats/dashboard/", {**DATE, "region": FENGSHAN})
    assert "武隆区凤山街道 · 数据驾驶舱" in drilled.content.decode()
    assert f"?region={WULONG}&as_of=2024-12-31" in drilled.content.decode()  # back up
    assert finders.find("vendor/echarts/echarts.min.js") and finders.find("stats/dashboard.js")
    assert finders.find("vendor/echarts/LICENSE")
    moved = browser(leader).get("/dashboard/", {"region": FENGSHAN})
    assert moved.status_code == 302 and moved["Location"] == f"/stats/dashboard/?region={FENGSHAN}"


def test_dashboard_data(world, county_admin):
    data = browser(county_admin).get("/stats/dashboard/data/", DATE).json()
    assert data["laborers"] == 8 and data["transferred"] == 5
    assert data["labels"]["tiers"]["out_of_province"] == "市外"  # Chongqing wording
    assert data["labels"]["forms"]["workshop"] == "扶贫车间"
    assert data["child_level"] == "乡镇（街道）"
    assert {d["name"]: d["value"] for d in data["destinations"]} == {
        "重庆市": 3,
        "广东省": 1,
        "山东省": 1,
    }
    trend = data["trend"]
    assert len(trend["months"]) == 24 and trend["months"][-1] == "2024-12"
    assert trend["dates"][-1] == "2024-12-31"
    assert (trend["employed"][-1], trend["transferred"][-1]) == (6, 5)
    assert "laborers" not in trend  # the dashboard draws employment only
    # Every month-end point is the state on that day, as `figures` counts it.
    for day in (PAST, month_ends(AS_OF)[0], month_ends(AS_OF)[-6]):
        k = trend["dates"].index(day.isoformat())
        then = figures(WULONG, day, county_admin)
        assert trend["employed"][k] == then["employed"], day
        assert trend["transferred"][k] == then["transferred"], day
    assert trend["transferred"][trend["months"].index("2023-12")] == 0  # no history yet


def test_trend_mid_month_and_removed_people(world, county_admin):
    """A mid-month as-of date ends the trend with that day; removed people leave it."""
    gone = head(FURONG_VILLAGE, "壬九")
    state(gone, PAST.replace(day=1), status="employed", form="company", location_tier="in_county")
    gone.removed_on = PAST.replace(month=8, day=20)
    gone.save(update_fields=["removed_on"])
    mid = AS_OF.replace(month=9, day=15)
    data = browser(county_admin).get("/stats/dashboard/data/", {"as_of": mid.isoformat()}).json()
    assert data["trend"]["dates"][-1] == mid.isoformat()
    assert data["trend"]["transferred"][-1] == figures(WULONG, mid, county_admin)["transferred"]
    trend = dashboard.trend(county_admin, WULONG, mid, with_laborers=True)
    for k, day in enumerate(month_ends(mid)[:-1]):
        then = figures(WULONG, day, county_admin)
        assert (trend["laborers"][k], trend["transferred"][k]) == (
            then["laborers"],
            then["transferred"],
        ), day


def data_queries(user: Any, region: str) -> int:
    client = browser(user)
    client.get("/stats/dashboard/data/", {**DATE, "region": region})  # session, warm-up
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/stats/dashboard/data/", {**DATE, "region": region})
    assert response.status_code == 200
    return len(queries)


def test_dashboard_data_has_a_fixed_number_of_queries(world, county_admin, township_operator):
    district = data_queries(county_admin, WULONG)
    township = data_queries(township_operator, FENGSHAN)
    # Region, 11 grouped figures, child names, parents, 2 trend queries, province names;
    # the rest is session and permissions.
    assert district == township <= 25
    # More townships with data: the same queries.
    for village in ("500156101201", "500156109201", FURONG_VILLAGE):
        if Region.objects.filter(code=village).exists():
            head(village, "新增劳动力")
    assert data_queries(county_admin, WULONG) == district
    assert data_queries(county_admin, FENGSHAN_VILLAGE) <= district


def test_api_stats(world, township_operator, outside_admin, leader):
    api = APIClient()
    api.force_authenticate(township_operator)
    mine = api.get("/api/stats/", DATE)
    assert mine.status_code == 200 and mine.json()["region"]["code"] == FENGSHAN
    assert mine.json()["laborers"] == 6 and len(mine.json()["townships"]) >= 2
    assert api.get("/api/stats/", {**DATE, "region": FURONG}).status_code == 403
    bad = api.get("/api/stats/", {"as_of": "yesterday"})
    assert bad.status_code == 400 and "格式不正确" in bad.json()["as_of"][0]
    api.force_authenticate(outside_admin)
    assert api.get("/api/stats/", {**DATE, "region": WULONG}).status_code == 403
    api.force_authenticate(leader)
    assert api.get("/api/stats/", {**DATE, "region": FENGSHAN_VILLAGE}).json()["laborers"] == 4
    assert APIClient().get("/api/stats/").status_code in (401, 403)

"""Statistics (fupin/stats/figures.py): every figure against a hand count on a small
district, the per-township / per-village breakdown, a past date after status changes,
scoping, and the `fupin stats` command. The `world` built here is shared by
test_stats_ledgers.py and test_dashboard.py."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import Http404
from stdnum.cn import uscc

from fupin.employment import measure_services as s
from fupin.employment import services
from fupin.employment.selectors import laborers, transferred_condition, with_state
from fupin.regions.models import Region
from fupin.stats.figures import COUNTS, figures
from tests.conftest import (
    FENGSHAN,
    FENGSHAN_OTHER_VILLAGE,
    FENGSHAN_VILLAGE,
    FURONG,
    FURONG_VILLAGE,
    WULONG,
    make_household,
    new_id,
)

pytestmark = pytest.mark.django_db
D = datetime.date
AS_OF = D(2024, 12, 31)
PAST = D(2024, 5, 31)  # before A finds work, the export batch and the later posts


def credit_code(seq: int) -> str:
    body = f"91500156MA{seq:07d}"
    return body + uscc.calc_check_digit(body)


def head(village: str, name: str, members: list[dict] | None = None) -> Any:
    """A household whose head (born 1980, able to work) is the laborer `name`."""
    household = make_household(village, head_name=name, members=members or [])
    return household.members.get(relation="head")


def state(person: Any, day: datetime.date, **data: Any) -> None:
    services.record_employment(acting_user=None, person=person, data=data, valid_from=day)


def build_world() -> dict[str, Any]:
    """Eight laborers in three villages of two townships, and one record of every measure,
    with changes during 2024 (the hand counts are in the tests' expectations).

    凤山村 (凤山街道): A unemployed → company job in Shenzhen on 2024-06-01; B farming;
    C on a public-welfare post from 2024-03-01; D nothing recorded (a 65-year-old and a
    14-year-old live with D: not laborers). 黄渡村 (凤山街道): E at a workshop in 三坪村
    from 2024-02-01; F in an adaptive training, then exported to Jinan on 2024-07-01.
    三坪村 (芙蓉街道): G a startup with a loan granted 2024-05-10; H unemployed.
    """
    for code, name, level, parent in (
        ("44", "广东省", 1, None),
        ("4403", "深圳市", 2, "44"),
        ("440306", "宝安区", 3, "4403"),
        ("37", "山东省", 1, None),
        ("3701", "济南市", 2, "37"),
        ("370102", "历下区", 3, "3701"),
    ):
        Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent_id": parent}
        )
    old = {"relation": "father", "name": "钱老汉", "labor_ability": "ordinary"}
    young = {"relation": "son", "name": "钱小小", "labor_ability": "ordinary"}
    old["id_number"] = new_id(D(1959, 1, 1))
    young["id_number"] = new_id(D(2010, 1, 1))
    p = {
        "A": head(FENGSHAN_VILLAGE, "甲一"),
        "B": head(FENGSHAN_VILLAGE, "乙二"),
        "C": head(FENGSHAN_VILLAGE, "丙三"),
        "D": head(FENGSHAN_VILLAGE, "丁四", members=[old, young]),
        "E": head(FENGSHAN_OTHER_VILLAGE, "戊五"),
        "F": head(FENGSHAN_OTHER_VILLAGE, "己六"),
        "G": head(FURONG_VILLAGE, "庚七"),
        "H": head(FURONG_VILLAGE, "辛八"),
    }
    state(p["A"], D(2024, 1, 10), status="unemployed")
    state(
        p["A"],
        D(2024, 6, 1),
        status="employed",
        form="company",
        location_tier="out_of_province",
        destination_id="440306",
        monthly_income=Decimal(4800),
    )
    state(p["B"], D(2024, 1, 10), status="employed", form="farming", location_tier="in_township")
    state(p["H"], D(2024, 2, 1), status="unemployed")
    state(
        p["G"],
        D(2024, 4, 1),
        status="employed",
        form="startup",
        location_tier="in_township",
        destination_id=FURONG,
    )
    for person in (p["A"], p["H"]):
        services.set_needs(acting_user=None, person=person, data={"service_needs": ["referral"]})
    services.add_service(acting_user=None, person=p["A"], service_type="policy", date=D(2024, 2, 1))
    services.add_service(
        acting_user=None, person=p["H"], service_type="job_push", date=D(2024, 3, 1)
    )
    services.add_service(acting_user=None, person=p["D"], service_type="policy", date=D(2023, 6, 1))

    employer = s.save_employer(
        acting_user=None,
        data={
            "credit_code": credit_code(11),
            "name": "武隆芙蓉电子有限公司",
            "region_id": FURONG_VILLAGE,
            "trade": "C",
        },
    )

    def workshop(name: str, recognized: datetime.date, **extra: Any) -> Any:
        data = {
            "name": name,
            "employer": employer,
            "region_id": FURONG_VILLAGE,
            "recognized_on": recognized,
            "document_number": "武人社发〔2023〕1号",
            "capacity": 20,
            **extra,
        }
        return s.save_workshop(acting_user=None, data=data)

    w1 = workshop("三坪电子扶贫车间", D(2023, 5, 1))
    workshop("三坪竹编扶贫车间", D(2024, 8, 1))
    workshop("三坪旧车间", D(2022, 1, 1), revoked_on=D(2024, 3, 1), revocation_reason="停产")
    s.employ_at_workshop(acting_user=None, workshop=w1, person=p["E"], start=D(2024, 2, 1))

    def post(title: str, village: str, developed: datetime.date) -> Any:
        data = {
            "title": title,
            "post_type": "cleaning",
            "unit": "村委会",
            "region_id": village,
            "monthly_pay": Decimal(792),
            "funding": "district",
            "developed_on": developed,
            "full_time": False,
        }
        return s.save_public_welfare_post(acting_user=None, data=data)

    held = post("村道保洁", FENGSHAN_VILLAGE, D(2024, 1, 1))
    post("河道保洁", FENGSHAN_VILLAGE, D(2024, 1, 1))
    post("护林员", FURONG_VILLAGE, D(2024, 7, 1))
    s.place_on_post(acting_user=None, post=held, person=p["C"], start=D(2024, 3, 1))

    startup = s.save_startup(
        acting_user=None,
        data={
            "person": p["G"],
            "business_name": "庚七农家乐",
            "started_on": D(2019, 3, 1),
            "trade": "H",
        },
    )
    for amount, granted, status in (
        (150_000, D(2024, 5, 10), "granted"),
        (50_000, D(2019, 4, 1), "repaid"),
        (200_000, None, "applied"),
    ):
        s.save_loan(
            acting_user=None,
            data={
                "startup": startup,
                "bank": "重庆农商行",
                "amount": Decimal(amount),
                "granted_on": granted,
                "status": status,
            },
        )

    def training(name: str, kind: str, start: datetime.date) -> Any:
        data = {
            "name": name,
            "training_type": kind,
            "provider": "武隆职教中心",
            "region_id": FENGSHAN,
            "start": start,
            "end": start + datetime.timedelta(days=9),
        }
        return s.save_training_class(acting_user=None, data=data)

    s.enroll(
        acting_user=None, training=training("适应性培训", "adaptive", D(2024, 4, 1)), person=p["F"]
    )
    s.enroll(
        acting_user=None, training=training("电工培训", "skills", D(2023, 4, 1)), person=p["A"]
    )

    batch = s.save_export_batch(
        acting_user=None,
        data={
            "departed_on": D(2024, 7, 1),
            "mode": "flight",
            "region_id": FENGSHAN,
            "destination_id": "370102",
            "other_workers": 3,
        },
    )
    s.add_export_participant(acting_user=None, batch=batch, person=p["F"])

    for name, day, offered in (
        ("春风行动", D(2024, 3, 15), 120),
        ("2023年招聘会", D(2023, 3, 1), 80),
    ):
        s.save_recruitment_event(
            acting_user=None,
            data={
                "name": name,
                "mode": "onsite",
                "date": day,
                "region_id": FENGSHAN_VILLAGE,
                "posts_offered": offered,
            },
        )
    return p


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    return build_world()


def flat(data: dict[str, Any]) -> dict[str, Any]:
    """The figures without names and dates (for comparing with expectations)."""
    return {k: data[k] for k in (*COUNTS, "coverage")}


EXPECTED_AS_OF = {
    "laborers": 8,
    "employed": 6,
    "transferred": 5,
    "recruitment_events": 1,
    "posts_offered": 120,
    "workshops": 2,
    "workshop_laborers": 1,
    "public_welfare_posts": 3,
    "public_welfare_on_post": 1,
    "startup_loans": 1,
    "startup_loan_amount": 150_000,
    "training_enrollments": 1,
    "export_batches": 1,
    "export_workers": 1,
    "served": 2,
    "unemployed_with_needs": 1,
    "job_pushes": 0,
    "push_interested": 0,
    "push_hires": 0,
    "subsidies_paid": 0,
    "subsidy_amount": 0,
    "coverage": 0.25,
}


def test_every_figure_against_a_hand_count(world, county_admin):
    data = figures(WULONG, AS_OF, county_admin)
    assert flat(data) == EXPECTED_AS_OF
    assert data["transferred_by_tier"] == {
        "in_township": 2,  # C (post in her village), G (startup)
        "in_county": 1,  # E (workshop in another township)
        "in_province": 0,
        "out_of_province": 2,  # A (Shenzhen), F (Jinan)
    }
    assert data["transferred_by_form"] == {
        "company": 2,
        "workshop": 1,
        "public_welfare": 1,
        "startup": 1,
        "flexible": 0,
    }
    assert data["training_by_type"] == {"skills": 0, "startup": 0, "adaptive": 1, "work_based": 0}
    assert data["transferred_by_province"] == {"44": 1, "37": 1, "50": 3}
    assert data["region"] == {"code": WULONG, "name": "武隆区"}
    assert (data["as_of"], data["year_start"]) == ("2024-12-31", "2024-01-01")
    json.dumps(data)  # JSON-ready


def test_pushes_and_paid_subsidies(world, county_admin, township_operator):
    """Job pushes of the year (hires among them, by the as-of date) and subsidies paid in
    the year, counted where the laborer lives; the same as the subsidies ledger."""
    from fupin.employment.models import Employer
    from fupin.ledgers.definitions import LEDGERS
    from fupin.matching.models import Push
    from fupin.subsidies.models import Application, Policy

    posting = s.save_job_posting(
        acting_user=None,
        data={"employer": Employer.objects.first(), "title": "普工", "trade": "C",
              "openings": 3, "region_id": FENGSHAN_VILLAGE, "source": "local",
              "valid_from": D(2024, 3, 1)},
    )  # fmt: skip
    for person, status, status_on, pushed_on in (
        (world["A"], "hired", D(2024, 6, 1), D(2024, 5, 1)),
        (world["H"], "pushed", None, D(2024, 5, 1)),
        (world["B"], "hired", D(2025, 1, 3), D(2024, 12, 20)),  # hired after the date
        (world["G"], "pushed", None, D(2023, 11, 1)),  # last year
    ):
        Push.objects.create(
            person=person, posting=posting, channel="phone", pushed_on=pushed_on,
            status=status, status_on=status_on,
        )  # fmt: skip
    policy = Policy.objects.get(code="transport")
    for person, paid_on in ((world["A"], D(2024, 7, 1)), (world["F"], D(2025, 2, 1))):
        Application.objects.create(
            policy=policy, person=person, region_id=person.household.village_id, period="2024",
            amount=Decimal(500), status="paid", paid_on=paid_on,
        )  # fmt: skip
    data = figures(WULONG, AS_OF, county_admin)
    assert (data["job_pushes"], data["push_hires"], data["push_conversion"]) == (3, 1, 0.3333)
    assert data["push_interested"] == 1  # A (hired); B's hire comes after the date
    assert (data["subsidies_paid"], data["subsidy_amount"]) == (1, 500)
    assert data["subsidies_by_policy"] == {"transport": 1}
    township = figures(FENGSHAN, AS_OF, township_operator)
    ledger = LEDGERS["subsidies"].summary(FENGSHAN, AS_OF, township_operator)
    assert township["subsidies_paid"] == ledger["rows"]
    assert township["subsidy_amount"] == ledger["totals"]["发放金额（元）"]
    assert (township["job_pushes"], township["push_hires"]) == (2, 1)  # A and B live in 凤山
    assert figures(FURONG, AS_OF, county_admin)["job_pushes"] == 1  # H


def test_figures_agree_with_the_selectors(world, county_admin):
    """The same counts through the employment selectors, independently of the GROUP BYs."""
    data = figures(WULONG, AS_OF, county_admin)
    people = with_state(laborers(AS_OF).in_region(WULONG), AS_OF)
    assert data["laborers"] == people.count()
    assert data["transferred"] == people.filter(transferred_condition()).count()
    assert data["employed"] == people.filter(status="employed").count()
    assert data["unemployed_with_needs"] == people.filter(status="unemployed").count()


def test_per_township_and_per_village(world, county_admin):
    data = figures(WULONG, AS_OF, county_admin)
    rows = {r["code"]: r for r in data["townships"]}
    townships = Region.objects.filter(code__startswith=WULONG, level=4).count()
    assert len(data["townships"]) == townships  # every township, with zeros
    fengshan, furong = rows[FENGSHAN], rows[FURONG]
    assert fengshan["name"] == "凤山街道"
    assert (fengshan["laborers"], fengshan["transferred"], fengshan["served"]) == (6, 4, 1)
    assert (fengshan["public_welfare_posts"], fengshan["public_welfare_on_post"]) == (2, 1)
    assert (fengshan["export_batches"], fengshan["export_workers"]) == (1, 1)
    assert (fengshan["recruitment_events"], fengshan["training_enrollments"]) == (1, 1)
    assert (fengshan["workshops"], fengshan["workshop_laborers"]) == (0, 0)
    assert (furong["laborers"], furong["transferred"], furong["unemployed_with_needs"]) == (2, 1, 1)
    assert (furong["workshops"], furong["workshop_laborers"]) == (2, 1)  # E works in 芙蓉
    assert (furong["startup_loans"], furong["startup_loan_amount"]) == (1, 150_000)
    assert furong["coverage"] == 0.5
    for key in COUNTS:  # the township rows add up to the district
        assert sum(r[key] for r in data["townships"]) == data[key], key

    village = figures(FENGSHAN, AS_OF, county_admin)
    rows = {r["code"]: r for r in village["townships"]}
    assert rows[FENGSHAN_VILLAGE]["laborers"] == 4 and rows[FENGSHAN_OTHER_VILLAGE]["laborers"] == 2
    assert rows[FENGSHAN_VILLAGE]["name"] == "凤山村"
    own = rows[FENGSHAN]  # the batch organised by the township itself
    assert own["name"] == "本级" and (own["export_batches"], own["export_workers"]) == (1, 1)
    assert village["laborers"] == 6 and village["export_workers"] == 1

    leaf = figures(FENGSHAN_VILLAGE, AS_OF, county_admin)
    assert leaf["townships"] == [] and leaf["laborers"] == 4


def test_past_date_after_status_changes(world, county_admin):
    data = figures(WULONG, PAST, county_admin)
    assert flat(data) == {
        **EXPECTED_AS_OF,
        "employed": 4,  # B farming, C post, E workshop, G startup
        "transferred": 3,  # A unemployed until June, F not yet exported
        "unemployed_with_needs": 2,  # A and H
        "workshops": 1,  # the second one is recognised in August
        "public_welfare_posts": 2,  # the 护林员 post is developed in July
        "export_batches": 0,
        "export_workers": 0,
        "coverage": 0.25,
    }
    assert data["transferred_by_tier"]["out_of_province"] == 0
    assert data["year_start"] == "2024-01-01"
    earlier = figures(WULONG, D(2023, 12, 31), county_admin)
    assert (earlier["recruitment_events"], earlier["posts_offered"]) == (1, 80)
    assert earlier["training_by_type"]["skills"] == 1 and earlier["startup_loans"] == 0
    assert earlier["served"] == 1  # D's service in 2023


def test_scoping(world, county_admin, township_operator, village_clerk, outside_admin, leader):
    own = figures(None, AS_OF, township_operator)
    assert own["region"]["code"] == FENGSHAN and own["laborers"] == 6
    assert figures(FENGSHAN_VILLAGE, AS_OF, township_operator)["laborers"] == 4
    with pytest.raises(PermissionDenied):
        figures(FURONG, AS_OF, township_operator)
    with pytest.raises(PermissionDenied):
        figures(WULONG, AS_OF, township_operator)  # above the jurisdiction
    with pytest.raises(PermissionDenied):
        figures(WULONG, AS_OF, outside_admin)
    assert figures(None, AS_OF, outside_admin)["laborers"] == 0  # 南川区: nothing here
    assert figures(None, AS_OF, village_clerk)["laborers"] == 4
    with pytest.raises(PermissionDenied):
        figures(FENGSHAN_OTHER_VILLAGE, AS_OF, village_clerk)
    assert figures(None, AS_OF, leader)["laborers"] == 8
    with pytest.raises(Http404):
        figures("500156999", AS_OF, county_admin)
    with pytest.raises(Http404):
        figures("5001x", AS_OF, None)
    # The system (CLI without --user) sees everything.
    assert figures(WULONG, AS_OF, None)["laborers"] == 8


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("stats", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_cli_json_shape(world, township_operator):
    data = json.loads(run("--region", WULONG, "--as-of", "2024-12-31", "--json"))
    assert flat(data) == EXPECTED_AS_OF
    assert set(data) >= {
        "region",
        "as_of",
        "transferred_by_tier",
        "transferred_by_form",
        "training_by_type",
        "townships",
    }
    assert {"code", "name", "laborers", "coverage", "transferred_by_tier"} <= set(
        data["townships"][0]
    )
    user = township_operator.username
    mine = json.loads(run("--region", FENGSHAN, "--as-of", "2024-05-31", "--user", user, "--json"))
    assert mine["region"]["name"] == "武隆区凤山街道" and mine["transferred"] == 2


def test_cli_table_and_xlsx(world, tmp_path):
    out = tmp_path / "stats.xlsx"
    text = run("--region", WULONG, "--as-of", "2024-12-31", "--out", str(out))
    assert "武隆区就业帮扶统计（截至 2024-12-31）" in text
    assert "转移就业（人）" in text and "凤山街道" in text and "合计" in text
    assert "25.0%" in text and out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "5001x"], "格式不正确"),
        (["--region", "500156999"], "不存在"),
        (["--region", WULONG, "--as-of", "2024-13-01"], "格式不正确"),
        (["--region", WULONG, "--as-of", "2999-01-01"], "不能晚于今天"),
        (["--region", WULONG, "--user", "nobody"], "用户 nobody 不存在"),
        (
            ["--region", FURONG, "--user", "fengshan_operator"],
            "不在用户 fengshan_operator 的管辖范围内",
        ),
        (["--region", WULONG, "--out", "x.csv"], ".xlsx"),
    ],
)
def test_cli_errors(township_operator, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)

"""Review of matching, ledgers and statistics: each test shows one defect found in review
(it failed before the fix)."""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from fupin.employment.models import JobPosting
from fupin.ledgers.writer import RowStream, _formats, _write_cell
from fupin.matching import services
from fupin.matching.selectors import recommendations
from tests.conftest import FENGSHAN, NANCHUAN_VILLAGE
from tests.test_ledgers import export, read, records, world  # noqa: F401
from tests.test_matching import SEWING, jinan, laborer, posting  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


# --- matching: hard limits also hold for a push ------------------------------------------


def test_push_refuses_postings_that_break_a_hard_limit(household_factory, firm, village_clerk):
    """The push form offers every visible posting; a push must not send one the matching
    would never recommend (physical demand, age, education, lawful sex, own county)."""
    person = laborer(
        household_factory,
        "孙老四",
        years=50,
        education="primary",
        health="chronic",
        needs={**SEWING, "near_home": True},
    )
    breaking = {
        "heavy": posting(firm, physical_demand="heavy"),
        "age": posting(firm, age_max=45),
        "education": posting(firm, education_min="初中"),
        "sex": posting(firm, sex_requirement="女", sex_requirement_basis="女职工劳动保护特别规定"),
        "outside_county": posting(firm, region_id=NANCHUAN_VILLAGE),
    }
    for name, job in breaking.items():
        with pytest.raises(ValidationError):
            services.push_postings(
                acting_user=village_clerk, person=person, postings=[job], channel="phone"
            )
        assert not job.pushes.exists(), name
    fine = posting(firm)
    pushed = services.push_postings(
        acting_user=village_clerk, person=person, postings=[fine], channel="phone"
    )
    assert [p.posting_id for p in pushed] == [fine.pk]


@pytest.fixture
def firm(db):
    from tests.test_matching import employer

    return employer()


# --- matching: outcomes move forward in time too ----------------------------------------


def test_outcome_date_cannot_go_back_before_the_previous_step(
    household_factory, firm, village_clerk
):
    person = laborer(household_factory, "周五", needs=SEWING)
    job = posting(firm)
    push = services.push_postings(
        acting_user=village_clerk,
        person=person,
        postings=[job],
        channel="visit",
        on=TODAY - datetime.timedelta(days=10),
    )[0]
    push = services.record_outcome(
        acting_user=village_clerk,
        push=push,
        status="interested",
        on=TODAY - datetime.timedelta(days=2),
    )
    with pytest.raises(ValidationError):
        services.record_outcome(
            acting_user=village_clerk,
            push=push,
            status="interviewed",
            on=TODAY - datetime.timedelta(days=5),
        )
    push.refresh_from_db()
    assert (push.status, push.status_on) == ("interested", TODAY - datetime.timedelta(days=2))


# --- matching: an expired posting drops out of stored recommendations at once -----------


def test_expired_posting_is_no_longer_recommended(household_factory, firm, township_operator):
    person = laborer(household_factory, "吴六", needs=SEWING)
    job = posting(firm, valid_to=TODAY + datetime.timedelta(days=5))
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert recommendations(township_operator).filter(posting=job).exists()
    # The closing date passes before the next run.
    JobPosting.objects.filter(pk=job.pk).update(
        valid_from=TODAY - datetime.timedelta(days=30), valid_to=TODAY - datetime.timedelta(days=1)
    )
    assert not recommendations(township_operator).filter(posting=job).exists()
    client = APIClient()
    client.force_authenticate(township_operator)
    response = client.get("/api/recommendations/", {"laborer": person.pk})
    assert response.status_code == 200
    assert [r["posting"]["id"] for r in response.json()["results"]] == []


# --- the fast ledger row writer -----------------------------------------------------------


def _row_xml(fast: bool, values: list) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    fmt = _formats(book)
    ws = book.add_worksheet("s")
    for col in range(len(values) + 1):
        ws.write_string(2, col, "表头", fmt["header"])
    if fast:
        RowStream(ws, fmt, len(values) + 1).write(3, values, ["text"] * len(values))
    else:
        ws.write_number(3, 0, 1, fmt["int"])
        for col, value in enumerate(values, start=1):
            _write_cell(ws, 3, col, "text", value, fmt)
    ws.write_string(4, 0, "合计", fmt["total_label"])
    book.close()
    data = buffer.getvalue()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    return data, re.search(r'<row r="4".*?</row>', sheet, re.S).group(0)


def test_fast_rows_truncate_strings_longer_than_excel_allows_like_the_public_api():
    """Excel refuses (repairs) a cell over 32,767 UTF-16 units; xlsxwriter's write_string
    truncates. Astral characters (emoji) count twice."""
    values = ["长" * 40000, "😀" * 20000, "a" * 32767, "x😀" * 11000, "&<>" * 12000]
    fast, fast_row = _row_xml(True, values)
    public, public_row = _row_xml(False, values)
    # Style indexes are numbered in another order by the fast path; the rest is the same.
    assert re.sub(r' s="\d+"', "", fast_row) == re.sub(r' s="\d+"', "", public_row)
    row = list(openpyxl.load_workbook(io.BytesIO(fast)).active.iter_rows(values_only=True))[3]
    for text in row[1:]:
        assert len(text.encode("utf-16-le")) // 2 <= 32767


# --- ledgers: phones are personal data, masked like ID numbers -----------------------------


def test_leader_ledger_does_not_carry_full_phone_numbers(world, tmp_path, leader):  # noqa: F811
    """A leader sees figures only (no registry access, no view_full_id): the laborer ledger
    must not hand them every laborer's full mobile number."""
    person = world["甲"]
    person.phone = "13912345678"
    person.save(update_fields=["phone"])
    _, path = export(tmp_path, leader, "laborers", FENGSHAN)
    phones = {r["姓名"]: r["联系电话"] for r in records(read(path))}
    assert phones["甲"] != "13912345678"
    assert phones["甲"].startswith("139") and phones["甲"].endswith("5678")


# --- bad input: a clear Chinese message, never a 500 ----------------------------------------


def _browser(user):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("year", ["0", "10000", "99999999999"])
def test_push_figures_with_an_impossible_year(county_admin, year):
    response = _browser(county_admin).get("/matching/stats/", {"year": year})
    assert response.status_code == 200


def test_recommendations_api_with_an_id_too_large(county_admin):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(county_admin)
    for key in ("laborer", "job"):
        response = client.get("/api/recommendations/", {key: "9" * 25})
        assert response.status_code == 400, key


@pytest.mark.parametrize("as_of", ["0001-01-01", "0002-03-01", "0075-12-31"])
def test_statistics_with_an_as_of_date_in_antiquity(county_admin, as_of):
    browser = _browser(county_admin)
    for url in ("/stats/", "/stats/dashboard/"):
        response = browser.get(url, {"as_of": as_of})
        assert response.status_code == 200, url
        assert "过早" in response.content.decode()
    response = browser.get("/stats/dashboard/data/", {"as_of": as_of})
    assert response.status_code == 400 and "过早" in response.json()["error"]
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(county_admin)
    response = client.get("/api/stats/", {"as_of": as_of})
    assert response.status_code == 400 and "过早" in str(response.json())


def test_ledger_with_an_as_of_date_in_antiquity(county_admin, tmp_path):
    from django.core.management import CommandError, call_command

    from fupin.core.models import Job

    response = _browser(county_admin).post(
        "/ledgers/", {"region": "500156", "as_of": "0001-01-01", "ledger": "laborers"}
    )
    assert response.status_code == 200 and "过早" in response.content.decode()
    assert not Job.objects.exists()
    with pytest.raises(CommandError, match="过早"):
        call_command(
            "ledger", "export", "laborers", "--region", "500156", "--user", county_admin.username,
            "--as-of", "0001-01-01", "--out", str(tmp_path / "x.xlsx"),
        )  # fmt: skip


# --- dashboard trend: 29 February --------------------------------------------------------


def test_trend_counts_people_born_on_29_february_like_the_figures(county_admin):
    """Born 1960-02-29: still 60 (a laborer) on 2021-02-28, 61 from 1 March. The trend's
    month-end points must agree with `figures` on those dates (the month index alone says
    he left in February)."""
    from fupin.employment import services as es
    from fupin.registry.services import register_household
    from fupin.stats import dashboard
    from fupin.stats.dashboard import month_ends
    from fupin.stats.figures import figures
    from tests.conftest import FENGSHAN_VILLAGE, new_id

    leap = register_household(
        acting_user=None,
        household={
            "number": "500156001201L29",
            "village_id": FENGSHAN_VILLAGE,
            "household_type": "ordinary_poor",
            "status": "exited",
            "identified_year": 2014,
            "exit_year": 2019,
            "main_cause": "illness",
        },
        members=[
            {
                "relation": "head",
                "name": "闰日生",
                "id_number": new_id(datetime.date(1960, 2, 29)),
                "labor_ability": "ordinary",
            }
        ],
    ).members.get()
    assert leap.birth_date == datetime.date(1960, 2, 29)
    es.record_employment(
        acting_user=None,
        person=leap,
        valid_from=datetime.date(2020, 1, 1),
        data={"status": "employed", "form": "company", "location_tier": "in_county"},
    )
    day = datetime.date(2021, 6, 30)
    trend = dashboard.trend(county_admin, "500156", day, with_laborers=True)
    for k, point in enumerate(month_ends(day)):
        then = figures("500156", point, county_admin)
        got = (trend["laborers"][k], trend["employed"][k], trend["transferred"][k])
        assert got == (then["laborers"], then["employed"], then["transferred"]), point


@pytest.mark.parametrize("minimum", ["大学及以上", "研究生", "硕士及以上", "博士"])
def test_education_minimum_in_other_words_is_still_a_limit(household_factory, firm, minimum):
    """最低学历 is free text: a minimum the rank table did not know counted as no limit, so
    a junior-school laborer got a graduate posting."""
    from tests.test_matching import recommended

    person = laborer(household_factory, "冯八", education="junior", needs=SEWING)
    job = posting(firm, education_min=minimum)
    services.run_matching(acting_user=None, region_code=FENGSHAN)
    assert job.pk not in recommended(person)


# --- engine: tables too large to keep are computed per chunk ------------------------------


def test_engine_computes_rows_per_chunk_when_a_table_is_over_budget(monkeypatch):
    """A province-wide run (many townships × postings) exceeds TABLE_BUDGET for the place
    rows; those rows came back already padded and were padded again (ValueError)."""
    from benchmarks.matching import synthetic
    from fupin.matching.engine import Matcher
    from fupin.matching.reference import ReferenceMatcher

    monkeypatch.setattr(Matcher, "TABLE_BUDGET", 1000)
    laborers, postings = synthetic(200, 301, seed=3)  # 301 postings: not whole blocks
    matcher = Matcher(laborers, postings)
    assert any(group.table is None for group in matcher.groups)
    result = matcher.run(10, chunk=64)
    assert matcher.allowed(result.laborer, result.posting).all()
    reference = ReferenceMatcher(laborers, postings)
    got: dict[int, list] = {}
    for li, pj, score in zip(result.laborer, result.posting, result.score, strict=True):
        got.setdefault(int(li), []).append((int(pj), round(float(score), 1)))
    for i in range(0, 200, 9):
        assert got.get(i, []) == reference.top(i, 10), i


# --- matching: one hire at a time -----------------------------------------------------------


def test_a_second_hire_while_still_in_the_first_job_is_refused(
    household_factory, firm, village_clerk
):
    """Hired on the same day through a second push, the second employment record replaced
    the first (same-day correction): posting 1 kept the opening taken for a job that no
    longer exists in the history, and its push pointed at posting 2's record."""
    from fupin.employment.models import EmploymentRecord

    person = laborer(household_factory, "陈九", needs=SEWING)
    first, second = posting(firm, "缝纫工"), posting(firm, "包装工")
    pushes = services.push_postings(
        acting_user=village_clerk, person=person, postings=[first, second], channel="visit"
    )
    for push in pushes:
        for status in ("interested", "interviewed"):
            push = services.record_outcome(acting_user=village_clerk, push=push, status=status)
    services.record_outcome(acting_user=village_clerk, push=pushes[0], status="hired")
    with pytest.raises(ValidationError):
        services.record_outcome(acting_user=village_clerk, push=pushes[1], status="hired")
    second.refresh_from_db()
    assert second.filled == 0
    record = EmploymentRecord.objects.get(person=person, valid_to=None)
    assert record.employer_name == firm.name and record.trade == first.trade
    pushes[0].refresh_from_db()
    assert pushes[0].employment_record_id == record.pk


def test_push_form_with_a_posting_id_too_large(household_factory, county_admin):
    person = laborer(household_factory, "褚十", needs=SEWING)
    response = _browser(county_admin).post(
        f"/matching/laborers/{person.pk}/push/",
        {"postings": ["9" * 25], "channel": "phone", "on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    assert not person.job_pushes.exists()


# --- the ledger writer: Excel's row limit ----------------------------------------------------


def test_ledger_beyond_excels_row_limit_is_refused_not_cut_or_corrupt(
    world,  # noqa: F811
    tmp_path,
    township_operator,
    monkeypatch,
):
    """A province-wide ledger can pass 1,048,576 rows: the fast path wrote rows Excel
    cannot open, the public API silently dropped them (and the 合计 row)."""
    from django.core.management import CommandError, call_command

    from fupin.ledgers import writer
    from fupin.ledgers.definitions import LEDGERS
    from fupin.regions.models import Region

    monkeypatch.setattr(writer, "MAX_ROWS", 8)  # title, unit, header, 4 rows, 合计
    region = Region.objects.get(code=FENGSHAN)
    for fast in (True, False):
        with pytest.raises(ValueError, match="行"):
            writer.write_ledger(
                LEDGERS["laborers"],
                tmp_path / f"x{fast}.xlsx",
                region=region,
                as_of=datetime.date(2024, 12, 31),
                user=township_operator,
                full_ids=False,
                fast=fast,
            )
    with pytest.raises(CommandError, match="行"):
        call_command(
            "ledger", "export", "laborers", "--region", FENGSHAN, "--as-of", "2024-12-31",
            "--user", township_operator.username, "--out", str(tmp_path / "y.xlsx"),
        )  # fmt: skip
    monkeypatch.setattr(writer, "MAX_ROWS", 13)  # 9 rows fit exactly
    result, path = export(tmp_path, township_operator, "laborers", FENGSHAN)
    assert result.rows == 9 and read(path)[-1][0] == "合计"

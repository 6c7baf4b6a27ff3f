"""The demo's current layer (fupin.employment.demo_current) on a small district: postings
open today, recommendations for the laborers who want work, paid subsidy claims — and the
2020 figures exactly as before. Idempotent and deterministic."""

from __future__ import annotations

import datetime
import json
import random
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from fupin.core.models import AuditLog
from fupin.employment import choices as c
from fupin.employment import models as m
from fupin.employment.demo import Figures, count_figures, generate_employment
from fupin.employment.demo_current import build_current, open_today, plan_postings, seeking_today
from fupin.employment.selectors import laborers, with_state
from fupin.matching.models import Recommendation
from fupin.registry.demo import FENGSHAN, REFERENCE_DATE, WULONG, generate_demo_district
from fupin.subsidies.models import Application, Payment

HOUSEHOLDS = 400


@pytest.fixture
def district(db):
    figures = Figures.for_households(HOUSEHOLDS)
    generate_demo_district(
        seed=5, households=HOUSEHOLDS, township_laborers={FENGSHAN: figures.fengshan_laborers}
    )
    generate_employment(figures, seed=5)


def _states_2020() -> list[tuple]:
    people = with_state(laborers(REFERENCE_DATE).in_region(WULONG), REFERENCE_DATE)
    return sorted(people.values_list("pk", "state_id", "status", "form"))


def _snapshot() -> dict[str, list]:
    return {
        "postings": sorted(
            m.JobPosting.objects.values_list("id", "status", "openings", "filled", "valid_to")
        ),
        "needs": sorted(m.Needs.objects.values_list("id", "person_id")),
        "records": sorted(m.EmploymentRecord.objects.values_list("id", "valid_to")),
        "recommendations": sorted(
            Recommendation.objects.values_list("id", "person_id", "posting_id", "rank")
        ),
        "applications": sorted(Application.objects.values_list("id", "status")),
        "payments": sorted(Payment.objects.values_list("id", "status")),
        "verifications": [m.Verification.objects.count()],
        "services": [m.Service.objects.count()],
        "audit": [AuditLog.objects.count()],
    }


def test_current_layer(district):
    today = datetime.date.today()
    figures_before, states_before = count_figures(), _states_2020()
    assert not open_today(WULONG, today).exists()  # the 2020 postings are all closed

    summary = build_current(seed=5)

    # 1. Postings taking people on today, spread over the townships, from demo employers.
    current = list(open_today(WULONG, today))
    assert len(current) == summary["postings"]["created"] == summary["postings"]["open"] >= 60
    for job in current:
        assert job.status == c.JobStatus.OPEN and job.filled < job.openings
        assert today - datetime.timedelta(days=61) <= job.valid_from < today < job.valid_to
        assert job.valid_to <= today + datetime.timedelta(days=150)
        assert job.wage_min <= job.wage_max
        assert not job.recruitmentevent_set.exists()  # outside the 2020 event figures
    sources = {job.source for job in current}
    assert {c.JobSource.LOCAL, c.JobSource.PARTNER} <= sources
    assert sum(job.caring_post for job in current) >= 3
    assert len({job.region_id[:9] for job in current if job.region_id.startswith(WULONG)}) >= 10
    assert all(not job.region_id.startswith("50") for job in current if job.source == "partner")
    assert len({job.trade for job in current}) >= 4

    # 2. Laborers unemployed today who want work, all with needs.
    seeking = seeking_today(WULONG)
    assert seeking.count() == summary["needs"]["seeking"] > 0
    assert not seeking.filter(needs__isnull=True).exists()

    # 3. Recommendations for them, against the current postings only.
    recommended = set(Recommendation.objects.values_list("person_id", flat=True))
    assert recommended and recommended <= set(seeking.values_list("pk", flat=True))
    assert len(recommended) > 0.5 * seeking.count()
    open_ids = {job.pk for job in current}
    assert set(Recommendation.objects.values_list("posting_id", flat=True)) <= open_ids
    assert summary["matching"]["recommendations"] == Recommendation.objects.count()

    # 4. Subsidy claims of 凤山街道 for the current period, paid.
    paid = Application.objects.in_region(FENGSHAN).filter(status="paid")
    assert paid.exists() and summary["subsidies"]["paid"] == paid.count()
    assert not Application.objects.exclude(region__code__startswith=FENGSHAN).exists()

    # 5. Upkeep: most laborers verified in the last period (some left overdue), about three
    # in four served this year — so this year's coverage and the overdue flags are realistic.
    people = laborers(today).in_region(WULONG)
    since = today - datetime.timedelta(days=settings.FUPIN_VERIFY_EVERY_DAYS - 1)
    fresh = people.filter(verifications__verified_on__gte=since).distinct().count()
    assert 0.8 * people.count() <= fresh == summary["upkeep"]["verified"] < people.count()
    served = people.filter(
        services__date__gte=today.replace(month=1, day=1), services__date__lte=today
    )
    share = served.distinct().count() / people.count()
    assert 0.6 <= share <= 0.9 and served.distinct().count() == summary["upkeep"]["served"]

    # The 2020 figures and states are untouched.
    assert count_figures() == figures_before
    assert _states_2020() == states_before

    # Running it again changes nothing.
    before = _snapshot()
    again = build_current(seed=5)
    assert _snapshot() == before
    assert again["postings"]["created"] == again["needs"]["added"] == 0
    assert again["matching"]["skipped"] and again["subsidies"]["created"] == 0
    assert again["upkeep"]["skipped"]
    assert again["postings"]["open"] == summary["postings"]["open"]

    # The demo command on the existing district reports the layer (and skips it).
    out = StringIO()
    call_command("demo", "--json", stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue())
    assert result["current"]["postings"] == again["postings"]
    assert result["current"]["subsidies"]["paid"] == paid.count()
    assert _snapshot()["postings"] == before["postings"]
    out = StringIO()
    call_command("demo", stdout=out, stderr=StringIO())
    assert "招聘中岗位" in out.getvalue() and "人岗匹配" in out.getvalue()


def test_plan_is_deterministic(district):
    today = datetime.date.today()
    first = plan_postings(random.Random(1), today, WULONG)
    assert first == plan_postings(random.Random(1), today, WULONG)
    assert first != plan_postings(random.Random(2), today, WULONG)

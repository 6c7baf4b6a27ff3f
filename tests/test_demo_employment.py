"""The employment demo: the allocation meets given targets exactly, through the system's own
counts (a reduced district; the full one with the published figures is checked by
benchmarks/demo_figures.py, which takes about a minute)."""

from __future__ import annotations

import datetime
from collections import defaultdict

import pytest
from stdnum.cn import uscc

from fupin.employment import models as m
from fupin.employment.demo import (
    Figures,
    count_figures,
    generate_employment,
    load_laborers,
    plan_employment,
)
from fupin.employment.selectors import laborers, with_state
from fupin.registry.demo import FENGSHAN, REFERENCE_DATE, WULONG, generate_demo_district

HOUSEHOLDS = 1_500
TARGETS = Figures(
    transferred=1_450,
    workshops=12,
    workshop_laborers=30,
    public_welfare=240,
    loans_total=1_230_000,
    events=16,
    posts_offered=777,
    fengshan_laborers=61,
    fengshan_posts=20,
    fengshan_placed=15,
    fengshan_adaptive=12,
    fengshan_shandong=3,
    scale=0.08,
)


@pytest.fixture
def district(db):
    generate_demo_district(
        seed=5, households=HOUSEHOLDS, township_laborers={FENGSHAN: TARGETS.fengshan_laborers}
    )


def test_targets_met_exactly_and_consistently(district):
    counts = generate_employment(TARGETS, seed=5)
    n = count_figures()
    assert n["fengshan_laborers"] == TARGETS.fengshan_laborers
    assert n["transferred"] == TARGETS.transferred
    assert (n["workshops"], n["workshop_laborers"]) == (12, TARGETS.workshop_laborers)
    assert n["public_welfare"] == n["public_welfare_matched"] == TARGETS.public_welfare
    assert n["loans_total"] == TARGETS.loans_total
    assert (n["events"], n["posts_offered"], n["postings_openings"]) == (16, 777, 777)
    assert n["valid_credit_codes"] == n["employers"] > 0
    assert n["fengshan_posts"] == TARGETS.fengshan_posts
    assert n["fengshan_placed"] == n["fengshan_placed_by_residence"] == TARGETS.fengshan_placed
    assert n["fengshan_adaptive"] == n["fengshan_adaptive_by_residence"] == 12
    assert n["fengshan_shandong"] == TARGETS.fengshan_shandong

    # Every laborer has exactly one state on the reference date, and only laborers have any.
    people = with_state(laborers(REFERENCE_DATE).in_region(WULONG), REFERENCE_DATE)
    states = list(people.values_list("pk", "state_id", "status", "form"))
    assert len(states) == counts["laborers"] and all(s[1] for s in states)
    assert m.EmploymentRecord.objects.filter(valid_to=None).count() == len(states)
    statuses = {s[2] for s in states}
    assert statuses == {"employed", "unemployed", "not_seeking"}
    assert {s[3] for s in states} >= {
        "company",
        "workshop",
        "public_welfare",
        "startup",
        "flexible",
        "farming",
    }

    # History: dated states since 2018, each closed by the next one; no overlap.
    history = defaultdict(list)
    for person, start, end in m.EmploymentRecord.objects.values_list(
        "person", "valid_from", "valid_to"
    ).order_by("person", "valid_from"):
        history[person].append((start, end))
    assert sum(len(h) > 1 for h in history.values()) > 0.1 * len(history)
    assert any(len(h) >= 3 for h in history.values())
    for h in history.values():
        assert h[0][0] >= datetime.date(2018, 1, 1) and h[-1][1] is None
        for (start, end), (nxt, _) in zip(h, h[1:], strict=False):
            assert start < end == nxt

    records = m.EmploymentRecord.objects.filter(valid_to=None, status="employed")
    assert not records.filter(form="").exists()
    assert not records.exclude(form="farming").filter(location_tier="").exists()
    assert not m.EmploymentRecord.objects.filter(
        status="not_seeking", not_seeking_reason=""
    ).exists()
    wages = records.filter(form="company").values_list("monthly_income", flat=True)
    assert min(wages) >= 2500 and max(wages) <= 6000
    provinces = {
        code[:2] for code in records.filter(form="company").values_list("destination_id", flat=True)
    }
    assert provinces >= {"50", "44", "33", "35", "37"}
    assert (
        m.Needs.objects.count()
        >= records.model.objects.filter(valid_to=None, status="unemployed").count()
    )
    served = m.Service.objects.filter(date__year=2020).values("person").distinct().count()
    assert served > 0.9 * len(states)
    for placement in m.Placement.objects.select_related("post"):
        assert placement.end is None and placement.start >= placement.post.developed_on
    assert m.ExportBatch.objects.filter(mode="flight", destination__code__startswith="37").exists()
    assert m.ExportParticipant.objects.count() > 0
    assert m.Workshop.objects.filter(revoked_on__isnull=False).count() == 1
    for code in m.Employer.objects.values_list("credit_code", flat=True):
        assert uscc.is_valid(code)


def test_plan_is_deterministic(district):
    people = load_laborers()
    first = plan_employment(people, TARGETS, seed=5)
    assert first == plan_employment(people, TARGETS, seed=5)
    assert first != plan_employment(people, TARGETS, seed=6)


def test_scaled_figures():
    assert Figures.for_households(18_000) == Figures()
    small = Figures.for_households(1_800)
    assert (small.transferred, small.fengshan_laborers, small.events) == (1_741, 119, 16)
    assert small.loans_total % 10_000 == 0

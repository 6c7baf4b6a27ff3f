"""Reads for matching: the unemployed laborers of a region and the postings they may be
offered, as the engine's arrays (a few set-based queries, no query per person)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import F, Q, QuerySet

from fupin.core.dates import age_on
from fupin.employment import choices as ec
from fupin.employment.models import Enrollment, JobPosting
from fupin.employment.selectors import laborers, with_state
from fupin.matching.engine import LaborerArrays, PostingArrays
from fupin.matching.features import (
    PHYSICAL_RANK,
    SEX_CODE,
    TIERS,
    TRADES,
    education_rank,
    hardship,
    physical_capacity,
)
from fupin.matching.models import open_postings_condition
from fupin.regions.models import Region


@dataclass
class RegionViewer:
    """Stands for "whoever holds region `code`" when the system runs matching (nightly):
    postings are then chosen by the same `for_user` rule a user of that region gets."""

    region_id: str
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False


def unemployed_laborers(
    region_code: str, as_of: datetime.date | None = None, user: Any = None
) -> QuerySet:
    """Laborers of the region whose current state is 未就业 (they want work)."""
    people = laborers(as_of)
    if user is not None:
        people = people.for_user(user)
    people = people.in_region(region_code)
    return with_state(people, as_of).filter(status=ec.Status.UNEMPLOYED)


def open_postings(viewer: Any, as_of: datetime.date | None = None) -> QuerySet:
    """Postings the viewer sees (district-wide and partner regions) that are taking people
    on `as_of`: open, openings left, published and not past their closing date."""
    day = as_of or datetime.date.today()
    return (
        JobPosting.objects.for_user(viewer)
        .filter(open_postings_condition())
        .filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("id")
    )


LABORER_FIELDS = (
    "id",
    "birth_date",
    "sex",
    "education",
    "health",
    "disability_grade",
    "labor_ability",
    "village",
    "needs__wished_trade",
    "needs__wished_job",
    "needs__wished_tier",
    "needs__wished_region_id",
    "needs__expected_wage",
    "needs__near_home",
)


def laborer_arrays(queryset: QuerySet, as_of: datetime.date | None = None) -> LaborerArrays:
    day = as_of or datetime.date.today()
    rows = list(
        queryset.annotate(village=F("household__village_id"))
        .order_by("id")
        .values_list(*LABORER_FIELDS)
    )
    ids = [r[0] for r in rows]
    skills: dict[int, list[str]] = defaultdict(list)
    for person, occupation, certificate in (
        Enrollment.objects.filter(person_id__in=ids, completed=True)
        .order_by("person_id", "training__start", "id")
        .values_list("person_id", "training__occupation", "certificate")
    ):
        skills[person].extend(x for x in (occupation, certificate) if x)
    ages = [age_on(r[1], day) for r in rows]
    trade_index = {t: i for i, t in enumerate(TRADES)}
    tier_index = {t: i for i, t in enumerate(TIERS)}
    return LaborerArrays(
        ids=np.array(ids, dtype=np.int64),
        age=np.array(ages, dtype=np.int16),
        sex=[SEX_CODE.get(r[2], -1) for r in rows],
        education=[education_rank(r[3]) for r in rows],
        capacity=[physical_capacity(r[6], r[4], r[5]) for r in rows],
        home=[r[7] for r in rows],
        near_home=[bool(r[13]) for r in rows],
        wished_trade=[trade_index.get(r[8] or "", -1) for r in rows],
        wished_job=[r[9] or "" for r in rows],
        wished_tier=[tier_index.get(r[10] or "", -1) for r in rows],
        wished_region=[r[11] or "" for r in rows],
        expected_wage=[float(r[12]) if r[12] is not None else np.nan for r in rows],
        hardship=[hardship(age, r[2], r[3], r[4], r[5]) for age, r in zip(ages, rows, strict=True)],
        skills=["、".join(dict.fromkeys(skills.get(i, []))) for i in ids],
    )


def posting_arrays(queryset: QuerySet) -> PostingArrays:
    rows = list(
        queryset.values_list(
            "id",
            "trade",
            "title",
            "skills",
            "wage_min",
            "wage_max",
            "region_id",
            "age_min",
            "age_max",
            "education_min",
            "physical_demand",
            "sex_requirement",
            "sex_requirement_basis",
            "source",
            "caring_post",
        )
    )
    trade_index = {t: i for i, t in enumerate(TRADES)}

    def money(value: Any) -> float:
        return float(value) if value is not None else np.nan

    return PostingArrays(
        ids=[r[0] for r in rows],
        trade=[trade_index.get(r[1], -1) for r in rows],
        title=[r[2] for r in rows],
        text=[f"{r[2]} {r[3]}".strip() for r in rows],
        wage_min=[money(r[4]) for r in rows],
        wage_max=[money(r[5]) for r in rows],
        region=[r[6] for r in rows],
        age_min=[r[7] if r[7] is not None else 0 for r in rows],
        age_max=[r[8] if r[8] is not None else 200 for r in rows],
        education_min=[education_rank(r[9]) for r in rows],
        physical=[PHYSICAL_RANK.get(r[10], 2) for r in rows],
        # A sex requirement counts only with its legal basis (equal-employment law).
        sex=[SEX_CODE.get(r[11], -1) if (r[12] or "").strip() else -1 for r in rows],
        partner=[r[13] == ec.JobSource.PARTNER for r in rows],
        caring=[bool(r[14]) for r in rows],
    )


def region_names(codes: set[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))

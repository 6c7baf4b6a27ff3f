"""The same matching written the plain way: a Python loop over every (laborer, posting) pair.

Too slow for a district (the benchmark measures how much), but short enough to read against
the rules, so tests check the vectorised engine against it pair by pair.
"""

from __future__ import annotations

import math
from typing import Any

from fupin.matching.engine import NEAR_HOME_BONUS, SCALE, LaborerArrays, PostingArrays
from fupin.matching.features import PREFIX_LENGTHS, bigrams
from fupin.matching.weights import FACTORS, tuning, weights


def _overlap(a: set[str], b: set[str]) -> float:
    size = min(len(a), len(b))
    return len(a & b) / size if size else 0.0


def _tier(home: str, dest: str) -> int:
    if len(dest) >= 9 and home[:9] == dest[:9]:
        return 0
    if len(dest) >= 6 and home[:6] == dest[:6]:
        return 1
    if len(dest) >= 2 and home[:2] == dest[:2]:
        return 2
    return 3


class ReferenceMatcher:
    """Per-pair scoring in pure Python (precomputed bigram sets, nothing vectorised)."""

    def __init__(self, laborers: LaborerArrays, postings: PostingArrays) -> None:
        self.L, self.P = laborers, postings
        self.w, self.t = weights(), tuning()
        self.job_grams = [bigrams(x) for x in laborers.wished_job]
        self.skill_grams = [bigrams(x) for x in laborers.skills]
        self.title_grams = [bigrams(x) for x in postings.title]
        self.text_grams = [bigrams(x) for x in postings.text]

    def far(self, i: int) -> bool:
        region, home = self.L.wished_region[i], self.L.home[i]
        outside = bool(region) and not home.startswith(region) and region[:6] != home[:6]
        return int(self.L.wished_tier[i]) >= 2 or outside

    def allowed(self, i: int, j: int) -> bool:
        L, P = self.L, self.P
        age = int(L.age[i])
        if P.physical[j] > L.capacity[i]:
            return False
        if not (P.age_min[j] <= age <= P.age_max[j]):
            return False
        if P.education_min[j] >= 0 and L.education[i] < P.education_min[j]:
            return False
        if P.sex[j] >= 0 and P.sex[j] != L.sex[i]:
            return False
        return not (L.near_home[i] and P.region[j][:6] != L.home[i][:6])

    def points(self, i: int, j: int) -> dict[str, float]:
        L, P, t = self.L, self.P, self.t
        home, dest = L.home[i], P.region[j]
        tier = _tier(home, dest)
        far = self.far(i)
        wtier = int(L.wished_tier[i])
        region = L.wished_region[i]
        tier_match = 1.0 if wtier >= 0 and tier == wtier else 0.0
        if region and len(region) in PREFIX_LENGTHS:
            area = 1.0 if dest.startswith(region) else t["area_tier_share"] * tier_match
        else:
            area = tier_match
        expected = float(L.expected_wage[i])
        offered = float(P.wage_max[j]) if not math.isnan(P.wage_max[j]) else float(P.wage_min[j])
        wage = 0.0
        if not math.isnan(expected) and expected > 0 and not math.isnan(offered):
            short = (expected - offered) / expected
            wage = min(1.0, max(0.0, 1.0 - t["wage_shortfall_per_10pct"] * short * 10))
        closeness = [
            t["distance_township"],
            t["distance_county"],
            t["distance_province"],
            t["distance_outside"],
        ]
        count = bin(int(L.hardship[i])).count("1")
        wished_trade = int(L.wished_trade[i])
        values = {
            "trade": 1.0 if wished_trade >= 0 and wished_trade == P.trade[j] else 0.0,
            "title": _overlap(self.job_grams[i], self.title_grams[j]),
            "area": area,
            "wage": wage,
            "skills": _overlap(self.skill_grams[i], self.text_grams[j]),
            "distance": 0.0 if far and not L.near_home[i] else closeness[tier],
            "caring": 0.4 + 0.2 * count if P.caring[j] and count else 0.0,
            "partner": 1.0 if P.partner[j] and far else 0.0,
        }
        return {f: round(values[f] * (self.w[f] * SCALE)) / SCALE for f in FACTORS}

    def top(self, i: int, top: int = 10) -> list[tuple[int, float]]:
        """(posting index, score) best first: near-home laborers' own township first, then
        score, then the earlier posting."""
        scored: list[tuple[Any, int, float]] = []
        for j in range(len(self.P)):
            if not self.allowed(i, j):
                continue
            score = round(sum(self.points(i, j).values()), 1)
            if score < self.t["min_score"]:
                continue
            first = bool(self.L.near_home[i]) and _tier(self.L.home[i], self.P.region[j]) == 0
            scored.append(((first * NEAR_HOME_BONUS, round(score * SCALE), -j), j, score))
        scored.sort(reverse=True)
        return [(j, score) for _, j, score in scored[:top]]

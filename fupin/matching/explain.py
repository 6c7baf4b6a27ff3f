"""Plain-language reasons for a recommended pair, one per factor that gave points (shown on
the pages, the job card and in the API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fupin.matching.features import (
    HARD_DISABLED,
    HARD_LOW_EDUCATION,
    HARD_OLDER,
    MUNICIPALITIES,
    MUNICIPALITY_TIER_LABELS,
    TIER_LABELS,
    TRADES,
)
from fupin.matching.weights import FACTOR_LABELS, FACTORS

if TYPE_CHECKING:
    from fupin.matching.engine import Matcher, Result


def explain_all(m: Matcher, result: Result) -> list[list[dict[str, Any]]]:
    """Reasons for every chosen pair of a run (tiers computed for all pairs at once)."""
    tiers = m.tier(result.laborer, result.posting).tolist()
    return [
        explain(m, li, pj, points, tier)
        for li, pj, points, tier in zip(
            result.laborer.tolist(),
            result.posting.tolist(),
            result.points.tolist(),
            tiers,
            strict=True,
        )
    ]


def explain(
    m: Matcher, li: int, pj: int, points: Sequence[float], tier: int | None = None
) -> list[dict[str, Any]]:
    """Plain-language reasons for one pair: one entry per factor that gave points."""
    home = m.L.home[li]
    out: list[dict[str, Any]] = []
    if tier is None:
        tier = int(m.tier(np.array([li]), np.array([pj]))[0])
    for factor, value in zip(FACTORS, points, strict=True):
        if value <= 0:
            continue
        text = _reason(m, factor, li, pj, tier, tier_labels_for(home))
        out.append(
            {
                "factor": factor,
                "label": FACTOR_LABELS[factor],
                "points": round(float(value), 1),
                "text": text,
            }
        )
    return out


def _reason(m: Matcher, factor: str, li: int, pj: int, tier: int, labels: Sequence[str]) -> str:
    from fupin.employment.choices import Trade

    L, P = m.L, m.P
    if factor == "trade":
        return f"意向行业与岗位行业一致（{Trade(TRADES[P.trade[pj]]).label}）"
    if factor == "title":
        share = m.title_sim[m.job_code[li], m.title_code[pj]]
        return f"意向岗位“{L.wished_job[li]}”与岗位“{P.title[pj]}”字词相近（重合{share:.0%}）"
    if factor == "area":
        if m.wr_len[li] >= 0 and m.inside_wished_region(np.array([li]), np.array([pj]))[0]:
            region = L.wished_region[li]
            return f"岗位在意向务工地（{m.region_names.get(region, region)}）"
        return f"岗位在意向就业地域（{labels[L.wished_tier[li]]}）"
    if factor == "wage":
        expected = L.expected_wage[li]
        low, high = P.wage_min[pj], P.wage_max[pj]
        offered = high if not np.isnan(high) else low
        span = _wage_text(low, high)
        if offered >= expected:
            return f"月薪{span}，达到期望月薪{expected:.0f}元"
        return f"月薪{span}，比期望月薪{expected:.0f}元低{expected - offered:.0f}元"
    if factor == "skills":
        return f"参加过相关培训或持有相关证书（{L.skills[li]}）"
    if factor == "distance":
        near = "，只能就近就业的人优先本乡镇岗位" if L.near_home[li] and tier == 0 else ""
        return f"离家近：岗位在{labels[tier]}{near}"
    if factor == "caring":
        who = []
        bits = int(L.hardship[li])
        if bits & HARD_OLDER:
            who.append(f"{int(L.age[li])}岁")
        if bits & HARD_LOW_EDUCATION:
            who.append("文化程度低")
        if bits & HARD_DISABLED:
            who.append("残疾")
        return f"爱心岗位，优先安置就业困难人员（本人：{'、'.join(who)}）"
    if factor == "partner":
        return "劳务协作岗位，符合外出务工意愿"
    return ""


def _wage_text(low: float, high: float) -> str:
    if not np.isnan(low) and not np.isnan(high):
        return f"{low:.0f}–{high:.0f}元"
    value = high if not np.isnan(high) else low
    return f"{value:.0f}元"


def tier_labels_for(home: str) -> Sequence[str]:
    return MUNICIPALITY_TIER_LABELS if home[:2] in MUNICIPALITIES else TIER_LABELS

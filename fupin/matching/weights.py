"""Weights of the matching factors (points out of 100 when all apply) and the few tuning
values behind them. Districts weigh things differently, so every value can be overridden
with `FUPIN_MATCH_WEIGHTS = {"trade": 30, ...}` in the settings (missing keys keep these)."""

from __future__ import annotations

from django.conf import settings

# Points a factor gives when it fully applies; a pair's score is the sum of its factors.
DEFAULT_WEIGHTS: dict[str, float] = {
    "trade": 20.0,  # 意向行业 = 岗位行业
    "title": 15.0,  # 意向岗位与岗位名称的字词重合
    "area": 15.0,  # 岗位在意向务工地 / 意向就业地域
    "wage": 15.0,  # 岗位月薪达到期望月薪
    "skills": 10.0,  # 已结业培训、证书与岗位相关
    "distance": 10.0,  # 离家远近（不愿远行的人越近越好）
    "caring": 10.0,  # 爱心岗位优先安置就业困难人员
    "partner": 5.0,  # 劳务协作岗位给想外出务工的人
}

# Tuning values (also overridable through FUPIN_MATCH_WEIGHTS).
DEFAULT_TUNING: dict[str, float] = {
    # Share of the area points when only the wished tier (not the wished place) matches.
    "area_tier_share": 0.6,
    # Share of the distance points by tier: 乡镇内, 乡镇外县内, 县外省内, 省外.
    "distance_township": 1.0,
    "distance_county": 0.7,
    "distance_province": 0.3,
    "distance_outside": 0.0,
    # Wage: each 10% below the expected wage costs this share of the wage points.
    "wage_shortfall_per_10pct": 0.25,
    # 就业困难 ("4050"): women from 40, men from 50 count as older.
    "older_female": 40,
    "older_male": 50,
    # Pairs scoring below this are not recommended (nothing relevant about them).
    "min_score": 10.0,
}

FACTORS = tuple(DEFAULT_WEIGHTS)

FACTOR_LABELS: dict[str, str] = {
    "trade": "意向行业",
    "title": "意向岗位",
    "area": "意向地域",
    "wage": "工资待遇",
    "skills": "培训技能",
    "distance": "离家距离",
    "caring": "爱心岗位",
    "partner": "劳务协作",
}


def _configured() -> dict[str, float]:
    return dict(getattr(settings, "FUPIN_MATCH_WEIGHTS", None) or {})


def weights() -> dict[str, float]:
    """The factor weights in force (defaults overridden by settings)."""
    configured = _configured()
    return {k: float(configured.get(k, v)) for k, v in DEFAULT_WEIGHTS.items()}


def tuning() -> dict[str, float]:
    configured = _configured()
    return {k: float(configured.get(k, v)) for k, v in DEFAULT_TUNING.items()}

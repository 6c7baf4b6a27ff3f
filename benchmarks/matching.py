"""Matching engine speed: synthetic 100,000 unemployed laborers × 10,000 postings, top 10
each, in memory (arrays only, no database).

Prints the engine's seconds and laborers/s, then a naive per-pair Python baseline
(fupin.matching.reference) on a subsample of laborers in the same run, the speed-up, and
whether the subsample's top 10 agree exactly with the engine's.

    .venv/bin/python benchmarks/matching.py [--laborers 100000] [--postings 10000]
        [--top 10] [--sample 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings  # noqa: E402

# The engine only reads FUPIN_MATCH_WEIGHTS (defaults here): no database, no project settings.
if not settings.configured:
    settings.configure()

from fupin.matching.engine import LaborerArrays, Matcher, PostingArrays  # noqa: E402
from fupin.matching.reference import ReferenceMatcher  # noqa: E402

DISTRICTS = ["500156", "500119", "500114", "500110", "500115"]
OTHER_CQ = ["500106", "500112", "500103", "500105", "500113", "500117"]
PARTNER = ["370102", "370103", "370105", "370112", "370211", "370212", "370303"]
TITLES = (
    "缝纫工 普工 电子厂普工 装配工 质检员 包装工 叉车司机 货车司机 快递分拣员 保洁员 保安 "
    "厨师 帮厨 服务员 收银员 导购员 月嫂 育婴员 养老护理员 护工 电工 焊工 钢筋工 木工 "
    "泥瓦工 水电工 挖掘机司机 茶叶采摘工 果园管理员 养殖工 护林员 道路养护工 仓库管理员 "
    "客服专员 网店运营 主播助理 汽修学徒 美发助理 家政服务员 中式烹调师"
).split()
WISHES = (
    "缝纫 普工 电子厂 司机 保洁 保安 厨师 服务员 月嫂 护工 电工 焊工 木工 家政 养殖 仓库".split()
)
SKILLS = "月嫂证 育婴员证 中式烹调师 电工证 焊工证 叉车证 家政服务 养老护理 茶艺 电商".split()


def townships() -> list[str]:
    return [f"{d}{t:03d}" for d in DISTRICTS for t in range(1, 27)]


def synthetic(n: int, m: int, seed: int) -> tuple[LaborerArrays, PostingArrays]:
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    towns = townships()
    homes = [f"{pick.choice(towns)}2{pick.randrange(1, 13):02d}" for _ in range(n)]
    wished_region = [
        pick.choice(["", "", "", "", "", "", "", pick.choice(DISTRICTS), pick.choice(PARTNER)])
        for _ in range(n)
    ]
    laborers = LaborerArrays(
        ids=np.arange(1, n + 1),
        age=rng.integers(16, 61, n),
        sex=rng.integers(0, 2, n),
        education=rng.choice([-1, 1, 2, 3, 4, 5], n, p=[0.05, 0.1, 0.3, 0.35, 0.15, 0.05]),
        capacity=rng.choice([0, 1, 2], n, p=[0.15, 0.15, 0.7]),
        home=homes,
        near_home=rng.random(n) < 0.2,
        wished_trade=np.where(rng.random(n) < 0.5, rng.integers(0, 20, n), -1),
        wished_job=[pick.choice(WISHES) if pick.random() < 0.5 else "" for _ in range(n)],
        wished_tier=np.where(rng.random(n) < 0.6, rng.integers(0, 4, n), -1),
        wished_region=wished_region,
        expected_wage=np.where(rng.random(n) < 0.7, rng.integers(25, 61, n) * 100.0, np.nan),
        hardship=rng.choice([0, 1, 2, 3, 4, 5], n, p=[0.5, 0.2, 0.15, 0.08, 0.05, 0.02]),
        skills=[pick.choice(SKILLS) if pick.random() < 0.2 else "" for _ in range(n)],
    )
    regions, partner = [], []
    for _ in range(m):
        roll = pick.random()
        if roll < 0.5:
            town = pick.choice(towns)
            regions.append(town if pick.random() < 0.5 else f"{town}2{pick.randrange(1, 13):02d}")
            partner.append(False)
        elif roll < 0.8:
            regions.append(pick.choice(OTHER_CQ))
            partner.append(False)
        else:
            regions.append(pick.choice(PARTNER))
            partner.append(True)
    titles = [pick.choice(TITLES) for _ in range(m)]
    low = rng.integers(20, 50, m) * 100.0
    sex = np.where(rng.random(m) < 0.03, rng.integers(0, 2, m), -1)
    postings = PostingArrays(
        ids=np.arange(1, m + 1),
        trade=rng.integers(0, 20, m),
        title=titles,
        text=[f"{t} {pick.choice(SKILLS) if pick.random() < 0.3 else ''}" for t in titles],
        wage_min=low,
        wage_max=np.where(rng.random(m) < 0.9, low + rng.choice([500, 1000, 2000], m), np.nan),
        region=regions,
        age_min=np.where(rng.random(m) < 0.7, 18, 0),
        age_max=np.where(rng.random(m) < 0.7, rng.choice([45, 50, 55, 60], m), 200),
        education_min=np.where(rng.random(m) < 0.3, rng.integers(2, 5, m), -1),
        physical=rng.choice([0, 1, 2], m, p=[0.5, 0.4, 0.1]),
        sex=sex,
        partner=np.array(partner),
        caring=rng.random(m) < 0.05,
    )
    return laborers, postings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laborers", type=int, default=100_000)
    parser.add_argument("--postings", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--sample", type=int, default=20, help="laborers for the baseline")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    laborers, postings = synthetic(args.laborers, args.postings, args.seed)
    start = time.perf_counter()
    matcher = Matcher(laborers, postings)
    prepared = time.perf_counter()
    result = matcher.run(args.top)
    seconds = time.perf_counter() - start
    n = len(laborers)
    print(
        f"engine: {n:,} laborers × {len(postings):,} postings, top {args.top}: "
        f"{seconds:.2f} s ({prepared - start:.2f} s preparing), {n / seconds:,.0f} laborers/s, "
        f"{len(result):,} recommendations"
    )

    sample = sorted(random.Random(args.seed).sample(range(n), min(args.sample, n)))
    reference = ReferenceMatcher(laborers, postings)
    start = time.perf_counter()
    expected = {i: reference.top(i, args.top) for i in sample}
    naive = (time.perf_counter() - start) / len(sample)
    print(
        f"naive per-pair Python: {len(sample)} laborers in {naive * len(sample):.2f} s, "
        f"{1 / naive:,.1f} laborers/s (≈ {naive * n / 3600:.1f} h for all)"
    )
    print(f"speed-up: {naive * n / seconds:,.0f}×")
    got: dict[int, list[tuple[int, float]]] = {i: [] for i in sample}
    wanted = set(sample)
    for li, pj, score in zip(result.laborer, result.posting, result.score, strict=True):
        if int(li) in wanted:
            got[int(li)].append((int(pj), round(float(score), 1)))
    same = sum(got[i] == expected[i] for i in sample)
    print(f"agreement with the baseline: {same}/{len(sample)} laborers identical")


if __name__ == "__main__":
    main()

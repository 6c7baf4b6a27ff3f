"""The matching engine (人岗匹配): laborers × postings → top N postings per laborer, each with
its points per factor so the reasons can be shown.

Why it is shaped like this: a district run is 100,000 laborers × 10,000 postings = 10⁹ pairs,
far too many for a Python loop per pair. Every factor depends on a few laborer attributes
(wished trade, township, expected wage …) and on the posting, so the engine groups laborers
by the attributes a group of factors needs, computes one row of points per distinct
combination against all postings at once (numpy), and gathers those rows for each chunk of
laborers. Hard limits become a large negative penalty added the same way, so an excluded
pair can never be chosen. Points are integers (tenths of a point) scaled so that the
posting's position breaks ties inside the same integer: the result is exact and the same for
the same data. The top N are found by a block maximum, then a partition of the few
candidate blocks (argpartition over every pair would be the slowest step).

Arrays only, no database: `fupin.matching.data` builds the arrays from the models and the
benchmark builds synthetic ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fupin.matching.features import PREFIX_LENGTHS, text_similarity
from fupin.matching.weights import FACTORS, tuning, weights

SCALE = 10  # points are stored in tenths
NEAR_HOME_BONUS = 200 * SCALE  # ranks a near-home laborer's own township first
BLOCK = 64  # postings per block for the top-N search
DISTANCE_KEYS = ("township", "county", "province", "outside")


def factorize(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """Codes (in order of first appearance) and the distinct values."""
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int32, len(values))
    return codes, list(index)


def _prefixes(codes: Sequence[str], length: int) -> np.ndarray:
    """Region codes cut to `length` digits as integers; -1 where a code is shorter."""
    return np.fromiter(
        (int(c[:length]) if len(c) >= length else -1 for c in codes), np.int64, len(codes)
    )


@dataclass
class LaborerArrays:
    """One entry per unemployed laborer; text and region codes as Python strings."""

    ids: np.ndarray
    age: np.ndarray
    sex: np.ndarray  # 0 male, 1 female, -1 unknown
    education: np.ndarray  # rank, -1 unknown
    capacity: np.ndarray  # heaviest physical demand rank allowed
    home: list[str]  # village code
    near_home: np.ndarray
    wished_trade: np.ndarray  # index into TRADES, -1 none
    wished_job: list[str]
    wished_tier: np.ndarray  # index into TIERS, -1 none
    wished_region: list[str]
    expected_wage: np.ndarray  # NaN unknown
    hardship: np.ndarray  # HARD_* bits
    skills: list[str]  # completed trainings: occupation and certificate
    t9: np.ndarray = field(init=False)
    t6: np.ndarray = field(init=False)
    t2: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int64)
        self.age = np.asarray(self.age, dtype=np.int16)
        self.sex = np.asarray(self.sex, dtype=np.int8)
        self.education = np.asarray(self.education, dtype=np.int8)
        self.capacity = np.asarray(self.capacity, dtype=np.int8)
        self.near_home = np.asarray(self.near_home, dtype=bool)
        self.wished_trade = np.asarray(self.wished_trade, dtype=np.int8)
        self.wished_tier = np.asarray(self.wished_tier, dtype=np.int8)
        self.expected_wage = np.asarray(self.expected_wage, dtype=np.float64)
        self.hardship = np.asarray(self.hardship, dtype=np.int8)
        self.t9 = _prefixes(self.home, 9)
        self.t6 = _prefixes(self.home, 6)
        self.t2 = _prefixes(self.home, 2)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class PostingArrays:
    """One entry per active posting with openings."""

    ids: np.ndarray
    trade: np.ndarray  # index into TRADES
    title: list[str]
    text: list[str]  # title and skills wanted
    wage_min: np.ndarray  # NaN unknown
    wage_max: np.ndarray
    region: list[str]
    age_min: np.ndarray  # 0 when none
    age_max: np.ndarray  # 200 when none
    education_min: np.ndarray  # rank, -1 none
    physical: np.ndarray  # rank
    sex: np.ndarray  # -1 none (or not lawful), 0 male, 1 female
    partner: np.ndarray  # 劳务协作
    caring: np.ndarray  # 爱心岗位
    prefix: np.ndarray = field(init=False)  # (len(PREFIX_LENGTHS), m)

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int64)
        self.trade = np.asarray(self.trade, dtype=np.int8)
        self.wage_min = np.asarray(self.wage_min, dtype=np.float64)
        self.wage_max = np.asarray(self.wage_max, dtype=np.float64)
        self.age_min = np.asarray(self.age_min, dtype=np.int16)
        self.age_max = np.asarray(self.age_max, dtype=np.int16)
        self.education_min = np.asarray(self.education_min, dtype=np.int8)
        self.physical = np.asarray(self.physical, dtype=np.int8)
        self.sex = np.asarray(self.sex, dtype=np.int8)
        self.partner = np.asarray(self.partner, dtype=bool)
        self.caring = np.asarray(self.caring, dtype=bool)
        self.prefix = np.stack([_prefixes(self.region, n) for n in PREFIX_LENGTHS])

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Result:
    """Chosen pairs, best first per laborer: indices into the arrays, rank (1-based), score
    and the points of each factor (columns in FACTORS order)."""

    laborer: np.ndarray
    posting: np.ndarray
    rank: np.ndarray
    score: np.ndarray
    points: np.ndarray

    def __len__(self) -> int:
        return len(self.laborer)


def _runs(flags: np.ndarray) -> list[slice]:
    """Contiguous runs of True as slices."""
    if not flags.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return [slice(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _combine(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One int64 key per row from small non-negative-able integer columns."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        col = np.asarray(col, dtype=np.int64)
        low = int(col.min(initial=0))
        span = int(col.max(initial=0)) - low + 1
        key = key * span + (col - low)
    return key


@dataclass
class _Group:
    """Factors computed together for laborers sharing `key`; a row per distinct key."""

    key: np.ndarray
    row: Callable[[np.ndarray], np.ndarray]  # representative laborers (u,) → (u, m) int64
    table: np.ndarray | None = None
    inverse: np.ndarray | None = None


class Matcher:
    """Scores laborers against postings; `run` gives the top N per laborer."""

    # Distinct rows × postings kept in memory for a whole run; more are computed per chunk.
    TABLE_BUDGET = 40_000_000

    def __init__(
        self,
        laborers: LaborerArrays,
        postings: PostingArrays,
        *,
        weights_: dict[str, float] | None = None,
        tuning_: dict[str, float] | None = None,
    ) -> None:
        self.L, self.P = laborers, postings
        # Names for wished places in explanations (code → name), filled by the caller.
        self.region_names: dict[str, str] = {}
        self.w = weights_ or weights()
        self.t = tuning_ or tuning()
        m = len(postings)
        self.m = m
        # Posting position as the tie-break below one tenth of a point (lower id first).
        self.mult = 1 << max(1, int(m).bit_length())
        self.tiebreak = (m - 1 - np.arange(m, dtype=np.int64))[None, :]
        # int32 halves the memory traffic whenever the largest key fits.
        most = (sum(self.w.values()) * SCALE + NEAR_HOME_BONUS + 1) * self.mult
        self.dtype = np.int32 if most < 2**28 else np.int64
        # Two penalties (hard limits, own county) plus every positive term stay in range.
        self.excluded = -(2**29) if self.dtype == np.int32 else -(2**60)
        job_codes, self.jobs = factorize(laborers.wished_job)
        title_codes, titles = factorize(postings.title)
        self.job_code, self.title_code = job_codes, title_codes
        self.title_sim = text_similarity(self.jobs, titles)
        skill_codes, self.skill_texts = factorize(laborers.skills)
        text_codes, texts = factorize(postings.text)
        self.skill_code, self.text_code = skill_codes, text_codes
        self.skill_sim = text_similarity(self.skill_texts, texts)
        wr_codes, regions = factorize(laborers.wished_region)
        self.wr_code = wr_codes
        self.wr_len = np.array(
            [PREFIX_LENGTHS.index(len(r)) if len(r) in PREFIX_LENGTHS else -1 for r in regions],
            dtype=np.int8,
        )[wr_codes]
        self.wr_value = np.array([int(r) if r.isdigit() else -1 for r in regions], np.int64)[
            wr_codes
        ]
        home6 = [h[:6] for h in laborers.home]
        self.far = (laborers.wished_tier >= 2) | np.array(
            [
                bool(r) and not h.startswith(r) and r[:6] != h6
                for r, h, h6 in zip(laborers.wished_region, laborers.home, home6, strict=True)
            ],
            dtype=bool,
        )
        self.mode = np.where(laborers.near_home, 1, np.where(self.far, 2, 0)).astype(np.int8)
        self.wage_code = np.where(
            np.isnan(laborers.expected_wage), -1, np.round(laborers.expected_wage / 10)
        ).astype(np.int64)
        self.hard_count = (
            (laborers.hardship & 1 > 0).astype(np.int8)
            + (laborers.hardship & 2 > 0)
            + (laborers.hardship & 4 > 0)
        )
        township_code, _ = factorize(laborers.t9.tolist())
        self.town_code = township_code
        _, town_first = np.unique(township_code, return_index=True)
        # Tier of every posting from each township (rows in township-code order).
        self.town_tier = self.tier(town_first[:, None], np.arange(m)[None, :])
        has_region = self.wr_len >= 0
        # Area for laborers with a wished place, and the own-county limit for near-home
        # laborers, come from small per-place tables added to those rows only (keyed by
        # township they would multiply the distinct rows).
        self.region_rows = np.flatnonzero(has_region)
        self.near_rows = np.flatnonzero(laborers.near_home)
        self._region_tables()
        self.groups = [
            _Group(
                _combine([laborers.wished_trade, self.hard_count, self.far]), self._profile_rows
            ),
            _Group(
                _combine(
                    [township_code, self.mode, np.where(has_region, -2, laborers.wished_tier)]
                ),
                self._place_rows,
            ),
            _Group(self.wage_code, self._wage_rows),
            _Group(self.job_code.astype(np.int64), self._title_rows),
            _Group(self.skill_code.astype(np.int64), self._skill_rows),
            _Group(
                _combine(
                    [
                        laborers.capacity,
                        laborers.education,
                        laborers.sex,
                        laborers.age,
                    ]
                ),
                self._hard_rows,
            ),
        ]
        for group in self.groups:
            uniq, first, inverse = np.unique(group.key, return_index=True, return_inverse=True)
            if len(uniq) * m <= self.TABLE_BUDGET:
                group.table = group.row(first)
                group.inverse = inverse
        self.groups = self._merge(self.groups)
        self._pad()

    def _merge(self, groups: list[_Group]) -> list[_Group]:
        """Fold tables together while their distinct combined rows stay within the budget:
        each gather of a table costs a pass over chunk × postings, building a merged table
        only a gather of the small ones."""
        out: list[_Group] = []
        for group in groups:
            for i, kept in enumerate(out):
                if group.table is None or kept.table is None:
                    continue
                key = _combine([kept.key, group.key])
                uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
                if len(uniq) * self.m <= self.TABLE_BUDGET:
                    merged = _Group(key, lambda reps, a=kept.row, b=group.row: a(reps) + b(reps))
                    merged.table = np.take(kept.table, kept.inverse[first], axis=0)
                    merged.table += np.take(group.table, group.inverse[first], axis=0)
                    merged.inverse = inverse
                    out[i] = merged
                    break
            else:
                out.append(group)
        return out

    # --- factors: laborer indices li (u, 1) against posting indices pj (1, m) or (u, k) ---

    def _q(self, factor: str, value: np.ndarray) -> np.ndarray:
        """Points in tenths (integers), so sums are exact."""
        return np.rint(value * (self.w[factor] * SCALE)).astype(np.int64)

    def tier(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        """Location tier index (TIERS) of the posting seen from the laborer's home."""
        L, P = self.L, self.P
        return np.where(
            P.prefix[3][pj] == L.t9[li],
            0,
            np.where(P.prefix[2][pj] == L.t6[li], 1, np.where(P.prefix[0][pj] == L.t2[li], 2, 3)),
        ).astype(np.int8)

    def inside_wished_region(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        length = self.wr_len[li]
        return (length >= 0) & (self.P.prefix[np.maximum(length, 0), pj] == self.wr_value[li])

    def factor_values(
        self, li: np.ndarray, pj: np.ndarray, factors: Sequence[str] = FACTORS
    ) -> dict[str, np.ndarray]:
        """Each factor's value (0…1) for the pairs — one definition for tables, explanations
        and tests."""
        return {f: getattr(self, f"_value_{f}")(li, pj) for f in factors}

    def _value_trade(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        wished = self.L.wished_trade[li]
        return ((wished >= 0) & (wished == self.P.trade[pj])) * 1.0

    def _value_title(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        return self.title_sim[self.job_code[li], self.title_code[pj]]

    def _value_skills(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        return self.skill_sim[self.skill_code[li], self.text_code[pj]]

    def _value_area(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        """1 inside the wished place; without a wished place 1 for the wished tier; with
        one, the tier alone gives a share."""
        wtier = self.L.wished_tier[li]
        tier_match = (wtier >= 0) & (self.tier(li, pj) == wtier)
        return np.where(
            self.wr_len[li] >= 0,
            np.where(
                self.inside_wished_region(li, pj), 1.0, self.t["area_tier_share"] * tier_match
            ),
            tier_match * 1.0,
        )

    def _value_wage(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        P = self.P
        expected = self.L.expected_wage[li]
        offered = np.where(np.isnan(P.wage_max[pj]), P.wage_min[pj], P.wage_max[pj])
        with np.errstate(invalid="ignore", divide="ignore"):
            short = (expected - offered) / expected
            wage = np.clip(1.0 - self.t["wage_shortfall_per_10pct"] * short * 10, 0.0, 1.0)
        return np.where(np.isnan(wage) | (expected <= 0), 0.0, wage)

    def _value_distance(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        """Closeness by tier, for everyone but those who want to go far."""
        t = self.t
        closeness = np.array([t[f"distance_{k}"] for k in DISTANCE_KEYS])
        return np.where(self.mode[li] == 2, 0.0, closeness[self.tier(li, pj)])

    def _value_caring(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        count = self.hard_count[li]
        return np.where(self.P.caring[pj] & (count > 0), 0.4 + 0.2 * count, 0.0)

    def _value_partner(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        return (self.P.partner[pj] & self.far[li]) * 1.0

    def allowed(self, li: np.ndarray, pj: np.ndarray, near_home: bool = True) -> np.ndarray:
        """The hard limits: physical demand, age range, education minimum, lawful sex
        requirement, and the own county for near-home laborers."""
        L, P = self.L, self.P
        age = L.age[li]
        ok = P.physical[pj] <= L.capacity[li]
        ok = ok & (P.age_min[pj] <= age) & (age <= P.age_max[pj])
        ok = ok & ((P.education_min[pj] < 0) | (L.education[li] >= P.education_min[pj]))
        ok = ok & ((P.sex[pj] < 0) | (P.sex[pj] == L.sex[li]))
        if not near_home:
            return ok
        return ok & (~L.near_home[li] | (P.prefix[2][pj] == L.t6[li]))

    def _points(self, li: np.ndarray, pj: np.ndarray, factors: Sequence[str]) -> np.ndarray:
        values = self.factor_values(li, pj, factors)
        total = 0
        for factor in factors:
            total = total + self._q(factor, values[factor])
        return total * self.mult

    def _all(self, reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return reps[:, None], np.arange(self.m)[None, :]

    def _profile_rows(self, reps: np.ndarray) -> np.ndarray:
        li, pj = self._all(reps)
        rows = self._points(li, pj, ("trade", "caring", "partner")) + self.tiebreak
        return rows.astype(self.dtype)

    def _place_rows(self, reps: np.ndarray) -> np.ndarray:
        """Distance, area without a wished place, and the near-home bonus depend on the tier
        only: points for each of the 4 tiers, looked up through the township's tiers."""
        li = reps[:, None]
        tiers = np.arange(4, dtype=np.int8)[None, :]
        mode, wtier = self.mode[li], self.L.wished_tier[li]
        closeness = np.array([self.t[f"distance_{k}"] for k in DISTANCE_KEYS])
        distance = self._q("distance", np.where(mode == 2, 0.0, closeness[tiers]))
        tier_match = (wtier >= 0) & (tiers == wtier) & (self.wr_len[li] < 0)
        area = self._q("area", tier_match * 1.0)
        bonus = (self.L.near_home[li] & (tiers == 0)) * NEAR_HOME_BONUS
        lut = ((distance + area) * self.mult + bonus * self.mult).astype(self.dtype)
        return np.take_along_axis(lut, self.town_tier[self.town_code[reps]].astype(np.intp), 1)

    def _region_tables(self) -> None:
        """Per wished place: inside or not; per township: the tier of every posting; per
        county: the near-home penalty outside it."""
        L, P = self.L, self.P
        rows = self.region_rows
        self.r_code, r_first = np.unique(self.wr_code[rows], return_index=True)[:2]
        self.r_inside = self.inside_wished_region(rows[r_first][:, None], np.arange(self.m)[None])
        self.r_place = np.searchsorted(self.r_code, self.wr_code[rows])
        full = int(np.rint(self.w["area"] * SCALE)) * self.mult
        share = int(np.rint(self.w["area"] * self.t["area_tier_share"] * SCALE)) * self.mult
        self.r_points = (full, share)
        self.r_pos = np.full(len(L), -1, dtype=np.int64)
        self.r_pos[rows] = np.arange(len(rows))
        near = self.near_rows
        county, county_first = np.unique(L.t6[near], return_index=True)[:2]
        self.n_county = np.searchsorted(county, L.t6[near])
        self.n_penalty = np.where(P.prefix[2][None, :] == county[:, None], 0, self.excluded).astype(
            self.dtype
        )
        self.n_pos = np.full(len(L), -1, dtype=np.int64)
        self.n_pos[near] = np.arange(len(near))

    def _wage_rows(self, reps: np.ndarray) -> np.ndarray:
        return self._points(*self._all(reps), ("wage",)).astype(self.dtype)

    def _title_rows(self, reps: np.ndarray) -> np.ndarray:
        return self._points(*self._all(reps), ("title",)).astype(self.dtype)

    def _skill_rows(self, reps: np.ndarray) -> np.ndarray:
        return self._points(*self._all(reps), ("skills",)).astype(self.dtype)

    def _hard_rows(self, reps: np.ndarray) -> np.ndarray:
        li, pj = self._all(reps)
        allowed = self.allowed(li, pj, near_home=False)
        return np.where(allowed, 0, self.excluded).astype(self.dtype)

    # --- the run -----------------------------------------------------------------------

    def _pad(self) -> None:
        """Widen every table to whole blocks; the extra columns can never be chosen."""
        self.blocks = -(-self.m // BLOCK)
        extra = self.blocks * BLOCK - self.m
        self.width = self.m + extra
        if not extra:
            return
        for i, group in enumerate(self.groups):
            if group.table is not None:
                fill = self.excluded if i == 0 else 0
                group.table = np.pad(group.table, ((0, 0), (0, extra)), constant_values=fill)
        self.town_tier = np.pad(self.town_tier, ((0, 0), (0, extra)), constant_values=3)
        self.r_inside = np.pad(self.r_inside, ((0, 0), (0, extra)), constant_values=False)
        self.n_penalty = np.pad(self.n_penalty, ((0, 0), (0, extra)), constant_values=0)

    def keys(
        self, rows: np.ndarray, buffers: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """Ranking keys (rows × padded postings): points in tenths × mult + tie-break;
        excluded pairs are negative. Rows with a wished place or near home should be
        contiguous (see `order`) so their extra terms are added to a slice."""
        if buffers is None:
            buffers = (np.empty((len(rows), self.width), self.dtype),) * 2
            buffers = (buffers[0], np.empty_like(buffers[0]))
        # Reused between chunks: fresh arrays of this size cost page faults each time.
        total, scratch = buffers[0][: len(rows)], buffers[1][: len(rows)]
        first = True
        for i, group in enumerate(self.groups):
            if group.table is not None:
                np.take(group.table, group.inverse[rows], axis=0, out=scratch, mode="clip")
            else:
                _, reps, inverse = np.unique(
                    group.key[rows], return_index=True, return_inverse=True
                )
                table = group.row(rows[reps])
                fill = self.excluded if i == 0 else 0
                # Rows read from padded tables (the place rows) come back padded already.
                extra = self.width - table.shape[1]
                table = np.pad(table, ((0, 0), (0, extra)), constant_values=fill)
                np.take(table, inverse, axis=0, out=scratch)
            if first:
                total, scratch = scratch, total
                first = False
            else:
                np.add(total, scratch, out=total)
        full, share = self.r_points
        for sub in _runs(self.r_pos[rows] >= 0):
            part = rows[sub]
            tier = np.take(self.town_tier, self.town_code[part], axis=0)
            wished = self.L.wished_tier[part][:, None]
            area = np.where((wished >= 0) & (tier == wished), share, 0).astype(self.dtype)
            inside = np.take(self.r_inside, self.r_place[self.r_pos[part]], axis=0)
            np.copyto(area, full, where=inside)
            total[sub] += area
        for sub in _runs(self.n_pos[rows] >= 0):
            part = rows[sub]
            total[sub] += np.take(self.n_penalty, self.n_county[self.n_pos[part]], axis=0)
        return total

    def order(self) -> np.ndarray:
        """Laborers grouped: no extras, then near home, then a wished place."""
        n = len(self.L)
        return np.lexsort((np.arange(n), self.L.near_home, self.r_pos >= 0))

    def run(
        self,
        top: int = 10,
        *,
        chunk: int = 1024,
        progress: Callable[[int], Any] | None = None,
    ) -> Result:
        """The best `top` allowed postings scoring at least min_score, per laborer."""
        n, m = len(self.L), self.m
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        if m == 0 or n == 0 or top <= 0:
            return self._result(np.zeros(0, np.int64), np.zeros(0, np.int64))
        top = min(top, m)
        min_key = max(1, int(round(self.t["min_score"] * SCALE)) * self.mult)
        bonus = NEAR_HOME_BONUS * self.mult
        order = self.order()
        size = min(chunk, n)
        buffers = (
            np.empty((size, self.width), self.dtype),
            np.empty((size, self.width), self.dtype),
        )
        for start in range(0, n, chunk):
            rows = order[start : start + chunk]
            keys = self.keys(rows, buffers)
            best = self._top(keys, top, self.blocks)
            chosen = np.take_along_axis(keys, best, axis=1)
            # Near-home laborers' own-township postings carry the bonus; a real score below
            # the minimum is not recommended either way.
            keep = np.where(chosen >= bonus, chosen - bonus, chosen) >= min_key
            li = np.broadcast_to(rows[:, None], best.shape)[keep]
            parts.append((li, best[keep]))
            if progress:
                progress(len(rows))
        li = np.concatenate([p[0] for p in parts])
        pj = np.concatenate([p[1] for p in parts])
        # Back to laborer order, each laborer's postings best first.
        back = np.argsort(li, kind="stable")
        return self._result(li[back], pj[back])

    def _top(self, keys: np.ndarray, top: int, blocks: int) -> np.ndarray:
        """Column indices of the `top` largest keys per row, largest first."""
        c = len(keys)
        if blocks > top:
            maxima = keys.reshape(c, blocks, BLOCK).max(axis=2)
            # The top N values lie in the N blocks with the largest maxima (keys are unique
            # within a row).
            chosen = np.argpartition(maxima, blocks - top, axis=1)[:, blocks - top :]
            cols = (chosen[:, :, None] * BLOCK + np.arange(BLOCK)[None, None, :]).reshape(c, -1)
        else:
            cols = np.broadcast_to(np.arange(keys.shape[1]), (c, keys.shape[1]))
        cand = np.take_along_axis(keys, cols, axis=1)
        width = cand.shape[1]
        part = np.argpartition(cand, width - top, axis=1)[:, width - top :]
        vals = np.take_along_axis(cand, part, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        return np.take_along_axis(np.take_along_axis(cols, part, axis=1), order, axis=1)

    def _result(self, li: np.ndarray, pj: np.ndarray) -> Result:
        li = li.astype(np.int64)
        pj = pj.astype(np.int64)
        points = self.points(li, pj)
        rank = np.ones(len(li), dtype=np.int32)
        if len(li):
            same = np.concatenate([[False], li[1:] == li[:-1]])
            # Rank within each laborer's run of rows (rows are grouped, best first).
            starts = np.flatnonzero(~same)
            run_start = np.repeat(starts, np.diff(np.append(starts, len(li))))
            rank = (np.arange(len(li)) - run_start + 1).astype(np.int32)
        return Result(li, pj, rank, points.sum(axis=1), points)

    def points(self, li: np.ndarray, pj: np.ndarray) -> np.ndarray:
        """Points per factor (k × len(FACTORS)) for the given pairs, in whole tenths."""
        values = self.factor_values(li, pj)
        cols = [self._q(f, np.broadcast_to(values[f], li.shape)) / SCALE for f in FACTORS]
        return np.stack(cols, axis=1) if cols else np.zeros((len(li), 0))

    # --- explanations ------------------------------------------------------------------

    def explain(self, li: int, pj: int, points: Sequence[float]) -> list[dict[str, Any]]:
        """Plain-language reasons for one pair (see fupin.matching.explain)."""
        from fupin.matching.explain import explain

        return explain(self, li, pj, points)

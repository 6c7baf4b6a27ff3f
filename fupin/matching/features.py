"""What the matching engine knows about people, postings and text: code lists as small
integers, the physical capacity and 就业困难 rules, and Chinese text similarity by character
bigrams (no segmentation dictionary needed for job titles)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from fupin.matching.weights import tuning

# Code lists as small integers (ranks where order matters).
TRADES = tuple("ABCDEFGHIJKLMNOPQRST")
TIERS = ("in_township", "in_county", "in_province", "out_of_province")
TIER_LABELS = ("乡镇内", "乡镇外县内", "县外省内", "省外")
MUNICIPALITY_TIER_LABELS = ("乡镇内", "区内乡镇外", "市内区外", "市外")
MUNICIPALITIES = {"11", "12", "31", "50"}
EDUCATION_RANK = {
    "preschool": 0,
    "illiterate": 1,
    "primary": 2,
    "junior": 3,
    "senior": 4,
    "vocational": 4,
    "college": 5,
}
EDUCATION_LABELS = {
    "学龄前": 0,
    "文盲": 1,
    "半文盲": 1,
    "小学": 2,
    "初中": 3,
    "高中": 4,
    "中专": 4,
    "中职": 4,
    "职高": 4,
    "技校": 4,
    "大专": 5,
    "本科": 5,
    "大学": 5,
    "研究生": 5,
    "硕士": 5,
    "博士": 5,
}
PHYSICAL_RANK = {"light": 0, "medium": 1, "heavy": 2}
SEX_CODE = {"male": 0, "female": 1, "男": 0, "女": 1}
HARD_OLDER, HARD_LOW_EDUCATION, HARD_DISABLED = 1, 2, 4
PREFIX_LENGTHS = (2, 4, 6, 9, 12)


def education_rank(value: str) -> int:
    """Rank of a person's education or of a posting's minimum (value or label, e.g.
    "初中及以上"); -1 when empty or not understood."""
    text = (value or "").strip()
    if not text:
        return -1
    if text in EDUCATION_RANK:
        return EDUCATION_RANK[text]
    found = [(text.find(label), rank) for label, rank in EDUCATION_LABELS.items() if label in text]
    return min(found)[1] if found else -1


def physical_capacity(labor_ability: str, health: str, disability_grade: str = "") -> int:
    """The heaviest physical demand a person can take on: weak labor, serious illness or a
    disability allow light work only; a chronic illness medium at most."""
    if labor_ability in ("weak", "lost", "none") or health in ("serious", "disabled"):
        return 0
    if disability_grade:
        return 0
    if health == "chronic":
        return 1
    return 2


def hardship(age: int, sex: str, education: str, health: str, disability_grade: str) -> int:
    """就业困难 bits: older ("4050": women from 40, men from 50), low education (小学 or
    less), disabled."""
    tune = tuning()
    bits = 0
    older = tune["older_female"] if sex == "female" else tune["older_male"]
    if age >= older:
        bits |= HARD_OLDER
    if 0 <= education_rank(education) <= EDUCATION_RANK["primary"]:
        bits |= HARD_LOW_EDUCATION
    if health == "disabled" or disability_grade:
        bits |= HARD_DISABLED
    return bits


_SPLIT = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff]+")
_NOISE = re.compile(r"\d+年|\d+期|培训班|培训|工种|及以上|以上")


def bigrams(text: str) -> set[str]:
    """Character bigrams of Chinese text (a one-character word stays itself): enough to see
    that 缝纫工 and 服装缝纫 share 缝纫, without a segmentation dictionary."""
    grams: set[str] = set()
    for part in _SPLIT.split(_NOISE.sub(" ", text or "")):
        if len(part) == 1:
            grams.add(part)
        grams.update(part[i : i + 2] for i in range(len(part) - 1))
    return grams


def text_similarity(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """Overlap of bigrams, |A∩B| / min(|A|, |B|), for every pair of two lists of distinct
    texts (a matrix product over a shared vocabulary); 0 where either text is empty."""
    sets_l = [bigrams(t) for t in left]
    sets_r = [bigrams(t) for t in right]
    vocab: dict[str, int] = {}
    for s in (*sets_l, *sets_r):
        for g in s:
            vocab.setdefault(g, len(vocab))
    if not vocab:
        return np.zeros((len(left), len(right)), dtype=np.float64)

    def matrix(sets: list[set[str]]) -> np.ndarray:
        out = np.zeros((len(sets), len(vocab)), dtype=np.float64)
        for row, s in enumerate(sets):
            out[row, [vocab[g] for g in s]] = 1.0
        return out

    a, b = matrix(sets_l), matrix(sets_r)
    shared = a @ b.T
    size = np.minimum(a.sum(axis=1)[:, None], b.sum(axis=1)[None, :])
    return np.divide(shared, size, out=np.zeros_like(shared), where=size > 0)

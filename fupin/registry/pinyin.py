"""Pinyin keys for name search ("zhaoshubi", "zsb"), computed once at write time.

Names are read character by character with a cache: imports compute keys for 100,000
people, and pypinyin's phrase analysis (≈90 µs a name) would dominate; in personal
names phrase context rarely changes a reading.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=20_000)
def _char_pinyin(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    readings = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return readings[0].lower() if readings else ""


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lowercase without spaces."""
    syllables = [s for s in map(_char_pinyin, name) if s]
    return "".join(syllables), "".join(s[0] for s in syllables)

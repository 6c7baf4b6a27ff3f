"""Loading the NBS division files (code,name,… CSV, optionally gzipped).

Level and parent come from the code itself (codes nest by prefix), so every file of the
national set — provinces, cities, areas, streets, villages — goes through one path.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import transaction

from fupin.regions.models import Region, level_of, parent_code

BUNDLED_DIR = Path(__file__).resolve().parent / "data"
BUNDLED_FILES = [
    "provinces.csv",
    "cities.csv",
    "areas.csv",
    "streets.csv",
    "villages.csv.gz",
]


def bundled_files() -> list[Path]:
    """The Chongqing subset shipped with fupin."""
    return [BUNDLED_DIR / name for name in BUNDLED_FILES]


def read_rows(path: Path) -> Iterable[tuple[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or header[0].strip().lower() != "code" or "name" not in header[1].lower():
            raise ValueError(f"{path.name}: 首行应为 code,name,…（国家统计局区划代码格式）")
        for row in reader:
            if len(row) >= 2 and row[0].strip():
                yield row[0].strip(), row[1].strip()


def load_files(
    paths: Iterable[Path],
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
) -> int:
    """Upsert the regions of `paths`; returns the number of rows read."""
    rows: dict[str, str] = {}
    for path in paths:
        for code, name in read_rows(Path(path)):
            if level_of(code) is None:
                raise ValueError(f"{Path(path).name}: 区划代码 {code} 的长度不是 2/4/6/9/12 位")
            rows[code] = name
    known = set(Region.objects.filter(code__in=_parent_codes(rows)).values_list("code", flat=True))
    known.update(rows)
    ordered = sorted(rows, key=lambda c: (len(c), c))
    objs = []
    for code in ordered:
        parent = parent_code(code)
        objs.append(
            Region(
                code=code,
                name=rows[code],
                level=level_of(code),
                parent_id=parent if parent in known else None,
            )
        )
    with transaction.atomic():
        for start in range(0, len(objs), batch_size):
            chunk = objs[start : start + batch_size]
            Region.objects.bulk_create(
                chunk,
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "level", "parent"],
            )
            if progress:
                progress(len(chunk))
    return len(objs)


def _parent_codes(rows: dict[str, str]) -> list[str]:
    return sorted({p for p in map(parent_code, rows) if p and p not in rows})


def read_text_rows(text: str) -> list[tuple[str, str]]:
    """For tests: parse CSV text in the NBS format."""
    reader = csv.reader(io.StringIO(text))
    next(reader)
    return [(r[0], r[1]) for r in reader if r]

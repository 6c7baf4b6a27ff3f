"""The published 2020 figures of Wulong (domain.md §9), counted by the system on the demo.

Usage: .venv/bin/python benchmarks/demo_figures.py [--existing]
Builds the full demo (`fupin demo`, 18,000 households) in a temporary SQLite database —
or, with --existing, counts in the database of FUPIN_VAR_DIR / DATABASE_URL as it is —
then counts every figure through the ORM and the employment selectors as of the reference
date 2020-12-31, prints it next to its target and exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", action="store_true", help="count in the existing database")
    args = parser.parse_args()
    if not args.existing and "DATABASE_URL" not in os.environ:
        os.environ["FUPIN_VAR_DIR"] = tempfile.mkdtemp(prefix="fupin-figures-")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from fupin.employment.demo import count_figures, published_checks
    from fupin.registry.demo import FENGSHAN, REFERENCE_DATE, WULONG

    if not args.existing:
        started = time.perf_counter()
        call_command("demo", "--json", stdout=open(os.devnull, "w"))
        print(f"demo built in {time.perf_counter() - started:.1f} s")

    day = REFERENCE_DATE
    n = count_figures(day)
    rows = published_checks(n)
    failed = 0
    print(f"截至 {day:%Y-%m-%d}（武隆区 {WULONG}，凤山街道 {FENGSHAN}）")
    for label, value, target, op, ok in rows:
        failed += not ok
        print(f"{'OK ' if ok else 'BAD'}  {label:<24} {value:>12,}  目标 {op} {target:,}")
    print(f"贫困劳动力（武隆区）: {n['laborers']:,}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Time `fupin regions load` with the national NBS files (620k villages) into a fresh
SQLite database (or DATABASE_URL). Prints rows, seconds and rows/s.

Usage: .venv/bin/python benchmarks/regions_load.py [DIR]   (default ../shared/data/regions)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data/regions"
    files = [
        source / name
        for name in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv.gz")
    ]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        sys.exit(f"missing: {', '.join(missing)}")
    if "DATABASE_URL" not in os.environ:
        os.environ["FUPIN_VAR_DIR"] = tempfile.mkdtemp(prefix="fupin-bench-")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from fupin.regions.loader import load_files
    from fupin.regions.models import Region

    call_command("migrate", verbosity=0)
    for attempt in ("first load", "reload (upsert)"):
        started = time.perf_counter()
        rows = load_files(files)
        seconds = time.perf_counter() - started
        print(f"{attempt}: {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
    print(f"regions in database: {Region.objects.count():,}")


if __name__ == "__main__":
    main()

"""Server time of /households/ (first page, default and sorted/filtered) on the demo district.

Usage: .venv/bin/python benchmarks/household_list.py [--runs 30]
Builds the demo district in a temporary SQLite database (or uses DATABASE_URL if set and
already holding the demo), then times requests through Django's full stack in-process and
prints the median and p90 in ms plus the number of queries per page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["FUPIN_VAR_DIR"] = tempfile.mkdtemp(prefix="fupin-bench-")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fupin.accounts.models import User

    started = time.perf_counter()
    call_command("demo", "--json", stdout=open(os.devnull, "w"))
    print(f"demo district ready in {time.perf_counter() - started:.1f} s")
    cases = {
        "first page": "/households/",
        "sorted by head name": "/households/?ordering=head_name",
        "township filter": "/households/?region=500156001&status=exited",
        "pinyin search": "/households/?q=zhang",
    }
    for username in ("admin", "fengshan"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url in cases.items():
            client.get(url)  # warm caches
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            times.sort()
            print(
                f"{username:9s} {label:20s} median {statistics.median(times):6.1f} ms  "
                f"p90 {times[int(len(times) * 0.9) - 1]:6.1f} ms  queries {len(queries)}"
            )


if __name__ == "__main__":
    main()

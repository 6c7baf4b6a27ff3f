"""Server time of the dashboard (/stats/dashboard/) and its data endpoint on the demo district.

Usage: .venv/bin/python benchmarks/dashboard.py [--runs 30] [--existing]
Builds the demo district (`fupin demo`, 18,000 households) in a temporary SQLite database —
or, with --existing, uses the database of FUPIN_VAR_DIR / DATABASE_URL as it is — then
times requests through Django's full stack in-process (test client) for the county admin
(武隆区, 26 townships) and a township operator (凤山街道), as of the demo's reference date
2020-12-31 and as of today, and prints the median and p90 in ms and the queries per request.
Target (issue 4): median < 300 ms.
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
    parser.add_argument("--existing", action="store_true", help="use the existing database")
    args = parser.parse_args()
    if not args.existing and "DATABASE_URL" not in os.environ:
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
    from fupin.registry.demo import REFERENCE_DATE

    if not args.existing:
        started = time.perf_counter()
        call_command("demo", "--json", stdout=open(os.devnull, "w"))
        print(f"demo district ready in {time.perf_counter() - started:.1f} s")
    cases = {
        "dashboard page": "/stats/dashboard/",
        "dashboard data": "/stats/dashboard/data/",
    }
    medians = []
    for as_of in (REFERENCE_DATE.isoformat(), ""):
        for username in ("admin", "fengshan"):
            client = Client()
            client.force_login(User.objects.get(username=username))
            for label, path in cases.items():
                url = f"{path}?as_of={as_of}" if as_of else path
                response = client.get(url)  # warm caches
                assert response.status_code == 200, response.content[:200]
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                times.sort()
                median = statistics.median(times)
                medians.append(median)
                print(
                    f"{username:9s} {label:15s} as of {as_of or 'today':10s}  "
                    f"median {median:6.1f} ms  p90 {times[int(len(times) * 0.9) - 1]:6.1f} ms  "
                    f"queries {len(queries)}"
                )
    print(f"slowest median {max(medians):.1f} ms (target < 300 ms)")


if __name__ == "__main__":
    main()

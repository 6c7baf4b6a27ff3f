"""Server time of /api/laborers/ filtered by township and status on the demo district.

Usage: .venv/bin/python benchmarks/laborers_api.py [--runs 30]
Builds the demo district in a temporary SQLite database (or uses DATABASE_URL if set and
already holding the demo). When the demo has no employment records yet, gives every demo
laborer a current state in bulk (random statuses, seeded) so the filter has work to do.
Times requests through Django's full stack in-process; prints median and p90 in ms and the
number of queries per request. Target: median < 100 ms.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def seed_states() -> int:
    """One current EmploymentRecord per demo laborer without one (bulk, no audit: bench data)."""
    from fupin.employment import choices as c
    from fupin.employment.models import EmploymentRecord
    from fupin.employment.selectors import laborers

    rng = random.Random(2020)
    missing = laborers().filter(employment_records__isnull=True).values_list("pk", flat=True)
    since = datetime.date.today() - datetime.timedelta(days=400)
    forms = [f for f in c.Form.values]
    tiers = c.LocationTier.values
    records = []
    for pk in missing.iterator():
        roll = rng.random()
        values: dict = {"status": c.Status.EMPLOYED}
        if roll < 0.7:
            form = rng.choice(forms)
            values.update(
                form=form,
                location_tier="" if form == c.Form.FARMING else rng.choice(tiers),
                monthly_income=rng.randrange(1500, 7000, 100),
            )
        elif roll < 0.85:
            values = {"status": c.Status.UNEMPLOYED}
        else:
            values = {"status": c.Status.NOT_SEEKING, "not_seeking_reason": "caring"}
        records.append(EmploymentRecord(person_id=pk, valid_from=since, **values))
    EmploymentRecord.objects.bulk_create(records, batch_size=2000)
    return len(records)


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
    from fupin.employment.selectors import laborers

    started = time.perf_counter()
    call_command("demo", "--json", stdout=open(os.devnull, "w"))
    print(f"demo district ready in {time.perf_counter() - started:.1f} s")
    created = seed_states()
    print(f"laborers: {laborers().count():,}  states created for the benchmark: {created:,}")
    cases = {
        "township + employed": "/api/laborers/?region=500156001&status=employed",
        "township + transferred": "/api/laborers/?region=500156001&transferred=true",
        "first page": "/api/laborers/",
    }
    for username in ("admin", "fengshan"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url in cases.items():
            response = client.get(url)  # warm caches
            count = response.json()["count"]
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
                f"{username:9s} {label:24s} median {statistics.median(times):6.1f} ms  "
                f"p90 {times[int(len(times) * 0.9) - 1]:6.1f} ms  queries {len(queries)}  "
                f"count {count:,}"
            )


if __name__ == "__main__":
    main()

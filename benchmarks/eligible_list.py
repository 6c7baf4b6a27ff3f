"""The eligible-but-unserved list (应补未补) of each seeded person policy over the demo
district's laborers: one query each; target < 2 s for the whole district.

Usage: .venv/bin/python benchmarks/eligible_list.py [--runs 5]
Builds the demo district in a temporary SQLite database (or uses DATABASE_URL if set and
already holding the demo), then prints per policy the rows, the median time to fetch every
row of the district's list (and of 凤山街道's), the queries used, and the time of the
/subsidies/eligible/ page (first 100 rows) and its xlsx export for the county admin.
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


def timed(runs: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
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
    from fupin.subsidies import rules
    from fupin.subsidies.models import Policy
    from fupin.subsidies.services import unserved

    def count(policy: Policy, region: str, period: str) -> int:
        return len(list(unserved(policy, region, period)))

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", "--json", stdout=open(os.devnull, "w"))
    print(f"demo district ready in {time.perf_counter() - started:.1f} s")
    print(f"laborers in 500156: {laborers().in_region('500156').count()} ({connection.vendor})")
    print(
        f"{'policy':<14}{'period':>9}{'district rows':>15}{'ms':>9}"
        f"{'凤山 rows':>11}{'ms':>8}{'q':>4}"
    )
    worst = 0.0
    for policy in Policy.objects.filter(beneficiary_kind="person").order_by("code"):
        period = rules.period_key(policy)
        with CaptureQueriesContext(connection) as queries:
            district, rows = timed(args.runs, lambda p=policy, k=period: count(p, "500156", k))
        per_run = len(queries) // args.runs
        township, trows = timed(args.runs, lambda p=policy, k=period: count(p, "500156001", k))
        worst = max(worst, district)
        print(
            f"{policy.code[:13]:<14}{period:>9}{rows:>15}{district * 1000:>9.0f}"
            f"{trows:>11}{township * 1000:>8.0f}{per_run:>4}"
        )
    print(f"slowest district list: {worst * 1000:.0f} ms (target < 2000 ms)")
    admin = User.objects.get(username="admin")
    client = Client()
    client.force_login(admin)
    transport = Policy.objects.get(code="transport")
    url = f"/subsidies/eligible/?policy={transport.pk}&period={rules.period_key(transport)}"
    page, response = timed(args.runs, lambda: client.get(url))
    print(
        f"page /subsidies/eligible/ (transport, district): {page * 1000:.0f} ms,"
        f" {response.status_code}"
    )
    export, response = timed(
        1, lambda: b"".join(client.get(url + "&export=xlsx").streaming_content)
    )
    print(f"xlsx export of the district list: {export * 1000:.0f} ms, {len(response)} bytes")


if __name__ == "__main__":
    main()

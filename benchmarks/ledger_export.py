"""Ledger export benchmark: time and memory of a 10,000- and a 100,000-row ledger.

    .venv/bin/python benchmarks/ledger_export.py [--ledger laborers] [--fresh]

Builds (once; reused on later runs unless --fresh) a SQLite database under
$TMPDIR/fupin-bench-ledgers with the bundled regions and 100,000 synthetic poor laborers
over Wulong's villages — 10,000 of them in 凤山街道 — each with a current employment state
and, for a third, a service this year (bulk_create: benchmark data, no audit). Then exports
the ledger for 凤山街道 (10,000 rows) and for 武隆区 (100,000 rows) as the county admin,
twice each: once timed (no tracing) and once under tracemalloc for the peak of Python
allocations. Prints rows, seconds, rows/s, peak traced MiB and the process's max RSS.
Target (issue #4): 100,000 rows < 10 s, with memory that does not grow with the rows.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TMP = Path(tempfile.gettempdir()) / "fupin-bench-ledgers"
DB = TMP / "bench.sqlite3"
TOTAL = 100_000
IN_FENGSHAN = 10_000
AS_OF = datetime.date(2020, 12, 31)


def _setup_env(fresh: bool) -> None:
    if fresh and TMP.exists():
        shutil.rmtree(TMP)
    TMP.mkdir(parents=True, exist_ok=True)
    os.environ["FUPIN_VAR_DIR"] = str(TMP)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ["DEBUG"] = "false"  # DEBUG would keep every query in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")


def build() -> None:
    """Regions, the admin user and TOTAL laborers with states and some services."""
    from django.core.management import call_command

    from fupin.accounts.models import User
    from fupin.accounts.services import create_user
    from fupin.employment import choices as c
    from fupin.employment.models import EmploymentRecord, Service
    from fupin.regions.loader import bundled_files, load_files
    from fupin.regions.models import Region
    from fupin.registry.idnumbers import make_id_number
    from fupin.registry.models import Household, Person

    call_command("migrate", verbosity=0)
    if not Region.objects.filter(code="500156").exists():
        load_files(bundled_files())
    if not User.objects.filter(username="admin").exists():
        create_user(acting_user=None, username="admin", role="county_admin",
                    region_code="500156", password="Bench@2026x")  # fmt: skip
    have = Person.objects.count()
    if have >= TOTAL:
        return
    print(f"generating {TOTAL:,} laborers …", flush=True)
    started = time.perf_counter()
    rng = random.Random(2020)
    villages = list(Region.objects.filter(code__startswith="500156", level=5).values_list(
        "code", flat=True))  # fmt: skip
    fengshan = [v for v in villages if v.startswith("500156001")]
    others = [v for v in villages if not v.startswith("500156001")]
    surnames, given = "赵钱孙李周吴郑王冯陈刘杨黄何罗谢", "淑碧秀英华明国强建军永红春梅德志"
    forms = [f for f in c.Form.values]
    per_household = 4
    sequence = 0
    for start in range(0, TOTAL, 20_000):
        households, people = [], []
        for i in range(start, min(TOTAL, start + 20_000), per_household):
            village = rng.choice(fengshan if i < IN_FENGSHAN else others)
            households.append(Household(
                number=f"B{i:08d}", village_id=village, household_type="ordinary_poor",
                status="exited", identified_year=2014, exit_year=2019, main_cause="illness",
            ))  # fmt: skip
        Household.objects.bulk_create(households, batch_size=2000)
        for h in households:
            for k in range(per_household):
                sequence += 1
                birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=sequence // 900)
                people.append(Person(
                    household=h, relation="head" if k == 0 else "son",
                    name=rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                    id_number=make_id_number("500156", birth, sequence % 900 + 1),
                    sex=rng.choice(("male", "female")), birth_date=birth,
                    education="junior", labor_ability="ordinary", phone="13800000000",
                ))  # fmt: skip
        Person.objects.bulk_create(people, batch_size=2000)
        states, services = [], []
        for p in people:
            roll = rng.random()
            if roll < 0.7:
                form = rng.choice(forms)
                values = {"status": c.Status.EMPLOYED, "form": form,
                          "location_tier": rng.choice(c.LocationTier.values),
                          "employer_name": "某某有限公司", "monthly_income": 3500}  # fmt: skip
            elif roll < 0.85:
                values = {"status": c.Status.UNEMPLOYED}
            else:
                values = {"status": c.Status.NOT_SEEKING, "not_seeking_reason": "caring"}
            states.append(EmploymentRecord(person_id=p.pk, valid_from=datetime.date(2020, 1, 1),
                                           **values))  # fmt: skip
            if rng.random() < 0.33:
                services.append(Service(person_id=p.pk, service_type="job_push",
                                        date=datetime.date(2020, 6, 1)))  # fmt: skip
        EmploymentRecord.objects.bulk_create(states, batch_size=2000)
        Service.objects.bulk_create(services, batch_size=2000)
    print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledger", default="laborers")
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    args = parser.parse_args()
    _setup_env(args.fresh)
    import django

    django.setup()
    build()
    from fupin.accounts.models import User
    from fupin.core.context import acting_as
    from fupin.ledgers.definitions import LEDGERS
    from fupin.ledgers.services import export_ledger

    user = User.objects.get(username="admin")
    ledger = LEDGERS[args.ledger]
    out = TMP / f"{ledger.id}.xlsx"
    print(f"ledger {ledger.id} ({ledger.title}), as of {AS_OF}, {len(ledger.columns) + 1} columns")
    print(f"{'region':<10}{'rows':>9}{'seconds':>9}{'rows/s':>9}{'peak MiB':>10}{'maxrss MiB':>12}")
    with acting_as(user, source="cli"):
        export_ledger(ledger, out, region_code="500156001", as_of=AS_OF, user=user)  # warm-up
        for region in ("500156001", "500156"):
            started = time.perf_counter()
            result = export_ledger(ledger, out, region_code=region, as_of=AS_OF, user=user)
            seconds = time.perf_counter() - started
            tracemalloc.start()
            export_ledger(ledger, out, region_code=region, as_of=AS_OF, user=user)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{region:<10}{result.rows:>9,}{seconds:>9.2f}{result.rows / seconds:>9,.0f}"
                f"{peak:>10.1f}{rss:>12.0f}"
            )
    print(f"file: {out} ({out.stat().st_size / 2**20:.1f} MiB); load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

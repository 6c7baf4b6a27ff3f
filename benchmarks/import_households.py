"""Import benchmark: a generated 100,000-person xlsx into a fresh SQLite database.

    .venv/bin/python benchmarks/import_households.py [--persons 100000] [--runs 3]

Builds a temporary database (migrate + the bundled regions), writes an import file of
about 30,000 households over Wulong's villages, then imports it `--runs` times, each
time into a fresh copy of the empty database, and prints persons/s, the seconds spent
parsing, validating and writing, and the load average (other work on the machine slows
the import down: quote it with the figures). Target (issue #2): ≥ 10,000 persons/s.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TMP = Path(tempfile.mkdtemp(prefix="fupin-bench-"))
DB = TMP / "bench.sqlite3"
os.environ["FUPIN_VAR_DIR"] = str(TMP)
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
os.environ["DEBUG"] = "false"  # DEBUG would keep every query in memory
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")

import django  # noqa: E402

django.setup()

import xlsxwriter  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from fupin.core.context import acting_as  # noqa: E402
from fupin.regions.loader import bundled_files, load_files  # noqa: E402
from fupin.regions.models import Region  # noqa: E402
from fupin.registry import choices as c  # noqa: E402
from fupin.registry.idnumbers import make_id_number  # noqa: E402
from fupin.registry.imports import COLUMNS, import_households  # noqa: E402
from fupin.registry.models import Person  # noqa: E402

SURNAMES = "赵钱孙李周吴郑王冯陈刘杨黄何罗谢田向冉龚彭蒋舒秦付余唐邓张"
GIVEN = "淑碧秀英华明国强建军永红春梅德志光辉文兰玉芳家成小丽海涛"
ADDRESS_CODES = ["500156", "500232", "512326"]
ETHNIC = [("汉族", 60), ("土家族", 25), ("苗族", 10), ("仡佬族", 5)]
MEMBER_RELATIONS = ["配偶", "之子", "之女", "之孙子", "之孙女", "之父", "之母", "之儿媳"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def generate(path: Path, persons: int, seed: int = 2026) -> int:
    """Write the import file; returns the number of households."""
    rng = random.Random(seed)
    villages = list(
        Region.objects.filter(code__startswith="500156", level=Region.Level.VILLAGE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    labels = {
        key: [label for _, label in choices.choices]
        for key, choices in (
            ("education", c.Education),
            ("school", c.SchoolStatus),
            ("health", c.Health),
            ("labor", c.LaborAbility),
            ("type", c.HouseholdType),
            ("cause", c.PovertyCause),
        )
    }
    ethnic_names, ethnic_weights = zip(*ETHNIC, strict=True)
    used: set[str] = set()
    # Shared strings, as Excel and WPS write them (constant_memory would inline them).
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("贫困户成员")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["武隆区建档立卡贫困户成员信息表（基准测试）"])
    sheet.write_row(1, 0, [spec.header for spec in COLUMNS])
    row, written, households, per_village = 2, 0, 0, {}
    while written < persons:
        size = min(rng.choice((1, 2, 3, 3, 4, 4, 5, 6)), persons - written)
        village = rng.choice(villages)
        per_village[village] = per_village.get(village, 0) + 1
        number = f"{village}{per_village[village]:04d}"
        households += 1
        for member in range(size):
            birth = datetime.date(rng.randint(1940, 2020), rng.randint(1, 12), rng.randint(1, 28))
            while True:
                id_number = make_id_number(rng.choice(ADDRESS_CODES), birth, rng.randint(0, 999))
                if id_number not in used:
                    used.add(id_number)
                    break
            head = member == 0
            cells = [
                number,
                village if head else "",
                "户主" if head else rng.choice(MEMBER_RELATIONS),
                _name(rng),
                id_number,
                "男" if int(id_number[16]) % 2 else "女",
                None,
                rng.choices(ethnic_names, ethnic_weights)[0],
                rng.choice(labels["education"]),
                rng.choice(labels["school"]),
                rng.choice(labels["health"]),
                rng.choice(labels["labor"]),
                f"1{rng.randint(3000000000, 9999999999)}",
            ]
            if head:
                exit_year = rng.choice((None, 2016, 2017, 2018, 2019, 2020))
                cells += [
                    rng.choice(labels["type"]),
                    "已脱贫" if exit_year else "未脱贫",
                    str(rng.choice((2014, 2015, 2016))),
                    str(exit_year or ""),
                    rng.choice(labels["cause"]),
                    rng.randint(4000, 20000),
                ]
            for col, value in enumerate(cells):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(row, col, value)
                else:
                    sheet.write_number(row, col, value)
            sheet.write_datetime(row, 6, birth, date_format)
            row += 1
            written += 1
    book.close()
    return households


def _load() -> str:
    """The 1, 5 and 15 minute load averages, as uptime shows them."""
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def fresh_database(template: Path) -> None:
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, DB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help=f"keep {TMP}")
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        load_files(bundled_files())
        from fupin.accounts.services import create_user

        create_user(
            acting_user=None, username="bench_admin", role="county_admin", region_code="500156"
        )
        connection.close()
        template = TMP / "template.sqlite3"
        with connection.cursor() as cursor:  # fold the WAL into the file before copying
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        shutil.copy(DB, template)

        path = TMP / "households.xlsx"
        started = time.perf_counter()
        households = generate(path, args.persons)
        print(
            f"generated {args.persons} persons in {households} households "
            f"({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s"
        )
        print(f"load average before the runs: {_load()} ({os.cpu_count()} CPUs)")
        rates, results = [], []
        for run in range(1, args.runs + 1):
            fresh_database(template)
            from fupin.accounts.models import User

            user = User.objects.get(username="bench_admin")
            started = time.perf_counter()
            with acting_as(user, source="cli"):
                result = import_households(path, user=user)
            seconds = time.perf_counter() - started
            assert result.rejected == 0, result.errors[:5]
            assert Person.objects.count() == args.persons
            rate = result.rows / seconds
            rates.append(rate)
            results.append((seconds, result))
            t = result.timings
            print(
                f"run {run}: {result.rows} persons, {result.households_created} households in "
                f"{seconds:.2f} s = {rate:,.0f} persons/s "
                f"(parse {t['parse']:.2f} s, validate {t['validate']:.2f} s, "
                f"write {t['write']:.2f} s; load average {_load()})"
            )
        median = statistics.median(rates)
        seconds, result = sorted(results, key=lambda r: r[0])[len(results) // 2]
        t = result.timings
        print(
            f"median of {args.runs}: {median:,.0f} persons/s "
            f"(target 10,000) — parse {t['parse']:.2f} s, validate {t['validate']:.2f} s, "
            f"write {t['write']:.2f} s of {seconds:.2f} s"
        )
    finally:
        connection.close()
        if args.keep:
            print(f"kept {TMP}")
        else:
            shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()

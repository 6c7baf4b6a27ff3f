from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fupin.regions.loader import bundled_files, load_files


class Command(BaseCommand):
    help = "行政区划：fupin regions load [FILES…]（不给文件时加载随附的重庆市区划）"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="加载国家统计局区划代码 CSV（.csv 或 .csv.gz）")
        load.add_argument("files", nargs="*", type=Path)
        load.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        files = opts["files"] or bundled_files()
        for path in files:
            if not path.exists():
                raise CommandError(f"文件不存在：{path}")
        started = time.perf_counter()
        bar = tqdm(desc="写入区划", unit="行", disable=opts["json"], file=self.stderr._out)
        try:
            count = load_files(files, progress=bar.update)
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        seconds = round(time.perf_counter() - started, 2)
        if opts["json"]:
            self.stdout.write(json.dumps({"regions": count, "seconds": seconds}))
        else:
            self.stdout.write(f"已加载 {count} 个区划，用时 {seconds} 秒")

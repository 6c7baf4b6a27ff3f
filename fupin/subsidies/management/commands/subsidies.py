from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fupin.core.context import acting_as
from fupin.regions.models import Region


class Command(BaseCommand):
    help = "政策兑现：fupin subsidies demo [--region 500156001]（演示申请、审批与发放）"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        demo = sub.add_parser("demo", help="为一个乡镇生成演示补贴申请、审批、发放批次与回盘")
        demo.add_argument("--region", default="500156001")
        demo.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fupin.subsidies.demo import build_demo

        if not Region.objects.filter(code=opts["region"]).exists():
            raise CommandError(f"区划代码 {opts['region']} 不存在")
        with acting_as(None, source="cli"):
            summary = build_demo(opts["region"])
        if opts["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            for key, value in summary.items():
                self.stdout.write(f"{key}: {value}")

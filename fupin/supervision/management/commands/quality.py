"""`fupin quality run --region CODE [--user U] [--json]`: the data-quality rules (疑点)
with hits per township; new hits become rectification tasks (nightly from cron)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from fupin.core.commands import error_text, find_user
from fupin.core.context import acting_as
from fupin.supervision.rules import RULES, RULES_BY_CODE, run_quality


class Command(BaseCommand):
    help = "数据疑点：fupin quality run --region CODE [--user U] [--json] / fupin quality rules"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="运行疑点规则，新疑点生成整改任务（不重复）")
        run.add_argument("--region", required=True, help="区划代码")
        run.add_argument("--user", default=None, help="以该用户身份运行（默认系统）")
        run.add_argument("--rule", action="append", default=None, help="只运行某条规则")
        run.add_argument("--as-of", default=None, help="数据日期 YYYY-MM-DD（默认今天，用于年龄）")
        run.add_argument("--dry-run", action="store_true", help="只统计，不生成整改任务")
        run.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
        sub.add_parser("rules", help="列出全部规则及说明")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "rules":
            for rule in RULES:
                self.stdout.write(f"{rule.code}\t{rule.name}\t{rule.description}")
            return
        unknown = [code for code in opts["rule"] or [] if code not in RULES_BY_CODE]
        if unknown:
            raise CommandError(f"未知规则：{'、'.join(unknown)}")
        user = find_user(opts["user"]) if opts["user"] else None
        as_of = None
        if opts["as_of"]:
            try:
                as_of = datetime.date.fromisoformat(opts["as_of"])
            except ValueError as exc:
                raise CommandError(f"日期无效：{opts['as_of']}") from exc
        with acting_as(user, source="cli"):
            try:
                report = run_quality(
                    acting_user=user,
                    region_code=opts["region"].strip(),
                    rules=opts["rule"],
                    as_of=as_of,
                    open_tasks=not opts["dry_run"],
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(error_text(exc)) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        self.stdout.write(f"区划 {report['region']}，数据日期 {report['as_of']}")
        for row in report["rules"]:
            self.stdout.write(
                f"  {row['name']}（{row['code']}）：{row['hits']} 条，新增整改 {row['opened']}"
            )
            for code, n in row["by_township"].items():
                self.stdout.write(f"      {code}：{n}")
        self.stdout.write(f"新增整改任务 {report['opened']} 条")

"""`fupin sample draw --population laborers --region CODE --proportion P [--min N] --user U`
and `fupin sample verify PLAN`: a reproducible draw and its check."""

from __future__ import annotations

import argparse
import datetime
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from fupin.core.commands import error_text, find_user
from fupin.core.context import acting_as
from fupin.supervision import choices as c
from fupin.supervision.models import SamplingPlan
from fupin.supervision.sampling import draw_sample, per_township, verify_plan


def plan_id(value: str) -> int:
    """A plan number, refused in words rather than argparse's English."""
    if not value.strip().isdigit():
        raise argparse.ArgumentTypeError(f"抽样计划编号应为正整数：{value}")
    return int(value)


def minimum(value: str) -> int:
    if not value.strip().isdigit():
        raise argparse.ArgumentTypeError(f"每乡镇最少抽取数应为非负整数：{value}")
    return int(value)


class Command(BaseCommand):
    help = "督导抽样：fupin sample draw … / fupin sample verify PLAN"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        draw = sub.add_parser(
            "draw",
            help="按比例随机抽取样本（系统生成随机种子，每次抽取记入审计日志）",
            description="每个乡镇抽取 max(最少数, ⌈比例×总体⌉) 条，不超过总体数。",
        )
        draw.add_argument("--population", required=True, choices=c.Population.values)
        draw.add_argument("--region", required=True, help="抽样范围（区县或乡镇代码）")
        draw.add_argument("--proportion", required=True, help="抽样比例，如 0.05")
        draw.add_argument("--min", type=minimum, default=0, help="每乡镇最少抽取数")
        draw.add_argument("--strata", default="", choices=c.Strata.values)
        draw.add_argument("--as-of", default=None, help="数据日期 YYYY-MM-DD（默认今天）")
        draw.add_argument("--assignee", default=None, help="核查人用户名（默认督导组轮流）")
        draw.add_argument("--user", required=True, help="以该用户身份抽样")
        draw.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
        verify = sub.add_parser("verify", help="用保存的种子重新抽取，核对样本是否一致")
        verify.add_argument("plan", type=plan_id)
        verify.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "draw":
            self.draw(opts)
        else:
            self.verify(opts)

    def draw(self, opts: dict[str, Any]) -> None:
        user = find_user(opts["user"])
        try:
            proportion = Decimal(opts["proportion"])
        except InvalidOperation as exc:
            raise CommandError(f"抽样比例无效：{opts['proportion']}") from exc
        as_of = None
        if opts["as_of"]:
            try:
                as_of = datetime.date.fromisoformat(opts["as_of"])
            except ValueError as exc:
                raise CommandError(f"日期无效：{opts['as_of']}") from exc
        assignee = find_user(opts["assignee"]) if opts["assignee"] else None
        with acting_as(user, source="cli"):
            try:
                plan = draw_sample(
                    acting_user=user,
                    population=opts["population"],
                    region_code=opts["region"].strip(),
                    proportion=proportion,
                    minimum=opts["min"],
                    strata=opts["strata"],
                    as_of=as_of,
                    assignee=assignee,
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(error_text(exc)) from exc
        rows = per_township(plan)
        payload = {
            "plan": plan.pk,
            "seed": plan.seed,
            "population": plan.population,
            "region": plan.region_id,
            "drawn": sum(r["drawn"] for r in rows),
            "townships": [
                {"code": r["township"], "name": r["name"], "size": r["size"], "drawn": r["drawn"]}
                for r in rows
            ],
        }
        if opts["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write(f"抽样计划 {plan.pk}，随机种子 {plan.seed}，共抽取 {payload['drawn']} 条")
        for r in payload["townships"]:
            self.stdout.write(f"  {r['code']} {r['name']}：总体 {r['size']}，抽取 {r['drawn']}")

    def verify(self, opts: dict[str, Any]) -> None:
        plan = SamplingPlan.objects.filter(pk=opts["plan"]).first()
        if plan is None:
            raise CommandError(f"抽样计划 {opts['plan']} 不存在")
        report = verify_plan(plan)
        if opts["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        else:
            verdict = "一致" if report["matches"] else "不一致（样本或总体被改动）"
            self.stdout.write(f"抽样计划 {plan.pk}（种子 {plan.seed}）：重新抽取结果{verdict}")
            for g in report["groups"]:
                if not g["matches"]:
                    self.stdout.write(
                        f"  {g['township']} {g['stratum']}：应抽 {g['expected']}，"
                        f"现有 {g['actual']}"
                    )
            if not report["audit_matches"]:
                self.stdout.write("  抽样计划与抽取时的审计记录不一致（种子、参数或样本被改动）")
            if report["items_without_call"]:
                self.stdout.write(f"  {report['items_without_call']} 条样本没有电话核查任务")
            if not report["population_unchanged"]:
                self.stdout.write("  注意：当前数据中的总体已与抽样时不同（不影响复核）")
        if not report["matches"]:
            raise SystemExit(1)

"""`fupin match run --region CODE [--top N] [--user USERNAME] [--json]`: compute and store
job recommendations for every unemployed laborer of a region (nightly from cron)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fupin.core.commands import find_user
from fupin.core.context import acting_as
from fupin.matching.services import run_matching


class Command(BaseCommand):
    help = "人岗匹配：fupin match run --region CODE [--top N] [--user USERNAME] [--json]"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "run",
            help="为区划内所有未就业劳动力计算岗位推荐并保存（替换上次结果）",
            description=(
                "为区划（及其下级）内所有未就业的贫困劳动力匹配招聘中的岗位（本区县及劳务协作岗位），"
                "每人保存前 N 个推荐及理由，替换其上次的推荐。"
                "给出 --user 时按该用户的权限与管辖范围运行，否则以系统身份运行（夜间定时任务）。"
            ),
        )
        run.add_argument("--region", required=True, help="区划代码")
        run.add_argument("--top", type=int, default=10, help="每人推荐岗位数（默认 10）")
        run.add_argument("--user", help="以该用户身份运行（检查权限与管辖范围，审计记在其名下）")
        run.add_argument("--json", action="store_true", help="只输出一个 JSON 对象")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = find_user(opts["user"])
        bar = tqdm(disable=opts["json"], file=self.stderr._out, unit="人", leave=False)
        try:
            with acting_as(user, source="cli"):
                summary = run_matching(
                    acting_user=user,
                    region_code=opts["region"],
                    top=opts["top"],
                    progress=bar.update,
                    total=lambda n: bar.reset(total=n),
                )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"用户 {opts['user']} 不能运行人岗匹配：{exc}") from exc
        finally:
            bar.close()
        if opts["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(
                f"已匹配 {summary['laborers']} 名未就业劳动力、{summary['postings']} 个岗位，"
                f"保存 {summary['recommendations']} 条推荐，用时 {summary['seconds']} 秒"
            )

"""`fupin export households|laborers --region CODE --user USERNAME --out FILE.xlsx`: one flow
for every exporter (user, region inside the jurisdiction, file name, audit through the
exporter, JSON or a Chinese line); each exporter only says what to select and write."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from fupin.core.commands import find_user
from fupin.core.context import acting_as
from fupin.core.models import jurisdiction_code
from fupin.employment.laborer_exports import export_laborers, export_queryset
from fupin.regions.models import Region
from fupin.registry.exports import export_households
from fupin.registry.models import Household


@dataclass(frozen=True)
class Exporter:
    select: Callable[[Any, str], Any]  # (user, region code) -> the scoped queryset
    write: Callable[..., int]  # (queryset, out, user=, region_code=, description=) -> rows
    subject: str
    help: str
    description: str


EXPORTERS = {
    "households": Exporter(
        select=lambda user, code: Household.objects.for_user(user).in_region(code),
        write=export_households,
        subject="贫困户",
        help="导出贫困户成员（每名在册成员一行，列与导入模板相同）",
        description="导出某区划（及其下级）的贫困户成员到 .xlsx。",
    ),
    "laborers": Exporter(
        select=export_queryset,
        write=export_laborers,
        subject="贫困劳动力",
        help="导出贫困劳动力及其当前就业情况（每人一行，列与就业情况导入模板相同）",
        description="导出某区划（及其下级）的贫困劳动力及其当前就业情况到 .xlsx。",
    ),
}


class Command(BaseCommand):
    help = (
        "导出数据：fupin export households|laborers --region CODE --user USERNAME --out FILE.xlsx"
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        for kind, exporter in EXPORTERS.items():
            kind_parser = sub.add_parser(
                kind,
                help=exporter.help,
                description=exporter.description + "证件号码按用户权限脱敏；导出记入审计日志。",
            )
            kind_parser.add_argument(
                "--region", required=True, help="区划代码，须在用户的管辖范围内"
            )
            kind_parser.add_argument(
                "--user", required=True, help="以该用户身份导出（权限与管辖范围）"
            )
            kind_parser.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")
            kind_parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args: Any, **opts: Any) -> None:
        exporter = EXPORTERS[opts["kind"]]
        user = find_user(opts["user"])
        code = opts["region"].strip()
        if not Region.objects.filter(code=code).exists():
            raise CommandError(f"区划代码 {code} 不存在")
        prefix = jurisdiction_code(user)
        if prefix is None or not code.startswith(prefix):
            raise CommandError(f"区划 {code} 不在用户 {user.username} 的管辖范围内")
        out: Path = opts["out"]
        if out.suffix.lower() != ".xlsx":
            raise CommandError("输出文件应为 .xlsx")
        with acting_as(user, source="cli"):
            try:
                rows = exporter.write(
                    exporter.select(user, code), out, user=user, region_code=code,
                    description=f"区划 {code}",
                )  # fmt: skip
            except PermissionDenied as exc:
                raise CommandError(
                    f"用户 {user.username} 不能导出{exporter.subject}：{exc}"
                ) from exc
            except OSError as exc:
                raise CommandError(f"无法写入 {out}：{exc}") from exc
        full = user.has_perm("registry.view_full_id")
        if opts["json"]:
            payload = {"rows": rows, "out": str(out), "full_ids": full}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            masked = "完整证件号码" if full else "证件号码已脱敏"
            self.stdout.write(f"已导出 {rows} 行到 {out}（{masked}）")

"""`fupin export households --region CODE --user USERNAME --out FILE.xlsx` (more record
types join as subcommands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from fupin.core.context import acting_as
from fupin.core.models import jurisdiction_code
from fupin.employment import laborer_export_cli
from fupin.regions.models import Region
from fupin.registry.exports import export_households
from fupin.registry.models import Household


def find_user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"用户 {username} 不存在")
    if not user.is_active:
        raise CommandError(f"用户 {username} 已停用")
    return user


class Command(BaseCommand):
    help = (
        "导出数据：fupin export households|laborers --region CODE --user USERNAME --out FILE.xlsx"
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        households = sub.add_parser(
            "households",
            help="导出贫困户成员（每名在册成员一行，列与导入模板相同）",
            description=(
                "导出某区划（及其下级）的贫困户成员到 .xlsx。证件号码按用户权限脱敏；"
                "导出记入审计日志。"
            ),
        )
        households.add_argument("--region", required=True, help="区划代码，须在用户的管辖范围内")
        households.add_argument("--user", required=True, help="以该用户身份导出（权限与管辖范围）")
        households.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")
        households.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
        laborer_export_cli.add_parser(sub)

    def handle(self, *args: Any, **opts: Any) -> None:
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
        if opts["kind"] == "laborers":
            laborer_export_cli.run(self, user, code, out, opts)
            return
        households = Household.objects.for_user(user).in_region(code)
        with acting_as(user, source="cli"):
            try:
                rows = export_households(
                    households, out, user=user, region_code=code, description=f"区划 {code}"
                )
            except PermissionDenied as exc:
                raise CommandError(f"用户 {user.username} 不能导出贫困户：{exc}") from exc
            except OSError as exc:
                raise CommandError(f"无法写入 {out}：{exc}") from exc
        full = user.has_perm("registry.view_full_id")
        if opts["json"]:
            payload = {"rows": rows, "out": str(out), "full_ids": full}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            masked = "完整证件号码" if full else "证件号码已脱敏"
            self.stdout.write(f"已导出 {rows} 行到 {out}（{masked}）")

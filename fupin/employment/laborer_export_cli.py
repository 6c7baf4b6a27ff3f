"""`fupin export laborers --region CODE --user USERNAME --out FILE.xlsx`: the subcommand's
arguments and its run; the shared `fupin export` command (fupin/registry/management/
commands/export.py) checks the user, region and file name, then dispatches here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from fupin.core.context import acting_as
from fupin.employment.laborer_exports import export_laborers, export_queryset


def add_parser(sub: Any) -> None:
    """Add the `laborers` subparser to `fupin export`'s subparsers."""
    laborers = sub.add_parser(
        "laborers",
        help="导出贫困劳动力及其当前就业情况（每人一行，列与就业情况导入模板相同）",
        description=(
            "导出某区划（及其下级）的贫困劳动力及其当前就业情况到 .xlsx。证件号码按用户权限脱敏；"
            "导出记入审计日志。"
        ),
    )
    laborers.add_argument("--region", required=True, help="区划代码，须在用户的管辖范围内")
    laborers.add_argument("--user", required=True, help="以该用户身份导出（权限与管辖范围）")
    laborers.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")
    laborers.add_argument("--json", action="store_true", help="输出一个 JSON 对象")


def run(command: BaseCommand, user: Any, code: str, out: Path, opts: dict[str, Any]) -> None:
    """Export region `code` (already checked to be inside the user's jurisdiction)."""
    with acting_as(user, source="cli"):
        try:
            rows = export_laborers(
                export_queryset(user, code), out, user=user, region_code=code,
                description=f"区划 {code}",
            )  # fmt: skip
        except PermissionDenied as exc:
            raise CommandError(f"用户 {user.username} 不能导出贫困劳动力：{exc}") from exc
        except OSError as exc:
            raise CommandError(f"无法写入 {out}：{exc}") from exc
    full = user.has_perm("registry.view_full_id")
    if opts["json"]:
        payload = {"rows": rows, "out": str(out), "full_ids": full}
        command.stdout.write(json.dumps(payload, ensure_ascii=False))
    else:
        masked = "完整证件号码" if full else "证件号码已脱敏"
        command.stdout.write(f"已导出 {rows} 行到 {out}（{masked}）")

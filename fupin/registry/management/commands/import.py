"""`fupin import households FILE …` (more record types, e.g. laborers, join as subcommands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fupin.core.context import acting_as
from fupin.employment import laborer_import_cli
from fupin.registry.imports import ImportFileError, import_households, write_errors

STAGES = {"parse": "读取", "validate": "校验", "write": "写入"}


def find_user(username: str | None) -> Any:
    """The acting user, or None (the system) when no --user is given."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"用户 {username} 不存在")
    if not user.is_active:
        raise CommandError(f"用户 {username} 已停用")
    return user


class Command(BaseCommand):
    help = (
        "导入数据：fupin import households|laborers FILE [--user USERNAME] [--dry-run] [--json] "
        "[--errors OUT.xlsx]"
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        households = sub.add_parser(
            "households",
            help="导入贫困户及家庭成员（.xlsx/.xls/.csv，每行一名成员）",
            description=(
                "导入贫困户及家庭成员。有错误的行被拒绝（行号、列名、原因），其余行照常导入；"
                "每批整户提交，中断后重新运行即可补全。文件可处理时退出码为 0（即使有被拒绝的行），"
                "文件无法使用（无法读取、缺少证件号码列、用户不存在）时非 0。"
            ),
        )
        households.add_argument("file", type=Path, help=".xlsx、.xls 或 .csv 文件")
        households.add_argument(
            "--user",
            help="以该用户身份导入：检查其导入权限，区划代码限于其管辖范围，审计记录记在其名下。"
            "不给出时以系统身份导入（不限管辖范围）",
        )
        households.add_argument("--dry-run", action="store_true", help="只校验并报告，不写入")
        households.add_argument(
            "--json", action="store_true", help="只输出一个 JSON 对象（计数与错误列表）"
        )
        households.add_argument(
            "--errors", type=Path, metavar="OUT.xlsx", help="把被拒绝的行（含错误原因列）写入该文件"
        )
        laborer_import_cli.add_parser(sub)

    def handle(self, *args: Any, **opts: Any) -> None:
        user = find_user(opts["user"])
        if opts["kind"] == "laborers":
            laborer_import_cli.run(self, user, opts)
            return
        with acting_as(user, source="cli"):
            result = self._run(user, opts)
        if opts["errors"]:
            write_errors(result, opts["errors"])
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        prefix = "（试运行，未写入）" if opts["dry_run"] else ""
        self.stdout.write(
            f"{prefix}共 {result.rows} 行：新增 {result.households_created} 户 "
            f"{result.persons_created} 人，更新 {result.households_updated} 户 "
            f"{result.persons_updated} 人，未变 {result.unchanged} 人，拒绝 {result.rejected} 行"
        )
        for error in result.as_dict()["errors"][:50]:
            column = f" {error['column']}" if error["column"] else ""
            self.stdout.write(f"  第{error['row']}行{column}：{error['message']}")
        if len(result.errors) > 50:
            more = len(result.errors) - 50
            hint = "（用 --errors 导出全部错误行）" if not opts["errors"] else ""
            self.stdout.write(f"  …… 另有 {more} 条错误{hint}")
        if opts["errors"]:
            self.stdout.write(f"错误行已写入 {opts['errors']}")
        timings = "，".join(f"{STAGES[k]} {v} 秒" for k, v in result.timings.items())
        self.stdout.write(f"用时：{timings}")

    def _run(self, user: Any, opts: dict[str, Any]) -> Any:
        bar = tqdm(disable=opts["json"], file=self.stderr._out, unit="行", leave=False)

        class Progress:
            """The engine's progress protocol on a tqdm bar."""

            def __call__(self, count: int = 1) -> None:
                bar.update(count)

            def total(self, total: int) -> None:
                bar.reset(total=total)

        try:
            return import_households(
                opts["file"], user=user, dry_run=opts["dry_run"], progress=Progress()
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"用户 {opts['user']} 不能导入贫困户：{exc}") from exc
        finally:
            bar.close()

"""`fupin import laborers FILE …`: the subcommand's arguments and its run, kept here so that
the shared `fupin import` command (fupin/registry/management/commands/import.py) only
dispatches to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fupin.core.context import acting_as
from fupin.employment.laborer_imports import (
    ImportFileError,
    LaborerImportResult,
    import_laborers,
    write_errors,
)


def add_parser(sub: Any) -> None:
    """Add the `laborers` subparser to `fupin import`'s subparsers."""
    laborers = sub.add_parser(
        "laborers",
        help="导入贫困劳动力就业情况（.xlsx/.xls/.csv，每行一人，按证件号码识别）",
        description=(
            "导入贫困劳动力就业情况。人员须已登记且在用户的管辖范围内；有错误的行被拒绝（行号、列名、"
            "原因），其余行照常导入；与当前情况相同的行不作改动，不同的行记为自状态日期起的新情况（历史保留）；"
            "每批在一个事务中提交。文件可处理时退出码为 0（即使有被拒绝的行），文件无法使用"
            "（无法读取、缺少证件号码或就业状态列、用户不存在）时非 0。"
        ),
    )
    laborers.add_argument("file", type=Path, help=".xlsx、.xls 或 .csv 文件")
    laborers.add_argument(
        "--user",
        help="以该用户身份导入：检查其权限与管辖范围，审计记录记在其名下。"
        "不给出时以系统身份导入（不限管辖范围）",
    )
    laborers.add_argument("--dry-run", action="store_true", help="只校验并报告，不写入")
    laborers.add_argument(
        "--json", action="store_true", help="只输出一个 JSON 对象（计数与错误列表）"
    )
    laborers.add_argument(
        "--errors", type=Path, metavar="OUT.xlsx", help="把被拒绝的行（含错误原因列）写入该文件"
    )


def run(command: BaseCommand, user: Any, opts: dict[str, Any]) -> None:
    """Import the file as `user` (None: the system) and report on the command's stdout."""
    bar = tqdm(disable=opts["json"], file=command.stderr._out, unit="行", leave=False)

    class Progress:
        def __call__(self, count: int = 1) -> None:
            bar.update(count)

        def total(self, total: int) -> None:
            bar.reset(total=total)

    try:
        with acting_as(user, source="cli"):
            result: LaborerImportResult = import_laborers(
                opts["file"], user=user, dry_run=opts["dry_run"], progress=Progress()
            )
    except ImportFileError as exc:
        raise CommandError(str(exc)) from exc
    except PermissionDenied as exc:
        raise CommandError(f"用户 {opts['user']} 不能导入就业情况：{exc}") from exc
    finally:
        bar.close()
    if opts["errors"]:
        try:
            write_errors(result, opts["errors"])
        except OSError as exc:
            raise CommandError(f"无法写入 {opts['errors']}：{exc}") from exc
    out = command.stdout
    if opts["json"]:
        out.write(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    prefix = "（试运行，未写入）" if opts["dry_run"] else ""
    out.write(
        f"{prefix}共 {result.rows} 行：新增 {result.created} 人，更新 {result.updated} 人，"
        f"未变 {result.unchanged} 人，拒绝 {result.rejected} 行"
    )
    errors = result.as_dict()["errors"]
    for error in errors[:50]:
        column = f" {error['column']}" if error["column"] else ""
        out.write(f"  第{error['row']}行{column}：{error['message']}")
    if len(errors) > 50:
        hint = "" if opts["errors"] else "（用 --errors 导出全部错误行）"
        out.write(f"  …… 另有 {len(errors) - 50} 条错误{hint}")
    if opts["errors"]:
        out.write(f"错误行已写入 {opts['errors']}")

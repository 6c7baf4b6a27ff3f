"""`fupin import households|laborers FILE …`: one flow for every importer (arguments,
acting user, progress bar, errors file, JSON or a Chinese summary); each importer only
says how to run and how to count."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fupin.core.commands import find_user
from fupin.core.context import acting_as
from fupin.core.xlsx import SpreadsheetError
from fupin.employment import laborer_imports
from fupin.registry import imports

STAGES = {"parse": "读取", "validate": "校验", "write": "写入"}
EXIT_CODES = (
    "文件可处理时退出码为 0（即使有被拒绝的行），文件无法使用（无法读取、缺少必需列、用户不存在）"
    "时非 0。"
)


@dataclass(frozen=True)
class Importer:
    run: Callable[..., Any]  # (file, user=, dry_run=, progress=) -> result
    write_errors: Callable[[Any, Path], None]
    subject: str  # what is imported, for messages
    help: str
    description: str
    counts: Callable[[Any], str]  # the summary line's counts


IMPORTERS = {
    "households": Importer(
        run=imports.import_households,
        write_errors=imports.write_errors,
        subject="贫困户",
        help="导入贫困户及家庭成员（.xlsx/.xls/.csv，每行一名成员）",
        description="导入贫困户及家庭成员。有错误的行被拒绝（行号、列名、原因），其余行照常导入；"
        "每批整户提交，中断后重新运行即可补全。",
        counts=lambda r: (
            f"新增 {r.households_created} 户 {r.persons_created} 人，"
            f"更新 {r.households_updated} 户 {r.persons_updated} 人"
        ),
    ),
    "laborers": Importer(
        run=laborer_imports.import_laborers,
        write_errors=laborer_imports.write_errors,
        subject="就业情况",
        help="导入贫困劳动力就业情况（.xlsx/.xls/.csv，每行一人，按证件号码识别）",
        description="导入贫困劳动力就业情况。人员须已登记且在用户的管辖范围内；有错误的行被拒绝"
        "（行号、列名、原因），其余行照常导入；与当前情况相同的行不作改动，不同的行记为自状态日期"
        "起的新情况（历史保留）；每批在一个事务中提交。",
        counts=lambda r: f"新增 {r.created} 人，更新 {r.updated} 人",
    ),
}


class Command(BaseCommand):
    help = (
        "导入数据：fupin import households|laborers FILE [--user USERNAME] [--dry-run] [--json] "
        "[--errors OUT.xlsx]"
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        for kind, importer in IMPORTERS.items():
            kind_parser = sub.add_parser(
                kind, help=importer.help, description=importer.description + EXIT_CODES
            )
            kind_parser.add_argument("file", type=Path, help=".xlsx、.xls 或 .csv 文件")
            kind_parser.add_argument(
                "--user",
                help="以该用户身份导入：检查其导入权限，数据限于其管辖范围，审计记录记在其名下。"
                "不给出时以系统身份导入（不限管辖范围）",
            )
            kind_parser.add_argument("--dry-run", action="store_true", help="只校验并报告，不写入")
            kind_parser.add_argument(
                "--json", action="store_true", help="只输出一个 JSON 对象（计数与错误列表）"
            )
            kind_parser.add_argument(
                "--errors",
                type=Path,
                metavar="OUT.xlsx",
                help="把被拒绝的行（含错误原因列）写入该文件",
            )

    def handle(self, *args: Any, **opts: Any) -> None:
        importer = IMPORTERS[opts["kind"]]
        user = find_user(opts["user"])
        with acting_as(user, source="cli"):
            result = self._run(importer, user, opts)
        if opts["errors"]:
            try:
                importer.write_errors(result, opts["errors"])
            except OSError as exc:
                raise CommandError(f"无法写入 {opts['errors']}：{exc}") from exc
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        prefix = "（试运行，未写入）" if opts["dry_run"] else ""
        self.stdout.write(
            f"{prefix}共 {result.rows} 行：{importer.counts(result)}，未变 {result.unchanged} 人，"
            f"拒绝 {result.rejected} 行"
        )
        errors = result.as_dict()["errors"]
        for error in errors[:50]:
            column = f" {error['column']}" if error["column"] else ""
            self.stdout.write(f"  第{error['row']}行{column}：{error['message']}")
        if len(errors) > 50:
            hint = "" if opts["errors"] else "（用 --errors 导出全部错误行）"
            self.stdout.write(f"  …… 另有 {len(errors) - 50} 条错误{hint}")
        if opts["errors"]:
            self.stdout.write(f"错误行已写入 {opts['errors']}")
        timings = getattr(result, "timings", None)
        if timings:
            spent = "，".join(f"{STAGES.get(k, k)} {v} 秒" for k, v in timings.items())
            self.stdout.write(f"用时：{spent}")

    def _run(self, importer: Importer, user: Any, opts: dict[str, Any]) -> Any:
        bar = tqdm(disable=opts["json"], file=self.stderr._out, unit="行", leave=False)

        class Progress:
            """The engine's progress protocol on a tqdm bar."""

            def __call__(self, count: int = 1) -> None:
                bar.update(count)

            def total(self, total: int) -> None:
                bar.reset(total=total)

        try:
            return importer.run(
                opts["file"], user=user, dry_run=opts["dry_run"], progress=Progress()
            )
        except SpreadsheetError as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"用户 {opts['user']} 不能导入{importer.subject}：{exc}") from exc
        finally:
            bar.close()

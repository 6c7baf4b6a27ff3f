"""`fupin stats --region CODE [--as-of YYYY-MM-DD] [--user USERNAME] [--json] [--out F.xlsx]`:
the headline indicators and the per-township table, as JSON or a readable Chinese table."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from fupin.core.commands import find_user
from fupin.core.context import acting_as
from fupin.stats.figures import figures
from fupin.stats.report import FLOW_NOTE, headline_rows, parse_as_of, province_names, write_xlsx

TABLE = [
    ("laborers", "劳动力"),
    ("transferred", "转移就业"),
    ("unemployed_with_needs", "未就业"),
    ("coverage", "服务覆盖率"),
    ("workshop_laborers", "车间吸纳"),
    ("public_welfare_on_post", "公益岗在岗"),
    ("training_enrollments", "培训人次"),
    ("export_workers", "输出人数"),
]


def width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: Any, size: int, right: bool = False) -> str:
    text = str(text)
    space = " " * max(size - width(text), 0)
    return space + text if right else text + space


def show(value: Any, key: str = "") -> str:
    if key == "coverage":
        return f"{100 * value:.1f}%"
    return f"{value:,}" if isinstance(value, int) else str(value)


class Command(BaseCommand):
    help = "就业帮扶统计：fupin stats --region CODE [--as-of YYYY-MM-DD] [--user USERNAME] --json"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", required=True, help="区划代码（区县、乡镇或村）")
        parser.add_argument("--as-of", default="", help="截止日期 YYYY-MM-DD，默认今天")
        parser.add_argument(
            "--user", default="", help="以该用户身份统计（限其管辖范围）；不填则为系统身份"
        )
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
        parser.add_argument("--out", type=Path, metavar="FILE.xlsx", help="同时导出 Excel 报表")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = None
        if opts["user"]:
            user = find_user(opts["user"])
            if not user.has_perm("core.view_figures"):
                raise CommandError(f"用户 {user.username} 没有查看统计数据的权限")
        code = opts["region"].strip()
        if not code.isdigit():
            raise CommandError(f"区划代码 {code or '（空）'} 格式不正确，应为数字")
        out: Path | None = opts["out"]
        if out is not None and out.suffix.lower() != ".xlsx":
            raise CommandError("输出文件应为 .xlsx")
        try:
            day = parse_as_of(opts["as_of"])
            data = figures(code, day, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            if user is not None:
                raise CommandError(f"区划 {code} 不在用户 {user.username} 的管辖范围内") from exc
            raise CommandError(str(exc)) from exc
        except Http404 as exc:
            raise CommandError(str(exc)) from exc
        if out is not None:
            with acting_as(user, source="cli"):
                try:
                    write_xlsx(data, out, description="命令行导出")
                except OSError as exc:
                    raise CommandError(f"无法写入 {out}：{exc}") from exc
        if opts["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(self._table(data))
        if out is not None:
            self.stdout.write(f"\n已导出：{out}")

    def _table(self, data: dict[str, Any]) -> str:
        """The headline rows, then the per-township table, aligned for a terminal."""
        lines = [f"{data['region']['name']}就业帮扶统计（截至 {data['as_of']}）", ""]
        for label, value, sub in headline_rows(data, province_names(data)):
            lines.append(pad(("  " if sub else "") + label, 40) + pad(show(value), 14, True))
        if data["townships"]:
            lines.append("")
            header = pad("区域", 20) + "".join(pad(label, 12, True) for _, label in TABLE)
            lines.append(header)
            for row in [*data["townships"], {**data, "name": "合计"}]:
                cells = "".join(pad(show(row[key], key), 12, True) for key, _ in TABLE)
                lines.append(pad(row["name"], 20) + cells)
        lines += ["", FLOW_NOTE]
        return "\n".join(lines)

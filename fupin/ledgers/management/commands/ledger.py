"""`fupin ledger list` and `fupin ledger export NAME|all --region CODE --user USERNAME
[--as-of YYYY-MM-DD] --out PATH [--json]`."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fupin.core.commands import error_text, find_user
from fupin.core.context import acting_as
from fupin.core.dates import parse_as_of
from fupin.ledgers.definitions import LEDGER_LIST, LEDGERS, Ledger, resolve_region
from fupin.ledgers.services import export_ledger
from fupin.ledgers.writer import LedgerTooLarge
from fupin.regions.models import Region


class _Bar:
    """Progress sink for the writer: a tqdm bar per ledger."""

    def __init__(self, title: str, enabled: bool) -> None:
        self.title = title
        self.enabled = enabled
        self.bar: Any = None

    def total(self, total: int) -> None:
        if self.enabled:
            self.bar = tqdm(total=total, desc=self.title, unit="行", leave=True)

    def __call__(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _date(text: str | None) -> datetime.date:
    try:  # a ledger may be produced for a date ahead (e.g. month end)
        return parse_as_of(text, future=True)
    except ValidationError as exc:
        raise CommandError(error_text(exc)) from None


class Command(BaseCommand):
    help = "工作台账：fupin ledger list；fupin ledger export NAME|all --region CODE --user USERNAME"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="列出全部台账")
        listing.add_argument("--json", action="store_true", help="输出 JSON")
        export = sub.add_parser(
            "export",
            help="导出台账（.xlsx）",
            description=(
                "导出某区划（须在用户管辖范围内）截止某日的台账。NAME 为台账标识，all 为全部 11 本"
                "（此时 --out 为目录，文件名为 <台账标识>.xlsx）。证件号码按用户权限脱敏；"
                "导出记入审计日志。"
            ),
        )
        export.add_argument("name", help="台账标识（见 fupin ledger list）或 all")
        export.add_argument("--region", required=True, help="区划代码")
        export.add_argument("--user", required=True, help="以该用户身份导出（权限与管辖范围）")
        export.add_argument("--as-of", dest="as_of", help="截止日期 YYYY-MM-DD（默认今天）")
        export.add_argument("--out", required=True, type=Path, help="输出文件；all 时为目录")
        export.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "list":
            self._list(opts["json"])
        else:
            self._export(opts)

    def _list(self, as_json: bool) -> None:
        if as_json:
            payload = [
                {"id": x.id, "title": x.title, "period": x.period, "description": x.description}
                for x in LEDGER_LIST
            ]
            self.stdout.write(json.dumps({"ledgers": payload}, ensure_ascii=False))
            return
        for ledger in LEDGER_LIST:
            self.stdout.write(f"{ledger.id:<16}{ledger.title}　{ledger.description}")

    def _targets(self, name: str, out: Path) -> list[tuple[Ledger, Path]]:
        if name == "all":
            if out.exists() and not out.is_dir():
                raise CommandError(f"{out} 不是目录：导出全部台账时 --out 应为目录")
            return [(ledger, out / f"{ledger.id}.xlsx") for ledger in LEDGER_LIST]
        if name not in LEDGERS:
            raise CommandError(f"未知的台账 {name}（可选：{'、'.join(LEDGERS)} 或 all）")
        if out.suffix.lower() != ".xlsx":
            raise CommandError("输出文件应为 .xlsx")
        return [(LEDGERS[name], out)]

    def _export(self, opts: dict[str, Any]) -> None:
        user = find_user(opts["user"])
        as_of = _date(opts["as_of"])
        code = opts["region"].strip()
        try:
            resolve_region(user, code)
        except Region.DoesNotExist as exc:
            raise CommandError(str(exc) or f"区划代码 {code} 不存在") from None
        except PermissionDenied as exc:
            raise CommandError(f"用户 {user.username}：{exc}") from None
        out: Path = opts["out"]
        targets = self._targets(opts["name"], out)
        if opts["name"] == "all":
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CommandError(f"无法创建目录 {out}：{exc}") from exc
        done = []
        with acting_as(user, source="cli"):
            for ledger, path in targets:
                bar = _Bar(ledger.title, enabled=not opts["json"])
                started = time.perf_counter()
                try:
                    result = export_ledger(
                        ledger, path, region_code=code, as_of=as_of, user=user, progress=bar
                    )
                except OSError as exc:
                    raise CommandError(f"无法写入 {path}：{exc}") from exc
                except LedgerTooLarge as exc:
                    raise CommandError(str(exc)) from None
                finally:
                    bar.close()
                done.append(
                    {
                        "id": ledger.id,
                        "rows": result.rows,
                        "path": str(path),
                        "seconds": round(time.perf_counter() - started, 3),
                        "totals": result.totals,
                    }
                )
        full = user.has_perm("registry.view_full_id")
        if opts["json"]:
            payload = {"region": code, "as_of": as_of.isoformat(), "full_ids": full}
            payload["ledgers"] = done
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        masked = "完整证件号码" if full else "证件号码已脱敏"
        for item in done:
            self.stdout.write(f"{item['id']:<16}{item['rows']:>8} 行  {item['path']}")
        self.stdout.write(f"已导出 {len(done)} 本台账（截止 {as_of:%Y-%m-%d}，{masked}）")

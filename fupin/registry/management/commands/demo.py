"""`fupin demo`: migrate, load the regions, generate the Wulong demo district and its
employment-assistance data, create the demo logins. Running it again only prints the logins.

All data is as of the reference date 2020-12-31 (ages, who is a poor laborer, employment
states): with the default 18,000 households Wulong then counts the published 2020 figures
(domain.md §9, see fupin.employment.demo); a smaller --households scales them down.
Then a current layer dated today (open postings, needs, a matching run, 凤山街道's subsidy
claims; fupin.employment.demo_current), skipped when present and blind to the 2020 figures."""

from __future__ import annotations

import datetime
import json
import time
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fupin.accounts.models import User
from fupin.accounts.roles import Role
from fupin.accounts.services import create_user
from fupin.core.context import acting_as
from fupin.employment.demo import Figures, generate_employment
from fupin.employment.demo_current import build_current
from fupin.employment.models import EmploymentRecord
from fupin.regions.loader import bundled_files, load_files
from fupin.regions.models import Region
from fupin.registry.demo import (
    DEFAULT_HOUSEHOLDS,
    DEFAULT_SEED,
    FENGSHAN,
    REFERENCE_DATE,
    WULONG,
    generate_demo_district,
)
from fupin.registry.models import Household

DEMO_PASSWORD = "Fupin@2026"
DEMO_URL = "http://127.0.0.1:8000/"
# (username, role, region, full name)
DEMO_USERS = [
    ("admin", Role.COUNTY_ADMIN, WULONG, "武隆区人力社保局管理员"),
    ("fengshan", Role.TOWNSHIP_OPERATOR, "500156001", "凤山街道经办员"),
    ("fengshancun", Role.VILLAGE_CLERK, "500156001201", "凤山村信息员"),
    ("supervisor", Role.SUPERVISOR, WULONG, "武隆区督导员"),
    ("leader", Role.LEADER, WULONG, "武隆区领导"),
]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned for a terminal, counting Chinese characters as two wide."""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, w) for cell, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "演示环境：建库、加载区划、生成武隆区演示数据（约 18,000 户）及就业帮扶数据"
        "（数据截至 2020-12-31，符合武隆区 2020 年公开数据），并创建演示账号"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")
        parser.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS, help="生成的户数")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["households"] < 1:
            raise CommandError("--households 至少为 1")
        started = time.perf_counter()
        with acting_as(None, source="cli"):
            call_command("migrate", interactive=False, verbosity=0)
            if not Region.objects.filter(code=WULONG).exists():
                load_files(bundled_files())
            counts = self._generate(opts)
            current = self._current(opts)
            created = self._users()
        seconds = round(time.perf_counter() - started, 2)
        if opts["json"]:
            result = {**counts, "seconds": seconds, "users": len(created)}
            result.pop("figures", None)
            result["reference_date"] = REFERENCE_DATE.isoformat()
            result["current"] = current
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        if counts["households"]:
            self.stdout.write(
                f"已生成武隆区演示数据：{counts['households']:,} 户，"
                f"{counts['persons']:,} 人，用时 {seconds} 秒"
            )
        if counts.get("laborers"):
            self.stdout.write(
                f"已生成就业帮扶演示数据（数据截至 {REFERENCE_DATE:%Y年%m月%d日}，"
                f"年龄与就业状态均按该日计算）：{counts['laborers']:,} 名贫困劳动力，"
                f"{counts['records']:,} 条就业记录"
            )
            self.stdout.write(self._figures(counts["figures"]))
        if current:
            self.stdout.write(self._current_lines(current))
        if created:
            self.stdout.write(f"已创建演示账号：{'、'.join(created)}")
        self.stdout.write("")
        self.stdout.write(self._logins())
        self.stdout.write("")
        self.stdout.write(f"启动服务（fupin runserver）后打开 {DEMO_URL} 登录")

    def _generate(self, opts: dict[str, Any]) -> dict[str, Any]:
        existing = Household.objects.in_region(WULONG).count()
        figures = Figures.for_households(existing or opts["households"])
        if existing:
            if not opts["json"]:
                self.stdout.write(f"演示数据已存在（武隆区 {existing:,} 户），跳过生成")
            counts: dict[str, Any] = {"households": 0, "persons": 0}
            if not EmploymentRecord.objects.in_region(WULONG).exists():
                counts.update(self._employment(figures, opts))
            return counts
        bar = tqdm(
            total=opts["households"],
            desc="生成演示数据",
            unit="户",
            disable=opts["json"],
            file=self.stderr._out,
        )
        try:
            counts = generate_demo_district(
                seed=opts["seed"],
                households=opts["households"],
                progress=bar.update,
                township_laborers={FENGSHAN: figures.fengshan_laborers},
            )
        finally:
            bar.close()
        return {
            "households": counts["households"],
            "persons": counts["persons"],
            **self._employment(figures, opts),
        }

    def _employment(self, figures: Figures, opts: dict[str, Any]) -> dict[str, Any]:
        try:
            counts = generate_employment(figures, seed=opts["seed"])
        except ValueError as exc:  # a district too small for the figures: registry only
            self.stderr.write(f"未生成就业帮扶演示数据：{exc}")
            return {"laborers": 0, "records": 0}
        return {
            "laborers": counts["laborers"],
            "records": counts["records"],
            "figures": figures,
        }

    def _current(self, opts: dict[str, Any]) -> dict[str, Any] | None:
        """The current layer (fupin.employment.demo_current), once the 2020 data exists."""
        if not EmploymentRecord.objects.in_region(WULONG).exists():
            return None
        return build_current(seed=opts["seed"])

    def _current_lines(self, cur: dict[str, Any]) -> str:
        p, n, mt, s = cur["postings"], cur["needs"], cur["matching"], cur["subsidies"]
        up = cur["upkeep"]
        day = datetime.date.fromisoformat(cur["date"])
        posts = (
            f"新增 {p['created']} 个" if p["created"] else f"已存在，跳过生成；现有 {p['open']} 个"
        )
        needs = f"补录就业需求 {n['added']} 人" if n["added"] else "均已有就业需求"
        match = "已有推荐，跳过匹配" if mt["skipped"] else f"用时 {mt['seconds']} 秒"
        subsidy = f"本次新增 {s['created']} 笔" if s["created"] else "本期已存在，跳过生成"
        return "\n".join(
            [
                f"当前演示数据（按今天 {day:%Y年%m月%d日}）：",
                f"  招聘中岗位：{posts}（共 {p['open']} 个，剩余招聘 {p['openings_left']:,} 人，"
                f"覆盖 {p['townships']} 个乡镇（街道），爱心岗位 {p['caring']} 个，"
                f"扶贫车间 {p['workshop']} 个，劳务协作 {p['partner']} 个）",
                f"  未就业且有就业意愿的贫困劳动力：{n['seeking']:,} 人，{needs}",
                f"  日常工作：{up['laborers']:,} 名贫困劳动力，"
                + (
                    "本期核实与本年服务已存在，跳过生成"
                    if up["skipped"]
                    else f"本期已核实 {up['verified']:,} 人，本年服务 {up['served']:,} 人"
                    f"（{up['services']:,} 次）"
                ),
                f"  人岗匹配：{mt['laborers']:,} 名未就业劳动力、{mt['postings']} 个岗位，"
                f"{mt['recommendations']:,} 条推荐（{match}）",
                f"  政策兑现（凤山街道本期）：{s['claims']} 笔申请（{subsidy}），"
                f"已发放 {s['paid']} 笔、{s['paid_amount']:,} 元，发放失败 {s['failed']} 笔",
            ]
        )

    def _figures(self, f: Figures) -> str:
        rows = [
            ["转移就业贫困劳动力", f"{f.transferred:,} 人"],
            [
                "认定扶贫车间（未撤销）",
                f"{f.workshops} 个，吸纳贫困劳动力 {f.workshop_laborers} 人",
            ],
            ["公益性岗位在岗", f"{f.public_welfare:,} 人"],
            ["创业担保贷款（已放款）", f"{f.loans_total / 10_000:,.0f} 万元"],
            ["招聘活动", f"{f.events} 次，提供岗位 {f.posts_offered:,} 个"],
            ["凤山街道贫困劳动力", f"{f.fengshan_laborers:,} 人"],
            [
                "凤山街道公益性岗位",
                f"开发 {f.fengshan_posts} 个，安置建卡贫困户 {f.fengshan_placed} 人",
            ],
            ["凤山街道就业适应性培训", f"{f.fengshan_adaptive} 人"],
            ["凤山街道在山东务工", f"{f.fengshan_shandong} 人"],
        ]
        return "演示数据按以下指标生成（系统按 2020-12-31 统计即得）：\n" + format_table(
            ["指标", "数值"], rows
        )

    def _users(self) -> list[str]:
        created = []
        for username, role, region, full_name in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            try:
                create_user(
                    acting_user=None,
                    username=username,
                    role=role,
                    region_code=region,
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                )
            except ValidationError as exc:
                raise CommandError(f"无法创建演示账号 {username}：{exc.messages}") from exc
            created.append(username)
        return created

    def _logins(self) -> str:
        names = [u[0] for u in DEMO_USERS]
        users = {u.username: u for u in User.objects.filter(username__in=names)}
        rows = []
        for name in names:
            user = users.get(name)
            if user is None:
                continue
            region = user.region.full_name if user.region else ""
            rows.append([name, user.get_role_display(), region, DEMO_PASSWORD])
        table = format_table(["用户名", "角色", "管辖区域", "密码"], rows)
        return f"演示账号：\n{table}"

"""The statistics report as tables: the headline rows and the per-township columns, shared
by the page, the xlsx export and the CLI's readable output so that all three agree."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from fupin.core import audit
from fupin.core.dates import parse_as_of  # noqa: F401 (the stats pages, API and CLI use it from here)
from fupin.core.models import AuditLog
from fupin.core.xlsx import Column, Workbook, neutralise
from fupin.employment import choices as c
from fupin.regions.models import Region
from fupin.stats.figures import FORMS, LABELS, TIERS, TRAINING_TYPES

FLOW_NOTE = (
    "存量指标（贫困劳动力、就业状态、扶贫车间、公益性岗位）为截止日期当天的状态；"
    "流量指标（招聘活动、创业担保贷款、培训、劳务输出、就业服务）按截止日期所在年度"
    "1月1日至截止日期统计。人员按户籍所在村（社区）统计，车间、岗位、活动、批次按所在地统计。"
)


def percent(share: float) -> float:
    """A 0–1 share as a percentage with two decimals (97.27)."""
    return round(100 * share, 2)


def province_names(data: dict[str, Any]) -> dict[str, str]:
    """Names of the provinces in transferred_by_province (one query)."""
    codes = [code for code in data.get("transferred_by_province", {}) if code]
    return dict(Region.objects.filter(code__in=codes).order_by().values_list("code", "name"))


def policy_names(data: dict[str, Any]) -> dict[str, str]:
    """Names of the subsidy policies in subsidies_by_policy (one query, none if empty)."""
    from fupin.subsidies.models import Policy

    codes = list(data.get("subsidies_by_policy", {}))
    if not codes:
        return {}
    return dict(Policy.objects.filter(code__in=codes).values_list("code", "name"))


def headline_rows(
    data: dict[str, Any], provinces: dict[str, str] | None = None
) -> list[tuple[str, Any, bool]]:
    """(label, value, is_sub_row) in report order; coverage as a percentage."""
    home = data["region"]["code"] or "50"
    rows: list[tuple[str, Any, bool]] = []

    def add(key: str) -> None:
        rows.append((LABELS[key], data[key], False))

    add("laborers")
    add("employed")
    add("transferred")
    for tier in TIERS:
        rows.append((f"其中：{c.tier_label(tier, home)}", data["transferred_by_tier"][tier], True))
    for form in FORMS:
        rows.append((f"其中：{c.Form(form).label}", data["transferred_by_form"][form], True))
    for code, n in sorted(data.get("transferred_by_province", {}).items(), key=lambda x: -x[1]):
        name = (provinces or {}).get(code, code) if code else "务工地未填写"
        rows.append((f"其中：务工地在{name}", n, True))
    add("unemployed_with_needs")
    add("served")
    rows.append(("就业服务覆盖率（%）", percent(data["coverage"]), False))
    for key in (
        "recruitment_events",
        "posts_offered",
        "workshops",
        "workshop_laborers",
        "public_welfare_posts",
        "public_welfare_on_post",
        "startup_loans",
        "startup_loan_amount",
        "training_enrollments",
    ):
        add(key)
    for kind in TRAINING_TYPES:
        label = c.TrainingType(kind).label
        rows.append((f"其中：{label}", data["training_by_type"][kind], True))
    add("export_batches")
    add("export_workers")
    add("job_pushes")
    add("push_interested")
    add("push_hires")
    rows.append(("推送就业转化率（%）", percent(data["push_conversion"]), False))
    add("subsidies_paid")
    policies = policy_names(data)
    for code, n in sorted(data.get("subsidies_by_policy", {}).items(), key=lambda x: -x[1]):
        rows.append((f"其中：{policies.get(code, code)}", n, True))
    add("subsidy_amount")
    return rows


def township_columns(home: str) -> list[tuple[str, str]]:
    """(key, header) of the per-township table; dotted keys read a breakdown."""
    return [
        ("laborers", "贫困劳动力"),
        ("employed", "已就业"),
        ("transferred", "转移就业"),
        *[(f"transferred_by_tier.{t}", c.tier_label(t, home or "50")) for t in TIERS],
        ("unemployed_with_needs", "未就业有需求"),
        ("served", "接受就业服务"),
        ("coverage_percent", "服务覆盖率（%）"),
        ("recruitment_events", "招聘活动"),
        ("posts_offered", "提供岗位"),
        ("workshops", "扶贫车间"),
        ("workshop_laborers", "车间吸纳"),
        ("public_welfare_posts", "公益性岗位"),
        ("public_welfare_on_post", "在岗人数"),
        ("startup_loans", "创业贷款（笔）"),
        ("startup_loan_amount", "贷款金额（元）"),
        ("training_enrollments", "培训人次"),
        ("export_batches", "输出批次"),
        ("export_workers", "输出人数"),
        ("job_pushes", "岗位推送"),
        ("push_interested", "推送有意向"),
        ("push_hires", "推送后就业"),
        ("subsidies_paid", "补贴发放（笔）"),
        ("subsidy_amount", "补贴金额（元）"),
    ]


def cell(row: dict[str, Any], key: str) -> Any:
    if key == "coverage_percent":
        return percent(row["coverage"])
    if "." in key:
        outer, inner = key.split(".")
        return row[outer][inner]
    return row[key]


def township_table(data: dict[str, Any]) -> tuple[list[str], list[list[Any]], list[Any]]:
    """(headers, rows, totals): code and name first, then township_columns."""
    columns = township_columns(data["region"]["code"])
    headers = ["区划代码", "名称", *[label for _, label in columns]]
    rows = [[r["code"], r["name"], *[cell(r, k) for k, _ in columns]] for r in data["townships"]]
    totals = ["", "合计", *[cell(data, k) for k, _ in columns]]
    return headers, rows, totals


CHILD_LABELS = {6: "各乡镇（街道）", 9: "各村（社区）", 12: ""}


def child_label(code: str) -> str:
    """Heading of the per-child table (各乡镇（街道） under a county, 各村 under a township)."""
    return CHILD_LABELS.get(len(code), "下级区划")


def write_xlsx(data: dict[str, Any], out: str | Path | IO[bytes], *, description: str = "") -> int:
    """The headline sheet and the per-township sheet of `data` (from `figures`) to `out`,
    through the house Workbook (text neutralised), audited as one export; returns the
    number of township rows."""
    region = data["region"]
    title = f"{region['name']}就业帮扶统计（截至{data['as_of']}）"
    provinces = province_names(data)
    with Workbook(out) as book:
        columns = [Column("指标", width=34), Column("数值", width=16)]
        sheet = book.add_sheet("主要指标", columns, title=neutralise(title))
        for label, value, sub in headline_rows(data, provinces):
            sheet.write_row([("    " if sub else "") + label, value])
        sheet.write_row([])
        sheet.write_row([FLOW_NOTE])
        headers, rows, totals = township_table(data)
        if rows:
            widths = [14, 14, *[11] * (len(headers) - 2)]
            table = book.add_sheet(
                child_label(region["code"]),
                [Column(h, width=w) for h, w in zip(headers, widths, strict=True)],
                title=neutralise(title),
            )
            for row in rows:
                table.write_row(row)
            table.write_row(totals)
    audit.record(
        AuditLog.Action.EXPORT,
        object_type="stats.figures",
        object_repr=f"{region['name']}就业帮扶统计"[:200],
        region_code=region["code"],
        changes={"as_of": data["as_of"], "rows": len(rows)},
        message=f"导出统计报表：{region['name']}，截至 {data['as_of']}，{len(rows)} 个下级区划"
        + (f"；{description}" if description else ""),
    )
    return len(rows)

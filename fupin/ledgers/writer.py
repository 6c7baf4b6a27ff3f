"""Writing one ledger as a government-form workbook, streamed (xlsxwriter constant_memory):

    武隆区凤山街道贫困劳动力实名制台账                      (title, merged)
    填报单位：凤山街道                    截止日期：2020年12月31日
    序号 | 乡镇（街道） | 村（社区） | …                    (bold, bordered; frozen; printed
    1    | …                                                 on every page)
    合计 | 1,187人 | … totals (SUBTOTAL formulas with their computed values stored)

A4 landscape, one page wide. Rows come from `Ledger.values` (one query, values selected
in SQL, iterated in chunks), so memory does not grow with the number of rows.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from django.conf import settings
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.xmlwriter import XMLwriter

from fupin.core.dates import age_on
from fupin.core.generic import masked_phone
from fupin.core.xlsx import neutralise
from fupin.employment import choices as ec
from fupin.ledgers.definitions import Column, Ledger, Scope, cell_total
from fupin.regions.models import Region
from fupin.registry.idnumbers import mask_id_number

TITLE_ROW, UNIT_ROW, HEADER_ROW = 0, 1, 2
FIRST_DATA_ROW = 3
PROGRESS_EVERY = 1000
MAX_ROWS = 1_048_576  # Excel's rows per worksheet (the 合计 row takes the last one)


class LedgerTooLarge(ValueError):
    """More rows than one worksheet holds (Chinese message)."""


NEEDS = dict(ec.ServiceNeed.choices)


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass
class Result:
    ledger: str
    rows: int
    totals: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    seconds: float = 0.0
    full_ids: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.ledger,
            "rows": self.rows,
            "totals": self.totals,
            "path": self.path,
            "seconds": round(self.seconds, 3),
            "full_ids": self.full_ids,
        }


class Cells:
    """Turns a ledger row's raw values into cell values (labels, names, masking, ages)."""

    def __init__(self, ledger: Ledger, scope: Scope, full_ids: bool):
        self.scope = scope
        self.full_ids = full_ids
        county = scope.region[:6]
        self.names = {
            code: Region(code=code, name=name).short_name
            for code, name in Region.objects.filter(code__startswith=county, level__gte=4)
            .order_by()
            .values_list("code", "name")
            .iterator()
        }
        municipal = scope.region[:2] in ec.MUNICIPALITY_PROVINCES
        self.tiers = dict(ec.MUNICIPALITY_LABELS) if municipal else dict(ec.LocationTier.choices)
        self.head, self.tail = settings.FUPIN_ID_MASK_HEAD, settings.FUPIN_ID_MASK_TAIL
        self.converters = [self._converter(c) for c in ledger.columns]

    def _converter(self, column: Column) -> Callable[[Any], Any]:
        show, kind = column.show, column.kind
        if show == "id":
            if self.full_ids:
                return lambda v: v or ""
            return lambda v: mask_id_number(v, self.head, self.tail)
        if show == "phone":
            return (lambda v: v or "") if self.full_ids else masked_phone
        if show == "township":
            return lambda v: self.names.get(v[:9], "") if v and len(v) >= 9 else ""
        if show == "village":
            return lambda v: self.names.get(v, "") if v and len(v) == 12 else ""
        if show == "age":
            return lambda v: age_on(v, self.scope.as_of) if v else None
        if show == "tier":
            return lambda v: self.tiers.get(v, "") if v else ""
        if show == "place":
            return lambda v: Region(name=v).short_name if v else ""
        if show == "needs":
            return lambda v: "、".join(NEEDS.get(n, n) for n in v) if v else ""
        if kind == "flag":
            return lambda v: "" if v is None else ("是" if v else "否")
        if column.choices is not None:
            choices = column.choices
            return lambda v: choices.get(v, "" if v is None else str(v))
        return lambda v: v

    def row(self, values: tuple[Any, ...], index: list[int]) -> list[Any]:
        return [convert(values[i]) for convert, i in zip(self.converters, index, strict=True)]


def _formats(book: Any) -> dict[str, Any]:
    border = {"border": 1, "valign": "vcenter"}
    return {
        "title": book.add_format(
            {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
        ),
        "unit": book.add_format({"align": "left", "valign": "vcenter"}),
        "date": book.add_format({"align": "right", "valign": "vcenter"}),
        "header": book.add_format(
            {**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}
        ),
        "text": book.add_format({**border}),
        "int": book.add_format({**border, "num_format": "0"}),
        "money": book.add_format({**border, "num_format": "#,##0.00"}),
        "date_cell": book.add_format({**border, "num_format": "yyyy-mm-dd", "align": "center"}),
        "flag": book.add_format({**border, "align": "center"}),
        "total_label": book.add_format({**border, "bold": True, "align": "center"}),
        "total_int": book.add_format({**border, "bold": True, "num_format": "0"}),
        "total_money": book.add_format({**border, "bold": True, "num_format": "#,##0.00"}),
        "total_text": book.add_format({**border, "bold": True}),
    }


def _write_cell(ws: Any, row: int, col: int, kind: str, value: Any, fmt: dict[str, Any]) -> None:
    """One cell through xlsxwriter's public API (the fallback path)."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt["text"])
    elif isinstance(value, datetime.date):
        ws.write_datetime(row, col, value, fmt["date_cell"])
    elif isinstance(value, str):
        ws.write_string(row, col, neutralise(value), fmt["flag" if kind == "flag" else "text"])
    else:
        ws.write_number(row, col, float(value), fmt["money" if kind == "money" else "int"])


_NEEDS_CONTROL_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_").search
_EDGE_SPACE = re.compile(r"^\s|\s$").search
STRING_MAX = 32767  # Excel's limit for a cell, in UTF-16 units (xlsxwriter truncates)


def _excel_length(text: str) -> str:
    """`text` cut to STRING_MAX UTF-16 units (a character above U+FFFF counts twice and is
    never split), as xlsxwriter's write_string does."""
    if (
        len(text) <= STRING_MAX // 2
        or len(text.encode("utf-16-le", "surrogatepass")) // 2 <= STRING_MAX
    ):
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > STRING_MAX:
            return text[:index]
    return text


class RowStream:
    """Data rows straight into the constant_memory worksheet's row file.

    xlsxwriter's public API costs about 6 µs a cell here (a 100,000-row, 27-column
    ledger took 16 s); this writes the same <row>/<c> XML xlsxwriter writes in
    constant_memory mode (inline strings, the same escapes and number text), in about
    a sixth of the time. Everything around the rows (title, header, totals, page setup)
    still goes through the public API. `available()` is False if xlsxwriter's internals
    differ from what this relies on; the writer then uses the public API.
    """

    def __init__(self, ws: Any, formats: dict[str, Any], width: int):
        self.ws = ws
        self.letters = [xl_col_to_name(c) for c in range(width)]
        self.xf = {name: f._get_xf_index() for name, f in formats.items()}
        self.started = False

    @staticmethod
    def available(ws: Any) -> bool:
        return all(
            hasattr(ws, name)
            for name in ("previous_row", "table", "_write_single_row", "row_data_fh", "fh")
        ) and bool(getattr(ws, "constant_memory", False))

    def write(self, row: int, values: list[Any], kinds: list[str]) -> None:
        ws = self.ws
        if not self.started:
            ws._write_single_row(row)  # flush the pending header row
            self.started = True
        n = row + 1
        xf, letters = self.xf, self.letters
        parts = [f'<row r="{n}">', f'<c r="A{n}" s="{xf["int"]}"><v>{n - FIRST_DATA_ROW}</v></c>']
        for col, value in enumerate(values, start=1):
            ref = f"{letters[col]}{n}"
            if value is None or value == "":
                parts.append(f'<c r="{ref}" s="{xf["text"]}"/>')
            elif isinstance(value, str):
                text = _excel_length(neutralise(value))
                if _NEEDS_CONTROL_ESCAPE(text):
                    text = XMLwriter._escape_control_characters(text)
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                space = ' xml:space="preserve"' if _EDGE_SPACE(text) else ""
                style = xf["flag" if kinds[col - 1] == "flag" else "text"]
                parts.append(
                    f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
                )
            elif isinstance(value, datetime.date):
                serial = ws._convert_date_time(value)
                parts.append(f'<c r="{ref}" s="{xf["date_cell"]}"><v>{serial:.16G}</v></c>')
            else:
                style = xf["money" if kinds[col - 1] == "money" else "int"]
                parts.append(f'<c r="{ref}" s="{style}"><v>{float(value):.16G}</v></c>')
        parts.append("</row>")
        ws.fh.write("".join(parts))
        # Later public writes (the totals row) must see these rows as written.
        ws.previous_row = row + 1
        if ws.dim_rowmax is None or row > ws.dim_rowmax:
            ws.dim_rowmax = row


def write_ledger(
    ledger: Ledger,
    out: str | Path | IO[bytes],
    *,
    region: Region,
    as_of: datetime.date,
    user: Any,
    full_ids: bool,
    progress: Any = None,
    fast: bool = True,
) -> Result:
    """Write `ledger` for `region` (already checked against the user's jurisdiction) on
    `as_of` to `out`. `progress` (optional) is called with row counts as rows are written;
    its `total(n)` method, if any, first gets the number of rows."""
    started = time.perf_counter()
    scope = Scope(region.code, as_of, user)
    cells = Cells(ledger, scope, full_ids)
    positions = {name: i for i, name in enumerate(ledger.fields)}
    index = [positions[c.field] for c in ledger.columns]
    query = ledger.values(region.code, as_of, user)
    if progress is not None and hasattr(progress, "total"):
        progress.total(query.count())

    book = xlsxwriter.Workbook(
        out if hasattr(out, "write") else str(out),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    fmt = _formats(book)
    ws = book.add_worksheet(ledger.title[:31])
    width = len(ledger.columns) + 1
    last_col = width - 1

    ws.set_column(0, 0, 6)
    for col, column in enumerate(ledger.columns, start=1):
        ws.set_column(col, col, column.width)
    title = f"{region.full_name}{ledger.title}"
    ws.set_row(TITLE_ROW, 30)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, title, fmt["title"])
    owner = getattr(user, "region", None)
    unit = f"填报单位：{owner.full_name if owner is not None else '全部'}"
    date_text = f"截止日期：{chinese_date(as_of)}"
    if ledger.period == "year":
        date_text += f"（统计期间自{chinese_date(scope.year_start)}起）"
    half = max(1, width // 2)
    if half - 1 > 0:
        ws.merge_range(UNIT_ROW, 0, UNIT_ROW, half - 1, unit, fmt["unit"])
    else:
        ws.write_string(UNIT_ROW, 0, unit, fmt["unit"])
    if last_col > half:
        ws.merge_range(UNIT_ROW, half, UNIT_ROW, last_col, date_text, fmt["date"])
    else:
        ws.write_string(UNIT_ROW, last_col, date_text, fmt["date"])
    ws.set_row(HEADER_ROW, 32)
    ws.write_string(HEADER_ROW, 0, "序号", fmt["header"])
    for col, column in enumerate(ledger.columns, start=1):
        ws.write_string(HEADER_ROW, col, column.header, fmt["header"])
    ws.freeze_panes(FIRST_DATA_ROW, 0)
    ws.set_paper(9)
    ws.set_landscape()
    ws.repeat_rows(HEADER_ROW)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页，共 &N 页")

    totals: dict[int, Any] = {col: 0 for col, c in enumerate(ledger.columns) if c.total}
    raw_index = {col: index[col] for col in totals}
    kinds = [c.kind for c in ledger.columns]
    rows = 0
    since = 0
    row = FIRST_DATA_ROW
    stream = RowStream(ws, fmt, width) if fast and RowStream.available(ws) else None
    for values in query.iterator(chunk_size=2000):
        if row >= MAX_ROWS - 1:
            raise LedgerTooLarge(
                f"{ledger.title}超过 Excel 每张工作表 {MAX_ROWS:,} 行的上限，"
                "请按乡镇（街道）分别导出"
            )
        rows += 1
        if stream is not None:
            stream.write(row, cells.row(values, index), kinds)
        else:
            ws.write_number(row, 0, rows, fmt["int"])
            for col, value in enumerate(cells.row(values, index), start=1):
                _write_cell(ws, row, col, kinds[col - 1], value, fmt)
        for col, i in raw_index.items():
            totals[col] += cell_total(ledger.columns[col], values[i])
        row += 1
        since += 1
        if progress is not None and since >= PROGRESS_EVERY:
            progress(since)
            since = 0
    if progress is not None and since:
        progress(since)

    ws.write_string(row, 0, "合计", fmt["total_label"])
    for col in range(1, width):
        ws.write_blank(row, col, None, fmt["total_text"])
    if 0 not in totals:  # the first column names the count of rows
        ws.write_string(row, 1, f"{rows}{ledger.unit}", fmt["total_text"])
    named: dict[str, Any] = {}
    for col, value in totals.items():
        column = ledger.columns[col]
        if column.kind == "money":
            value = round(float(value), 2)
        cell_col = col + 1
        first = xl_rowcol_to_cell(FIRST_DATA_ROW, cell_col)
        last = xl_rowcol_to_cell(row - 1, cell_col)
        number = "total_money" if column.kind == "money" else "total_int"
        if rows:
            formula = (
                f'=COUNTIF({first}:{last},"是")'
                if column.kind == "flag"
                else f"=SUBTOTAL(9,{first}:{last})"
            )
            ws.write_formula(row, cell_col, formula, fmt[number], value)
        else:
            ws.write_number(row, cell_col, value, fmt[number])
        named[column.header] = value
    ws.print_area(0, 0, row, last_col)
    book.close()
    return Result(
        ledger=ledger.id,
        rows=rows,
        totals=named,
        path=str(out) if not hasattr(out, "write") else "",
        seconds=time.perf_counter() - started,
        full_ids=full_ids,
    )

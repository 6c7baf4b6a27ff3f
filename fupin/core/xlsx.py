"""Spreadsheet utilities shared by every import and export.

Reading: .xlsx/.xlsm/.xls/.ods through calamine (Rust, fast) and .csv through the csv
module, with the header row found below any title rows. Writing: a streaming xlsxwriter
workbook with the house style (bold bordered header, frozen header row, column widths),
formula-injection neutralising and drop-down lists.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_EXTENSIONS = {".csv", ".txt"}
SUPPORTED_EXTENSIONS = EXCEL_EXTENSIONS | CSV_EXTENSIONS
# Excel evaluates cells starting with these (OWASP "CSV injection"); tab and CR too.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SPACES = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff*]+")
MAX_TITLE_ROWS = 10
MAX_INLINE_LIST = 255  # Excel's limit for a literal list in a data validation


class SpreadsheetError(ValueError):
    """An unusable file (unreadable, unsupported, no header). Chinese message."""


def normalise_header(text: Any) -> str:
    """Header text as compared with aliases: full-width folded, spaces and * removed."""
    if text is None:
        return ""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text)))


class Headers:
    """The header aliases of an import: which column holds which field (first match wins),
    and whether a row is the header at all (it names the key column, e.g. 证件号码)."""

    def __init__(self, specs: Iterable[Any], key: str = "id_number") -> None:
        self.aliases: dict[str, str] = {}
        for spec in specs:  # anything with .key, .header and .aliases
            for name in (spec.header, *spec.aliases):
                self.aliases.setdefault(normalise_header(name), spec.key)
        self.key_names = {name for name, field in self.aliases.items() if field == key}

    def is_header(self, names: list[str]) -> bool:
        """Whether a row of (normalised) cells is the header."""
        return any(n in self.key_names for n in names)

    def map(self, header: list[str]) -> dict[str, int]:
        """Field key → index of the first column whose header names it."""
        columns: dict[str, int] = {}
        for index, text in enumerate(header):
            key = self.aliases.get(normalise_header(text))
            if key and key not in columns:
                columns[key] = index
        return columns


@dataclass
class Table:
    """Rows below the header. `rows` holds (worksheet row number, 1-based, values)."""

    header: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    sheet_name: str = ""

    def __len__(self) -> int:
        return len(self.rows)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table_from_rows(
    raw: Sequence[list[Any]], is_header: Callable[[list[str]], bool], sheet_name: str = ""
) -> Table | None:
    for index, row in enumerate(raw[:MAX_TITLE_ROWS]):
        names = [normalise_header(v) for v in row]
        if is_header(names):
            header = ["" if v is None else str(v).strip() for v in row]
            width = len(header)
            rows = []
            for number, values in enumerate(raw[index + 1 :], start=index + 2):
                if all(_is_blank(v) for v in values):
                    continue
                if len(values) < width:  # csv rows may be short; calamine's never are
                    values = [*values, *[""] * (width - len(values))]
                rows.append((number, values))
            return Table(header=header, header_row=index + 1, rows=rows, sheet_name=sheet_name)
    return None


def _open_workbook(source: str | Path | IO[bytes]) -> CalamineWorkbook:
    try:
        if hasattr(source, "read"):
            return CalamineWorkbook.from_filelike(source)
        return CalamineWorkbook.from_path(str(source))
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise SpreadsheetError(f"无法读取文件（不是有效的 Excel 文件或已损坏）：{exc}") from exc


def _read_excel(source: str | Path | IO[bytes], is_header: Callable[[list[str]], bool]) -> Table:
    workbook = _open_workbook(source)
    try:
        for meta in workbook.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue
            try:
                sheet = workbook.get_sheet_by_name(meta.name)
                # Keep leading empty rows/columns so that row numbers match Excel's.
                raw = sheet.to_python(skip_empty_area=False)
            except Exception as exc:
                raise SpreadsheetError(f"无法读取工作表 {meta.name}：{exc}") from exc
            table = _table_from_rows(raw, is_header, meta.name)
            if table is not None:
                return table
    finally:
        workbook.close()
    raise SpreadsheetError("未找到表头行（前10行中没有证件号码列）")


def _decode(data: bytes) -> str:
    # Excel on Chinese Windows saves CSV as GBK; everything else is UTF-8 (maybe with BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("无法识别 CSV 文件的编码（应为 UTF-8 或 GBK）")


def _read_csv(source: str | Path | IO[bytes], is_header: Callable[[list[str]], bool]) -> Table:
    try:
        data = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    except OSError as exc:
        raise SpreadsheetError(f"无法读取文件：{exc}") from exc
    if b"\x00" in data[:4096]:
        raise SpreadsheetError("无法读取文件：不是文本格式的 CSV 文件")
    text = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        raw = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise SpreadsheetError(f"CSV 格式错误：{exc}") from exc
    table = _table_from_rows(raw, is_header)
    if table is None:
        raise SpreadsheetError("未找到表头行（前10行中没有证件号码列）")
    return table


def read_table(
    source: str | Path | IO[bytes],
    is_header: Callable[[list[str]], bool],
    *,
    filename: str | None = None,
) -> Table:
    """Read the first visible sheet that has a header row (within the first 10 rows).

    `is_header` receives the normalised cell texts of a candidate row. `source` is a path
    or a binary file object (then `filename` gives the extension).
    """
    name = filename or getattr(source, "name", None) or str(source)
    suffix = Path(str(name)).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise SpreadsheetError(
            f"不支持的文件类型 {suffix or '（无扩展名）'}：请上传 .xlsx、.xls 或 .csv 文件"
        )
    if not hasattr(source, "read") and not Path(source).is_file():
        raise SpreadsheetError(f"文件不存在：{source}")
    if suffix in CSV_EXTENSIONS:
        return _read_csv(source, is_header)
    return _read_excel(source, is_header)


# --- writing -------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Prefix text that Excel would run as a formula with a quote (=cmd → '=cmd)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """The inverse, for re-importing our own exports: '=cmd → =cmd."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


@dataclass
class Column:
    header: str
    width: float = 12
    text: bool = False  # cells formatted as text ('@'), e.g. ID numbers typed by hand
    comment: str = ""


class Sheet:
    """One worksheet of a `Workbook`: write rows in order (constant memory)."""

    def __init__(self, book: Workbook, worksheet: Any, columns: Sequence[Column], first_row: int):
        self.book = book
        self.ws = worksheet
        self.columns = list(columns)
        self.row = first_row

    def write_row(self, values: Iterable[Any]) -> None:
        """Strings are written as strings (never formulas) and neutralised; dates get a
        date format; None is an empty cell."""
        ws, row, book = self.ws, self.row, self.book
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                ws.write_string(row, col, neutralise(value))
            elif isinstance(value, bool):
                ws.write_boolean(row, col, value)
            elif isinstance(value, datetime.datetime):
                ws.write_datetime(row, col, value.replace(tzinfo=None), book.datetime_format)
            elif isinstance(value, datetime.date):
                ws.write_datetime(row, col, value, book.date_format)
            elif isinstance(value, int | float):
                ws.write_number(row, col, value)
            else:  # Decimal and anything else printable
                try:
                    ws.write_number(row, col, float(value))
                except (TypeError, ValueError):
                    ws.write_string(row, col, neutralise(str(value)))
        self.row += 1

    def add_list_validation(
        self,
        col: int,
        values: Sequence[str],
        *,
        last_row: int = 10_000,
        title: str = "",
        on_sheet: bool | None = None,
    ) -> None:
        """A drop-down on column `col` below the header. The values go to a hidden sheet
        when `on_sheet` or (by default) when they exceed Excel's 255-character limit for
        a literal list."""
        options: dict[str, Any] = {
            "validate": "list",
            "error_type": "stop",
            "error_title": "无效的值",
            "error_message": "请从下拉列表中选择",
        }
        if title:
            options["input_title"] = title[:32]
        if on_sheet is None:
            on_sheet = len(",".join(values)) > MAX_INLINE_LIST or any("," in v for v in values)
        if not on_sheet:
            options["source"] = list(values)
        else:
            options["source"] = self.book.list_range(values)
        self.ws.data_validation(self.first_data_row, col, last_row, col, options)

    @property
    def first_data_row(self) -> int:
        return self.book.header_rows.get(self.ws.name, 0)


class Workbook:
    """A streaming xlsxwriter workbook (rows must be written top to bottom).

    `out` is a path or a binary file object (e.g. a TemporaryFile to stream from);
    either way worksheet data goes through temporary files, not memory.
    """

    def __init__(self, out: str | Path | IO[bytes]):
        self.wb = xlsxwriter.Workbook(
            out if hasattr(out, "write") else str(out),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.header_format = self.wb.add_format(
            {
                "bold": True,
                "border": 1,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#DDEBF7",
            }
        )
        self.title_format = self.wb.add_format({"bold": True, "font_size": 14})
        self.text_format = self.wb.add_format({"num_format": "@"})
        self.date_format = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_format = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.header_rows: dict[str, int] = {}
        self._lists: Any = None
        self._list_row = 0

    def add_sheet(self, name: str, columns: Sequence[Column], *, title: str | None = None) -> Sheet:
        ws = self.wb.add_worksheet(name)
        row = 0
        if title:
            ws.write_string(0, 0, title, self.title_format)
            row = 1
        for col, column in enumerate(columns):
            fmt = self.text_format if column.text else None
            ws.set_column(col, col, column.width, fmt)
        for col, column in enumerate(columns):
            ws.write_string(row, col, column.header, self.header_format)
            if column.comment:
                ws.write_comment(row, col, column.comment)
        ws.freeze_panes(row + 1, 0)
        self.header_rows[ws.name] = row + 1
        return Sheet(self, ws, columns, row + 1)

    def add_text_sheet(self, name: str, lines: Iterable[str], width: float = 100) -> Any:
        """A sheet of plain lines (instructions); the first line in bold."""
        ws = self.wb.add_worksheet(name)
        ws.set_column(0, 0, width, self.wb.add_format({"text_wrap": True, "valign": "top"}))
        for row, line in enumerate(lines):
            ws.write_string(row, 0, line, self.title_format if row == 0 else None)
        return ws

    def list_range(self, values: Sequence[str]) -> str:
        """Write `values` to a row of the hidden lists sheet; return its range.

        One list per row (not per column): constant-memory sheets are written row by row.
        """
        if self._lists is None:
            self._lists = self.wb.add_worksheet("lists")
            self._lists.hide()
        row = self._list_row
        self._list_row += 1
        for col, value in enumerate(values):
            self._lists.write_string(row, col, value)
        last = xlsxwriter.utility.xl_col_to_name(len(values) - 1)
        return f"=lists!$A${row + 1}:${last}${row + 1}"

    def close(self) -> None:
        self.wb.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

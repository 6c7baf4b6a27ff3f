"""Importing households and their members from a spreadsheet (one row per person).

Used by `fupin import households` and by the upload page (which runs it in a background
thread with a progress callback: first with dry_run=True for the validation report, then
for real). Three phases, timed separately:

1. parse — read the file (calamine / csv), find the header below any title rows, map
   headers (aliases accepted) to fields;
2. validate — check every row against the rules of issue #2 in Python, then the file's
   households against the database (bulk lookups, never a query per row);
3. write — set-based, whole households per transaction (multi-row INSERTs built by
   `_statement` without model instances, bulk_update for changed rows, one audit entry
   per household), so an interrupted import leaves only whole households and running
   it again completes it.

The shortcuts taken for speed (issue #2 asks for ≥ 10,000 persons/s; see
benchmarks/import_households.py) are each explained where they are: `_id_number`,
`_Column` caches, `_rows_in`, `_statement`, `_execute`, `_bulk_mode`.

Blank optional cells mean "no information": new records get an empty value, existing
ones keep theirs. Rows are counted so that rows = persons_created + persons_updated +
unchanged + rejected.
"""

from __future__ import annotations

import datetime
import gc
import operator
import re
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from itertools import chain
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone
from stdnum.cn import ric

from fupin.core import audit
from fupin.core.context import acting_as, current_actor
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.services import check_permission
from fupin.core.xlsx import (
    Column,
    SpreadsheetError,
    Table,
    Workbook,
    normalise_header,
    read_table,
    unneutralise,
)
from fupin.regions.models import Region
from fupin.registry import choices as c
from fupin.registry.idnumbers import (
    IdNumberError,
    make_id_number,
    mask_id_number,
    normalise_id_number,
)
from fupin.registry.models import Household, HouseholdIncome, Person
from fupin.registry.pinyin import pinyin_keys
from fupin.registry.services import HOUSEHOLD_FIELDS, PERSON_FIELDS, household_context

__all__ = [
    "COLUMNS",
    "ImportFileError",
    "ImportResult",
    "HouseholdFile",
    "import_households",
    "read_household_file",
    "write_errors",
    "write_template",
]

IN_CHUNK = 900  # values per IN (…) lookup: SQLite builds may limit a statement to 999


class Progress(Protocol):
    """`progress(count)` adds processed units; `progress.total(n)`, if present, is called
    once with the number of units (rows to validate, plus rows to write unless dry run).
    fupin.core.jobs.Progress and the command's tqdm adapter are such objects."""

    def __call__(self, count: int = 1) -> None: ...


class ImportFileError(SpreadsheetError):
    """The file cannot be imported at all (unreadable, unsupported, columns missing)."""


# --- columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    choices: Any = None  # TextChoices class or list of (value, label)
    width: float = 12
    text: bool = False
    note: str = ""


ETHNICITY = "ethnicity"
_NUMBER_NOTE = "必填。同一户的成员填写相同的户编号"
_VILLAGE_NOTE = "户主行必填，12位村（社区）代码；成员行可留空（取户主的）"
_ID_NOTE = "必填，18位（旧15位号码自动升级）。请保持文本格式"
_DERIVED_NOTE = "可留空（由证件号码推出）；填写时须与证件号码一致"
_HEAD_NOTE = "户主行必填"
_INCOME_NOTE = "元，可留空；记入当年（或“收入年度”列的年度）"
# fmt: off
COLUMNS: list[Spec] = [
    Spec("number", "户编号", ("户号", "户编码"), None, 18, True, _NUMBER_NOTE),
    Spec("village", "区划代码", ("行政区划代码", "村代码", "村(社区)代码", "所在村代码"),
         None, 15, True, _VILLAGE_NOTE),
    Spec("relation", "与户主关系", ("与户主关系名称", "家庭关系", "关系"), c.Relation, 12,
         note="必填。每户有且只有一行“户主”"),
    Spec("name", "姓名", ("成员姓名",), None, 10, note="必填"),
    Spec("id_number", "证件号码", ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号",
         "身份证件号码", "公民身份证号码"), None, 22, True, _ID_NOTE),
    Spec("sex", "性别", (), c.Sex, 6, note=_DERIVED_NOTE),
    Spec("birth_date", "出生日期", ("出生年月日",), None, 12, note=_DERIVED_NOTE),
    Spec(ETHNICITY, "民族", (), c.ETHNICITY_CHOICES, 10),
    Spec("education", "文化程度", ("学历",), c.Education),
    Spec("school_status", "在校生状况", ("在校生情况", "在校情况"), c.SchoolStatus),
    Spec("health", "健康状况", (), c.Health),
    Spec("labor_ability", "劳动技能", ("劳动能力",), c.LaborAbility, 16),
    Spec("phone", "联系电话", ("电话", "手机号", "手机号码", "联系方式"), None, 14, True),
    Spec("household_type", "贫困户属性", ("户属性", "贫困户类型"), c.HouseholdType, 14,
         note=_HEAD_NOTE),
    Spec("status", "户状态", ("贫困户状态", "脱贫状态"), c.HouseholdStatus, note=_HEAD_NOTE),
    Spec("identified_year", "识别年度", ("识别年份", "建档立卡年度"), None, 10, note=_HEAD_NOTE),
    Spec("exit_year", "脱贫年度", ("脱贫年份",), None, 10),
    Spec("main_cause", "主要致贫原因", ("致贫原因",), c.PovertyCause, 14, note=_HEAD_NOTE),
    Spec("income", "家庭人均纯收入", ("人均纯收入", "家庭年人均纯收入", "人均纯收入(元)",
         "家庭人均纯收入(元)"), None, 14, note=_INCOME_NOTE),
]
# fmt: on
# Recognised when present, not in the template.
OPTIONAL_COLUMNS: list[Spec] = [
    Spec("disability_grade", "残疾等级", (), c.DisabilityGrade),
    Spec("income_year", "收入年度", ()),
]
SPECS = {s.key: s for s in [*COLUMNS, *OPTIONAL_COLUMNS]}
HEADERS = {key: spec.header for key, spec in SPECS.items()}
REQUIRED = ["number", "relation", "name", "id_number"]
REQUIRED_FOR_HEAD = ["village", "household_type", "status", "identified_year", "main_cause"]
# Household fields read from the head's row (phone only fills an empty household phone).
HEAD_FIELDS = ["household_type", "status", "identified_year", "exit_year", "main_cause"]
# Person fields the file may carry besides relation/name/id_number.
PERSON_OPTIONAL = [f for f in PERSON_FIELDS if f not in ("relation", "name", "id_number")]

_ALIASES: dict[str, str] = {}
for _spec in [*COLUMNS, *OPTIONAL_COLUMNS]:
    for _name in (_spec.header, *_spec.aliases):
        _ALIASES.setdefault(normalise_header(_name), _spec.key)
ID_ALIASES = {name for name, key in _ALIASES.items() if key == "id_number"}


def _choice_pairs(choices: Any) -> list[tuple[str, str]]:
    return list(choices.choices) if hasattr(choices, "choices") else list(choices)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _lookup_table(key: str, choices: Any) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in _choice_pairs(choices):
        table[_norm(label)] = value
        table[value.lower()] = value
        if key == ETHNICITY:
            table[str(int(value))] = value  # 1 → 01
            if label.endswith("族") and len(label) > 1:
                table.setdefault(label[:-1], value)  # 土家 → 土家族
    return table


LOOKUPS = {key: _lookup_table(key, s.choices) for key, s in SPECS.items() if s.choices}
LABELS = {
    key: [label for _, label in _choice_pairs(s.choices)] for key, s in SPECS.items() if s.choices
}


# --- reading -------------------------------------------------------------------------


@dataclass
class HouseholdFile:
    """A read file: the table and, per field key, the column index it came from."""

    table: Table
    columns: dict[str, int]
    filename: str = ""

    @property
    def rows(self) -> list[tuple[int, list[Any]]]:
        return self.table.rows


def _is_header(names: list[str]) -> bool:
    return any(n in ID_ALIASES for n in names)


def read_household_file(
    source: str | Path | IO[bytes], *, filename: str | None = None
) -> HouseholdFile:
    """Read an .xlsx/.xls/.csv file in the import format; raise ImportFileError if unusable."""
    try:
        table = read_table(source, _is_header, filename=filename)
    except ImportFileError:
        raise
    except SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from exc
    columns: dict[str, int] = {}
    for index, text in enumerate(table.header):
        key = _ALIASES.get(normalise_header(text))
        if key and key not in columns:
            columns[key] = index
    missing = [HEADERS[k] for k in [*REQUIRED, *REQUIRED_FOR_HEAD] if k not in columns]
    if missing:
        raise ImportFileError(f"文件缺少必需的列：{'、'.join(missing)}")
    name = filename or getattr(source, "name", None) or str(source)
    return HouseholdFile(table=table, columns=columns, filename=Path(str(name)).name)


# --- cell values ---------------------------------------------------------------------


class CellError(ValueError):
    pass


def _text(value: Any) -> str:
    """Free text (names, phones): numbers without '.0', whitespace trimmed."""
    if value is None:
        return ""
    if type(value) is str:
        text = value.strip()
        if "\u200b" in text or "\ufeff" in text:
            text = text.replace("\u200b", "").replace("\ufeff", "").strip()
        return unneutralise(text) if text[:1] == "'" else text
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _code(value: Any) -> str:
    """Codes and numbers (户编号, 区划代码, years): half-width, no spaces, no '.0'."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return _text(value)
    return _norm(_text(value))


def _choice(key: str, value: Any) -> str:
    text = _code(value)
    if not text:
        return ""
    found = LOOKUPS[key].get(text) or LOOKUPS[key].get(text.lower())
    if found is None:
        if key == ETHNICITY:
            raise CellError(
                f"“{text}”不是有效的民族，应为56个民族名称之一（如 汉族、土家族、苗族）"
            )
        raise CellError(f"“{text}”不是有效的{HEADERS[key]}，可选值：{'、'.join(LABELS[key])}")
    return found


_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
)
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if 10_000_000 <= value <= 99_991_231:  # 19900101 typed as a number
                text = str(int(value))
                return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            if 1 <= value < 100_000:  # an Excel serial date without date format
                return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        else:
            text = _code(value)
            match = _DATE_TEXT.fullmatch(text)
            if match:
                return datetime.date(*map(int, match.groups()))
            if re.fullmatch(r"\d{8}", text):
                return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        pass
    raise CellError(f"无法识别的日期“{_text(value)}”，请填写如 1990-01-01")


def _year(value: Any) -> int:
    text = _code(value).removesuffix("年")
    if not re.fullmatch(r"\d{4}", text):
        raise CellError(f"“{_text(value)}”不是有效的年度，请填写4位年份，如 2014")
    year = int(text)
    if not 1949 <= year <= datetime.date.today().year:
        raise CellError(f"年度 {year} 不在 1949 至今年的范围内")
    return year


def _decimal(value: Any) -> Decimal:
    text = _code(value).replace(",", "").removeprefix("¥").removesuffix("元")
    try:
        number = Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise CellError(f"“{_text(value)}”不是有效的金额") from None
    if not number.is_finite() or abs(number) >= Decimal("1e10"):
        raise CellError(f"金额 {text} 超出范围")
    return number


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise CellError(f"长度不能超过{limit}个字符")
    return text


# --- result --------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    """Counters as printed by `--json`, the errors, and what `write_errors` needs."""

    rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    filename: str = ""
    header: list[str] = field(default_factory=list)
    rejected_rows: dict[int, list[Any]] = field(default_factory=dict)  # row → cells
    id_column: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    COUNTERS = (
        "rows",
        "households_created",
        "households_updated",
        "persons_created",
        "persons_updated",
        "unchanged",
        "rejected",
    )

    def as_dict(self) -> dict[str, Any]:
        """Exactly the `--json` object of the issue."""
        data: dict[str, Any] = {name: getattr(self, name) for name in self.COUNTERS}
        data["errors"] = [e.as_dict() for e in sorted(self.errors, key=lambda e: e.row)]
        return data

    def errors_by_row(self) -> dict[int, list[RowError]]:
        grouped: dict[int, list[RowError]] = {}
        for error in self.errors:
            grouped.setdefault(error.row, []).append(error)
        return grouped

    @property
    def persons_per_second(self) -> float:
        total = sum(self.timings.values())
        return self.rows / total if total else 0.0


# --- validation ----------------------------------------------------------------------

_CANONICAL_ID = re.compile(r"[0-9]{17}[0-9X]")
_VILLAGE_CODE = re.compile(r"[0-9]{12}")


@dataclass(slots=True)
class _Column:
    """How one field is read from its column: converted value or CellError, cached by
    cell value when the column repeats values (code lists, villages, years)."""

    key: str
    index: int
    convert: Callable[[Any], Any]
    cache: dict[Any, Any] | None
    required: bool = False

    def __call__(self, value: Any) -> Any:
        cache = self.cache
        if cache is None:
            return self.convert(value)
        result = cache.get(value, _MISSING)
        if result is _MISSING:
            try:
                result = self.convert(value)
            except CellError as exc:
                result = exc
            cache[value] = result
        if type(result) is CellError:
            raise result
        return result


_MISSING = object()


@dataclass(slots=True)
class _Row:
    number: int
    cells: list[Any]
    data: dict[str, Any]
    errors: list[tuple[str, str]]
    is_head: bool = False


@dataclass
class _Plan:
    """What the import will do to one household of the file."""

    number: str
    rows: list[_Row]
    existing: Household | None = None
    household: dict[str, Any] = field(default_factory=dict)  # all fields, after the import
    household_changes: dict[str, list[Any]] = field(default_factory=dict)  # existing only
    new_persons: list[dict[str, Any]] = field(default_factory=list)
    # (pk, all person fields after the update, {field: [old, new]})
    person_updates: list[tuple[int, dict[str, Any], dict[str, list[Any]]]] = field(
        default_factory=list
    )
    unchanged: int = 0
    income: tuple[int, Decimal, Decimal | None] | None = None  # year, new, old

    @property
    def income_changed(self) -> bool:
        return self.income is not None and self.income[1] != self.income[2]

    @property
    def household_touched(self) -> bool:
        return self.existing is not None and (bool(self.household_changes) or self.income_changed)

    @property
    def has_writes(self) -> bool:
        return (
            self.existing is None
            or self.household_touched
            or bool(self.new_persons)
            or bool(self.person_updates)
        )


def _chunks(items: list[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rows_in(queryset: Any, field: str, values: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of values_list `queryset` whose `field` is in `values`, by chunks of 900.

    The SQL is compiled once per chunk size and then run with each chunk: preparing
    900 IN parameters through the ORM costs more than running the query. Only for plain
    column values (no from_db_value conversions).
    """
    conn = connections[queryset.db]
    compiled: dict[int, str] = {}
    with conn.cursor() as cursor:
        for chunk in _chunks(values):
            sql = compiled.get(len(chunk))
            if sql is None:
                sql, params = queryset.filter(**{f"{field}__in": chunk}).query.sql_with_params()
                if list(params) != chunk:  # other parameters: let the ORM do it
                    yield from queryset.filter(**{f"{field}__in": chunk})
                    continue
                compiled[len(chunk)] = sql
            cursor.execute(sql, chunk)
            yield from cursor.fetchall()


class _Importer:
    def __init__(self, hfile: HouseholdFile, user: Any, progress: Progress | None):
        self.file = hfile
        self.user = user
        self.progress = progress
        self.prefix = "" if user is None else jurisdiction_code(user)
        if self.prefix is None:
            raise PermissionDenied("该用户没有管辖区域，不能导入")
        self.today = datetime.date.today()
        self.income_year = self.today.year
        self.result = ImportResult(
            filename=hfile.filename,
            header=list(hfile.table.header),
            id_column=hfile.columns.get("id_number"),
        )
        self.regions: dict[str, int] = {}
        cols = hfile.columns
        convert: dict[str, Callable[[Any], Any]] = {
            "number": lambda v: _limited(_code(v), 30),
            "name": lambda v: _limited(_text(v), 50),
            "phone": lambda v: _limited(_text(v), 20),
            "village": lambda v: self._check_village(_code(v)),
            "birth_date": _date,
            "income": _decimal,
            **{key: partial(_choice, key) for key in LOOKUPS},
            **dict.fromkeys(("identified_year", "exit_year", "income_year"), _year),
        }
        uncached = {"name", "phone"}

        def column(key: str, required: set[str]) -> _Column:
            cache = None if key in uncached else {}
            return _Column(key, cols[key], convert[key], cache, key in required)

        self.columns = {key: column(key, set()) for key in convert if key in cols}
        # Read on every row (the household fields only on the head's row).
        row_keys = ["number", "relation", "name", "village", *PERSON_OPTIONAL]
        self.row_columns = [column(k, REQUIRED_SET) for k in row_keys if k in cols]
        head_keys = [*HEAD_FIELDS, "income", "income_year"]
        self.head_columns = [column(k, REQUIRED_FOR_HEAD_SET) for k in head_keys if k in cols]
        self.id_index = cols["id_number"]
        self.sex_index = cols.get("sex")
        self.birth_index = cols.get("birth_date")

    # -- per row --------------------------------------------------------------------

    def _load_regions(self) -> None:
        index = self.file.columns["village"]
        codes = {_code(value) for value in {cells[index] for _, cells in self.file.rows}}
        codes.discard("")
        for chunk in _chunks(sorted(codes)):
            self.regions.update(Region.objects.filter(code__in=chunk).values_list("code", "level"))

    def _check_village(self, code: str) -> str:
        if not code:
            return ""
        if not _VILLAGE_CODE.fullmatch(code):
            raise CellError(f"区划代码 {code} 不是12位村（社区）代码")
        level = self.regions.get(code)
        if level is None:
            raise CellError(f"区划代码 {code} 不存在")
        if level != Region.Level.VILLAGE:
            raise CellError(f"区划代码 {code} 不是村（社区）级代码")
        if not code.startswith(self.prefix):
            raise CellError(f"区划代码 {code} 不在您的管辖范围内")
        return code

    def _id_number(self, value: Any) -> tuple[str, datetime.date]:
        """normalise_id_number, short-circuited for an already canonical number.

        The shortcut applies exactly the checks normalise_id_number applies to such a
        number (date valid, 1900 ≤ birth ≤ today, check character) without its
        string cleaning; anything else goes the full way and gets its message.
        """
        if type(value) is str and _CANONICAL_ID.fullmatch(value):
            try:
                birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
            except ValueError:
                birth = None
            if (
                birth is not None
                and 1900 <= birth.year
                and birth <= self.today
                and ric.calc_check_digit(value[:17] + "0") == value[17]
            ):
                return value, birth
        number = normalise_id_number(value, today=self.today)
        return number, datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))

    def _parse_row(self, number: int, cells: list[Any]) -> _Row:
        data: dict[str, Any] = {}
        errors: list[tuple[str, str]] = []
        row = _Row(number, cells, data, errors)
        self._take(cells, self.row_columns, data, errors)
        row.is_head = data.get("relation") == c.Relation.HEAD

        value = cells[self.id_index]
        if value is None or value == "" or (type(value) is str and not value.strip()):
            errors.append((HEADERS["id_number"], "必填项为空"))
        else:
            try:
                data["id_number"], data["birth_date"] = self._id_number(value)
            except IdNumberError as exc:
                errors.append((HEADERS["id_number"], str(exc)))
            else:
                data["sex"] = "male" if int(data["id_number"][16]) % 2 else "female"
        if self.sex_index is not None and cells[self.sex_index] not in ("", None):
            self._compare(cells[self.sex_index], "sex", data, errors)
        if self.birth_index is not None and cells[self.birth_index] not in ("", None):
            self._compare(cells[self.birth_index], "birth_date", data, errors)

        if row.is_head:
            self._take(cells, self.head_columns, data, errors)
            if "village" not in data and not any(col == HEADERS["village"] for col, _ in errors):
                errors.append((HEADERS["village"], "户主行必填项为空"))
        return row

    @staticmethod
    def _take(
        cells: list[Any], columns: list[_Column], data: dict[str, Any], errors: list[Any]
    ) -> None:
        for column in columns:
            value = cells[column.index]
            if value != "" and value is not None:
                cache = column.cache  # inlined _Column.__call__: this loop runs ~1.5M times
                result = _MISSING if cache is None else cache.get(value, _MISSING)
                if result is _MISSING:
                    try:
                        result = column(value)
                    except CellError as exc:
                        result = exc
                if type(result) is CellError:
                    errors.append((HEADERS[column.key], str(result)))
                    continue
                if result != "":
                    data[column.key] = result
                    continue
            if column.required:  # blank, or only invisible characters
                errors.append((HEADERS[column.key], "必填项为空"))

    def _compare(
        self, value: Any, key: str, data: dict[str, Any], errors: list[tuple[str, str]]
    ) -> None:
        """Rule 2: a given 性别 / 出生日期 must agree with the ID."""
        try:
            given = self.columns[key](value)
        except CellError as exc:
            errors.append((HEADERS[key], str(exc)))
            return
        if given == "" or key not in data or given == data[key]:
            return
        if key == "sex":
            message = f"性别“{c.Sex(given).label}”与证件号码（{c.Sex(data[key]).label}）不符"
        else:
            message = f"出生日期 {given:%Y-%m-%d} 与证件号码（{data[key]:%Y-%m-%d}）不符"
        errors.append((HEADERS[key], message))

    # -- the whole file -------------------------------------------------------------

    def validate(self) -> list[_Plan]:
        rows_in = self.file.rows
        total = len(rows_in)
        self.result.rows = total
        if self.progress is not None and hasattr(self.progress, "total"):
            self.progress.total(total if self.result.dry_run else 2 * total)
        self._load_regions()
        rows: list[_Row] = []
        for i, (number, cells) in enumerate(rows_in, 1):
            rows.append(self._parse_row(number, cells))
            if self.progress and i % 1000 == 0:
                self.progress(1000)

        # Rule 7: the same ID twice — the first valid row wins.
        first_seen: dict[str, int] = {}
        for row in rows:
            id_number = row.data.get("id_number")
            if row.errors or id_number is None:
                continue
            if id_number in first_seen:
                row.errors.append((HEADERS["id_number"], f"与第{first_seen[id_number]}行重复"))
            else:
                first_seen[id_number] = row.number

        people = self._existing_people(list(first_seen))
        numbers = list(dict.fromkeys(r.data["number"] for r in rows if "number" in r.data))
        households = self._existing_households(numbers)
        heads, incomes = self._existing_heads_and_incomes([h.pk for h in households.values()])

        # Rule 8: registered in another household.
        for row in rows:
            person = people.get(row.data.get("id_number"))
            if row.errors or person is None or person["household__number"] == row.data["number"]:
                continue
            if person["household__village_id"].startswith(self.prefix):
                where = f"户 {person['household__number']}（{person['name']}）"
            else:
                where = "其他户（不在您的管辖范围内）"
            row.errors.append(
                (HEADERS["id_number"], f"证件号码已登记在{where}；成员迁移请在系统中办理")
            )

        groups: dict[str, list[_Row]] = {}
        for row in rows:
            if "number" in row.data:
                groups.setdefault(row.data["number"], []).append(row)
        plans = []
        for number, members in groups.items():
            plan = self._plan(number, members, households.get(number), heads, people, incomes)
            if plan is not None:
                plans.append(plan)

        for row in rows:
            if row.errors:
                self._rejected(row, row.errors)
        if self.progress and total % 1000:
            self.progress(total % 1000)
        return plans

    def _rejected(self, row: _Row, errors: list[tuple[str, str]]) -> None:
        self.result.rejected += 1
        self.result.rejected_rows[row.number] = row.cells
        self.result.errors.extend(RowError(row.number, col, msg) for col, msg in errors)

    def _existing_people(self, id_numbers: list[str]) -> dict[str, dict[str, Any]]:
        fields = ["pk", "household__number", "household__village_id", *PERSON_FIELDS]
        people = Person.objects.values_list(*fields)
        return {
            row[3 + PERSON_FIELDS.index("id_number")]: dict(zip(fields, row, strict=True))
            for row in _rows_in(people, "id_number", id_numbers)
        }

    def _existing_households(self, numbers: list[str]) -> dict[str, Household]:
        found = [n for (n,) in _rows_in(Household.objects.values_list("number"), "number", numbers)]
        households: dict[str, Household] = {}
        for chunk in _chunks(found):
            households.update((h.number, h) for h in Household.objects.filter(number__in=chunk))
        return households

    def _existing_heads_and_incomes(
        self, pks: list[int]
    ) -> tuple[dict[int, tuple[str, str]], dict[tuple[int, int], Decimal]]:
        heads: dict[int, tuple[str, str]] = {}
        incomes: dict[tuple[int, int], Decimal] = {}
        for chunk in _chunks(pks):
            active_heads = Person.objects.filter(
                household_id__in=chunk, relation=c.Relation.HEAD, removed_on__isnull=True
            )
            for hid, id_number, name in active_heads.values_list(
                "household_id", "id_number", "name"
            ):
                heads[hid] = (id_number, name)
            for hid, year, amount in HouseholdIncome.objects.filter(
                household_id__in=chunk
            ).values_list("household_id", "year", "per_capita_net"):
                incomes[(hid, year)] = amount
        return heads, incomes

    def _plan(
        self,
        number: str,
        members: list[_Row],
        existing: Household | None,
        heads: dict[int, tuple[str, str]],
        people: dict[str, dict[str, Any]],
        incomes: dict[tuple[int, int], Decimal],
    ) -> _Plan | None:
        def reject_all(column: str, message: str) -> None:
            for row in members:
                if not row.errors:
                    row.errors.append((column, message))

        # Rule 5: exactly one 户主 row, and it must be valid.
        head_rows = [r for r in members if r.is_head]
        if len(head_rows) > 1:
            lines = "、".join(str(r.number) for r in head_rows)
            reject_all(
                HEADERS["relation"], f"户 {number} 有多个户主行（第{lines}行），本户所有行均未导入"
            )
            return None
        if not head_rows or head_rows[0].errors:
            why = f"户主行（第{head_rows[0].number}行）有错误" if head_rows else "没有户主行"
            reject_all(HEADERS["relation"], f"户 {number} {why}，本户所有行均未导入")
            return None
        head = head_rows[0].data
        village = head["village"]

        # An existing household must be ours and keep its head (a change is audited).
        if existing is not None:
            if not existing.village_id.startswith(self.prefix):
                reject_all(HEADERS["number"], f"户编号 {number} 已存在，且不在您的管辖范围内")
                return None
            current = heads.get(existing.pk)
            if current is not None and current[0] != head["id_number"]:
                reject_all(
                    HEADERS["relation"],
                    f"户 {number} 的现户主是 {current[1]}，与文件中的户主不同；"
                    "更换户主请在系统中办理",
                )
                return None

        # Rule 6: members live in their head's village.
        for row in members:
            code = row.data.get("village")
            if not row.errors and code and code != village:
                row.errors.append(
                    (HEADERS["village"], f"区划代码 {code} 与户主的区划代码 {village} 不同")
                )

        plan = _Plan(number=number, rows=[r for r in members if not r.errors], existing=existing)
        wanted = {"village_id": village, **{k: head[k] for k in HEAD_FIELDS if k in head}}
        if existing is None:
            plan.household = {
                "number": number,
                "exit_year": None,
                **wanted,
                "phone": head.get("phone", ""),
            }
        else:
            if not existing.phone and head.get("phone"):
                wanted["phone"] = head["phone"]
            plan.household_changes = {
                k: [getattr(existing, k), v] for k, v in wanted.items() if getattr(existing, k) != v
            }
        if "income" in head:
            year = head.get("income_year", self.income_year)
            old = incomes.get((existing.pk, year)) if existing is not None else None
            plan.income = (year, head["income"], old)

        for row in plan.rows:
            data = row.data
            person = people.get(data["id_number"])
            if person is None:
                values = {k: data[k] for k in NEW_PERSON_KEYS}
                for key in PERSON_OPTIONAL:
                    values[key] = data.get(key, "")  # ethnicity unknown, not assumed 汉族
                plan.new_persons.append(values)
                continue
            changes = {
                k: [person[k], data[k]] for k in UPDATABLE if k in data and person[k] != data[k]
            }
            if changes:
                values = {k: person[k] for k in PERSON_FIELDS}
                values.update((k, v[1]) for k, v in changes.items())
                plan.person_updates.append((person["pk"], values, changes))
            else:
                plan.unchanged += 1
        return plan

    # -- writing --------------------------------------------------------------------

    def count(self, plans: list[_Plan]) -> None:
        r = self.result
        for plan in plans:
            r.households_created += plan.existing is None
            r.households_updated += plan.household_touched
            r.persons_created += len(plan.new_persons)
            r.persons_updated += len(plan.person_updates)
            r.unchanged += plan.unchanged

    def write(self, plans: list[_Plan]) -> None:
        """Whole households per transaction, batches of FUPIN_IMPORT_BATCH_HOUSEHOLDS."""
        todo = [p for p in plans if p.has_writes]
        self.count([p for p in plans if not p.has_writes])
        size = max(1, int(getattr(settings, "FUPIN_IMPORT_BATCH_HOUSEHOLDS", 2000)))
        if self.progress:  # rows with nothing to write count as done
            self.progress(self.result.rows - sum(len(p.rows) for p in todo))
        for batch in _chunks(todo, size):
            try:
                self._write_batch(batch)
            except DatabaseError:
                # Someone changed the registry meanwhile (e.g. registered one of the IDs):
                # household by household, so that only the clashing ones are rejected.
                for plan in batch:
                    try:
                        self._write_batch([plan])
                    except DatabaseError as exc:
                        message = f"写入数据库失败，本户未导入（请重新导入）：{exc}"
                        for row in plan.rows:
                            self._rejected(row, [("", message)])
            if self.progress:
                self.progress(sum(len(p.rows) for p in batch))

    def _write_batch(self, plans: list[_Plan]) -> None:
        conn = connections[DEFAULT_DB_ALIAS]
        now = timezone.now()
        with transaction.atomic():
            new = [p.household for p in plans if p.existing is None]
            _execute(conn, [_statement(Household, new, now)])
            ids = {p.number: p.existing.pk for p in plans if p.existing is not None}
            for chunk in _chunks([h["number"] for h in new]):
                ids.update(Household.objects.filter(number__in=chunk).values_list("number", "pk"))
            self._update_existing(plans, now)
            _execute(conn, self._prepare(plans, ids, now))
        self.count(plans)

    def _update_existing(self, plans: list[_Plan], now: datetime.datetime) -> None:
        """Changed fields of existing households and persons (bulk_update)."""
        changed = [p for p in plans if p.existing is not None and p.household_changes]
        if changed:
            fields = sorted({k for p in changed for k in p.household_changes})
            for plan in changed:
                for key, (_old, value) in plan.household_changes.items():
                    setattr(plan.existing, key, value)
                plan.existing.updated_at = now
            Household.objects.bulk_update(
                [p.existing for p in changed], [*fields, "updated_at"], batch_size=500
            )
        updates = []
        fields = set()
        for plan in plans:
            for pk, values, changes in plan.person_updates:
                pinyin, initials = pinyin_keys(values["name"])
                person = Person(pk=pk, name_pinyin=pinyin, name_initials=initials, **values)
                person.updated_at = now
                updates.append(person)
                fields.update(changes)
        if updates:
            # Every object carries all its person fields, so updating the union is safe.
            if "name" in fields:
                fields.update(("name_pinyin", "name_initials"))
            Person.objects.bulk_update(updates, [*sorted(fields), "updated_at"], batch_size=500)

    def _prepare(
        self, plans: list[_Plan], ids: dict[str, int], now: datetime.datetime
    ) -> list[_Insert]:
        """The batch's new persons, incomes and audit entries as multi-row INSERTs."""
        people = []
        for plan in plans:
            household_id = ids[plan.number]
            for values in plan.new_persons:
                pinyin, initials = pinyin_keys(values["name"])
                people.append(
                    {
                        **values,
                        "name_pinyin": pinyin,
                        "name_initials": initials,
                        "household_id": household_id,
                    }
                )
        incomes = [
            {"household_id": ids[p.number], "year": p.income[0], "per_capita_net": p.income[1]}
            for p in plans
            if p.income_changed
        ]
        base = audit.build(AuditLog.Action.CREATE, object_type=HOUSEHOLD_TYPE)
        stamp = {k: getattr(base, k) for k in AUDIT_STAMP}
        entries = [self._audit_row(p, ids[p.number], stamp) for p in plans]
        return [
            _statement(Person, people, now),
            _statement(HouseholdIncome, incomes, now, upsert=_INCOME_UPSERT),
            _statement(AuditLog, entries, now),
        ]

    def _audit_row(self, plan: _Plan, household_id: int, stamp: dict[str, Any]) -> dict[str, Any]:
        """One entry per household: its fields and its members' (masked) snapshots.

        `stamp` holds the actor fields of an entry made by audit.build (who, IP, source),
        shared by the entries of a batch instead of building 2,000 model instances.
        """
        if plan.existing is None:
            values = {**plan.household, **NEW_HOUSEHOLD_DEFAULTS}
            household = {k: _plain(values[k]) for k in HOUSEHOLD_FIELDS if values.get(k, "") != ""}
            changes: dict[str, Any] = {
                "household": household,
                "members": [_person_snapshot(v) for v in plan.new_persons],
            }
            action, message = AuditLog.Action.CREATE, f"导入新增户，{len(plan.new_persons)}名成员"
            village = plan.household["village_id"]
        else:
            changes = {}
            if plan.household_changes:
                changes["household"] = _plain(plan.household_changes)
            if plan.new_persons:
                changes["members_added"] = [_person_snapshot(v) for v in plan.new_persons]
            if plan.person_updates:
                changes["members_updated"] = [
                    {
                        "id": pk,
                        "id_number": mask_id_number(values["id_number"]),
                        "name": values["name"],
                        "changes": _plain(diff),
                    }
                    for pk, values, diff in plan.person_updates
                ]
            action, message = AuditLog.Action.UPDATE, "导入更新户"
            village = plan.existing.village_id
        if plan.income_changed:
            year, amount, old = plan.income
            changes["income"] = {str(year): [None if old is None else str(old), str(amount)]}
        return {
            **stamp,
            "action": action,
            "object_id": str(household_id),
            "context_key": household_context(household_id),
            "object_repr": plan.number,
            "region_code": village,
            "changes": changes,
            "message": f"{message}（{self.result.filename}）"[:500],
        }

    def summary_entry(self) -> AuditLog:
        r = self.result
        return audit.build(
            AuditLog.Action.IMPORT,
            object_type=HOUSEHOLD_TYPE,
            object_repr=r.filename,
            region_code=self.prefix or "",
            changes={name: getattr(r, name) for name in r.COUNTERS},
            message=(
                f"导入贫困户 {r.filename}：{r.rows}行，新增{r.households_created}户"
                f"{r.persons_created}人，更新{r.households_updated}户{r.persons_updated}人，"
                f"未变{r.unchanged}人，拒绝{r.rejected}行"
            ),
        )


REQUIRED_SET = set(REQUIRED)
REQUIRED_FOR_HEAD_SET = set(REQUIRED_FOR_HEAD)
NEW_PERSON_KEYS = ["relation", "name", "id_number", "sex", "birth_date"]
UPDATABLE = ["relation", "name", *PERSON_OPTIONAL]
HOUSEHOLD_TYPE = Household._meta.label_lower
AUDIT_STAMP = ["user_id", "username", "ip", "source", "object_type"]
NEW_HOUSEHOLD_DEFAULTS = {"other_causes": [], **dict.fromkeys(c.ASSURANCE_FIELDS, True)}
_INCOME_UPSERT = (["household_id", "year"], ["per_capita_net", "updated_at"])
# Values the drivers take as they are (Decimals: the import quantises them already).
_PLAIN_TYPES = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


def _person_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """The member as audit.snapshot would record it (ID masked), without blank fields."""
    snap = {k: value for k in PERSON_FIELDS if (value := values[k])}
    snap["id_number"] = mask_id_number(snap["id_number"])
    return snap


def _statement(
    model: type[Any],
    rows: list[dict[str, Any]],
    now: datetime.datetime,
    *,
    upsert: tuple[list[str], list[str]] | None = None,
) -> _Insert:
    """bulk_create without model instances: a multi-row INSERT and its rows.

    The import writes about four rows per person; building and preparing a model
    instance per row would cost more than the rest of the import together. Missing
    fields get their default, auto_now fields `now`; values that are not plain str, int,
    bool or Decimal go through their field's get_db_prep_save. `upsert=(unique fields,
    fields to update)` adds ON CONFLICT … DO UPDATE (SQLite ≥ 3.24 and PostgreSQL).
    """
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup
    ops = conn.ops
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults: dict[str, Any] = {}
    forced: dict[str, Any] = {}
    convert: list[tuple[str, Callable[[Any], Any]]] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            forced[f.attname] = ops.adapt_datetimefield_value(now)
            continue
        if f.has_default():
            defaults[f.attname] = f.get_db_prep_save(f.get_default(), conn)
        else:
            defaults[f.attname] = None if f.null else ""
        kind = f.get_internal_type()
        if kind == "DateField":
            convert.append((f.attname, ops.adapt_datefield_value))
        elif kind not in _PLAIN_TYPES:
            convert.append((f.attname, lambda v, f=f: f.get_db_prep_save(v, conn)))
    getter = operator.itemgetter(*(f.attname for f in fields))
    params = []
    for row in rows:
        values = defaults | row
        for name, prepare in convert:
            if name in row:
                values[name] = prepare(values[name])
        values.update(forced)
        params.append(getter(values))
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    head = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) VALUES "
    tail = ""
    if upsert:
        column = {f.attname: ops.quote_name(f.column) for f in fields}
        unique, update = upsert
        sets = ", ".join(f"{column[k]} = EXCLUDED.{column[k]}" for k in update)
        tail = f" ON CONFLICT ({', '.join(column[k] for k in unique)}) DO UPDATE SET {sets}"
    return _Insert(head, f"({', '.join(['%s'] * len(fields))})", tail, params)


@dataclass
class _Insert:
    """A multi-row INSERT: head + row placeholders × n + tail, for `params` rows."""

    head: str
    row: str
    tail: str
    params: list[tuple[Any, ...]]


def _max_params(conn: Any) -> int:
    if conn.vendor == "sqlite":
        try:  # Python ≥ 3.11; SQLite ≥ 3.32 allows 32,766 (Django assumes 999)
            return conn.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:
            return 999
    if conn.vendor == "postgresql":
        return 65_535
    return conn.features.max_query_params or 999


def _execute(conn: Any, inserts: list[_Insert]) -> None:
    """Multi-row INSERTs of up to 1,000 rows: far fewer round trips than executemany.

    On SQLite the statements go to the driver's cursor with its own `?` placeholders:
    Django's wrapper would rewrite every 20,000-placeholder statement with a regex.
    """
    limit = _max_params(conn)
    sqlite = conn.vendor == "sqlite"
    with conn.cursor() as cursor, conn.wrap_database_errors:
        run = cursor.cursor.execute if sqlite else cursor.execute
        for insert in inserts:
            if not insert.params:
                continue
            row = insert.row.replace("%s", "?") if sqlite else insert.row
            per = max(1, min(1000, limit // len(insert.params[0])))
            statements: dict[int, str] = {}
            for chunk in _chunks(insert.params, per):
                sql = statements.get(len(chunk))
                if sql is None:
                    sql = insert.head + ", ".join([row] * len(chunk)) + insert.tail
                    statements[len(chunk)] = sql
                run(sql, list(chain.from_iterable(chunk)))


@contextmanager
def _bulk_mode() -> Iterator[None]:
    """For the import's duration: no cyclic garbage collection (the import allocates
    millions of small objects and no cycles; collections alone cost ~15%); on SQLite a
    64 MB page cache and no automatic WAL checkpoints (each one syncs the file), with one
    checkpoint at the end."""
    gc_enabled = gc.isenabled()
    gc.disable()
    conn = connections[DEFAULT_DB_ALIAS]
    previous: tuple[int, int] | None = None
    try:
        if conn.vendor == "sqlite":
            with conn.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                cache = cursor.fetchone()[0]
                cursor.execute("PRAGMA wal_autocheckpoint")
                previous = (cache, cursor.fetchone()[0])
                cursor.execute("PRAGMA cache_size = -65536")
                cursor.execute("PRAGMA wal_autocheckpoint = 0")
        yield
    finally:
        if previous is not None:
            with conn.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous[0])}")
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(previous[1])}")
                if not conn.in_atomic_block:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if gc_enabled:
            gc.enable()


# --- entry points --------------------------------------------------------------------


def import_households(
    source: str | Path | IO[bytes],
    *,
    user: Any,
    dry_run: bool = False,
    progress: Progress | None = None,
    filename: str | None = None,
) -> ImportResult:
    """Validate and (unless dry_run) write a household file; see the module docstring.

    `user=None` imports as the system (no jurisdiction limit). Raises PermissionDenied
    when the user may not import, ImportFileError when the file is unusable. Progress:
    see the Progress protocol.
    The audit entries are written as the current actor (acting_as / the request); if
    that is not `user`, the import runs as `user` keeping the actor's IP and source.
    """
    check_permission(user, "registry.import_households")
    actor = current_actor()
    same = user is None or getattr(actor.user, "pk", None) == user.pk
    context = nullcontext() if same else acting_as(user, ip=actor.ip, source=actor.source)
    started = time.perf_counter()
    with context:
        with _bulk_mode():
            hfile = read_household_file(source, filename=filename)
            parsed = time.perf_counter()
            importer = _Importer(hfile, user, progress)
            result = importer.result
            result.dry_run = dry_run
            plans = importer.validate()
            validated = time.perf_counter()
            if dry_run:
                importer.count(plans)
            else:
                importer.write(plans)
                audit.record_many([importer.summary_entry()])
        finished = time.perf_counter()  # after _bulk_mode's checkpoint
    result.timings = {
        "parse": round(parsed - started, 3),
        "validate": round(validated - parsed, 3),
        "write": round(finished - validated, 3),
    }
    return result


def write_errors(result: ImportResult, out: str | Path | IO[bytes]) -> int:
    """The rejected rows with their original cells and a 错误原因 column; returns rows."""
    grouped = result.errors_by_row()
    header = [*result.header, "错误原因"]
    columns = [
        Column(h or "", width=22 if i == result.id_column else 12, text=i == result.id_column)
        for i, h in enumerate(header)
    ]
    columns[-1].width = 60
    with Workbook(out) as book:
        sheet = book.add_sheet("错误行", columns)
        for number in sorted(result.rejected_rows):
            cells = list(result.rejected_rows[number])[: len(result.header)]
            cells += [""] * (len(result.header) - len(cells))
            reasons = "；".join(
                f"{e.column}：{e.message}" if e.column else e.message
                for e in grouped.get(number, [])
            )
            sheet.write_row([*cells, f"第{number}行 {reasons}"])
    return len(result.rejected_rows)


def write_template(out: str | Path | IO[bytes], rows: int = 10_000) -> None:
    """The downloadable import template: header, drop-downs for the code lists, 说明."""
    example = make_id_number("500156", datetime.date(1980, 5, 17), 1)
    lines = [
        "贫困户导入说明",
        "每行一名家庭成员；同一户的成员填写相同的户编号。表头以上可以有标题行；表头名称须与模板一致"
        "（也接受常见别名，如 身份证号、身份证号码、公民身份号码）。",
        f"每行必填：{'、'.join(HEADERS[k] for k in REQUIRED)}。",
        f"户主行必填：{'、'.join(HEADERS[k] for k in REQUIRED_FOR_HEAD)}；户的信息取自户主行，"
        "成员行的区划代码可留空（取户主的），填写时须与户主相同。",
        "证件号码请以文本格式填写（模板已设为文本）：Excel 把18位号码存成数字会丢失末尾几位，"
        "这样的行会被拒绝。性别、出生日期可留空，由证件号码推出；填写时须与证件号码一致。",
        "代码类列（与户主关系、民族、文化程度等）请从下拉列表选择，也可填写英文标识。",
        "家庭人均纯收入（元）记入当年；可加一列“收入年度”指定年度。",
        "已登记的户：按户编号更新户的信息，按证件号码更新成员信息；已登记在其他户的证件号码会被拒绝"
        "（成员迁移请在系统中办理）；不能通过导入更换户主。空白单元格表示不修改。",
        "有错误的行会被拒绝并给出行号、列名和原因，其余行照常导入；同一文件可以重复导入。",
        "",
        f"示例（户主行）：500156001201001 | 500156001201 | 户主 | 赵淑碧 | {example} | 男 | "
        "1980-05-17 | 土家族 | 初中 | 非在校生 | 健康 | 普通劳动力 | 13800000000 | "
        "一般贫困户 | 已脱贫 | 2014 | 2019 | 因病 | 8500",
        "示例（成员行）：500156001201001 |  | 配偶 | 李秀英 | … （户的信息可留空）",
    ]
    with Workbook(out) as book:
        columns = [Column(s.header, width=s.width, text=s.text, comment=s.note) for s in COLUMNS]
        sheet = book.add_sheet("贫困户成员", columns)
        book.add_text_sheet("说明", lines)
        for index, spec in enumerate(COLUMNS):
            if spec.choices:
                sheet.add_list_validation(
                    index,
                    LABELS[spec.key],
                    last_row=rows,
                    title=spec.header,
                    on_sheet=len(LABELS[spec.key]) > 30,  # 民族: a long list, kept on a sheet
                )

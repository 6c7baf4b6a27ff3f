"""The household import format: its columns, how headers map to them, how a cell becomes
a value, and the downloadable template.

One row per person. `COLUMNS` are the template's columns in order (also the export's,
see fupin.registry.exports); `OPTIONAL_COLUMNS` are recognised when a file has them.
Headers match after `normalise_header`, by name or alias. The cell converters take what
calamine / csv give (str, float, int, bool, date, datetime, None) and return the stored
value or raise CellError with the message shown to the user; the engine
(fupin.registry.imports) treats "" as a blank cell.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import IO, Any

from fupin.core.xlsx import Column, Headers, Workbook, unneutralise
from fupin.registry import choices as c
from fupin.registry.idnumbers import make_id_number
from fupin.registry.services import PERSON_FIELDS

__all__ = [
    "COLUMNS",
    "CONVERTERS",
    "HEADERS",
    "HEAD_FIELDS",
    "LABELS",
    "LOOKUPS",
    "OPTIONAL_COLUMNS",
    "PERSON_OPTIONAL",
    "REQUIRED",
    "REQUIRED_FOR_HEAD",
    "SPECS",
    "CellError",
    "Spec",
    "cell_choice",
    "cell_code",
    "cell_date",
    "cell_decimal",
    "cell_text",
    "cell_year",
    "is_header",
    "limited",
    "map_header",
    "write_template",
]


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

HEADER_ALIASES = Headers([*COLUMNS, *OPTIONAL_COLUMNS])
is_header = HEADER_ALIASES.is_header
map_header = HEADER_ALIASES.map


def _choice_pairs(choices: Any) -> list[tuple[str, str]]:
    return list(choices.choices) if hasattr(choices, "choices") else list(choices)


_SPACES = re.compile(r"\s+")


def _norm(text: str) -> str:
    """Half-width (NFKC), without whitespace."""
    if text.isascii() and text.isalnum():  # the usual code or number: nothing to do
        return text
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


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


# --- cell values ---------------------------------------------------------------------


class CellError(ValueError):
    pass


def cell_text(value: Any) -> str:
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


def cell_code(value: Any) -> str:
    """Codes and numbers (户编号, 区划代码, years): half-width, no spaces, no '.0'."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return cell_text(value)
    return _norm(cell_text(value))


def cell_choice(key: str, value: Any) -> str:
    """A code list value from its label (or identifier); "" when blank."""
    text = cell_code(value)
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


def cell_date(value: Any) -> datetime.date:
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
            text = cell_code(value)
            match = _DATE_TEXT.fullmatch(text)
            if match:
                return datetime.date(*map(int, match.groups()))
            if re.fullmatch(r"\d{8}", text):
                return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        pass
    raise CellError(f"无法识别的日期“{cell_text(value)}”，请填写如 1990-01-01")


def cell_year(value: Any) -> int:
    text = cell_code(value).removesuffix("年")
    if not re.fullmatch(r"\d{4}", text):
        raise CellError(f"“{cell_text(value)}”不是有效的年度，请填写4位年份，如 2014")
    year = int(text)
    if not 1949 <= year <= datetime.date.today().year:
        raise CellError(f"年度 {year} 不在 1949 至今年的范围内")
    return year


def cell_decimal(value: Any) -> Decimal:
    text = cell_code(value).replace(",", "").removeprefix("¥").removesuffix("元")
    try:
        number = Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise CellError(f"“{cell_text(value)}”不是有效的金额") from None
    if not number.is_finite() or abs(number) >= Decimal("1e10"):
        raise CellError(f"金额 {text} 超出范围")
    return number


def limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise CellError(f"长度不能超过{limit}个字符")
    return text


# The converter of every column but 区划代码 (checked against the database by the engine)
# and 证件号码 (fupin.registry.idnumbers).
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "number": lambda v: limited(cell_code(v), 30),
    "name": lambda v: limited(cell_text(v), 50),
    "phone": lambda v: limited(cell_text(v), 20),
    "birth_date": cell_date,
    "income": cell_decimal,
    **{key: partial(cell_choice, key) for key in LOOKUPS},
    **dict.fromkeys(("identified_year", "exit_year", "income_year"), cell_year),
}


# --- the template --------------------------------------------------------------------


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

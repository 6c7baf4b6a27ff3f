"""Importing poor laborers' employment states from a spreadsheet: one row per person,
identified by 证件号码 (`fupin import laborers`, and the upload page on /laborers/).

It behaves like the household import (fupin.registry.imports) and reuses its machinery
(fupin.core.xlsx reading, fupin.registry.import_columns header and cell handling,
fupin.registry.idnumbers): every bad row is rejected with its worksheet row number,
column and a reason, all other rows are written; importing the same file again changes
nothing.

A row is the person's employment state on its 状态日期 (default today), written as
fupin.employment.services.record_employment would write it, so that the history is kept:

- equal to the current state → `unchanged`;
- no state yet → a first state (`created`);
- otherwise the current state is closed on that date and a new one opened (`updated`);
  on the current state's own date that state is corrected instead.

Blank cells mean "none". Columns missing from the file altogether keep the current
state's values while the status stays the same (a file of 证件号码 + 就业状态 + 月收入 does
not wipe the destinations), and a new state of the same job (status, form and employer
name unchanged) keeps the current one's links to an employer, workshop, public-welfare
post or labor-export batch, which only the measures set.

Writes are set-based (fupin.core.bulk multi-row INSERTs, one UPDATE per date for the
closed states; no save() per row), one transaction per batch, so a killed import leaves
whole rows only; every written state gets an audit entry like record_employment's, plus
one for the import.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.bulk import chunks, execute, insert, rows_in
from fupin.core.context import acting_as, current_actor
from fupin.core.dates import years_before
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.services import check_permission
from fupin.core.xlsx import (
    Column,
    Headers,
    SpreadsheetError,
    Workbook,
    read_table,
)
from fupin.employment import choices as c
from fupin.employment.models import EmploymentRecord
from fupin.employment.selectors import UNABLE, tier_between
from fupin.employment.services import LINK_FIELDS, STATE_FIELDS, carried_links, validate_state
from fupin.regions.models import Region
from fupin.registry import choices as rc
from fupin.registry.idnumbers import IdNumberError, make_id_number, normalise_id_number
from fupin.registry.import_columns import (
    SPECS as HOUSEHOLD_SPECS,
)
from fupin.registry.import_columns import (
    CellError,
    Spec,
    cell_code,
    cell_date,
    cell_decimal,
    cell_text,
    limited,
)
from fupin.registry.imports import Progress
from fupin.registry.models import Person
from fupin.registry.services import household_context

PERMISSION = "employment.add_employmentrecord"
RECORD_TYPE = EmploymentRecord._meta.label_lower

# The state's fields a file carries (the other STATE_FIELDS — employer, workshop,
# placement, export batch, end date — are set by the measures and the state form).
IMPORTED_FIELDS = [
    "status",
    "not_seeking_reason",
    "form",
    "location_tier",
    "destination_id",
    "employer_name",
    "trade",
    "start_date",
    "monthly_income",
    "channel",
    "has_contract",
    "has_social_insurance",
]
BLANKS: dict[str, Any] = {
    **dict.fromkeys(IMPORTED_FIELDS, ""),
    "destination_id": None,
    "start_date": None,
    "monthly_income": None,
    "has_contract": False,
    "has_social_insurance": False,
}

YES, NO = "是", "否"
YES_NO = [("1", YES), ("0", NO)]
_YES_NO_WORDS = {
    **dict.fromkeys(("是", "有", "已签订", "已参加", "y", "yes", "true", "1", "√"), "1"),
    **dict.fromkeys(("否", "无", "未签订", "未参加", "n", "no", "false", "0", "×"), "0"),
}
# 就业地域: the national labels and a municipality's (区内乡镇外 / 市内区外 / 市外).
TIER_CHOICES = [
    *c.LocationTier.choices,
    *[
        (value, label)
        for value, label in c.MUNICIPALITY_LABELS.items()
        if label != c.LocationTier(value).label
    ],
]

_ID_NOTE = "必填，18位（旧15位号码自动升级），须为已登记在您管辖范围内的人员。请保持文本格式"
# fmt: off
COLUMNS: list[Spec] = [
    Spec("id_number", "证件号码", HOUSEHOLD_SPECS["id_number"].aliases, None, 22, True, _ID_NOTE),
    Spec("name", "姓名", ("成员姓名", "劳动力姓名"), None, 10,
         note="可留空；填写时须与登记的姓名一致"),
    Spec("status", "就业状态", ("就业情况", "是否就业"), c.Status, 14, note="必填"),
    Spec("not_seeking_reason", "未就业原因", ("无意愿原因", "无就业意愿原因", "暂无就业意愿原因",
         "未就业原因/无意愿原因", "未就业原因或无意愿原因"), c.NotSeekingReason, 14,
         note="暂无就业意愿时必填"),
    Spec("form", "就业形式", ("就业方式",), c.Form, 12, note="已就业时必填"),
    Spec("destination", "就业地区代码", ("务工地代码", "务工地区代码", "就业地代码",
         "务工地区划代码", "就业地区划代码", "就业地区"), None, 14, True,
         "区划代码，如 500105（江北区）、4403（深圳市）；由此推出就业地域"),
    Spec("location_tier", "就业地域", ("务工地域", "就业区域"), TIER_CHOICES, 12,
         note="填写就业地区代码时可留空（由代码推出）；已就业（务农除外）时二者至少填一项"),
    Spec("employer_name", "就业单位", ("用人单位", "用人单位名称", "工作单位", "就业单位名称"),
         None, 20),
    Spec("trade", "行业", ("所属行业", "就业行业"), c.Trade, 16),
    Spec("start_date", "开始日期", ("就业开始日期", "务工开始日期"), None, 12),
    Spec("monthly_income", "月收入", ("月收入(元)", "月工资", "月均收入"), None, 10, note="元"),
    Spec("channel", "就业渠道", ("就业途径",), c.Channel, 14),
    Spec("has_contract", "是否签订劳动合同", ("签订劳动合同", "劳动合同"), YES_NO, 10),
    Spec("has_social_insurance", "是否参加社会保险", ("参加社会保险", "社会保险", "社保"),
         YES_NO, 10),
    Spec("valid_from", "状态日期", ("情况变化日期", "变化日期", "生效日期"), None, 12,
         note="可留空（今天）；不能早于该人员当前就业情况的日期，不能晚于今天"),
]
# fmt: on
SPECS = {s.key: s for s in COLUMNS}
HEADERS = {s.key: s.header for s in COLUMNS}
REQUIRED = ["id_number", "status"]
# validate_state's fields → the column its message is about.
STATE_COLUMNS = {
    "status": "status",
    "not_seeking_reason": "not_seeking_reason",
    "form": "form",
    "location_tier": "destination",
    "monthly_income": "monthly_income",
}

HEADER_ALIASES = Headers(COLUMNS)
is_header = HEADER_ALIASES.is_header
map_header = HEADER_ALIASES.map


def _pairs(choices: Any) -> list[tuple[str, str]]:
    return list(choices.choices) if hasattr(choices, "choices") else list(choices)


LABELS = {s.key: [label for _, label in _pairs(s.choices)] for s in COLUMNS if s.choices}
LABELS["location_tier"] = list(dict.fromkeys(label for _, label in TIER_CHOICES))
LOOKUPS: dict[str, dict[str, str]] = {}
for _spec in COLUMNS:
    if _spec.choices:
        table = LOOKUPS[_spec.key] = {}
        for _value, _label in _pairs(_spec.choices):
            table[cell_code(_label)] = _value
            table[_value.lower()] = _value
LOOKUPS["has_contract"].update(_YES_NO_WORDS)
LOOKUPS["has_social_insurance"].update(_YES_NO_WORDS)


def _choice(key: str, value: Any) -> str:
    text = cell_code(value)
    if not text:
        return ""
    found = LOOKUPS[key].get(text) or LOOKUPS[key].get(text.lower())
    if found is None:
        raise CellError(f"“{text}”不是有效的{HEADERS[key]}，可选值：{'、'.join(LABELS[key])}")
    return found


def _yes_no(key: str, value: Any) -> bool:
    return _choice(key, value) == "1"


def _income(value: Any) -> Decimal:
    amount = cell_decimal(value)
    if amount < 0:
        raise CellError("月收入不能为负数")
    return amount


def _same_name(given: str, registered: str) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))

    return norm(given) == norm(registered)


# --- reading -------------------------------------------------------------------------


class ImportFileError(SpreadsheetError):
    """The file cannot be imported at all (unreadable, unsupported, columns missing)."""


@dataclass
class LaborerFile:
    """A read file: its header, rows (worksheet row number, cells) and column indexes."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]
    columns: dict[str, int]
    filename: str = ""


def read_laborer_file(
    source: str | Path | IO[bytes], *, filename: str | None = None
) -> LaborerFile:
    """Read an .xlsx/.xls/.csv file in the laborer format; ImportFileError if unusable."""
    try:
        table = read_table(source, is_header, filename=filename)
    except SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from exc
    columns = map_header(table.header)
    missing = [HEADERS[k] for k in REQUIRED if k not in columns]
    if missing:
        raise ImportFileError(f"文件缺少必需的列：{'、'.join(missing)}")
    name = filename or getattr(source, "name", None) or str(source)
    return LaborerFile(list(table.header), table.rows, columns, Path(str(name)).name)


# --- result --------------------------------------------------------------------------


@dataclass
class LaborerImportResult:
    """Counters as printed by `--json`, the errors, and what `write_errors` needs."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # row, column, message
    dry_run: bool = False
    filename: str = ""
    header: list[str] = field(default_factory=list)
    rejected_rows: dict[int, list[Any]] = field(default_factory=dict)
    id_column: int | None = None

    COUNTERS = ("rows", "created", "updated", "unchanged", "rejected")

    def reject(self, row: int, cells: list[Any], errors: Iterable[tuple[str, str]]) -> None:
        """Worksheet row `row` is not imported, for these (column, message) reasons."""
        self.rejected += 1
        self.rejected_rows[row] = cells
        self.errors.extend((row, column, message) for column, message in errors)

    def as_dict(self) -> dict[str, Any]:
        """Exactly the `--json` object."""
        data: dict[str, Any] = {name: getattr(self, name) for name in self.COUNTERS}
        data["errors"] = [
            {"row": r, "column": col, "message": m}
            for r, col, m in sorted(self.errors, key=lambda e: e[0])
        ]
        return data


@dataclass
class Plan:
    """What the import does for one valid row."""

    index: int  # row index in the file
    person_id: int
    village: str
    household_id: int
    day: datetime.date
    values: dict[str, Any]  # IMPORTED_FIELDS
    current_id: int | None
    current_key: tuple[Any, ...] | None  # the current state as validated (re-checked)
    correct: bool = False  # the current state is of the same day: corrected in place
    links: dict[str, Any] = field(default_factory=dict)  # LINK_FIELDS kept from the current


LABORER_FIELDS = ("birth_date", "labor_ability", "removed_on")
# Links to the measures (and a chosen employer), kept by a new state of the same job.
RECORD_INSERT = ["person_id", "valid_from", "recorded_by_id", *IMPORTED_FIELDS, *LINK_FIELDS]
# A new state's fields that the file does not set (STATE_FIELDS's attnames), as stored.
NEW_SNAPSHOT: dict[str, Any] = {
    **dict.fromkeys(STATE_FIELDS),
    "employer_name": "",
}
AUDIT_STAMP = ["user_id", "username", "ip", "source", "object_type"]
AUDIT_ROW = "action object_id context_key object_repr region_code changes message".split()


def _state_key(record: EmploymentRecord) -> tuple[Any, ...]:
    return (record.pk, record.valid_from, *[getattr(record, k) for k in IMPORTED_FIELDS])


def not_laborer_reason(
    birth: datetime.date, labor_ability: str, removed_on: datetime.date | None, day: datetime.date
) -> str:
    """Why a registered person is not a poor laborer on `day` ("" if they are): the rule
    of fupin.employment.selectors.laborers, with a message."""
    low, high = settings.FUPIN_LABORER_AGE_MIN, settings.FUPIN_LABORER_AGE_MAX
    if removed_on is not None and removed_on <= day:
        return f"该人员已于 {removed_on:%Y-%m-%d} 减员，不是在册人员"
    if birth > years_before(day, low):
        return f"该人员在 {day:%Y-%m-%d} 未满{low}周岁，不是贫困劳动力"
    if birth <= years_before(day, high + 1):
        return f"该人员在 {day:%Y-%m-%d} 已超过{high}周岁，不是贫困劳动力"
    if labor_ability in UNABLE:
        label = rc.LaborAbility(labor_ability).label
        return f"该人员劳动能力为“{label}”，不是贫困劳动力"
    return ""


# --- validation ----------------------------------------------------------------------


class Validation:
    """The rows of a read file, checked into plans (rejected rows go to the result)."""

    def __init__(self, lfile: LaborerFile, user: Any, result: LaborerImportResult):
        self.file = lfile
        self.user = user
        self.result = result
        prefix = "" if user is None else jurisdiction_code(user)
        if prefix is None:
            raise PermissionDenied("该用户没有管辖区域，不能导入")
        self.prefix = prefix
        self.today = datetime.date.today()
        self.numbers = [n for n, _ in lfile.rows]
        self.cells = [cells for _, cells in lfile.rows]
        self.errors: dict[int, list[tuple[str, str]]] = {}
        self.regions: set[str] = set()

    def _converters(self) -> dict[str, Callable[[Any], Any]]:
        def destination(value: Any) -> str:
            code = cell_code(value)
            if not code:
                return ""
            if not code.isdigit() or code not in self.regions:
                raise CellError(f"区划代码 {code} 不存在")
            return code

        def id_number(value: Any) -> str:
            try:
                return normalise_id_number(value, today=self.today)
            except IdNumberError as exc:
                if not cell_text(value):
                    return ""
                raise CellError(str(exc)) from None

        def valid_from(value: Any) -> datetime.date:
            day = cell_date(value)
            if day > self.today:
                raise CellError("状态日期不能晚于今天")
            return day

        converters: dict[str, Callable[[Any], Any]] = {
            "id_number": id_number,
            "name": lambda v: limited(cell_text(v), 50),
            "destination": destination,
            "employer_name": lambda v: limited(cell_text(v), 200),
            "start_date": cell_date,
            "monthly_income": _income,
            "valid_from": valid_from,
        }
        for key in LOOKUPS:
            if key in ("has_contract", "has_social_insurance"):
                converters[key] = lambda v, key=key: _yes_no(key, v)
            else:
                converters[key] = lambda v, key=key: _choice(key, v)
        return converters

    def _load_regions(self) -> None:
        index = self.file.columns.get("destination")
        if index is None:
            return
        codes = {cell_code(cells[index]) for cells in self.cells if index < len(cells)}
        codes = sorted(code for code in codes if code.isdigit())
        for chunk in chunks(codes):
            found = Region.objects.filter(code__in=chunk).values_list("code", flat=True)
            self.regions.update(found)

    def _read_rows(self) -> list[dict[str, Any]]:
        """Each row's cells converted (each distinct value once per column); cell errors
        recorded in column order."""
        converters = self._converters()
        columns = self.file.columns
        present = [s.key for s in COLUMNS if s.key in columns]
        caches: dict[str, dict[Any, Any]] = {key: {} for key in present}
        rows = []
        for i, cells in enumerate(self.cells):
            row: dict[str, Any] = {}
            for key in present:
                raw = cells[columns[key]] if columns[key] < len(cells) else None
                cache = caches[key]
                try:
                    value = cache[raw]
                except KeyError:
                    try:
                        value = "" if raw is None or raw == "" else converters[key](raw)
                    except CellError as exc:
                        value = exc
                    cache[raw] = value
                if isinstance(value, CellError):
                    self._error(i, key, str(value))
                    value = ""
                elif key in REQUIRED and value == "":
                    self._error(i, key, "必填项为空")
                row[key] = value
            rows.append(row)
        return rows

    def _error(self, i: int, key: str, message: str) -> None:
        self.errors.setdefault(i, []).append((HEADERS[key] if key else "", message))

    def validate(self) -> list[Plan]:
        """The plans of the file's valid rows; rejected rows go to the result."""
        self.result.rows = len(self.cells)
        self._load_regions()
        rows = self._read_rows()
        errors = self.errors

        # The same ID twice: the first valid row wins.
        first: dict[str, int] = {}
        for i, row in enumerate(rows):
            if i in errors:
                continue
            number = row["id_number"]
            if number in first:
                self._error(i, "id_number", f"与第{self.numbers[first[number]]}行重复")
            else:
                first[number] = i

        fields = ["pk", "id_number", "name", "birth_date", "labor_ability", "removed_on"]
        fields += ["household_id", "household__village_id"]
        people = {
            row[1]: dict(zip(fields, row, strict=True))
            for row in rows_in(Person.objects.values_list(*fields), "id_number", list(first))
        }
        current: dict[int, EmploymentRecord] = {}
        pks = [p["pk"] for p in people.values()]
        for chunk in chunks(pks):
            for record in EmploymentRecord.objects.filter(person_id__in=chunk, valid_to=None):
                current[record.person_id] = record

        plans = []
        for number, i in first.items():
            person = people.get(number)
            plan = self._plan(i, rows[i], person, current) if person else None
            if person is None:
                self._error(i, "id_number", "该证件号码未登记（请先登记贫困户成员）")
            if plan is not None:
                plans.append(plan)
        for i in sorted(errors):
            self.result.reject(self.numbers[i], self.cells[i], errors[i])
        return plans

    def _plan(
        self,
        i: int,
        row: dict[str, Any],
        person: dict[str, Any],
        current: dict[int, EmploymentRecord],
    ) -> Plan | None:
        village = person["household__village_id"]
        if not village.startswith(self.prefix):
            self._error(i, "id_number", "该人员不在您的管辖范围内")
            return None
        name = row.get("name", "")
        if name and not _same_name(name, person["name"]):
            self._error(i, "name", f"姓名“{name}”与登记的姓名“{person['name']}”不符")
            return None
        day = row.get("valid_from") or self.today
        state = current.get(person["pk"])
        if state is not None and day < state.valid_from:
            message = f"状态日期不能早于该人员当前就业情况的日期 {state.valid_from:%Y-%m-%d}"
            self._error(i, "valid_from", message)
            return None

        values = dict(BLANKS)
        columns = self.file.columns
        for key in IMPORTED_FIELDS:
            source = "destination" if key == "destination_id" else key
            if source in columns:
                values[key] = row[source] if row[source] != "" else BLANKS[key]
        # Missing columns keep the current state's values while the status is the same.
        # (就业地区代码 and 就业地域 go together: either column present means both given.)
        tier_given = "location_tier" in columns or "destination" in columns
        if state is not None and state.status == values["status"]:
            for key in IMPORTED_FIELDS:
                if key in ("destination_id", "location_tier"):
                    present = tier_given
                else:
                    present = key in columns
                if not present:
                    values[key] = getattr(state, key)
        if values["destination_id"]:
            derived = tier_between(village, values["destination_id"])
            given = row.get("location_tier", "")
            if given and given != derived:
                shown = c.tier_label(derived, village)
                message = (
                    f"就业地域“{c.tier_label(given, village)}”与就业地区代码"
                    f"（{shown}）不符；可只填就业地区代码"
                )
                self._error(i, "location_tier", message)
                return None
            values["location_tier"] = derived
        try:
            validate_state(values)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                column = STATE_COLUMNS.get(key, "")
                if key == "location_tier":
                    if values["status"] == c.Status.EMPLOYED:
                        messages = ["已就业（务农除外）须填写就业地区代码或就业地域"]
                    elif "destination" not in columns or not row.get("destination"):
                        column = "location_tier"
                for message in messages:
                    self._error(i, column, message)
            return None

        same = state is not None and all(getattr(state, k) == values[k] for k in IMPORTED_FIELDS)
        laborer = itemgetter(*LABORER_FIELDS)(person)
        why = not_laborer_reason(*laborer, day)
        if why and same and not not_laborer_reason(*laborer, self.today):
            # Nothing to write, and a laborer today: the current state may date from just
            # before their 16th birthday (recorded early); not an error.
            why = ""
        if why:
            self._error(i, "id_number", why)
            return None
        if same:
            self.result.unchanged += 1
            return None
        links = carried_links(state, values)
        return Plan(
            index=i,
            person_id=person["pk"],
            village=village,
            household_id=person["household_id"],
            day=day,
            values=values,
            current_id=state.pk if state is not None else None,
            current_key=_state_key(state) if state is not None else None,
            correct=state is not None and state.valid_from == day,
            links=links,
        )


# --- writing -------------------------------------------------------------------------


class Writer:
    """Writes the plans, batch by batch, each in one transaction: the closed states by one
    UPDATE per date, the new states and their audit entries by multi-row INSERTs
    (fupin.core.bulk), same-day corrections (rare) by bulk_update."""

    def __init__(self, checked: Validation, result: LaborerImportResult, user: Any):
        self.checked = checked
        self.result = result
        self.recorded_by_id = user.pk if getattr(user, "pk", None) else None
        # The actor fields of an entry made by audit.build, shared by all of the entries.
        base = audit.build(AuditLog.Action.CREATE, object_type=RECORD_TYPE)
        self.stamp = {k: getattr(base, k) for k in AUDIT_STAMP}

    def write(self, plans: list[Plan], progress: Progress | None) -> None:
        size = max(1, int(getattr(settings, "FUPIN_IMPORT_BATCH_LABORERS", 2000)))
        for batch in chunks(plans, size):
            try:
                self._write_batch(batch)
            except DatabaseError:
                # Someone wrote a state meanwhile: row by row, rejecting only the clashes.
                for plan in batch:
                    try:
                        self._write_batch([plan])
                    except DatabaseError as exc:
                        self._reject(plan, f"写入数据库失败，本行未导入（请重新导入）：{exc}")
            if progress:
                progress(len(batch))

    def _reject(self, plan: Plan, message: str) -> None:
        i = plan.index
        self.result.reject(self.checked.numbers[i], self.checked.cells[i], [("", message)])

    def _write_batch(self, plans: Sequence[Plan]) -> None:
        now = timezone.now()
        message = f"导入就业情况（{self.result.filename}）"[:500]
        with transaction.atomic():
            open_now = {
                r.person_id: r
                for r in EmploymentRecord.objects.select_for_update().filter(
                    person_id__in=[p.person_id for p in plans], valid_to=None
                )
            }
            fresh, stale = [], []
            for plan in plans:
                record = open_now.get(plan.person_id)
                key = _state_key(record) if record is not None else None
                (fresh if key == plan.current_key else stale).append(plan)
            entries = self._correct([p for p in fresh if p.correct], open_now, now)
            new = [p for p in fresh if not p.correct]
            closing: dict[datetime.date, list[int]] = {}
            for plan in new:
                if plan.current_id is not None:
                    closing.setdefault(plan.day, []).append(plan.current_id)
            for day, ids in closing.items():
                for chunk in chunks(ids):
                    EmploymentRecord.objects.filter(pk__in=chunk).update(
                        valid_to=day, updated_at=now
                    )
            rows = [
                (
                    p.person_id,
                    p.day,
                    self.recorded_by_id,
                    *map(p.values.__getitem__, IMPORTED_FIELDS),
                    *map(p.links.get, LINK_FIELDS),
                )
                for p in new
            ]
            returning = ["person_id", "pk"]
            ids = dict(
                execute([insert(EmploymentRecord, RECORD_INSERT, rows, now, returning=returning)])
            )
            for plan in new:
                snapshot = {**NEW_SNAPSHOT, **plan.values, **plan.links}
                entries.append(
                    (
                        AuditLog.Action.CREATE,
                        str(ids[plan.person_id]),
                        household_context(plan.household_id),
                        f"{plan.day:%Y-%m-%d} {c.Status(plan.values['status']).label}",
                        plan.village,
                        {k: _plain(snapshot[k]) for k in STATE_FIELDS},
                        message,
                    )
                )
            execute([insert(AuditLog, AUDIT_ROW, entries, now, shared=self.stamp)])
        self.result.created += sum(p.current_id is None for p in new)
        self.result.updated += len(fresh) - sum(p.current_id is None for p in new)
        for plan in stale:
            self._reject(plan, "该人员的就业情况在校验后已被他人修改，本行未导入（请重新导入）")

    def _correct(
        self,
        plans: list[Plan],
        open_now: dict[int, EmploymentRecord],
        now: datetime.datetime,
    ) -> list[tuple[Any, ...]]:
        """States of the same day corrected in place (as record_employment does); their
        audit rows (AUDIT_ROW)."""
        entries: list[tuple[Any, ...]] = []
        records = []
        for plan in plans:
            record = open_now[plan.person_id]
            before = audit.snapshot(record, STATE_FIELDS)
            for name, value in plan.values.items():
                setattr(record, name, value)
            record.recorded_by_id = self.recorded_by_id
            record.updated_at = now
            records.append(record)
            entries.append(
                (
                    AuditLog.Action.UPDATE,
                    str(record.pk),
                    household_context(plan.household_id),
                    f"{plan.day:%Y-%m-%d} {c.Status(record.status).label}",
                    plan.village,
                    audit.diff(before, audit.snapshot(record, STATE_FIELDS)),
                    f"导入更正当日就业情况（{self.result.filename}）"[:500],
                )
            )
        if records:
            fields = [*IMPORTED_FIELDS, "recorded_by", "updated_at"]
            EmploymentRecord.objects.bulk_update(records, fields)
        return entries


def _plain(value: Any) -> Any:
    """As audit.snapshot records a value: dates and Decimals as strings."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _count(plans: list[Plan], result: LaborerImportResult) -> None:
    for plan in plans:
        if plan.current_id is None:
            result.created += 1
        else:
            result.updated += 1


def summary_entry(result: LaborerImportResult, region_code: str) -> AuditLog:
    """The import's own audit entry: its counters."""
    r = result
    return audit.build(
        AuditLog.Action.IMPORT,
        object_type=RECORD_TYPE,
        object_repr=r.filename,
        region_code=region_code,
        changes={name: getattr(r, name) for name in r.COUNTERS},
        message=(
            f"导入贫困劳动力就业情况 {r.filename}：{r.rows}行，新增{r.created}人，"
            f"更新{r.updated}人，未变{r.unchanged}人，拒绝{r.rejected}行"
        ),
    )


# --- entry points --------------------------------------------------------------------


def import_laborers(
    source: str | Path | IO[bytes],
    *,
    user: Any,
    dry_run: bool = False,
    progress: Progress | None = None,
    filename: str | None = None,
) -> LaborerImportResult:
    """Validate and (unless dry_run) write a laborer file; see the module docstring.

    `user=None` imports as the system (no jurisdiction limit). Raises PermissionDenied
    when the user may not record employment, ImportFileError when the file is unusable.
    Audited as the current actor; if that is not `user`, as `user` (keeping IP, source).
    """
    check_permission(user, PERMISSION)
    actor = current_actor()
    same = user is None or getattr(actor.user, "pk", None) == user.pk
    context = nullcontext() if same else acting_as(user, ip=actor.ip, source=actor.source)
    with context:
        lfile = read_laborer_file(source, filename=filename)
        result = LaborerImportResult(
            dry_run=dry_run,
            filename=lfile.filename,
            header=lfile.header,
            id_column=lfile.columns.get("id_number"),
        )
        total = len(lfile.rows)
        if progress is not None and hasattr(progress, "total"):
            progress.total(total if dry_run else 2 * total)
        checked = Validation(lfile, user, result)
        plans = checked.validate()
        if progress and total:
            progress(total)
        if dry_run:
            _count(plans, result)
        else:
            if progress:  # rows with nothing to write count as done
                progress(total - len(plans))
            Writer(checked, result, user).write(plans, progress)
            audit.record_many([summary_entry(result, checked.prefix)])
    return result


def write_errors(result: LaborerImportResult, out: str | Path | IO[bytes]) -> int:
    """The rejected rows with their original cells and a 错误原因 column; returns rows."""
    grouped: dict[int, list[str]] = {}
    for row, column, message in result.errors:
        grouped.setdefault(row, []).append(f"{column}：{message}" if column else message)
    width = len(result.header)
    columns = [
        Column(h or "", width=22 if i == result.id_column else 12, text=i == result.id_column)
        for i, h in enumerate(result.header)
    ]
    columns.append(Column("错误原因", width=60))
    with Workbook(out) as book:
        sheet = book.add_sheet("错误行", columns)
        for number in sorted(result.rejected_rows):
            cells = list(result.rejected_rows[number])[:width]
            cells += [""] * (width - len(cells))
            sheet.write_row([*cells, f"第{number}行 {'；'.join(grouped.get(number, []))}"])
    return len(result.rejected_rows)


def write_template(out: str | Path | IO[bytes], rows: int = 10_000) -> None:
    """The downloadable template: header with notes, drop-downs for the code lists, 说明."""
    example = make_id_number("500156", datetime.date(1985, 3, 12), 1)
    lines = [
        "贫困劳动力就业情况导入说明",
        "每行一人，按证件号码识别；该人员须已登记为贫困户成员、在您的管辖范围内，并且在状态日期是"
        f"贫困劳动力（{settings.FUPIN_LABORER_AGE_MIN}–{settings.FUPIN_LABORER_AGE_MAX}周岁、"
        "有劳动能力）。表头以上可以有标题行；表头名称须与模板一致（也接受常见别名，如 身份证号）。",
        f"每行必填：{'、'.join(HEADERS[k] for k in REQUIRED)}；已就业时必填就业形式，"
        "务农以外还须填写就业地区代码（由此推出就业地域）或就业地域；暂无就业意愿时必填未就业原因。",
        "每行表示该人员在状态日期（留空为今天）的就业情况，空白单元格表示无此项；文件中没有的列，"
        "在就业状态不变时沿用当前值。",
        "与当前就业情况相同的行不作改动；不同的行记为自状态日期起的新情况，原情况保留在历史中"
        "（状态日期与当前情况的日期相同时，更正当前情况）。状态日期不能早于当前情况的日期。",
        "代码类列（就业状态、就业形式、行业、就业渠道等）请从下拉列表选择，也可填写英文标识；"
        "是否签订劳动合同、是否参加社会保险填 是 或 否。",
        "有错误的行会被拒绝并给出行号、列名和原因，其余行照常导入；同一文件可以重复导入。",
        "",
        f"示例：{example} | 赵淑碧 | 已就业 |  | 企业务工 | 4403 |  | 某电子厂 | 制造业 | "
        "2020-03-01 | 4500 | 劳务协作 | 是 | 是 | 2020-12-31",
    ]
    with Workbook(out) as book:
        columns = [Column(s.header, width=s.width, text=s.text, comment=s.note) for s in COLUMNS]
        sheet = book.add_sheet("贫困劳动力就业情况", columns)
        book.add_text_sheet("说明", lines)
        for index, spec in enumerate(COLUMNS):
            if spec.choices:
                sheet.add_list_validation(index, LABELS[spec.key], last_row=rows, title=spec.header)

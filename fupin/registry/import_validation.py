"""Validating a household file: the rules of issue #2, and the plan of what the import
will do to each household (fupin.registry.imports runs it; fupin.registry.import_writing
writes the plans).

Rows are handled by index (0-based; `numbers[i]` is the row's worksheet row number) and
column by column: each column's distinct values are converted once (`_convert`), errors
are recorded per row in the order a row-by-row reading would give them, and the valid
rows' person fields are zipped into tuples (`persons`, `snapshots`) that the plans and
the INSERTs use as they are. Then the file's households are checked against the
database with bulk lookups, never a query per row.

Blank optional cells mean "no information": new records get an empty value, existing
ones keep theirs.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

from fupin.core.bulk import chunks, rows_in
from fupin.core.models import jurisdiction_code
from fupin.regions.models import Region
from fupin.registry import choices as c
from fupin.registry.idnumbers import (
    IdNumberError,
    birth_date_from_id,
    mask_id_number,
    normalise_id_number,
    sex_from_id,
)
from fupin.registry.import_columns import (
    CONVERTERS,
    HEAD_FIELDS,
    HEADERS,
    PERSON_OPTIONAL,
    REQUIRED,
    REQUIRED_FOR_HEAD,
    CellError,
    cell_code,
)
from fupin.registry.models import Household, HouseholdIncome, Person
from fupin.registry.services import PERSON_FIELDS

if TYPE_CHECKING:
    from fupin.registry.imports import HouseholdFile, ImportResult, Progress

_VILLAGE_CODE = re.compile(r"[0-9]{12}")
HEAD = c.Relation.HEAD.value
# Read on every row; the household fields only on the head's row.
ROW_KEYS = ["number", "relation", "name", "village", *PERSON_OPTIONAL]
HEAD_KEYS = [*HEAD_FIELDS, "income", "income_year"]  # _plan unpacks them in this order
REQUIRED_SET = set(REQUIRED)
REQUIRED_FOR_HEAD_SET = set(REQUIRED_FOR_HEAD)
# A valid row's person: PERSON_FIELDS (in order: the audit snapshot zips them), then the
# values derived from the ID.
PERSON_ROW = [*PERSON_FIELDS, "sex", "birth_date"]
ID_POSITION = PERSON_FIELDS.index("id_number")
BLANK_ID = ("", "", "")  # a blank or wrong ID's (number, birth date, sex)


@dataclass(slots=True)
class Plan:
    """What the import will do to one household of the file."""

    number: str
    rows: list[int]  # indexes of its valid rows
    existing: Household | None = None
    household: dict[str, Any] = field(default_factory=dict)  # new only: its fields
    household_changes: dict[str, list[Any]] = field(default_factory=dict)  # existing only
    new_persons: list[int] = field(default_factory=list)  # row indexes
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


class Validation:
    """The rows of a read file, checked (`validate`) into plans."""

    def __init__(
        self, hfile: HouseholdFile, user: Any, result: ImportResult, progress: Progress | None
    ):
        self.file = hfile
        self.user = user
        self.result = result
        self.progress = progress
        self.prefix = "" if user is None else jurisdiction_code(user)
        if self.prefix is None:
            raise PermissionDenied("该用户没有管辖区域，不能导入")
        self.today = datetime.date.today()
        self.income_year = self.today.year
        self.regions: dict[str, int] = {}
        self.numbers = [number for number, _ in hfile.rows]
        self.cells = [cells for _, cells in hfile.rows]
        # The file's columns: the rows transposed once (each is at least header-wide).
        self.columns = list(zip(*self.cells, strict=False)) or [()] * len(hfile.table.header)
        self.errors: dict[int, list[tuple[str, str]]] = {}  # row index → (column, message)
        self.values: dict[str, list[Any]] = {}  # field key → value per row, "" if blank
        self.persons: list[tuple[Any, ...]] = []  # PERSON_ROW tuple per row
        self.snapshots: list[tuple[Any, ...]] = []  # PERSON_FIELDS, the ID masked, per row
        self.births: dict[str, datetime.date] = {}  # by the ID's digits 7–14
        self.sexes: dict[str, str] = {}  # by the ID's 17th digit
        self.heads: list[int] = []  # indexes of 户主 rows
        self.head_values: dict[int, tuple[Any, ...]] = {}  # head row → HEAD_KEYS values

    # -- the rows, column by column ------------------------------------------------

    def _column(self, key: str, rows: list[int] | None = None) -> Sequence[Any]:
        index = self.file.columns.get(key)
        if index is None:
            return [""] * (len(self.cells) if rows is None else len(rows))
        column = self.columns[index]
        if rows is None:
            return column
        return pick(column, rows)

    def _convert(
        self,
        key: str,
        convert: Callable[[Any], Any],
        required: bool,
        rows: list[int] | None = None,
        blank: Any = "",
    ) -> list[Any]:
        """The column's values converted, `blank` where blank or wrong, for all rows (or
        for `rows`); errors and blank required cells are recorded against their rows.
        `convert` returns `blank` for a cell that is blank once cleaned.

        Each distinct cell value is converted once: code lists, villages, years repeat.
        """
        raw = self._column(key, rows)
        table: dict[Any, Any] = {}
        bad = False
        for value in dict.fromkeys(raw):
            if value == "" or value is None:
                table[value] = blank
                bad = bad or required
                continue
            try:
                table[value] = result = convert(value)
            except CellError as exc:
                table[value] = exc
                bad = True
            else:
                bad = bad or (required and result == blank)
        converted = list(map(table.__getitem__, raw))
        if bad:
            header = HEADERS[key]
            errors = self.errors
            for position, result in enumerate(converted):
                if isinstance(result, CellError):
                    message = str(result)
                elif required and result == blank:  # blank, or only invisible characters
                    message = "必填项为空"
                else:
                    continue
                converted[position] = blank
                errors.setdefault(position if rows is None else rows[position], []).append(
                    (header, message)
                )
        return converted

    def _id_number(self, value: Any) -> tuple[Any, ...]:
        """(number, birth date, sex), BLANK_ID if blank; CellError with the ID's message."""
        try:
            number = normalise_id_number(value, today=self.today)
        except IdNumberError as exc:
            if type(value) is str and not value.strip():
                return BLANK_ID
            raise CellError(str(exc)) from None
        birth = self.births.get(number[6:14])
        if birth is None:
            birth = self.births[number[6:14]] = birth_date_from_id(number)
        sex = self.sexes.get(number[16])
        if sex is None:
            sex = self.sexes[number[16]] = sex_from_id(number)
        return number, birth, sex

    def _check_rows(self) -> None:
        """Rules 1–4 and 6's village check, row by row in effect: the errors of a row
        come in the order of its columns, then the ID, 性别, 出生日期 and the head's
        columns, as a row-by-row reading would give them."""
        values = self.values
        for key in ROW_KEYS:
            convert = self._check_village_cell if key == "village" else CONVERTERS[key]
            values[key] = self._convert(key, convert, key in REQUIRED_SET)
        ids = self._convert("id_number", self._id_number, True, blank=BLANK_ID)
        for position, key in enumerate(("id_number", "birth_date", "sex")):
            values[key] = list(map(itemgetter(position), ids))
        for key in ("sex", "birth_date"):  # Rule 2: given, they must agree with the ID
            if key in self.file.columns:
                given = self._convert(key, CONVERTERS[key], False)
                self._compare(key, given, values[key])
        self.heads = heads = [
            i for i, relation in enumerate(values["relation"]) if relation == HEAD
        ]
        found = [
            self._convert(key, CONVERTERS[key], key in REQUIRED_FOR_HEAD_SET, heads)
            for key in HEAD_KEYS
        ]
        self.head_values = dict(zip(heads, zip(*found, strict=True), strict=True))
        village, header = values["village"], HEADERS["village"]
        for i in heads:
            if village[i] == "" and not any(col == header for col, _ in self.errors.get(i, ())):
                self.errors.setdefault(i, []).append((header, "户主行必填项为空"))
        self.persons = list(zip(*[values[k] for k in PERSON_ROW], strict=True))
        masked = list(map(mask_id_number, values["id_number"]))
        snapshot = [masked if k == "id_number" else values[k] for k in PERSON_FIELDS]
        self.snapshots = list(zip(*snapshot, strict=True))

    def _compare(self, key: str, given: Sequence[Any], derived: Sequence[Any]) -> None:
        header = HEADERS[key]
        for i, value, expected in zip(count(), given, derived):
            if value == expected or value == "" or expected == "":
                continue
            if key == "sex":
                message = f"性别“{c.Sex(value).label}”与证件号码（{c.Sex(expected).label}）不符"
            else:
                message = f"出生日期 {value:%Y-%m-%d} 与证件号码（{expected:%Y-%m-%d}）不符"
            self.errors.setdefault(i, []).append((header, message))

    def _load_regions(self) -> None:
        index = self.file.columns["village"]
        codes = {cell_code(value) for value in {cells[index] for cells in self.cells}}
        codes.discard("")
        for chunk in chunks(sorted(codes)):
            self.regions.update(Region.objects.filter(code__in=chunk).values_list("code", "level"))

    def _check_village_cell(self, value: Any) -> str:
        code = cell_code(value)
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

    # -- the whole file -------------------------------------------------------------

    def validate(self) -> list[Plan]:
        """The plans of the file's households; rejected rows go to the result."""
        total = len(self.cells)
        self.result.rows = total
        if self.progress is not None and hasattr(self.progress, "total"):
            self.progress.total(total if self.result.dry_run else 2 * total)
        self._load_regions()
        self._check_rows()
        if self.progress and total:  # the rows are checked; the households follow
            self.progress(total)
        errors, values = self.errors, self.values

        # Rule 7: the same ID twice — the first valid row wins.
        valid = [(n, i) for i, n in enumerate(values["id_number"]) if n != "" and i not in errors]
        first_seen = dict(reversed(valid))  # ID → its first valid row
        if len(first_seen) < len(valid):
            for id_number, i in valid:
                if (first := first_seen[id_number]) != i:
                    message = f"与第{self.numbers[first]}行重复"
                    errors[i] = [(HEADERS["id_number"], message)]

        groups: dict[str, list[int]] = {}
        for i, number in enumerate(values["number"]):
            if number != "":
                groups.setdefault(number, []).append(i)
        people = self._existing_people(list(first_seen))
        households = self._existing_households(list(groups))
        heads, incomes = self._existing_heads_and_incomes([h.pk for h in households.values()])

        # Rule 8: registered in another household.
        for id_number, person in people.items():
            i = first_seen[id_number]
            if person["household__number"] == values["number"][i]:
                continue
            if person["household__village_id"].startswith(self.prefix):
                where = f"户 {person['household__number']}（{person['name']}）"
            else:
                where = "其他户（不在您的管辖范围内）"
            message = f"证件号码已登记在{where}；成员迁移请在系统中办理"
            errors.setdefault(i, []).append((HEADERS["id_number"], message))

        plans = []
        for number, members in groups.items():
            plan = self._plan(number, members, households.get(number), heads, people, incomes)
            if plan is not None:
                plans.append(plan)

        for i in sorted(errors):
            self.reject(i, errors[i])
        return plans

    def reject(self, i: int, errors: list[tuple[str, str]]) -> None:
        """Row i is not imported, for these (column, message) reasons."""
        self.result.reject(self.numbers[i], self.cells[i], errors)

    def _existing_people(self, id_numbers: list[str]) -> dict[str, dict[str, Any]]:
        fields = ["pk", "household__number", "household__village_id", *PERSON_FIELDS]
        people = Person.objects.values_list(*fields)
        return {
            row[3 + ID_POSITION]: dict(zip(fields, row, strict=True))
            for row in rows_in(people, "id_number", id_numbers)
        }

    def _existing_households(self, numbers: list[str]) -> dict[str, Household]:
        found = [n for (n,) in rows_in(Household.objects.values_list("number"), "number", numbers)]
        households: dict[str, Household] = {}
        for chunk in chunks(found):
            households.update((h.number, h) for h in Household.objects.filter(number__in=chunk))
        return households

    def _existing_heads_and_incomes(
        self, pks: list[int]
    ) -> tuple[dict[int, tuple[str, str]], dict[tuple[int, int], Decimal]]:
        heads: dict[int, tuple[str, str]] = {}
        incomes: dict[tuple[int, int], Decimal] = {}
        for chunk in chunks(pks):
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
        members: list[int],
        existing: Household | None,
        heads: dict[int, tuple[str, str]],
        people: dict[str, dict[str, Any]],
        incomes: dict[tuple[int, int], Decimal],
    ) -> Plan | None:
        errors, values = self.errors, self.values

        def reject_all(column: str, message: str) -> None:
            for i in members:
                if i not in errors:
                    errors[i] = [(column, message)]

        # Rule 5: exactly one 户主 row, and it must be valid.
        relation = values["relation"]
        head_rows = [i for i in members if relation[i] == HEAD]
        if len(head_rows) > 1:
            lines = "、".join(str(self.numbers[i]) for i in head_rows)
            reject_all(
                HEADERS["relation"], f"户 {number} 有多个户主行（第{lines}行），本户所有行均未导入"
            )
            return None
        if not head_rows or head_rows[0] in errors:
            why = f"户主行（第{self.numbers[head_rows[0]]}行）有错误" if head_rows else "没有户主行"
            reject_all(HEADERS["relation"], f"户 {number} {why}，本户所有行均未导入")
            return None
        head = head_rows[0]
        village = values["village"][head]
        head_values = self.head_values[head]

        # An existing household must be ours and keep its head (a change is audited).
        if existing is not None:
            if not existing.village_id.startswith(self.prefix):
                reject_all(HEADERS["number"], f"户编号 {number} 已存在，且不在您的管辖范围内")
                return None
            current = heads.get(existing.pk)
            if current is not None and current[0] != values["id_number"][head]:
                reject_all(
                    HEADERS["relation"],
                    f"户 {number} 的现户主是 {current[1]}，与文件中的户主不同；"
                    "更换户主请在系统中办理",
                )
                return None

        # Rule 6: members live in their head's village.
        villages = values["village"]
        for i in members:
            code = villages[i]
            if code and code != village and i not in errors:
                message = f"区划代码 {code} 与户主的区划代码 {village} 不同"
                errors[i] = [(HEADERS["village"], message)]

        plan = Plan(number, [i for i in members if i not in errors], existing)
        wanted = {"village_id": village}
        for key, value in zip(HEAD_FIELDS, head_values, strict=False):  # HEAD_KEYS start so
            if value != "":
                wanted[key] = value
        phone = values["phone"][head]
        if existing is None:
            plan.household = {"number": number, "exit_year": None, **wanted, "phone": phone}
        else:
            if not existing.phone and phone:
                wanted["phone"] = phone
            plan.household_changes = {
                k: [getattr(existing, k), v] for k, v in wanted.items() if getattr(existing, k) != v
            }
        income, income_year = head_values[-2:]
        if income != "":
            year = income_year or self.income_year
            old = incomes.get((existing.pk, year)) if existing is not None else None
            plan.income = (year, income, old)

        persons = self.persons
        if not people:  # nobody in the file is registered yet
            plan.new_persons = plan.rows
            return plan
        for i in plan.rows:
            row = persons[i]
            person = people.get(row[ID_POSITION])
            if person is None:
                plan.new_persons.append(i)
                continue
            changes = {
                k: [person[k], v]
                for k, v in zip(PERSON_FIELDS, row, strict=False)  # row: PERSON_ROW
                if v != "" and k != "id_number" and person[k] != v
            }
            if changes:
                updated = {k: person[k] for k in PERSON_FIELDS}
                updated.update((k, v[1]) for k, v in changes.items())
                plan.person_updates.append((person["pk"], updated, changes))
            else:
                plan.unchanged += 1
        return plan


def pick(items: Sequence[Any], indexes: list[int]) -> list[Any]:
    """[items[i] for i in indexes], without a Python loop."""
    if len(indexes) < 2:
        return [items[i] for i in indexes]
    return list(itemgetter(*indexes)(items))

"""Importing households and their members from a spreadsheet (one row per person).

Used by `fupin import households` and by the upload page (which runs it in a background
thread with a progress callback: first with dry_run=True for the validation report, then
for real). Three phases, timed separately:

1. parse — read the file (calamine / csv), find the header below any title rows, map
   headers (aliases accepted) to fields: `read_household_file`, with the format in
   fupin.registry.import_columns;
2. validate — check every row against the rules of issue #2, then the file's households
   against the database, and plan the writes: fupin.registry.import_validation;
3. write — whole households per transaction, set-based, one audit entry per household:
   fupin.registry.import_writing.

Issue #2 asks for ≥ 10,000 persons/s (benchmarks/import_households.py). Rows are counted
so that rows = persons_created + persons_updated + unchanged + rejected.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from fupin.core import audit
from fupin.core.bulk import bulk_mode
from fupin.core.context import acting_as, current_actor
from fupin.core.services import check_permission
from fupin.core.xlsx import Column, SpreadsheetError, Table, Workbook, read_table
from fupin.registry.import_columns import (
    COLUMNS,
    HEADERS,
    REQUIRED,
    REQUIRED_FOR_HEAD,
    SPECS,
    is_header,
    map_header,
    write_template,
)
from fupin.registry.import_validation import Validation
from fupin.registry.import_writing import Writer, summary_entry

if TYPE_CHECKING:
    from fupin.registry.import_validation import Plan

__all__ = [
    "COLUMNS",
    "SPECS",
    "HouseholdFile",
    "ImportFileError",
    "ImportResult",
    "import_households",
    "read_household_file",
    "write_errors",
    "write_template",
]


class Progress(Protocol):
    """`progress(count)` adds processed units; `progress.total(n)`, if present, is called
    once with the number of units (rows to validate, plus rows to write unless dry run).
    fupin.core.jobs.Progress and the command's tqdm adapter are such objects."""

    def __call__(self, count: int = 1) -> None: ...


class ImportFileError(SpreadsheetError):
    """The file cannot be imported at all (unreadable, unsupported, columns missing)."""


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


def read_household_file(
    source: str | Path | IO[bytes], *, filename: str | None = None
) -> HouseholdFile:
    """Read an .xlsx/.xls/.csv file in the import format; raise ImportFileError if unusable."""
    try:
        table = read_table(source, is_header, filename=filename)
    except ImportFileError:
        raise
    except SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from exc
    columns = map_header(table.header)
    missing = [HEADERS[k] for k in [*REQUIRED, *REQUIRED_FOR_HEAD] if k not in columns]
    if missing:
        raise ImportFileError(f"文件缺少必需的列：{'、'.join(missing)}")
    name = filename or getattr(source, "name", None) or str(source)
    return HouseholdFile(table=table, columns=columns, filename=Path(str(name)).name)


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

    def reject(self, row: int, cells: list[Any], errors: Iterable[tuple[str, str]]) -> None:
        """Worksheet row `row` is not imported, for these (column, message) reasons."""
        self.rejected += 1
        self.rejected_rows[row] = cells
        self.errors.extend(RowError(row, column, message) for column, message in errors)

    def count(self, plans: Iterable[Plan]) -> None:
        """Add what these plans do (or did) to the counters."""
        for plan in plans:
            self.households_created += plan.existing is None
            self.households_updated += plan.household_touched
            self.persons_created += len(plan.new_persons)
            self.persons_updated += len(plan.person_updates)
            self.unchanged += plan.unchanged

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
        with bulk_mode():
            hfile = read_household_file(source, filename=filename)
            parsed = time.perf_counter()
            result = ImportResult(
                dry_run=dry_run,
                filename=hfile.filename,
                header=list(hfile.table.header),
                id_column=hfile.columns.get("id_number"),
            )
            checked = Validation(hfile, user, result, progress)
            plans = checked.validate()
            validated = time.perf_counter()
            if dry_run:
                result.count(plans)
            else:
                Writer(checked, result, progress).write(plans)
                audit.record_many([summary_entry(result, checked.prefix or "")])
        finished = time.perf_counter()  # after bulk_mode's checkpoint
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

"""Writing an import's plans (fupin.registry.import_validation) to the database: whole
households per transaction, set-based (multi-row INSERTs without model instances,
fupin.core.bulk; bulk_update for the rows that change), with one audit entry per created
or updated household holding its fields and its members' masked snapshots. An
interrupted import leaves only whole households, and running it again completes it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from itertools import chain, compress, repeat
from operator import add, itemgetter
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.bulk import Insert, chunks, execute, insert
from fupin.core.models import AuditLog
from fupin.registry import choices as c
from fupin.registry.idnumbers import mask_id_number
from fupin.registry.import_validation import PERSON_ROW, Plan, Validation, pick
from fupin.registry.models import Household, HouseholdIncome, Person
from fupin.registry.pinyin import pinyin_keys
from fupin.registry.services import HOUSEHOLD_FIELDS, PERSON_FIELDS, household_context

if TYPE_CHECKING:
    from fupin.registry.imports import ImportResult, Progress

PERSON_INSERT = [*PERSON_ROW, "name_pinyin", "name_initials", "household_id"]
NEW_HOUSEHOLD = [  # the fields of Plan.household
    "number",
    "village_id",
    "household_type",
    "status",
    "identified_year",
    "exit_year",
    "main_cause",
    "phone",
]
NEW_HOUSEHOLD_DEFAULTS = {"other_causes": [], **dict.fromkeys(c.ASSURANCE_FIELDS, True)}
# A new household's audit snapshot: these fields (in HOUSEHOLD_FIELDS order) unless "".
SNAPSHOT_KEYS = [k for k in HOUSEHOLD_FIELDS if k in {*NEW_HOUSEHOLD, *NEW_HOUSEHOLD_DEFAULTS}]
NEW_HOUSEHOLD_SNAPSHOT = itemgetter(*SNAPSHOT_KEYS)
HOUSEHOLD_TYPE = Household._meta.label_lower
AUDIT_STAMP = ["user_id", "username", "ip", "source", "object_type"]
AUDIT_ROW = "action object_id context_key object_repr region_code changes message".split()
INCOME_ROW = ["household_id", "year", "per_capita_net"]
INCOME_UPSERT = (["household_id", "year"], ["per_capita_net", "updated_at"])


class Writer:
    """Writes the plans of a validated file, counting them into its result."""

    def __init__(self, checked: Validation, result: ImportResult, progress: Progress | None):
        self.checked = checked
        self.result = result
        self.progress = progress
        self.stamp: dict[str, Any] = {}
        self.pinyin: dict[str, tuple[str, str]] = {}  # name → pinyin_keys(name)

    def write(self, plans: list[Plan]) -> None:
        """Whole households per transaction, batches of FUPIN_IMPORT_BATCH_HOUSEHOLDS."""
        todo = [p for p in plans if p.has_writes]
        self.result.count([p for p in plans if not p.has_writes])
        size = max(1, int(getattr(settings, "FUPIN_IMPORT_BATCH_HOUSEHOLDS", 2000)))
        if self.progress:  # rows with nothing to write count as done
            self.progress(self.result.rows - sum(len(p.rows) for p in todo))
        # The actor fields of an entry made by audit.build, shared by all of the entries.
        base = audit.build(AuditLog.Action.CREATE, object_type=HOUSEHOLD_TYPE)
        self.stamp = {k: getattr(base, k) for k in AUDIT_STAMP}
        for batch in chunks(todo, size):
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
                        for i in plan.rows:
                            self.checked.reject(i, [("", message)])
            if self.progress:
                self.progress(sum(len(p.rows) for p in batch))

    def _write_batch(self, plans: list[Plan]) -> None:
        now = timezone.now()
        with transaction.atomic():
            new = [p.household for p in plans if p.existing is None]
            rows = list(map(itemgetter(*NEW_HOUSEHOLD), new))
            ids = {p.number: p.existing.pk for p in plans if p.existing is not None}
            returning = ["number", "pk"]
            ids.update(execute([insert(Household, NEW_HOUSEHOLD, rows, now, returning=returning)]))
            self._update_existing(plans, now)
            execute(self._prepare(plans, ids, now))
        self.result.count(plans)

    def _update_existing(self, plans: list[Plan], now: datetime.datetime) -> None:
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
        self, plans: list[Plan], ids: dict[str, int], now: datetime.datetime
    ) -> list[Insert]:
        """The batch's new persons, incomes and audit entries as multi-row INSERTs."""
        # PERSON_ROW + pinyin keys + household, assembled without a loop per person
        rows = [i for plan in plans for i in plan.new_persons]
        names = pick(self.checked.values["name"], rows)
        keys = self.pinyin
        keys.update((name, pinyin_keys(name)) for name in set(names).difference(keys))
        households = chain.from_iterable(
            repeat((ids[plan.number],), len(plan.new_persons)) for plan in plans
        )
        people = list(
            map(
                add,
                map(add, pick(self.checked.persons, rows), map(keys.__getitem__, names)),
                households,
            )
        )
        incomes = [
            (ids[p.number], p.income[0], p.income[1])
            for p in plans
            if p.income is not None and p.income[1] != p.income[2]
        ]
        entries = [self._audit_row(p, ids[p.number]) for p in plans]
        return [
            insert(Person, PERSON_INSERT, people, now),
            insert(HouseholdIncome, INCOME_ROW, incomes, now, upsert=INCOME_UPSERT),
            insert(AuditLog, AUDIT_ROW, entries, now, shared=self.stamp),
        ]

    def _audit_row(self, plan: Plan, household_id: int) -> tuple[Any, ...]:
        """One entry per household (AUDIT_ROW): its fields and its members' (masked)
        snapshots, as audit.snapshot would record them; one JSON dump each, by the
        field, when the INSERT is built."""
        snapshots = self.checked.snapshots
        if plan.existing is None:
            values = NEW_HOUSEHOLD_SNAPSHOT(plan.household | NEW_HOUSEHOLD_DEFAULTS)
            household = {k: v for k, v in zip(SNAPSHOT_KEYS, values, strict=True) if v != ""}
            changes: dict[str, Any] = {
                "household": household,
                "members": _person_snapshots(pick(snapshots, plan.new_persons)),
            }
            action, message = AuditLog.Action.CREATE, f"导入新增户，{len(plan.new_persons)}名成员"
            village = plan.household["village_id"]
        else:
            changes = {}
            if plan.household_changes:
                changes["household"] = _plain(plan.household_changes)
            if plan.new_persons:
                changes["members_added"] = _person_snapshots(pick(snapshots, plan.new_persons))
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
        if plan.income is not None and plan.income[1] != plan.income[2]:
            year, amount, old = plan.income
            changes["income"] = {str(year): [None if old is None else str(old), str(amount)]}
        return (
            action,
            str(household_id),
            household_context(household_id),
            plan.number,
            village,
            changes,
            f"{message}（{self.result.filename}）"[:500],
        )


def summary_entry(result: ImportResult, region_code: str) -> AuditLog:
    """The import's own audit entry: its counters."""
    r = result
    return audit.build(
        AuditLog.Action.IMPORT,
        object_type=HOUSEHOLD_TYPE,
        object_repr=r.filename,
        region_code=region_code,
        changes={name: getattr(r, name) for name in r.COUNTERS},
        message=(
            f"导入贫困户 {r.filename}：{r.rows}行，新增{r.households_created}户"
            f"{r.persons_created}人，更新{r.households_updated}户{r.persons_updated}人，"
            f"未变{r.unchanged}人，拒绝{r.rejected}行"
        ),
    )


def _plain(value: Any) -> Any:
    """JSON-ready: dates and Decimals as strings (a new household's fields and the
    members' snapshots are plain already)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


def _person_snapshots(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The members as audit.snapshot would record them, without blank fields: each row
    holds PERSON_FIELDS with the ID masked. In effect
    [{k: v for k, v in zip(PERSON_FIELDS, row) if v} for row in rows], without a Python
    loop per member or field: compress keeps the keys of the non-blank values, filter
    the values."""
    keys = map(compress, repeat(PERSON_FIELDS), rows)
    return list(map(dict, map(zip, keys, map(filter, repeat(None), rows))))

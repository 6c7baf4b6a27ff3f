"""Bulk writes for importers: multi-row INSERTs without model instances, IN lookups by
chunks, and a bulk mode for the import's connection.

An import writes several rows per spreadsheet row; building, preparing and saving a
model instance per row (bulk_create) would cost more than the rest of the import
together. Nothing here knows the models it writes; the household import
(fupin.registry.imports) uses it, and so can any later one.
"""

from __future__ import annotations

import datetime
import gc
import operator
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import chain, repeat
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

__all__ = ["IN_CHUNK", "Insert", "bulk_mode", "chunks", "execute", "insert", "rows_in"]

IN_CHUNK = 900  # values per IN (…) lookup: SQLite builds may limit a statement to 999

# Field types whose values the drivers take as they are (Decimals: importers quantise
# them already). Other fields' values go through get_db_prep_save.
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


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rows_in(queryset: Any, field: str, values: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of values_list `queryset` whose `field` is in `values` (distinct), by chunks
    of as many values as the database takes in one statement (up to 10,000).

    The SQL is compiled once, for the first chunk, and run with every chunk (the last
    one padded with repeats of its first value): preparing thousands of IN parameters
    through the ORM costs more than running the query. Only for plain column values
    (no from_db_value conversions).
    """
    if not values:
        return
    conn = connections[queryset.db]
    sql: str | None = None
    with conn.cursor() as cursor:
        size = min(10_000, _max_params(conn), len(values))
        for chunk in chunks(values, size):
            padded = [*chunk, *[chunk[0]] * (size - len(chunk))]
            if sql is None:
                lookup = queryset.filter(**{f"{field}__in": padded})
                sql, params = lookup.query.sql_with_params()
                if list(params) != padded:  # other parameters, or repeated values
                    sql = ""
            if sql:
                cursor.execute(sql, padded)
                yield from cursor.fetchall()
            else:
                yield from queryset.filter(**{f"{field}__in": chunk})


@dataclass
class Insert:
    """A multi-row INSERT, made by `insert` and run by `execute`. The head lists the
    columns whose value is the same in every row first (`constants`), then those whose
    values each of the `params` rows gives."""

    head: str  # INSERT INTO table (columns) VALUES
    tail: str  # ON CONFLICT …, RETURNING …
    params: list[tuple[Any, ...]]
    constants: tuple[Any, ...]
    fixed: tuple[bool, ...]  # per constant: not a `now` (the same in every batch)
    returns: bool = False  # the tail has a RETURNING clause


def insert(
    model: type[Any],
    fields: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    now: datetime.datetime,
    *,
    shared: dict[str, Any] | None = None,
    upsert: tuple[list[str], list[str]] | None = None,
    returning: Sequence[str] = (),
    using: str = DEFAULT_DB_ALIAS,
) -> Insert:
    """bulk_create without model instances: `rows` are tuples of the values of `fields`
    (attnames), in that order.

    The other fields take their value from `shared` (the same for every row), else their
    default ("" or NULL without one); auto_now(_add) fields take `now`. Values of fields
    that are not plain str/int/bool/Decimal columns go through get_db_prep_save, column
    by column. `upsert=(unique fields, fields to update)` adds ON CONFLICT … DO UPDATE
    (SQLite ≥ 3.24 and PostgreSQL). The primary key is left to the database;
    `returning` fields (e.g. a unique key and "pk") make `execute` return their values
    for the inserted rows, in no particular order (SQLite ≥ 3.35 and PostgreSQL).
    """
    conn = connections[using]
    ops = conn.ops
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    by_name["pk"] = model._meta.pk
    given = [by_name[name] for name in fields]
    shared = shared or {}
    others = [f for f in model._meta.concrete_fields if not f.primary_key and f not in given]
    constants, fixed = [], []
    for f in others:
        fixed.append(not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)))
        if not fixed[-1]:
            constants.append(ops.adapt_datetimefield_value(now))
        elif f.attname in shared:
            constants.append(_preparer(f, conn)(shared[f.attname]))
        elif f.has_default():
            constants.append(f.get_db_prep_save(f.get_default(), conn))
        else:
            constants.append(None if f.null else "")
    params = rows if isinstance(rows, list) else list(rows)
    prepare = [(i, f) for i, f in enumerate(given) if not _is_plain(f)]
    if prepare and params:
        columns: list[Any] = list(zip(*params, strict=True))
        for i, f in prepare:
            columns[i] = _prepared(f, conn, columns[i])
        params = list(zip(*columns, strict=True))
    targets = [*others, *given]
    columns_sql = ", ".join(ops.quote_name(f.column) for f in targets)
    head = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns_sql}) VALUES "
    tail = ""
    if upsert:
        column = {f.attname: ops.quote_name(f.column) for f in targets}
        unique, update = upsert
        sets = ", ".join(f"{column[k]} = EXCLUDED.{column[k]}" for k in update)
        tail = f" ON CONFLICT ({', '.join(column[k] for k in unique)}) DO UPDATE SET {sets}"
    if returning:
        tail += " RETURNING " + ", ".join(ops.quote_name(by_name[k].column) for k in returning)
    return Insert(head, tail, params, tuple(constants), tuple(fixed), bool(returning))


def _is_plain(field: Any) -> bool:
    return field.get_internal_type() in _PLAIN_TYPES


def _preparer(field: Any, conn: Any) -> Callable[[Any], Any]:
    if _is_plain(field):
        return lambda value: value
    if field.get_internal_type() == "DateField":
        return conn.ops.adapt_datefield_value
    return lambda value: field.get_db_prep_save(value, conn)


def _prepared(field: Any, conn: Any, values: Sequence[Any]) -> Iterable[Any]:
    """The column's values ready for the driver; dates (which repeat) once per date."""
    function = _preparer(field, conn)
    if field.get_internal_type() == "DateField":
        done = {value: function(value) for value in set(values)}
        return map(done.__getitem__, values)
    return map(function, values)


def _max_params(conn: Any) -> int:
    if conn.vendor == "sqlite":
        try:  # Python ≥ 3.11; SQLite ≥ 3.32 allows 32,766 (Django assumes 999)
            return conn.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:
            return 999
    if conn.vendor == "postgresql":
        return 65_535
    return conn.features.max_query_params or 999


def execute(inserts: Iterable[Insert], using: str = DEFAULT_DB_ALIAS) -> list[tuple[Any, ...]]:
    """Run the INSERTs as statements of up to 1,000 rows: far fewer round trips than
    executemany on PostgreSQL, and on SQLite faster than it too. Returns the rows that
    the INSERTs with `returning` gave.

    On SQLite the statements go straight to the driver (Django's cursor would run a
    regex over every 100 kB statement), with the constants written into the SQL
    (binding a value costs more than SQLite's use of it): the fixed ones as literals,
    the batch's `now`s bound once (?1 …) so that the SQL is the same in every batch.
    """
    conn = connections[using]
    sqlite = conn.vendor == "sqlite"
    returned: list[tuple[Any, ...]] = []
    with conn.cursor() as cursor, conn.wrap_database_errors:
        if sqlite:  # the driver's own execute: Django's override runs a regex over the SQL
            run = partial(sqlite3.Cursor.execute, cursor.cursor)
            fetch = cursor.cursor.fetchall
        else:
            run, fetch = cursor.execute, cursor.fetchall
        limit = _max_params(conn)
        for statement in inserts:
            params = statement.params
            if not params:
                continue
            if sqlite:
                row, bound = _sqlite_row(statement, len(params[0]))
                per = max(1, min(1000, (limit - len(bound)) // max(1, len(params[0]))))
            else:
                row = f"({', '.join(['%s'] * (len(statement.constants) + len(params[0])))})"
                per = max(1, min(1000, limit // row.count("%s")))
            sqls: dict[int, str] = {}
            for chunk in chunks(params, per):
                sql = sqls.get(len(chunk))
                if sql is None:
                    sql = statement.head + ", ".join([row] * len(chunk)) + statement.tail
                    sqls[len(chunk)] = sql
                if sqlite:
                    run(sql, [*bound, *chain.from_iterable(chunk)])
                else:
                    rows = map(operator.add, repeat(statement.constants, len(chunk)), chunk)
                    run(sql, list(chain.from_iterable(rows)))
                if statement.returns:
                    returned += fetch()
    return returned


def _sqlite_row(statement: Insert, width: int) -> tuple[str, list[Any]]:
    """A row's SQL on SQLite: the constants (literal, else ?n bound once), then `width`
    bare ? (numbered after the ?n by SQLite); and the values bound once."""
    items, bound = [], []
    for value, fixed in zip(statement.constants, statement.fixed, strict=True):
        literal = _sqlite_literal(value) if fixed else None
        if literal is None:
            bound.append(value)
            literal = f"?{len(bound)}"
        items.append(literal)
    return f"({', '.join([*items, *['?'] * width])})", bound


def _sqlite_literal(value: Any) -> str | None:
    """`value` as an SQLite literal, None if not a simple one."""
    if value is None:
        return "NULL"
    if type(value) is bool:
        return "1" if value else "0"
    if type(value) is int:
        return str(value)
    if type(value) is str and value.isprintable():  # no NUL, control or surrogate
        return "'" + value.replace("'", "''") + "'"
    return None


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False


@contextmanager
def bulk_mode(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """For an import's duration: no cyclic garbage collection, and on SQLite a 64 MB
    page cache and no automatic WAL checkpoints (each one syncs the file), with one
    checkpoint at the end. All restored however the block ends.

    The collector: an import allocates millions of small objects (calamine's cells, the
    columns, the rows to write) and no cycles, and the collections that the growing
    heap triggers cost ~9% of a 100,000-row import (benchmarks/import_households.py).
    The switch is process-wide (the upload page runs imports in a thread of the web
    process, whose other threads then leave their cycles until it ends): concurrent and
    nested blocks share it, and the last one to end turns collection back on if it was
    on before the first began.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    previous: tuple[int, int] | None = None
    try:
        conn = connections[using]
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
        try:
            if previous is not None:
                with conn.cursor() as cursor:
                    cursor.execute(f"PRAGMA cache_size = {int(previous[0])}")
                    cursor.execute(f"PRAGMA wal_autocheckpoint = {int(previous[1])}")
                    if not conn.in_atomic_block:
                        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            with _gc_lock:
                _gc_holders -= 1
                if _gc_holders == 0 and _gc_was_enabled:
                    gc.enable()

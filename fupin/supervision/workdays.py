"""Working days by the official holiday calendar (法定节假日与调休), for deadlines.

chinese-calendar carries the State Council's yearly holiday notice; for a year it does
not know yet (published each November) Monday–Friday count as working days.
"""

from __future__ import annotations

import datetime

import chinese_calendar


def is_workday(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the calendar does not cover yet
        return day.weekday() < 5


def add_workdays(start: datetime.date, days: int) -> datetime.date:
    """The `days`-th working day after `start` (start itself not counted)."""
    day = start
    left = days
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day

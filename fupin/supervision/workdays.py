"""Working days by the official holiday calendar (法定节假日与调休), for deadlines.

chinese-calendar carries the State Council's yearly holiday notice; for a year it does
not know yet (published each November) Monday–Friday count as working days, except the
holidays fixed by date.
"""

from __future__ import annotations

import datetime

import chinese_calendar

# Holidays fixed by date in 全国年节及纪念日放假办法 (元旦, 劳动节, 国庆节): days off in any
# year, even before its notice (and its 调休) is published. The lunar ones need the notice.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def is_workday(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the calendar does not cover yet
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def add_workdays(start: datetime.date, days: int) -> datetime.date:
    """The `days`-th working day after `start` (start itself not counted)."""
    day = start
    left = days
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day

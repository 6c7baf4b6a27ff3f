"""Chart data of the dashboard (数据驾驶舱): the figures of `figures()`, the monthly trend
and the destinations of transferred laborers, all aggregated in SQL.

The trend is the state at each month end (the last point is the as-of date itself): employed
and transferred laborers from the dated employment records in one GROUP BY (the laborer
count per month, a second one, on request), so its last point equals the headline figures
and its cost does not depend on the number of townships.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import (
    Cast,
    Coalesce,
    ExtractMonth,
    ExtractYear,
    Greatest,
    Least,
    Substr,
)

from fupin.core.dates import years_before
from fupin.employment import choices as c
from fupin.employment import models as m
from fupin.employment.selectors import UNABLE
from fupin.regions.models import Region
from fupin.registry.models import Person
from fupin.stats.figures import FORMS, TIERS, TRAINING_TYPES, _scoped, figures

TREND_MONTHS = 24
UNKNOWN = "未填写"
FAR = 10**6  # a month index after any date: no end
CHILD_LEVEL = {6: "乡镇（街道）", 9: "村（社区）", 12: ""}


def month_ends(day: datetime.date, months: int = TREND_MONTHS) -> list[datetime.date]:
    """The last day of each of the `months` months up to `day`'s month; the last is `day`."""
    points = []
    year, month = day.year, day.month
    for _ in range(months):
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        points.append(min(following - datetime.timedelta(days=1), day))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return points[::-1]


def _month_index(field: str) -> Any:
    """year * 12 + month - 1 of a date column, in SQL. SQLite stores dates as ISO text, so
    slicing it is much cheaper than Django's Python date functions; others use EXTRACT."""
    if connection.vendor == "sqlite":
        year = Cast(Substr(field, 1, 4), IntegerField())
        month = Cast(Substr(field, 6, 2), IntegerField())
    else:  # EXTRACT is numeric on PostgreSQL: back to integers for list indexes
        year = Cast(ExtractYear(field), IntegerField())
        month = Cast(ExtractMonth(field), IntegerField())
    return year * 12 + month - 1


def _leap_birthday_late(years: int, prefix: str) -> Any:
    """1 month for people born on 29 February when `years` later is a common year (the
    birthday then falls on 1 March, not at the February month end), else 0."""
    if years % 4 == 0:  # a leap year again (up to the century rule: 2100)
        return Value(0)
    return Case(
        When(**{f"{prefix}birth_date__month": 2, f"{prefix}birth_date__day": 29}, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _clamped(expression: Any, base: int, points: int) -> Any:
    """A month index relative to the first point, clamped to 0..points (few groups)."""
    return Greatest(Least(expression - base, Value(points)), Value(0))


def _spans(rows: list[dict[str, Any]], points: int, key: str = "n") -> list[int]:
    """Counts at each point from grouped half-open spans [s, e) (a difference array over
    at most (points + 1)² groups, not over rows)."""
    diff = [0] * (points + 1)
    for row in rows:
        if row["s"] < row["e"]:
            diff[row["s"]] += row[key]
            diff[row["e"]] -= row[key]
    counts, running = [], 0
    for k in range(points):
        running += diff[k]
        counts.append(running)
    return counts


def trend(
    user: Any,
    code: str,
    day: datetime.date,
    months: int = TREND_MONTHS,
    last: dict[str, int] | None = None,
    with_laborers: bool = False,
) -> dict[str, list]:
    """Employed and transferred laborers (and with `with_laborers` the laborers) at each
    month end, one GROUP BY query per series source.

    A month end minus whole years is a month end, so "laborer on that day" (age 16–60,
    not removed, able to work) and "state valid on that day" compare month indexes
    exactly: each person or record is a span of months [s, e) where it counts, grouped in
    SQL. The last point is the as-of date itself, taken from `last` (the figures) when
    given, since a mid-month date is not a month end.
    """
    points = month_ends(day, months)
    n = len(points)
    base = points[0].year * 12 + points[0].month - 1
    adult = 12 * settings.FUPIN_LABORER_AGE_MIN  # months from birth to the first/last
    retired = 12 * (settings.FUPIN_LABORER_AGE_MAX + 1)  # month end as a laborer
    # Born on 29 February: that birthday falls on 1 March in a common year (as in
    # selectors.laborers), so such a person turns N one month later when year + N is common.
    birth = _month_index("birth_date")
    late_adult = _leap_birthday_late(settings.FUPIN_LABORER_AGE_MIN, "")
    late_retired = _leap_birthday_late(settings.FUPIN_LABORER_AGE_MAX + 1, "")
    removed = Coalesce(_month_index("removed_on"), Value(FAR))
    born = {  # people who are of working age at some point of the window
        "birth_date__gt": years_before(points[0], settings.FUPIN_LABORER_AGE_MAX + 1),
        "birth_date__lte": years_before(day, settings.FUPIN_LABORER_AGE_MIN),
    }
    people = (
        _scoped(Person.objects.all(), user, code)
        .filter(**born)
        .exclude(labor_ability__in=UNABLE)
        .filter(Q(removed_on__isnull=True) | Q(removed_on__gt=points[0]))
        .annotate(
            s=_clamped(birth + adult + late_adult, base, n),
            e=_clamped(Least(birth + retired + late_retired, removed), base, n),
        )
        .values("s", "e")
        .annotate(n=Count("pk"))
        .order_by()
    )
    p = "person__"
    records = (
        _scoped(m.EmploymentRecord.objects.all(), user, code)
        .filter(status=c.Status.EMPLOYED, valid_from__lte=day)
        .filter(**{f"{p}{key}": value for key, value in born.items()})
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=points[0]))
        .exclude(person__labor_ability__in=UNABLE)
        .annotate(
            s=_clamped(
                Greatest(
                    _month_index("valid_from"),
                    _month_index(f"{p}birth_date")
                    + adult
                    + _leap_birthday_late(settings.FUPIN_LABORER_AGE_MIN, p),
                ),
                base,
                n,
            ),
            e=_clamped(
                Least(
                    Coalesce(_month_index("valid_to"), Value(FAR)),
                    _month_index(f"{p}birth_date")
                    + retired
                    + _leap_birthday_late(settings.FUPIN_LABORER_AGE_MAX + 1, p),
                    Coalesce(_month_index(f"{p}removed_on"), Value(FAR)),
                ),
                base,
                n,
            ),
        )
        .values("s", "e")
        .annotate(n=Count("pk"), t=Count("pk", filter=~Q(form=c.Form.FARMING)))
        .order_by()
    )
    records = list(records)
    series = {"employed": _spans(records, n), "transferred": _spans(records, n, "t")}
    if with_laborers:
        series["laborers"] = _spans(list(people), n)
    if last:
        for key, values in series.items():
            values[-1] = last[key]
    return {
        "months": [d.strftime("%Y-%m") for d in points],
        "dates": [d.isoformat() for d in points],
        **series,
    }


def destinations(by_province: dict[str, int]) -> list[dict[str, Any]]:
    """Transferred laborers by province of work (counted by `figures`), largest first,
    with the province names (one query)."""
    names = dict(
        Region.objects.filter(code__in=[code for code in by_province if code])
        .order_by()
        .values_list("code", "name")
    )
    rows = [
        {"code": code, "name": names.get(code, code) if code else UNKNOWN, "value": n}
        for code, n in by_province.items()
    ]
    return sorted(rows, key=lambda r: (-r["value"], r["code"]))


def dashboard_data(region_code: str | None, as_of: datetime.date | None, user: Any) -> dict:
    """Everything the dashboard draws, JSON-ready (a fixed number of queries)."""
    day = as_of or datetime.date.today()
    data = figures(region_code, day, user)
    code = data["region"]["code"]
    home = code or "50"
    data["labels"] = {
        "tiers": {t: c.tier_label(t, home) for t in TIERS},
        "forms": {f: c.Form(f).label for f in FORMS},
        "training_types": {t: c.TrainingType(t).label for t in TRAINING_TYPES},
    }
    data["child_level"] = CHILD_LEVEL.get(len(code), "下级区划")
    data["trend"] = trend(user, code, day, last=data)
    data["destinations"] = destinations(data["transferred_by_province"])
    return data

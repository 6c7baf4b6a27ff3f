"""The as-of date every report, ledger and draw is computed for: one parser, one range."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError

# Ages, working-age birth dates and 24-month trends reach decades back from the date.
EARLIEST_AS_OF = datetime.date(1900, 1, 1)


def too_early(day: datetime.date) -> str:
    """Why `day` is too early to be an as-of date ("" when it is not)."""
    if day < EARLIEST_AS_OF:
        return f"截止日期 {day:%Y-%m-%d} 过早，不能早于 {EARLIEST_AS_OF:%Y-%m-%d}"
    return ""


def parse_as_of(
    text: str | None, today: datetime.date | None = None, *, future: bool = False
) -> datetime.date:
    """The as-of date from YYYY-MM-DD (empty: today); a Chinese ValidationError for a
    malformed date, one before 1900, or (unless `future`) one after today."""
    today = today or datetime.date.today()
    text = (text or "").strip()
    if not text:
        return today
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"截止日期“{text}”格式不正确，应为 YYYY-MM-DD") from None
    if day > today and not future:
        raise ValidationError(f"截止日期 {day:%Y-%m-%d} 不能晚于今天")
    if too_early(day):
        raise ValidationError(too_early(day))
    return day


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` earlier (28 February for a 29 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Full years of age on `day` (a 29 February birthday counts from 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))

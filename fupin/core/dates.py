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

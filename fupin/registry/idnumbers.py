"""Chinese resident ID numbers (GB 11643-1999): normalise, validate, mask, build.

Pure Python on purpose (no Django) so importers, forms and scripts can share it.
The check character comes from ``stdnum.cn.ric``. We deliberately do NOT
call ``ric.validate``: it also checks the address code against stdnum's own list,
and codes abolished or renamed since birth (e.g. 512326) are still valid IDs.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from stdnum.cn import ric

__all__ = [
    "IdNumberError",
    "birth_date_from_id",
    "looks_like_id_number",
    "make_id_number",
    "mask_id_number",
    "normalise_id_number",
    "sex_from_id",
]

EXCEL_MESSAGE = (
    "证件号码被 Excel 存成了数字，末尾几位已丢失，无法还原；请把该列设为文本格式后重新填写"
)
_EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# Zero-width characters are not whitespace for str.isspace()/NFKC, so list them explicitly.
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_SCIENTIFIC = re.compile(r"[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+|[0-9]+\.[0-9]*")
_ID_SHAPE = re.compile(r"[0-9]{15}|[0-9]{17}[0-9X]")
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ALLOWED = re.compile(r"[0-9]*X?")  # X only as the final (check) character


class IdNumberError(ValueError):
    """Carries a Chinese user-facing message (str(e))."""


def _clean(text: str) -> str:
    """Fold full-width forms (NFKC), drop every space/zero-width char, upper-case x."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).upper()


def _check_char(body17: str) -> str:
    # stdnum expects the check position to be present and ignores its value.
    return ric.calc_check_digit(body17 + "0")


def _birth_date(number: str) -> datetime.date:
    """Birth date of an 18-char number, rejecting impossible and pre-1900 dates."""
    birth = _date(number[6:14])
    if birth is None or birth < _EARLIEST_BIRTH:
        raise IdNumberError(f"证件号码中的出生日期无效：{number[6:14]}")
    return birth


@lru_cache(maxsize=65_536)  # every date since 1900 fits; a file repeats them a lot
def _date(digits: str) -> datetime.date | None:
    """YYYYMMDD (ASCII digits) as a date, None if there is no such day.

    What ric.get_birth_date does after its generic cleaning, which costs ~10 µs a call
    and which our numbers, ASCII digits by then, never need.
    """
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def normalise_id_number(raw: object, *, today: datetime.date | None = None) -> str:
    """Return the canonical 18-char ID or raise IdNumberError with a Chinese message.

    15-digit pre-1999 numbers are upgraded to 18 digits. Numbers that went through
    Excel as numbers are rejected loudly: the trailing digits are gone for good.

    A str that already has the canonical shape (17 ASCII digits and a digit or X) has
    nothing to clean: it skips the cleaning and shape checks and goes straight to the
    date and check-character checks that every number passes. Same result, same
    messages (tests/test_idnumbers.py compares both ways), in about a third of the
    time (imports call this for every row).
    """
    if type(raw) is str and _ID18.fullmatch(raw):
        number = raw
    else:
        number = _cleaned(raw)
    birth = _birth_date(number)
    if birth > (today or datetime.date.today()):
        raise IdNumberError("证件号码中的出生日期晚于今天")
    expected = ric.calc_check_digit(number)  # it reads number[:17] only
    if number[17] != expected:
        if number.endswith("000"):
            raise IdNumberError(EXCEL_MESSAGE)
        raise IdNumberError(f"证件号码校验位错误（应为 {expected}）")
    return number


def _cleaned(raw: object) -> str:
    """The slow path of normalise_id_number: clean, check the shape, upgrade 15 digits."""
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        raise IdNumberError(EXCEL_MESSAGE)
    number = "" if raw is None else _clean(str(raw))
    if not number:
        raise IdNumberError("证件号码为空")
    if _SCIENTIFIC.fullmatch(number):
        raise IdNumberError(EXCEL_MESSAGE)
    if "*" in number:  # a masked export fed back in: say so, not just "illegal character"
        raise IdNumberError("证件号码已脱敏（含 *），无法识别；请使用含完整证件号码的文件")
    if not _ALLOWED.fullmatch(number) or (len(number) == 15 and not number.isdigit()):
        raise IdNumberError("证件号码含有非法字符")
    if len(number) == 15:
        body = f"{number[:6]}19{number[6:]}"
        _birth_date(body)  # only [6:14] is read, so the missing check char is fine
        number = body + _check_char(body)
    if len(number) != 18:
        raise IdNumberError(f"证件号码长度应为18位（或15位旧号码），实际为{len(number)}位")
    return number


def _require_shape(id_number: str) -> str:
    """Guard for the derivation helpers, which expect stored (normalised) values."""
    if not isinstance(id_number, str) or not _ID18.fullmatch(id_number):
        raise IdNumberError("证件号码格式无效")
    return id_number


def birth_date_from_id(id_number: str) -> datetime.date:
    """Birth date encoded in an already-normalised 18-char ID."""
    return _birth_date(_require_shape(id_number))


def sex_from_id(id_number: str) -> str:
    """ "male" if the 17th digit (sequence parity) is odd, else "female"."""
    return "male" if int(_require_shape(id_number)[16]) % 2 else "female"


def mask_id_number(
    id_number: str | None, keep_head: int = 6, keep_tail: int = 4, mask_char: str = "*"
) -> str:
    """Hide the middle for display/logs; never returns the full number, even if short."""
    if not id_number:
        return ""
    text = id_number if type(id_number) is str else str(id_number)
    n = len(text)
    head = keep_head if keep_head > 0 else 0  # not max(): imports mask 100,000 IDs
    tail = keep_tail if keep_tail > 0 else 0
    if n <= head + tail:
        head, tail = 0, min(tail, n - 1)
    return text[:head] + mask_char * (n - head - tail) + text[n - tail :]


def looks_like_id_number(text: str) -> bool:
    """Shape-only test (no checksum/date) used to route a search query to ID lookup."""
    return isinstance(text, str) and bool(_ID_SHAPE.fullmatch(_clean(text)))


def make_id_number(address_code: str, birth: datetime.date, sequence: int) -> str:
    """Build a valid ID for demo data/tests; odd sequence = male, even = female."""
    if not re.fullmatch(r"[0-9]{6}", address_code):
        raise ValueError("address_code must be 6 ASCII digits")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be in 0..999")
    body = f"{address_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return body + _check_char(body)

"""Tests for fupin.registry.idnumbers (pure Python, no Django needed)."""

import datetime
import random
from decimal import Decimal
from unittest import mock

import pytest

from fupin.registry import idnumbers
from fupin.registry.idnumbers import (
    EXCEL_MESSAGE,
    IdNumberError,
    birth_date_from_id,
    looks_like_id_number,
    make_id_number,
    mask_id_number,
    normalise_id_number,
    sex_from_id,
)

TODAY = datetime.date(2024, 6, 1)
VALID = "500156199001011235"  # male, born 1990-01-01
VALID_X = "11010519491231002X"  # the GB 11643-1999 worked example
VALID_X2 = "50015619900101003X"


def _iso7064_check(body17: str) -> str:
    """Independent hand-rolled check char, to cross-check stdnum."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def _error(raw, **kwargs) -> str:
    with pytest.raises(IdNumberError) as info:
        normalise_id_number(raw, **kwargs)
    return str(info.value)


def test_error_is_value_error():
    assert issubclass(IdNumberError, ValueError)


@pytest.mark.parametrize("number", [VALID, VALID_X, VALID_X2, "500156199001012000"])
def test_valid_numbers_pass_unchanged(number):
    assert _iso7064_check(number[:17]) == number[17]
    assert normalise_id_number(number) == number


def test_lowercase_x_is_upper_cased():
    assert normalise_id_number("11010519491231002x") == VALID_X


def test_full_width_digits_and_x():
    assert normalise_id_number("１１０１０５１９４９１２３１００２ｘ") == VALID_X
    assert normalise_id_number("５００１５６１９９００１０１１２３５") == VALID


@pytest.mark.parametrize(
    "raw",
    [
        "\u3000500156199001011235\u3000",
        "\u200b500156199001011235\ufeff",
        " 500156\u3000199001011235 ",
        "500156\u200b19900101\u200c1235\u200d",
        "\u00a0500156 1990 0101 1235\t\n",
    ],
)
def test_invisible_and_space_characters_removed(raw):
    assert normalise_id_number(raw) == VALID


def test_fifteen_digit_upgrade():
    body = "50015619900101123"
    assert _iso7064_check(body) == "5"
    assert normalise_id_number("500156900101123") == body + "5"
    assert normalise_id_number("500156 900101 123") == VALID


def test_fifteen_digit_bad_date():
    assert _error("500156900230123") == "证件号码中的出生日期无效：19900230"


def test_bad_checksum_names_expected_char():
    assert _error("500156199001011234") == "证件号码校验位错误（应为 5）"
    assert _error("110105194912310021") == "证件号码校验位错误（应为 X）"
    assert _error("500156199001011238") == "证件号码校验位错误（应为 5）"


def test_february_30_invalid():
    body = "50015619900230123"
    number = body + _iso7064_check(body)
    assert _error(number) == "证件号码中的出生日期无效：19900230"


def test_month_13_and_pre_1900_invalid():
    for body in ("50015619901301123", "50015618991231123"):
        assert _error(body + _iso7064_check(body)).startswith("证件号码中的出生日期无效：")


def test_future_date_invalid_and_today_allowed():
    tomorrow = make_id_number("500156", TODAY + datetime.timedelta(days=1), 1)
    assert _error(tomorrow, today=TODAY) == "证件号码中的出生日期晚于今天"
    born_today = make_id_number("500156", TODAY, 1)
    assert normalise_id_number(born_today, today=TODAY) == born_today


@pytest.mark.parametrize(
    "raw", [500156199001011235, 5.00156199001011e17, 500156900101123, Decimal("5.00156E+17")]
)
def test_numbers_get_excel_message(raw):
    assert _error(raw) == EXCEL_MESSAGE
    assert "Excel" in EXCEL_MESSAGE


@pytest.mark.parametrize(
    "raw", ["5.00156E+17", "5.00156e+17", "500156199001011000.0", "５.００１５６Ｅ＋１７"]
)
def test_scientific_notation_strings_get_excel_message(raw):
    assert _error(raw) == EXCEL_MESSAGE


def test_trailing_000_with_bad_checksum_gets_excel_message():
    assert _error("500156199001011000") == EXCEL_MESSAGE


def test_abolished_address_code_accepted():
    number = make_id_number("512326", datetime.date(1985, 6, 15), 41)
    assert number == "512326198506150419"
    assert normalise_id_number(number) == number


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000\u200b"])
def test_empty(raw):
    assert _error(raw) == "证件号码为空"


@pytest.mark.parametrize(
    "raw, length", [("12345", 5), ("5001561990010112", 16), ("5001561990010112355", 19)]
)
def test_wrong_length(raw, length):
    assert _error(raw) == f"证件号码长度应为18位（或15位旧号码），实际为{length}位"


@pytest.mark.parametrize(
    "raw",
    [
        "张三",
        "50015619900101123A",
        "5001561990X1011235",
        "500156-19900101-1235",
        "50015690010112X",
        True,
    ],
)
def test_illegal_characters(raw):
    assert _error(raw) == "证件号码含有非法字符"


def test_a_masked_number_says_it_is_masked():
    """A masked export fed back into an import gets a reason staff can act on."""
    assert (
        _error("500156********1235")
        == "证件号码已脱敏（含 *），无法识别；请使用含完整证件号码的文件"
    )


def test_birth_and_sex_derivation():
    assert birth_date_from_id(VALID) == datetime.date(1990, 1, 1)
    assert birth_date_from_id(VALID_X) == datetime.date(1949, 12, 31)
    assert sex_from_id(VALID) == "male"  # 17th digit 3
    assert sex_from_id(VALID_X) == "female"  # 17th digit 2
    with pytest.raises(IdNumberError):
        sex_from_id("500156900101123")


@pytest.mark.parametrize(
    "args, expected",
    [
        ((VALID,), "500156********1235"),
        ((VALID_X,), "110105********002X"),
        ((VALID, 3, 2, "#"), "500#############35"),
        ((VALID, 0, 0), "*" * 18),
        (("",), ""),
        ((None,), ""),
        (("1234567890",), "******7890"),
        (("12345",), "*2345"),
        (("1",), "*"),
    ],
)
def test_mask_variants(args, expected):
    assert mask_id_number(*args) == expected


@pytest.mark.parametrize("length", range(1, 19))
def test_mask_never_returns_full_number(length):
    text = VALID[:length]
    masked = mask_id_number(text)
    assert masked != text
    assert len(masked) == length


@pytest.mark.parametrize(
    "text, expected",
    [
        (VALID, True),
        ("11010519491231002x", True),
        ("500156900101123", True),
        ("\u3000５００１５６ 199001011234\u200b", True),  # checksum not checked
        ("50015619900101", False),
        ("5001561990010112", False),
        ("张三", False),
        ("", False),
        ("50015619900101123Y", False),
    ],
)
def test_looks_like_id_number(text, expected):
    assert looks_like_id_number(text) is expected


@pytest.mark.parametrize(
    "address, birth, sequence",
    [
        ("500156", datetime.date(1990, 1, 1), 0),
        ("500156", datetime.date(1990, 1, 1), 3),
        ("110105", datetime.date(1949, 12, 31), 2),
        ("512326", datetime.date(2000, 2, 29), 999),
        ("440524", datetime.date(1900, 1, 1), 17),
    ],
)
def test_make_id_number_round_trip(address, birth, sequence):
    number = make_id_number(address, birth, sequence)
    assert len(number) == 18
    assert number[:17] == f"{address}{birth:%Y%m%d}{sequence:03d}"
    assert number[17] == _iso7064_check(number[:17])
    assert normalise_id_number(number) == number
    assert birth_date_from_id(number) == birth
    assert sex_from_id(number) == ("male" if sequence % 2 else "female")


def test_make_id_number_known_values():
    assert make_id_number("500156", datetime.date(1990, 1, 1), 123) == VALID
    assert make_id_number("110105", datetime.date(1949, 12, 31), 2) == VALID_X


@pytest.mark.parametrize(
    "address, sequence", [("50015", 1), ("５００１５６", 1), ("500156", -1), ("500156", 1000)]
)
def test_make_id_number_rejects_bad_input(address, sequence):
    with pytest.raises(ValueError):
        make_id_number(address, datetime.date(1990, 1, 1), sequence)


# --- the fast path for canonical numbers ---------------------------------------------


def _outcome(raw: object) -> tuple[str, str]:
    try:
        return "ok", normalise_id_number(raw, today=TODAY)
    except IdNumberError as exc:
        return "error", str(exc)


def _canonical_shapes() -> list[str]:
    """18-character [0-9]{17}[0-9X] strings, valid and invalid in every checked way."""
    fixed = [
        VALID,
        VALID_X,
        VALID_X2,
        "500156199001012000",  # valid, ends in 000
        make_id_number("512326", datetime.date(1985, 6, 15), 41),  # abolished address
        make_id_number("500156", datetime.date(1900, 1, 1), 7),  # earliest allowed
        make_id_number("500156", TODAY, 1),  # born today
        "500156199001011234",  # check character wrong
        "11010519491231002" + "1",  # wrong where X is expected
        "500156199001011000",  # wrong and ends in 000: the Excel message
        "50015619900230123X",  # 30 February
        "50015619901301123X",  # month 13
        "50015619900100123X",  # day 0
        "50015618991231123X",  # before 1900
        "50015600000101123X",  # year 0
        make_id_number("500156", TODAY + datetime.timedelta(days=1), 1),  # born tomorrow
    ]
    rng = random.Random(2026)
    generated = []
    for _ in range(2000):
        if rng.random() < 0.5:  # a real day, possibly before 1900 or after TODAY
            birth = datetime.date(1880, 1, 1) + datetime.timedelta(days=rng.randint(0, 55_000))
            digits = f"{birth:%Y%m%d}"
        else:  # any eight digits
            digits = f"{rng.randint(0, 9999):04d}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
        body = f"{rng.randint(0, 999999):06d}{digits}{rng.randint(0, 999):03d}"
        generated += [body + rng.choice("0123456789X"), body + _iso7064_check(body)]
    return fixed + generated


def test_fast_path_agrees_with_the_full_cleaning():
    """A canonical 18-character str skips the cleaning; the same number with spaces and
    zero-width characters around it takes the full way: same result, same message."""
    outcomes = {"ok": 0, "error": 0}
    with mock.patch.object(idnumbers, "_cleaned", wraps=idnumbers._cleaned) as cleaned:
        for number in _canonical_shapes():
            cleaned.reset_mock()
            fast = _outcome(number)
            assert not cleaned.called, number
            slow = _outcome(f" \u3000{number}\u200b\n")
            assert cleaned.call_count == 1, number
            assert fast == slow, number
            outcomes[fast[0]] += 1
    assert outcomes["ok"] > 500 and outcomes["error"] > 500  # both kinds well covered


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "500156900101123",
        500156199001011235,
    ],
)
def test_non_canonical_input_takes_the_full_way(raw):
    with mock.patch.object(idnumbers, "_cleaned", wraps=idnumbers._cleaned) as cleaned:
        _outcome(raw)
    assert cleaned.call_count == 1

"""Reading a typed answer as the case file value it stands for.

People write "86万", "860,000.00" or "￥860000元" for money and "2023年9月1日" or
"2023/9/1" for dates; the case file has "860000" and "2023-09-01". The words (yes, no,
money units) come from both catalogs, so either language's words are understood in
either. An answer that cannot be read is passed on as typed, and the case model's own
check then says why it is wrong (the same sentence a case file would get)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from .i18n import LOCALES, Messages
from .money import PLAIN_DECIMAL


@dataclass(frozen=True)
class Lexicon:
    yes: frozenset[str]
    no: frozenset[str]
    units: dict[str, Decimal]        # a suffix and its multiplier: 万 = 10000
    currency: tuple[str, ...]        # signs and words stripped from money: ¥, 元, CNY


def _words(msgs: Messages, key: str) -> list[str]:
    return [w.strip().casefold() for w in msgs.t(key).split(",") if w.strip()]


@cache
def lexicon() -> Lexicon:
    yes: set[str] = set()
    no: set[str] = set()
    units: dict[str, Decimal] = {}
    currency: set[str] = set()
    for locale in LOCALES:
        msgs = Messages.get(locale)
        yes.update(_words(msgs, "ask.words.yes"))
        no.update(_words(msgs, "ask.words.no"))
        currency.update(_words(msgs, "ask.words.currency"))
        for pair in _words(msgs, "ask.words.money_units"):
            unit, _, factor = pair.partition("=")
            units[unit.strip()] = Decimal(factor.strip())
    # longest first, so "亿元" is not read as "亿" + a stray "元" (or the reverse)
    return Lexicon(frozenset(yes), frozenset(no), units, tuple(sorted(currency, key=len, reverse=True)))


def normal(text: str) -> str:
    """Full-width digits and punctuation (，２０２３) as ASCII, spaces trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def read_bool(text: str) -> bool | None:
    word = normal(text).casefold()
    lex = lexicon()
    if word in lex.yes:
        return True
    if word in lex.no:
        return False
    return None


_DIGITS = re.compile(r"\d+")
_ASCII_INT = re.compile(r"-?[0-9]+", re.ASCII)
_MAX_NUMBER_CHARS = 40  # far beyond any amount; the case model says "implausible" above 10^13
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def read_date(text: str) -> str:
    """2023-09-01, 2023/9/1, 2023.9.1, 2023年9月1日 or 20230901 as YYYY-MM-DD;
    anything else unchanged (the case model then says it is no date)."""
    value = normal(text)
    if any(ch.isalpha() and not _is_cjk(ch) for ch in _DIGITS.sub("", value)):
        return value  # "May 1": not a form read here
    compact = _COMPACT.fullmatch(value)
    parts = list(compact.groups()) if compact else _DIGITS.findall(value)
    if len(parts) == 3 and len(parts[0]) == 4 and all(1 <= len(p) <= 2 for p in parts[1:]):
        return f"{parts[0]}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return value


def _is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK")


def read_number(text: str, money: bool = True) -> str:
    """86万, 1.5万, 2亿, 860,000.00, ¥860000元 as a plain decimal string ("860000");
    30% as 0.30 (not for money). Unreadable text is returned unchanged."""
    value = normal(text).replace(",", "").replace(" ", "").replace("_", "")
    lex = lexicon()
    lowered = value.casefold()
    for sign in lex.currency:
        if lowered.startswith(sign):
            lowered = lowered[len(sign):]
        if lowered.endswith(sign):
            lowered = lowered[: -len(sign)]
    factor = Decimal(1)
    if not money and lowered.endswith("%"):
        lowered, factor = lowered[:-1], Decimal("0.01")
    for unit in sorted(lex.units, key=len, reverse=True):
        if lowered.endswith(unit):
            lowered, factor = lowered[: -len(unit)], lex.units[unit]
            break
    # Plain ASCII digits only, and not absurdly long: Decimal() would take "1e999999999",
    # exotic digits or NaN, and then overflow in the arithmetic below.
    if len(lowered) > _MAX_NUMBER_CHARS or not PLAIN_DECIMAL.fullmatch(lowered):
        return normal(text)
    try:
        return _plain(Decimal(lowered) * factor)
    except ArithmeticError:
        return normal(text)


def _plain(number: Decimal) -> str:
    """No exponent and no trailing zeros (1.5万 -> 15000, 860,000.00 -> 860000)."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def read_int(text: str) -> int | str:
    value = normal(text).replace(",", "")
    return int(value) if len(value) <= _MAX_NUMBER_CHARS and _ASCII_INT.fullmatch(value) else normal(text)


def read_choice(text: str, choices: tuple[str, ...], labels: dict[str, set[str]]) -> str | None:
    """A choice by its number (1-based), its code or any of its labels."""
    value = normal(text)
    if len(value) <= 3 and _ASCII_INT.fullmatch(value) and 1 <= int(value) <= len(choices):
        return choices[int(value) - 1]
    folded = value.casefold()
    for code in choices:
        if folded == code.casefold() or folded in {label.casefold() for label in labels.get(code, set())}:
            return code
    return None

"""Message catalogs and locale formatting (babel).

Engine sentences live in catalogs/<locale>/LC_MESSAGES/xisai.po, keyed by message id;
the rule files carry their own zh/en texts (titles, conditions, readings). Money,
numbers and dates are formatted by babel for the locale."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
)
from babel.support import Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
_ALIASES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "cn": "zh_CN", "en": "en", "en_us": "en", "en-us": "en"}


def normalise_locale(name: str | None) -> str:
    if not name:
        return DEFAULT_LOCALE
    found = _ALIASES.get(name.lower()) or (name if name in LOCALES else None)
    if found is None:
        raise ValueError(f"unsupported language {name!r} (supported: {', '.join(LOCALES)})")
    return found


def catalog_path(locale: str) -> Path:
    return Path(str(resources.files("xisai.catalogs"))) / locale / "LC_MESSAGES" / "xisai.po"


@cache
def _translations(locale: str) -> tuple[Translations, frozenset[str]]:
    with catalog_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    ids = frozenset(m.id for m in catalog if isinstance(m.id, str) and m.id and m.string)
    return Translations(buffer), ids


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0  # NaN and infinities are never money here


def error_message(code: str, params: dict[str, str], fallback: str, msgs: Messages) -> str:
    """An input error's sentence: the catalog's (error.<code>), or, for a pydantic code
    the catalog does not know, pydantic's own English (`fallback`)."""
    key = f"error.{code}"
    if not msgs.has(key):
        return fallback or code
    if params.get("choices"):  # an enumeration: its codes with their labels, e.g. 银行（bank）
        field = params.get("field") or None
        shown = []
        for choice in params["choices"].split(","):
            label = msgs.choice(choice, field)
            shown.append(choice if label == choice else msgs.t("error.choice", label=label, code=choice))
        params = {**params, "expected": msgs.t("value.list_separator").join(shown)}
    return msgs.t(key, **params)


class MissingMessage(KeyError):
    pass


class Messages:
    """Sentences and formats for one locale."""

    def __init__(self, locale: str | None = None):
        self.locale = normalise_locale(locale)
        self.lang = "zh" if self.locale.startswith("zh") else "en"
        self._babel = Locale.parse(self.locale)
        self._tr, self._ids = _translations(self.locale)
        # babel's formatting dominates a decision's cost; the same dates and sums recur.
        self._dates: dict[date, str] = {}
        self._moneys: dict[str, str] = {}

    @classmethod
    @cache
    def get(cls, locale: str | None = None) -> Messages:
        """One instance per locale and process (its caches are pure functions of input)."""
        return cls(locale)

    @property
    def ids(self) -> frozenset[str]:
        return self._ids

    def has(self, key: str) -> bool:
        return key in self._ids

    def t(self, msg_id: str, /, **values: Any) -> str:
        if msg_id not in self._ids:
            raise MissingMessage(f"message {msg_id!r} is missing from the {self.locale} catalog")
        return self._tr.gettext(msg_id).format(**values)

    def text(self, texts: dict[str, str] | None, **values: Any) -> str:
        """A rule file's {zh, en} text in this locale, placeholders filled."""
        if not texts:
            return ""
        return texts[self.lang].format(**values) if values else texts[self.lang]

    def choice(self, code: str, field: str | None) -> str:
        """An enumeration code's label for someone choosing or writing it: enum.<field>.<code>
        (what decisions show), else choice.<field>.<code> (labels only the questionnaire,
        the template and error messages show), else the code itself."""
        for key in (f"enum.{field}.{code}", f"choice.{field}.{code}"):
            if field and self.has(key):
                return self.t(key)
        return code

    # formats --------------------------------------------------------------------
    def money(self, amount: Decimal | str | None) -> str:
        if amount is None:
            return self.t("value.none")
        key = str(amount)
        if key not in self._moneys:
            self._moneys[key] = self._money(amount)
        return self._moneys[key]

    def _money(self, amount: Decimal | str) -> str:
        # Intermediate products keep their digits (¥150,000.005): rounding is a step of its own.
        # Trailing zeros beyond the fen carry nothing (3703703.6700 reads ¥3,703,703.67).
        value = Decimal(amount)
        if _exponent(value) < -2:
            value = value.normalize()
            if _exponent(value) > -2:
                value = value.quantize(Decimal("0.01"))
        return format_currency(value, "CNY", locale=self._babel, decimal_quantization=False)

    def money_short(self, amount: Decimal) -> str:
        return format_compact_decimal(amount, locale=self._babel, fraction_digits=2)

    def number(self, value: Decimal | int) -> str:
        return format_decimal(value, locale=self._babel, decimal_quantization=False)

    def percent(self, value: Decimal) -> str:
        return format_percent(value, locale=self._babel, decimal_quantization=False)

    def date(self, value: date) -> str:
        if value not in self._dates:
            self._dates[value] = format_date(value, "long", locale=self._babel)
        return self._dates[value]

    def value(self, value: Any, kind: str | None = None, field: str | None = None) -> str:
        """A case or parameter value, as a person reads it."""
        if value is None:
            return self.t("value.none")
        if isinstance(value, bool):
            return self.t("value.true" if value else "value.false")
        if isinstance(value, date):
            return self.date(value)
        if isinstance(value, (list, tuple)):
            return self.t("value.list_separator").join(self.value(v, kind, field) for v in value)
        if isinstance(value, str):
            key = f"enum.{field}.{value}" if field else None
            return self.t(key) if key and self.has(key) else value
        # Whole numbers here are years, months, ages and counts: never grouped ("2,024").
        text = str(value) if isinstance(value, int) else self.number(value)
        unit = f"unit.{field}" if field else None
        return self.t(unit, value=text) if unit and self.has(unit) else text
